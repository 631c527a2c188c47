"""Read models for the programme catalogue and detail pages."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from webapp.extensions import db
from webapp.models import (
    CertificationPath,
    PathRequirement,
    PathStatus,
    User,
)


@dataclass(frozen=True)
class CatalogueEntry:
    path: CertificationPath
    requirement_count: int


def published_programmes(
    user: User, *, search: str = "", level: str | None = None
) -> list[CatalogueEntry]:
    """Published programmes of the user's tenant, with requirement counts; constant queries."""
    counts = (
        sa.select(PathRequirement.path_id, sa.func.count(PathRequirement.id).label("n"))
        .where(PathRequirement.tenant_id == user.tenant_id, PathRequirement.removed_at.is_(None))
        .group_by(PathRequirement.path_id)
        .subquery()
    )
    statement = (
        sa.select(CertificationPath, sa.func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.path_id == CertificationPath.id)
        .where(
            CertificationPath.tenant_id == user.tenant_id,
            CertificationPath.status == PathStatus.PUBLISHED,
        )
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
    return [CatalogueEntry(path, n) for path, n in db.session.execute(statement).all()]
