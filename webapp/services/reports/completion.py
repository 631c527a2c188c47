"""The completion report: per programme or per org unit, how many enrolments are in progress,
completed, certified, expired (or cancelled), the completion rate and the median days from
enrolment to certificate; and the drill-down to the people behind each figure.

One statement per table (counts and medians aggregated in SQL), whatever the number of
enrolments. Reads only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload

from webapp.extensions import db
from webapp.models import (
    CertificationPath,
    Enrolment,
    EnrolmentStatus,
    OrgUnit,
    ProgressStatus,
    RequirementProgress,
    User,
)
from webapp.services.reports import sql
from webapp.services.reports.csv_export import csv_row

GROUPS = {"programme": "Programme", "org_unit": "Org unit"}
NO_UNIT = 0  # the org unit key of enrolments without one
# The drill-down's statuses: "enrolled" is every enrolment that is not cancelled.
PEOPLE_STATUSES = {
    "enrolled": "Enrolled",
    "in_progress": "In progress",
    "completed": "Completed",
    "certified": "Certified",
    "expired": "Expired",
    "cancelled": "Cancelled",
}
CSV_HEADER = (
    "group",
    "enrolled",
    "in progress",
    "completed",
    "certified",
    "expired",
    "cancelled",
    "completion rate (%)",
    "median days to certificate",
)


@dataclass(frozen=True)
class CompletionRow:
    """The figures of one programme or org unit. `enrolled` leaves cancelled enrolments out;
    completed, certified and expired ones all finished the programme."""

    key: int
    label: str
    enrolled: int
    in_progress: int
    completed: int
    certified: int
    expired: int
    cancelled: int
    median_days: float | None

    @property
    def finished(self) -> int:
        return self.completed + self.certified + self.expired

    @property
    def completion_rate(self) -> float | None:
        return self.finished / self.enrolled if self.enrolled else None


def unit_paths(tenant_id: int) -> dict[int, str]:
    """Every org unit of the tenant by id, named by its path ("Operations / North"). One
    statement (the units, not the people in them)."""
    units = {
        unit_id: (parent_id, name)
        for unit_id, parent_id, name in db.session.execute(
            sa.select(OrgUnit.id, OrgUnit.parent_id, OrgUnit.name).where(
                OrgUnit.tenant_id == tenant_id
            )
        )
    }

    def path(unit_id: int) -> str:
        names, seen = [], set()
        current: int | None = unit_id
        while current is not None and current in units and current not in seen:
            seen.add(current)
            parent, name = units[current]
            names.append(name)
            current = parent
        return " / ".join(reversed(names))

    return {unit_id: path(unit_id) for unit_id in units}


def _count(status: EnrolmentStatus) -> sa.ColumnElement[int]:
    return sa.func.sum(sa.case((Enrolment.status == status, 1), else_=0))


def completion(
    tenant_id: int, by: str = "programme", programme_id: int | None = None
) -> list[CompletionRow]:
    """The completion figures per programme (`by="programme"`) or per org unit of the
    enrolment (`by="org_unit"`, optionally of one programme), by name. One statement for the
    figures and the medians, one for the org units' names."""
    if by not in GROUPS:
        raise ValueError(f"unknown grouping {by!r}")
    key = Enrolment.path_id if by == "programme" else sa.func.coalesce(Enrolment.org_unit_id, 0)
    scope = [Enrolment.tenant_id == tenant_id]
    if programme_id is not None:
        scope.append(Enrolment.path_id == programme_id)
    counts = (
        sa.select(
            key.label("key"),
            sa.func.sum(sa.case((Enrolment.status != EnrolmentStatus.CANCELLED, 1), else_=0)).label(
                "enrolled"
            ),
            _count(EnrolmentStatus.IN_PROGRESS).label("in_progress"),
            _count(EnrolmentStatus.COMPLETED).label("completed"),
            _count(EnrolmentStatus.CERTIFIED).label("certified"),
            _count(EnrolmentStatus.EXPIRED).label("expired"),
            _count(EnrolmentStatus.CANCELLED).label("cancelled"),
        )
        .where(*scope)
        .group_by(key)
        .subquery()
    )
    durations = (
        sa.select(
            key.label("key"),
            sql.days_between(Enrolment.started_at, Enrolment.certified_at).label("days"),
        )
        .where(*scope, Enrolment.certified_at.is_not(None))
        .subquery()
    )
    medians = sql.median_by(durations, "key", "days")
    figures = [
        counts.c.key,
        counts.c.enrolled,
        counts.c.in_progress,
        counts.c.completed,
        counts.c.certified,
        counts.c.expired,
        counts.c.cancelled,
        medians.c.median,
    ]
    statement = (
        sa.select(*figures).select_from(counts).outerjoin(medians, medians.c.key == counts.c.key)
    )
    if by == "programme":
        statement = statement.add_columns(CertificationPath.name).join(
            CertificationPath, CertificationPath.id == counts.c.key
        )
        labels: dict[int, str] = {}
    else:
        statement = statement.add_columns(sa.null())
        labels = unit_paths(tenant_id)
    rows = [
        CompletionRow(
            key=int(k),
            label=name if by == "programme" else labels.get(int(k), "No org unit"),
            enrolled=int(enrolled or 0),
            in_progress=int(in_progress or 0),
            completed=int(completed or 0),
            certified=int(certified or 0),
            expired=int(expired or 0),
            cancelled=int(cancelled or 0),
            median_days=float(median) if median is not None else None,
        )
        for k, enrolled, in_progress, completed, certified, expired, cancelled, median, name in (
            db.session.execute(statement)
        )
    ]
    # "No org unit" last; otherwise by name (the org units' path names are built above).
    return sorted(rows, key=lambda r: (r.key == NO_UNIT and by == "org_unit", r.label.lower()))


