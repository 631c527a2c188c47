"""The requirements of a programme: their fields and kind-specific settings, add, change,
remove (kept while enrolments refer to them) and reorder.

Functions flush but never commit; they raise DomainError subclasses with safe messages.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from webapp import clock
from webapp.errors import Conflict, ValidationFailed
from webapp.extensions import db
from webapp.models import (
    CertificationPath,
    PathRequirement,
    PathStatus,
    Quiz,
    RequirementKind,
    RequirementProgress,
    User,
)
from webapp.services import audit
from webapp.services.certification_path_management.authoring import _int_in, _raise_if

VIDEO_URL_RE = re.compile(r"^https?://[^\s]+$")


def quiz_of_tenant(tenant_id: int, quiz_id: int) -> Quiz | None:
    return db.session.scalar(sa.select(Quiz).where(Quiz.id == quiz_id, Quiz.tenant_id == tenant_id))


def validate_requirement_fields(
    tenant_id: int, kind: str, data: dict[str, Any], allowed_types: tuple[str, ...]
) -> dict[str, list[str]]:
    """Every problem with a requirement of `kind` (title, quiz of the tenant, min score 0-100,
    evidence types and approvals, content text or video link), by field. Reads only."""
    problems: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    if kind not in {k.value for k in RequirementKind}:
        add("kind", "Choose quiz, evidence or content.")
        return problems
    title = (data.get("title") or "").strip()
    if not title:
        add("title", "Give the requirement a title.")
    elif len(title) > 160:
        add("title", "The title can be at most 160 characters.")
    if kind == RequirementKind.QUIZ.value:
        quiz_id = data.get("quiz_id")
        if not isinstance(quiz_id, int) or quiz_of_tenant(tenant_id, quiz_id) is None:
            add("quiz_id", "Choose a quiz of your organisation.")
        min_score = data.get("min_score")
        if min_score is not None and _int_in(min_score, 0, 100) is None:
            add("min_score", "The minimum score must be between 0 and 100.")
    elif kind == RequirementKind.EVIDENCE.value:
        if not (data.get("instructions") or "").strip():
            add("instructions", "Tell learners what to submit.")
        types = data.get("accepted_types") or []
        if not types:
            add("accepted_types", "Accept at least one file type.")
        elif any(t not in allowed_types for t in types):
            add("accepted_types", f"Accepted types must be among: {', '.join(allowed_types)}.")
        if _int_in(data.get("required_approvals", 1), 1, 5) is None:
            add("required_approvals", "Required approvals must be between 1 and 5.")
    else:
        body = (data.get("body") or "").strip()
        video = (data.get("video_url") or "").strip()
        if not body and not video:
            add("body", "Give the learning content as text or a video link.")
        if video and not VIDEO_URL_RE.match(video):
            add("video_url", "The video link must start with http:// or https://.")
    return problems


def requirement_settings(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """The kind-specific settings stored in a requirement's `settings`."""
    if kind == RequirementKind.QUIZ.value:
        return {"requires_peer_validation": bool(data.get("requires_peer_validation"))}
    if kind == RequirementKind.EVIDENCE.value:
        return {
            "instructions": (data.get("instructions") or "").strip(),
            "accepted_types": list(data.get("accepted_types") or []),
            "required_approvals": int(data.get("required_approvals") or 1),
        }
    return {
        "body": (data.get("body") or "").strip(),
        "video_url": (data.get("video_url") or "").strip() or None,
    }


def _requirement_values(
    tenant_id: int, kind: str, data: dict[str, Any], allowed_types: tuple[str, ...]
) -> dict[str, Any]:
    problems = validate_requirement_fields(tenant_id, kind, data, allowed_types)
    _raise_if(problems, "Please correct the highlighted fields.")
    is_quiz = kind == RequirementKind.QUIZ.value
    return {
        "title": data["title"].strip(),
        "is_mandatory": bool(data.get("is_mandatory", True)),
        "quiz_id": data.get("quiz_id") if is_quiz else None,
        "min_score": data.get("min_score") if is_quiz else None,
        "settings": requirement_settings(kind, data),
    }


