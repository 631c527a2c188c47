"""The requirement funnel of a programme: for each requirement, how many of the enrolments
that have it in their ledger met it (and how many wait for a mentor, failed or have not
started), so admins see where learners get stuck. Ledger aggregates: two statements whatever
the number of enrolments. Reads only."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import (
    CertificationPath,
    Enrolment,
    EnrolmentStatus,
    PathRequirement,
    ProgressStatus,
    RequirementProgress,
)
from webapp.services.reports.csv_export import csv_row

CSV_HEADER = (
    "position",
    "requirement",
    "kind",
    "mandatory",
    "removed from the programme",
    "enrolments with it",
    "met",
    "awaiting a mentor",
    "failed",
    "not met yet",
    "share met (%)",
)


@dataclass(frozen=True)
class FunnelStep:
    """One requirement and the ledger rows of the programme's enrolments for it."""

    requirement_id: int
    title: str
    kind: str
    is_mandatory: bool
    removed: bool
    enrolments: int
    met: int
    awaiting: int
    failed: int
    pending: int

    @property
    def share_met(self) -> float | None:
        return self.met / self.enrolments if self.enrolments else None


@dataclass(frozen=True)
class Funnel:
    programme: CertificationPath
    enrolments: int  # the programme's enrolments that are not cancelled
    steps: list[FunnelStep]


def _count(status: ProgressStatus) -> sa.ColumnElement[int]:
    return sa.func.sum(sa.case((RequirementProgress.status == status, 1), else_=0))


def requirement_funnel(programme: CertificationPath) -> Funnel:
    """The funnel of `programme` over its enrolments that are not cancelled: every
    requirement any of them has, in the programme's order (requirements since removed from
    the programme last)."""
    scope = (
        Enrolment.tenant_id == programme.tenant_id,
        Enrolment.path_id == programme.id,
        Enrolment.status != EnrolmentStatus.CANCELLED,
    )
    enrolments = db.session.scalar(sa.select(sa.func.count(Enrolment.id)).where(*scope)) or 0
    rows = db.session.execute(
        sa.select(
            PathRequirement.id,
            PathRequirement.title,
            PathRequirement.kind,
            PathRequirement.is_mandatory,
            PathRequirement.removed_at.is_not(None).label("removed"),
            sa.func.count(RequirementProgress.id),
            _count(ProgressStatus.MET),
            _count(ProgressStatus.AWAITING_VALIDATION),
            _count(ProgressStatus.FAILED),
            _count(ProgressStatus.PENDING),
        )
        .select_from(RequirementProgress)
        .join(Enrolment, Enrolment.id == RequirementProgress.enrolment_id)
        .join(PathRequirement, PathRequirement.id == RequirementProgress.requirement_id)
        .where(*scope)
        .group_by(
            PathRequirement.id,
            PathRequirement.title,
            PathRequirement.kind,
            PathRequirement.is_mandatory,
            PathRequirement.removed_at,
            PathRequirement.sort_order,
        )
        .order_by(
            PathRequirement.removed_at.is_not(None), PathRequirement.sort_order, PathRequirement.id
        )
    ).all()
    steps = [
        FunnelStep(
            requirement_id=rid,
            title=title,
            kind=kind.value,
            is_mandatory=bool(mandatory),
            removed=bool(removed),
            enrolments=int(total or 0),
            met=int(met or 0),
            awaiting=int(awaiting or 0),
            failed=int(failed or 0),
            pending=int(pending or 0),
        )
        for rid, title, kind, mandatory, removed, total, met, awaiting, failed, pending in rows
    ]
    return Funnel(programme=programme, enrolments=enrolments, steps=steps)


def funnel_csv(funnel: Funnel) -> list[str]:
    """The funnel's lines of CSV (header first), with the same figures as the page."""
    lines = [csv_row(CSV_HEADER)]
    for position, s in enumerate(funnel.steps, start=1):
        share = round(100 * s.share_met, 1) if s.share_met is not None else ""
        lines.append(
            csv_row(
                (
                    position,
                    s.title,
                    s.kind,
                    "yes" if s.is_mandatory else "no",
                    "yes" if s.removed else "no",
                    s.enrolments,
                    s.met,
                    s.awaiting,
                    s.failed,
                    s.pending,
                    share,
                )
            )
        )
    return lines
