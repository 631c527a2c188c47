"""Versions of a programme: the frozen definition of its requirements, its fingerprint,
publishing a new version, the snapshot a new enrolment takes, and where a quiz is used.

Functions flush but never commit; they raise DomainError subclasses with safe messages.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app

from webapp import clock
from webapp.errors import ValidationFailed
from webapp.extensions import db
from webapp.models import (
    OPEN_ENROLMENT_STATUSES,
    CertificationPath,
    Enrolment,
    PathRequirement,
    PathStatus,
    PathVersion,
    QuizVersion,
    RequirementKind,
    User,
)
from webapp.services import audit


def requirement_definition(requirement: PathRequirement, quiz_version: QuizVersion | None) -> dict:
    """The frozen form of one requirement, as stored in snapshots and versions."""
    settings = dict(requirement.settings or {})
    definition: dict[str, Any] = {
        "requirement_id": requirement.id,
        "kind": requirement.kind.value,
        "title": requirement.title,
        "sort_order": requirement.sort_order,
        "is_mandatory": requirement.is_mandatory,
        "settings": settings,
    }
    if requirement.kind is RequirementKind.QUIZ:
        definition["quiz_id"] = requirement.quiz_id
        definition["quiz_version_id"] = quiz_version.id if quiz_version else None
        definition["min_score"] = (
            requirement.min_score
            if requirement.min_score is not None
            else current_app.config["CERT_PASS_PERCENT"]
        )
        definition["requires_peer_validation"] = bool(settings.get("requires_peer_validation"))
    return definition


def latest_quiz_versions(quiz_ids: list[int]) -> dict[int, QuizVersion]:
    """The newest published version of each quiz, in one query."""
    if not quiz_ids:
        return {}
    latest = (
        sa.select(QuizVersion.quiz_id, sa.func.max(QuizVersion.number).label("number"))
        .where(QuizVersion.quiz_id.in_(quiz_ids))
        .group_by(QuizVersion.quiz_id)
        .subquery()
    )
    rows = db.session.scalars(
        sa.select(QuizVersion).join(
            latest,
            sa.and_(QuizVersion.quiz_id == latest.c.quiz_id, QuizVersion.number == latest.c.number),
        )
    ).all()
    return {v.quiz_id: v for v in rows}


def current_definition(programme: CertificationPath) -> dict[str, Any]:
    """The programme's definition now: requirements in order with the latest quiz versions."""
    requirements = list(programme.requirements)
    versions = latest_quiz_versions([r.quiz_id for r in requirements if r.quiz_id])
    return {
        "path_id": programme.id,
        "name": programme.name,
        "slug": programme.slug,
        "level": programme.level.value,
        "validity_days": programme.validity_days,
        "renewal_window_days": programme.renewal_window_days,
        "requirements": [
            requirement_definition(r, versions.get(r.quiz_id) if r.quiz_id else None)
            for r in requirements
        ],
    }


def requirements_fingerprint(definition: dict[str, Any]) -> str:
    """A hash of the requirement set (what is required, not titles or order): a change in it
    makes the next published version a major one."""
    essence = sorted(
        (
            r["kind"],
            r.get("quiz_id"),
            r.get("min_score"),
            r["is_mandatory"],
            json.dumps(r["settings"], sort_keys=True),
        )
        for r in definition["requirements"]
    )
    return hashlib.sha256(json.dumps(essence, default=str).encode()).hexdigest()