def completion_csv(rows: list[CompletionRow], group_label: str) -> list[str]:
    """The report's lines of CSV (header first), with the same figures as the page."""
    lines = [csv_row((group_label.lower(), *CSV_HEADER[1:]))]
    for r in rows:
        rate = round(100 * r.completion_rate, 1) if r.completion_rate is not None else ""
        median = round(r.median_days, 1) if r.median_days is not None else ""
        lines.append(
            csv_row(
                (
                    r.label,
                    r.enrolled,
                    r.in_progress,
                    r.completed,
                    r.certified,
                    r.expired,
                    r.cancelled,
                    rate,
                    median,
                )
            )
        )
    return lines


# --- Drill-down: the people ------------------------------------------------------------------


@dataclass(frozen=True)
class PersonRow:
    """One enrolment of the drill-down with its person, unit and ledger progress."""

    enrolment: Enrolment
    unit: str | None
    met: int
    total: int


def _people_conditions(
    tenant_id: int, programme_id: int | None, org_unit_id: int | None, status: str
) -> list[sa.ColumnElement[bool]]:
    conditions = [Enrolment.tenant_id == tenant_id]
    if programme_id is not None:
        conditions.append(Enrolment.path_id == programme_id)
    if org_unit_id == NO_UNIT:
        conditions.append(Enrolment.org_unit_id.is_(None))
    elif org_unit_id is not None:
        conditions.append(Enrolment.org_unit_id == org_unit_id)
    if status == "enrolled":
        conditions.append(Enrolment.status != EnrolmentStatus.CANCELLED)
    elif status in PEOPLE_STATUSES:
        conditions.append(Enrolment.status == EnrolmentStatus(status))
    return conditions


def completion_people(
    tenant_id: int,
    *,
    programme_id: int | None = None,
    org_unit_id: int | None = None,
    status: str = "enrolled",
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[PersonRow], int]:
    """The enrolments behind a figure of the report (a programme, an org unit — NO_UNIT for
    none — and a status of PEOPLE_STATUSES), by person, one page of them and their number.
    Four statements whatever the page size."""
    conditions = _people_conditions(tenant_id, programme_id, org_unit_id, status)
    total = db.session.scalar(sa.select(sa.func.count(Enrolment.id)).where(*conditions)) or 0
    enrolments = db.session.scalars(
        sa.select(Enrolment)
        .where(*conditions)
        .join(User, User.id == Enrolment.user_id)
        .options(contains_eager(Enrolment.user), joinedload(Enrolment.programme))
        .order_by(sa.func.lower(User.full_name), Enrolment.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    progress: dict[int, Any] = {
        enrolment_id: (int(met or 0), int(count or 0))
        for enrolment_id, met, count in db.session.execute(
            sa.select(
                RequirementProgress.enrolment_id,
                sa.func.sum(
                    sa.case((RequirementProgress.status == ProgressStatus.MET, 1), else_=0)
                ),
                sa.func.count(RequirementProgress.id),
            )
            .where(
                RequirementProgress.enrolment_id.in_([e.id for e in enrolments] or [-1]),
                RequirementProgress.is_mandatory.is_(True),
            )
            .group_by(RequirementProgress.enrolment_id)
        )
    }
    units = unit_paths(tenant_id)
    return [
        PersonRow(
            enrolment=e,
            unit=units.get(e.org_unit_id) if e.org_unit_id else None,
            met=progress.get(e.id, (0, 0))[0],
            total=progress.get(e.id, (0, 0))[1],
        )
        for e in enrolments
    ], total