def add_requirement(
    programme: CertificationPath,
    actor: User,
    kind: str,
    data: dict[str, Any],
    allowed_types: tuple[str, ...],
) -> PathRequirement:
    """Append a requirement of `kind` to the programme. Raises ValidationFailed, Conflict
    (archived). Flushes, never commits."""
    if programme.status is PathStatus.ARCHIVED:
        raise Conflict("An archived programme cannot be edited.")
    values = _requirement_values(programme.tenant_id, kind, data, allowed_types)
    last = db.session.scalar(
        sa.select(sa.func.max(PathRequirement.sort_order)).where(
            PathRequirement.path_id == programme.id, PathRequirement.removed_at.is_(None)
        )
    )
    requirement = PathRequirement(
        tenant_id=programme.tenant_id,
        path_id=programme.id,
        kind=RequirementKind(kind),
        sort_order=(last or 0) + 1,
        **values,
    )
    db.session.add(requirement)
    programme.updated_at = clock.now()
    db.session.flush()
    db.session.expire(programme, ["requirements"])
    audit.record(
        programme.tenant_id,
        actor,
        "requirement.added",
        "requirement",
        requirement.id,
        f"“{requirement.title}” added to {programme.name}",
        programme_id=programme.id,
        kind=requirement.kind.value,
        title=requirement.title,
    )
    return requirement


def update_requirement(
    requirement: PathRequirement, actor: User, data: dict[str, Any], allowed_types: tuple[str, ...]
) -> None:
    """Change a requirement's settings (its kind stays). Enrolled learners keep their snapshot.
    Raises ValidationFailed. Flushes, never commits."""
    values = _requirement_values(requirement.tenant_id, requirement.kind.value, data, allowed_types)
    before = {field: getattr(requirement, field) for field in values}
    for field, value in values.items():
        setattr(requirement, field, value)
    requirement.programme.updated_at = clock.now()
    db.session.flush()
    audit.record(
        requirement.tenant_id,
        actor,
        "requirement.updated",
        "requirement",
        requirement.id,
        f"“{requirement.title}” of {requirement.programme.name} changed",
        programme_id=requirement.path_id,
        changes=audit.changes(before, values),
    )


def remove_requirement(requirement: PathRequirement, actor: User) -> None:
    """Take a requirement out of its programme: deleted when nothing refers to it, otherwise
    kept for existing enrolments and marked removed. Flushes, never commits."""
    programme = requirement.programme
    referenced = db.session.scalar(
        sa.select(RequirementProgress.id)
        .where(RequirementProgress.requirement_id == requirement.id)
        .limit(1)
    )
    audit.record(
        requirement.tenant_id,
        actor,
        "requirement.removed",
        "requirement",
        requirement.id,
        f"“{requirement.title}” removed from {programme.name}",
        programme_id=programme.id,
        title=requirement.title,
        kept_for_enrolments=bool(referenced),
    )
    if referenced:
        requirement.removed_at = clock.now()
    else:
        db.session.delete(requirement)
    programme.updated_at = clock.now()
    db.session.flush()
    db.session.expire(programme, ["requirements"])


def move_requirement(
    requirement: PathRequirement, direction: str, actor: User | None = None
) -> None:
    """Swap a requirement with its neighbour ("up" or "down"); renumbers the order 1..n; a
    move that changes the order is audited. Raises ValidationFailed for another direction.
    Flushes, never commits."""
    if direction not in ("up", "down"):
        raise ValidationFailed("Move a requirement up or down.")
    programme = requirement.programme
    ordered = list(programme.requirements)
    index = next(i for i, r in enumerate(ordered) if r.id == requirement.id)
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(ordered):
        ordered[index], ordered[target] = ordered[target], ordered[index]
        audit.record(
            requirement.tenant_id,
            actor,
            "requirement.moved",
            "requirement",
            requirement.id,
            f"“{requirement.title}” moved {direction} in {programme.name}",
            programme_id=programme.id,
            changes={"position": {"before": index + 1, "after": target + 1}},
        )
    reorder_requirements(programme, [r.id for r in ordered])


def reorder_requirements(programme: CertificationPath, ordered_ids: list[int]) -> None:
    """Set the order of the programme's requirements to `ordered_ids` (all of them, each once).
    Raises ValidationFailed otherwise. Flushes, never commits."""
    current = {r.id: r for r in programme.requirements}
    if sorted(ordered_ids) != sorted(current):
        raise ValidationFailed("The new order must list each requirement exactly once.")
    for position, requirement_id in enumerate(ordered_ids, start=1):
        current[requirement_id].sort_order = position
    programme.updated_at = clock.now()
    db.session.flush()
    db.session.expire(programme, ["requirements"])
