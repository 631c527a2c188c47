"""Import: a checked document becomes a draft programme in a tenant, with its skills, its
quizzes (each published), requirements and prerequisites; nothing is written unless every
check passes."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from webapp.errors import ValidationFailed
from webapp.extensions import db
from webapp.models import (
    CertificationPath,
    Level,
    PathRequirement,
    PathStatus,
    Quiz,
    RequirementKind,
    Skill,
    Tenant,
    User,
)
from webapp.services import audit, automated_evaluation
from webapp.services.programme_files.checks import _Plan, check_document
from webapp.services.programme_files.document import _join, parse_document


def import_programme(
    tenant: Tenant,
    actor: User | None,
    document: dict[str, Any] | bytes | str,
    *,
    slug: str | None = None,
    name: str | None = None,
) -> CertificationPath:
    """Create a draft programme in `tenant` from a document (or the raw text of a file): its
    skills (reusing those of the same name), its quizzes (each published) and requirements in
    order, prerequisites by slug; `slug` and `name` replace the document's (both are unique per
    tenant). Checks everything first.
    Raises ValidationFailed with every problem by JSON path, changing nothing. Flushes, never
    commits."""
    if not isinstance(document, dict):
        document = parse_document(document)
    problems, plan = check_document(
        tenant, document, (slug or "").strip() or None, (name or "").strip() or None
    )
    if plan is None:
        count = problems.count()
        noun = "problem" if count == 1 else "problems"
        raise ValidationFailed(
            f"The programme file has {count} {noun}; nothing was imported.", dict(problems)
        )
    with db.session.begin_nested():
        programme = _create(tenant, actor, plan)
    audit.record(
        tenant.id,
        actor,
        "programme.imported",
        "programme",
        programme.id,
        programme.name,
        slug=programme.slug,
        requirements=len(plan.requirements),
        quizzes=len(plan.quizzes),
    )
    db.session.flush()
    return programme


def _create(tenant: Tenant, actor: User | None, plan: _Plan) -> CertificationPath:
    quiz_ids = {}
    for key, spec in plan.quizzes.items():
        quiz = Quiz(tenant_id=tenant.id, **spec)
        db.session.add(quiz)
        db.session.flush()
        try:
            automated_evaluation.publish_quiz(quiz, actor)
        except ValidationFailed as error:
            # The checks above mirror the quiz rules; should they ever drift, say where.
            messages = [m for ms in error.problems.values() for m in ms] or [error.message]
            raise ValidationFailed(
                "A quiz of the programme file cannot be published; nothing was imported.",
                {_join("$.quizzes", key): messages},
            ) from error
        quiz_ids[key] = quiz.id
    fields = dict(plan.programme, level=Level(plan.programme["level"]))
    programme = CertificationPath(tenant_id=tenant.id, status=PathStatus.DRAFT, **fields)
    db.session.add(programme)
    db.session.flush()
    programme.skills = _skills(tenant, plan.skills)
    programme.prerequisites = plan.prerequisites
    for order, spec in enumerate(plan.requirements, start=1):
        is_quiz = spec["kind"] == RequirementKind.QUIZ.value
        db.session.add(
            PathRequirement(
                tenant_id=tenant.id,
                path_id=programme.id,
                kind=RequirementKind(spec["kind"]),
                title=spec["title"].strip(),
                sort_order=order,
                is_mandatory=spec.get("is_mandatory", True),
                quiz_id=quiz_ids[spec["quiz"]] if is_quiz else None,
                min_score=spec.get("min_score") if is_quiz else None,
                settings=spec["settings"],
            )
        )
    db.session.flush()
    db.session.expire(programme, ["requirements"])
    return programme


def _skills(tenant: Tenant, names: list[str]) -> list[Skill]:
    existing = {
        s.name.lower(): s
        for s in db.session.scalars(sa.select(Skill).where(Skill.tenant_id == tenant.id))
    }
    skills = []
    for name in names:
        skill = existing.get(name.lower())
        if skill is None:
            skill = existing[name.lower()] = Skill(tenant_id=tenant.id, name=name)
            db.session.add(skill)
        if skill not in skills:
            skills.append(skill)
    return skills
