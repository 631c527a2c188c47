"""Programme authoring: fields and their validation, create, update, archive and delete (the
requirements of a programme are in `requirements.py`).

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
    OPEN_ENROLMENT_STATUSES,
    Certificate,
    CertificateStatus,
    CertificationPath,
    Enrolment,
    Level,
    OrgUnit,
    PathRequirement,
    PathStatus,
    Skill,
    User,
    path_prerequisites,
)
from webapp.services import audit
from webapp.services.certification_path_management.eligibility import default_renewal_window

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
PROGRAMME_FIELDS = (
    "name",
    "slug",
    "description",
    "level",
    "validity_days",
    "renewal_window_days",
    "recert_grace_days",
    "self_enrolment",
    "org_unit_id",
)


def _int_in(value: Any, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if low <= value <= high else None


def validate_programme_fields(
    tenant_id: int, data: dict[str, Any], programme: CertificationPath | None = None
) -> dict[str, list[str]]:
    """Every problem with programme fields (name, slug unique per tenant, level, validity,
    renewal window, org unit of the tenant), by field. Empty when valid. Reads only."""
    problems: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    name = (data.get("name") or "").strip()
    if not name:
        add("name", "Give the programme a name.")
    elif len(name) > 160:
        add("name", "The name can be at most 160 characters.")
    elif name_taken(tenant_id, name, programme):
        add("name", "Another programme already has this name.")
    slug = (data.get("slug") or "").strip()
    if not SLUG_RE.match(slug) or len(slug) > 80:
        add("slug", "Use lowercase letters, digits and single hyphens (at most 80 characters).")
    else:
        clash = db.session.scalar(
            sa.select(CertificationPath.id).where(
                CertificationPath.tenant_id == tenant_id,
                CertificationPath.slug == slug,
                CertificationPath.id != (programme.id if programme else -1),
            )
        )
        if clash:
            add("slug", "Another programme already uses this slug.")
    if data.get("level") not in {lv.value for lv in Level}:
        add("level", "Choose foundation, intermediate or advanced.")
    validity = data.get("validity_days")
    if validity is not None and _int_in(validity, 1, 3650) is None:
        add("validity_days", "Validity must be between 1 and 3650 days, or none.")
    if _int_in(data.get("renewal_window_days", 30), 0, 365) is None:
        add("renewal_window_days", "The renewal window must be between 0 and 365 days.")
    if _int_in(data.get("recert_grace_days", 90), 0, 3650) is None:
        add("recert_grace_days", "The grace period must be between 0 and 3650 days.")
    unit_id = data.get("org_unit_id")
    if unit_id is not None:
        unit = db.session.scalar(
            sa.select(OrgUnit.id).where(OrgUnit.id == unit_id, OrgUnit.tenant_id == tenant_id)
        )
        if unit is None:
            add("org_unit_id", "Choose an org unit of your organisation.")
    return problems


def name_taken(tenant_id: int, name: str, programme: CertificationPath | None = None) -> bool:
    """Whether another programme of the tenant has this name (ignoring case; the database's
    unique (tenant_id, name) constraint settles exact clashes under races)."""
    return (
        db.session.scalar(
            sa.select(CertificationPath.id)
            .where(
                CertificationPath.tenant_id == tenant_id,
                sa.func.lower(CertificationPath.name) == name.strip().lower(),
                CertificationPath.id
                != (programme.id if programme is not None and programme.id else -1),
            )
            .limit(1)
        )
        is not None
    )


def prerequisite_cycle(programme: CertificationPath, prerequisite_ids: list[int]) -> bool:
    """Whether making `programme` require `prerequisite_ids` would close a cycle (walks the graph
    of the tenant's prerequisites in one query)."""
    if programme.id is None:
        return False
    edges = db.session.execute(
        sa.select(path_prerequisites.c.path_id, path_prerequisites.c.required_path_id)
        .join(CertificationPath, CertificationPath.id == path_prerequisites.c.path_id)
        .where(CertificationPath.tenant_id == programme.tenant_id)
    ).all()
    graph: dict[int, set[int]] = {}
    for source, target in edges:
        if source != programme.id:
            graph.setdefault(source, set()).add(target)
    graph[programme.id] = set(prerequisite_ids)
    stack, seen = list(graph[programme.id]), set()
    while stack:
        node = stack.pop()
        if node == programme.id:
            return True
        if node not in seen:
            seen.add(node)
            stack.extend(graph.get(node, ()))
    return False


def _raise_if(problems: dict[str, list[str]], message: str) -> None:
    if problems:
        raise ValidationFailed(message, problems)


def _tenant_programmes(tenant_id: int, ids: list[int]) -> list[CertificationPath]:
    if not ids:
        return []
    return list(
        db.session.scalars(
            sa.select(CertificationPath).where(
                CertificationPath.tenant_id == tenant_id, CertificationPath.id.in_(ids)
            )
        )
    )


def _skills_by_name(tenant_id: int, names: list[str]) -> list[Skill]:
    wanted = []
    for name in names:
        cleaned = " ".join(name.split())[:120]
        if cleaned and cleaned.lower() not in {w.lower() for w in wanted}:
            wanted.append(cleaned)
    if not wanted:
        return []
    existing = {
        s.name.lower(): s
        for s in db.session.scalars(sa.select(Skill).where(Skill.tenant_id == tenant_id))
    }
    skills = []
    for name in wanted:
        skill = existing.get(name.lower())
        if skill is None:
            skill = Skill(tenant_id=tenant_id, name=name)
            db.session.add(skill)
        skills.append(skill)
    return skills


def _apply_programme(
    programme: CertificationPath, data: dict[str, Any], actor: User | None
) -> CertificationPath:
    problems = validate_programme_fields(
        programme.tenant_id, data, programme if programme.id else None
    )
    prerequisite_ids = [int(i) for i in data.get("prerequisite_ids") or []]
    prerequisites = _tenant_programmes(programme.tenant_id, prerequisite_ids)
    if len(prerequisites) != len(set(prerequisite_ids)):
        problems.setdefault("prerequisite_ids", []).append(
            "Choose prerequisites among your organisation's programmes."
        )
    elif programme.id is not None and (
        programme.id in prerequisite_ids or prerequisite_cycle(programme, prerequisite_ids)
    ):
        problems.setdefault("prerequisite_ids", []).append(
            "These prerequisites would form a cycle (a programme would require itself)."
        )
    _raise_if(problems, "Please correct the highlighted fields.")
    for field in PROGRAMME_FIELDS:
        if field in data:
            value = data[field]
            if field == "level":
                value = Level(value)
            elif isinstance(value, str):
                value = value.strip()
            setattr(programme, field, value)
    programme.updated_at = clock.now()
    try:
        with db.session.begin_nested():
            db.session.add(programme)
            db.session.flush()
    except sa.exc.IntegrityError:
        # A concurrent request took the name or slug after the checks above.
        raise ValidationFailed(
            "Please correct the highlighted fields.",
            {"name": ["Another programme already has this name or slug."]},
        ) from None
    programme.prerequisites = prerequisites
    programme.skills = _skills_by_name(programme.tenant_id, data.get("skill_names") or [])
    db.session.flush()
    return programme


def create_programme(tenant_id: int, actor: User, data: dict[str, Any]) -> CertificationPath:
    """Create a draft programme from validated fields (see validate_programme_fields, plus
    prerequisite_ids and skill_names; no renewal window: the tenant's default). Raises
    ValidationFailed; flushes, never commits."""
    if data.get("renewal_window_days") is None:
        data = {**data, "renewal_window_days": default_renewal_window(tenant_id)}
    programme = _apply_programme(CertificationPath(tenant_id=tenant_id), data, actor)
    audit.record(
        tenant_id,
        actor,
        "programme.created",
        "programme",
        programme.id,
        programme.name,
        slug=programme.slug,
    )
    return programme


def _audited_fields(programme: CertificationPath) -> dict[str, Any]:
    """The programme's editable fields as the audit log shows them before and after an edit."""
    values: dict[str, Any] = {field: getattr(programme, field) for field in PROGRAMME_FIELDS}
    values["level"] = programme.level.value if programme.level else None
    values["prerequisites"] = [p.name for p in programme.prerequisites]
    values["skills"] = [s.name for s in programme.skills]
    return values


def update_programme(programme: CertificationPath, actor: User, data: dict[str, Any]) -> None:
    """Change a programme's fields, prerequisites and skills; existing enrolments keep their
    snapshot. Raises ValidationFailed; flushes, never commits."""
    if programme.status is PathStatus.ARCHIVED:
        raise Conflict("An archived programme cannot be edited.")
    before = _audited_fields(programme)
    _apply_programme(programme, data, actor)
    audit.record(
        programme.tenant_id,
        actor,
        "programme.updated",
        "programme",
        programme.id,
        programme.name,
        changes=audit.changes(before, _audited_fields(programme)),
    )


def set_badge(programme: CertificationPath, key: str | None) -> str | None:
    """Point the programme at a stored badge image; returns the previous key. Flushes."""
    previous, programme.badge_image_key = programme.badge_image_key, key
    db.session.flush()
    return previous


def has_enrolments(programme: CertificationPath) -> bool:
    return (
        db.session.scalar(sa.select(Enrolment.id).where(Enrolment.path_id == programme.id).limit(1))
        is not None
    )


def archive_programme(programme: CertificationPath, actor: User) -> None:
    """Archive a programme: no new enrolments; existing ones go on. Raises InvalidTransition."""
    programme.archive()
    programme.updated_at = clock.now()
    audit.record(
        programme.tenant_id, actor, "programme.archived", "programme", programme.id, programme.name
    )
    db.session.flush()


def archive_figures(programme: CertificationPath) -> dict[str, int]:
    """What archiving leaves running: the programme's open enrolments and its certificates
    active now (not past their expiry). Reads only."""
    open_enrolments = sa.select(sa.func.count(Enrolment.id)).where(
        Enrolment.tenant_id == programme.tenant_id,
        Enrolment.path_id == programme.id,
        Enrolment.status.in_(OPEN_ENROLMENT_STATUSES),
    )
    active_certificates = sa.select(sa.func.count(Certificate.id)).where(
        Certificate.tenant_id == programme.tenant_id,
        Certificate.path_id == programme.id,
        Certificate.status == CertificateStatus.ACTIVE,
        sa.or_(Certificate.expires_at.is_(None), Certificate.expires_at > clock.now()),
    )
    return {
        "open_enrolments": db.session.scalar(open_enrolments) or 0,
        "active_certificates": db.session.scalar(active_certificates) or 0,
    }


def deletion_refusal(programme: CertificationPath) -> str | None:
    """Why the programme cannot be deleted (None when it can): only a never-published draft
    without enrolments that no programme requires. Reads only."""
    if programme.status is not PathStatus.DRAFT or programme.version_major > 0:
        return "Only a never-published draft can be deleted; archive it instead."
    if has_enrolments(programme):
        return "This programme has enrolments; archive it instead."
    required_by = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(path_prerequisites)
        .where(path_prerequisites.c.required_path_id == programme.id)
    )
    if required_by:
        return "Other programmes require this one; remove it from their prerequisites."
    return None


def delete_programme(programme: CertificationPath, actor: User) -> None:
    """Delete a draft programme that has no enrolments and that no programme requires.
    Raises Conflict otherwise (see deletion_refusal). Flushes, never commits."""
    refusal = deletion_refusal(programme)
    if refusal is not None:
        raise Conflict(refusal)
    audit.record(
        programme.tenant_id, actor, "programme.deleted", "programme", programme.id, programme.name
    )
    programme.prerequisites = []
    programme.skills = []
    db.session.execute(sa.delete(PathRequirement).where(PathRequirement.path_id == programme.id))
    db.session.delete(programme)
    db.session.flush()
