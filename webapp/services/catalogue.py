"""Read models for the programme catalogue and detail pages (constant number of queries)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from webapp.extensions import db
from webapp.models import (
    CertificationPath,
    Enrolment,
    PathRequirement,
    PathStatus,
    RequirementProgress,
    User,
)
from webapp.services import certification_path_management as paths


@dataclass(frozen=True)
class CatalogueEntry:
    programme: CertificationPath
    requirement_count: int
    prerequisites_met: bool


def published_programmes(
    user: User, *, search: str = "", level: str | None = None
) -> list[CatalogueEntry]:
    """Published programmes the user may see (tenant and org unit scope), with requirement
    counts and whether their prerequisites are met."""
    counts = (
        sa.select(PathRequirement.path_id, sa.func.count(PathRequirement.id).label("n"))
        .where(PathRequirement.tenant_id == user.tenant_id, PathRequirement.removed_at.is_(None))
        .group_by(PathRequirement.path_id)
        .subquery()
    )
    statement = (
        sa.select(CertificationPath, sa.func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.path_id == CertificationPath.id)
        .where(paths.visible_to(user), CertificationPath.status == PathStatus.PUBLISHED)
        .options(selectinload(CertificationPath.prerequisites))
        .order_by(CertificationPath.level, CertificationPath.name)
    )
    if search:
        pattern = f"%{search.lower()}%"
        statement = statement.where(
            sa.or_(
                sa.func.lower(CertificationPath.name).like(pattern),
                sa.func.lower(CertificationPath.description).like(pattern),
            )
        )
    if level:
        statement = statement.where(CertificationPath.level == level)
    certified = paths.certified_path_ids(user)
    return [
        CatalogueEntry(programme, n, all(p.id in certified for p in programme.prerequisites))
        for programme, n in db.session.execute(statement).all()
    ]


def visible_programme(user: User, slug: str) -> CertificationPath | None:
    """A programme by slug if the user may see it: published and in their scope, or one they
    have been enrolled in, whatever its status or scope now (an archived programme leaves the
    catalogue, but its learners and certificate holders keep their own work). Admins also
    see drafts."""
    statement = sa.select(CertificationPath).where(
        CertificationPath.tenant_id == user.tenant_id, CertificationPath.slug == slug
    )
    if not user.is_admin:
        own_enrolment = (
            sa.select(Enrolment.id)
            .where(Enrolment.path_id == CertificationPath.id, Enrolment.user_id == user.id)
            .exists()
        )
        statement = statement.where(
            sa.or_(
                sa.and_(paths.visible_to(user), CertificationPath.status == PathStatus.PUBLISHED),
                own_enrolment,
            )
        )
    return db.session.scalar(statement)


def latest_enrolment(user: User, programme: CertificationPath) -> Enrolment | None:
    """The user's open enrolment in the programme, else their most recent one."""
    return paths.open_enrolment(user, programme) or db.session.scalar(
        sa.select(Enrolment)
        .where(Enrolment.user_id == user.id, Enrolment.path_id == programme.id)
        .order_by(Enrolment.started_at.desc(), Enrolment.id.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class RequirementState:
    definition: dict
    progress: RequirementProgress


def requirement_states(enrolment: Enrolment) -> list[RequirementState]:
    """The snapshot's requirements in order, each with its ledger row."""
    rows = {
        r.requirement_id: r
        for r in db.session.scalars(
            sa.select(RequirementProgress).where(RequirementProgress.enrolment_id == enrolment.id)
        )
    }
    return [
        RequirementState(definition, rows[definition["requirement_id"]])
        for definition in sorted(
            enrolment.program_snapshot["requirements"], key=lambda r: r["sort_order"]
        )
        if definition["requirement_id"] in rows
    ]