def publish_path(programme: CertificationPath, actor: User | None) -> PathVersion:
    """Validate and publish `programme`, recording a version: major when the requirement set changed
    since the last published version, minor otherwise. Raises ValidationFailed. Flushes."""
    definition = current_definition(programme)
    problems = validate_for_publishing(programme, definition)
    if problems:
        raise ValidationFailed("This programme cannot be published yet.", {"publish": problems})
    fingerprint = requirements_fingerprint(definition)
    last = db.session.scalar(
        sa.select(PathVersion)
        .where(PathVersion.path_id == programme.id)
        .order_by(PathVersion.major.desc(), PathVersion.minor.desc())
        .limit(1)
    )
    if last is None or last.requirements_fingerprint != fingerprint:
        major, minor = (last.major + 1 if last else 1), 0
    else:
        major, minor = last.major, last.minor + 1
    programme.publish()
    programme.version_major, programme.version_minor = major, minor
    programme.updated_at = clock.now()
    definition["version"] = f"{major}.{minor}"
    version = PathVersion(
        tenant_id=programme.tenant_id,
        path_id=programme.id,
        major=major,
        minor=minor,
        definition=definition,
        requirements_fingerprint=fingerprint,
        published_by_id=actor.id if actor else None,
    )
    db.session.add(version)
    db.session.flush()
    audit.record(
        programme.tenant_id,
        actor,
        "programme.published",
        "programme",
        programme.id,
        f"{programme.name} published as version {major}.{minor}",
        version=f"{major}.{minor}",
        requirements=len(definition["requirements"]),
    )
    return version


def validate_for_publishing(programme: CertificationPath, definition: dict[str, Any]) -> list[str]:
    """Every reason the programme cannot be published (empty when it can)."""
    problems = []
    requirements = definition["requirements"]
    if not any(r["is_mandatory"] for r in requirements):
        problems.append("Add at least one mandatory requirement.")
    for r in requirements:
        if r["kind"] == RequirementKind.QUIZ.value and not r.get("quiz_version_id"):
            problems.append(f"The quiz of requirement “{r['title']}” has not been published.")
    if programme.status is PathStatus.ARCHIVED:
        problems.append("An archived programme cannot be published.")
    return problems


def snapshot_of(version: PathVersion) -> dict[str, Any]:
    """The snapshot a new enrolment takes now: the definition of `version` with each quiz at
    its latest published version (seed 001 §2.2: the latest definition and the latest
    evaluation versions). Enrolments taken earlier keep theirs. Reads only."""
    definition = copy.deepcopy(version.definition)
    quiz_ids = [r["quiz_id"] for r in definition["requirements"] if r.get("quiz_id")]
    latest = latest_quiz_versions(quiz_ids)
    for requirement in definition["requirements"]:
        quiz_version = latest.get(requirement.get("quiz_id"))
        if quiz_version is not None:
            requirement["quiz_version_id"] = quiz_version.id
    return definition


def latest_version(programme: CertificationPath) -> PathVersion | None:
    """The programme's latest published version."""
    return db.session.scalar(
        sa.select(PathVersion)
        .where(PathVersion.path_id == programme.id)
        .order_by(PathVersion.major.desc(), PathVersion.minor.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class QuizUsage:
    """Where a quiz is used: the published programmes whose new enrolments (and renewals) take
    its latest published version, and how many enrolments are open in them now (each stays
    on the quiz version of its snapshot)."""

    programmes: list[str]
    open_enrolments: int


def quiz_usage(tenant_id: int, quiz_id: int) -> QuizUsage:
    """The published programmes of the tenant that require `quiz_id` and their open
    enrolments (two queries). Reads only."""
    names = list(
        db.session.scalars(
            sa.select(CertificationPath.name)
            .join(PathRequirement, PathRequirement.path_id == CertificationPath.id)
            .where(
                CertificationPath.tenant_id == tenant_id,
                CertificationPath.status == PathStatus.PUBLISHED,
                PathRequirement.quiz_id == quiz_id,
                PathRequirement.removed_at.is_(None),
            )
            .distinct()
            .order_by(CertificationPath.name)
        )
    )
    using = (
        sa.select(PathRequirement.path_id)
        .where(PathRequirement.tenant_id == tenant_id, PathRequirement.quiz_id == quiz_id)
        .scalar_subquery()
    )
    count = db.session.scalar(
        sa.select(sa.func.count(Enrolment.id)).where(
            Enrolment.tenant_id == tenant_id,
            Enrolment.path_id.in_(using),
            Enrolment.status.in_(OPEN_ENROLMENT_STATUSES),
        )
    )
    return QuizUsage(names, count or 0)
