"""The enrolments of one programme, for its admins: the list (filtered by status, org unit
subtree and pinned version; sorted; paged) with each enrolment's progress aggregated from
the ledger in SQL, its CSV export (the same rows, streamed, formula-safe cells), and bulk
enrolment of people, of an org unit's subtree or of a list of e-mail addresses, with a report
of what happened to each.

Reads, except `enrol_people`, which enrols through `certification_path_management.enrol`
(the open-enrolment rule stays the database's) and audits each enrolment; it flushes and
never commits. Raises DomainError subclasses with safe messages.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from webapp import uploads
from webapp.errors import Conflict, NotAllowed, ValidationFailed
from webapp.extensions import db
from webapp.models import (
    CertificationPath,
    Enrolment,
    EnrolmentStatus,
    OrgUnit,
    PathStatus,
    ProgressStatus,
    RequirementProgress,
    User,
)
from webapp.pagination import Page
from webapp.services import audit, org_units
from webapp.services import certification_path_management as paths
from webapp.services.certificates import csv_cell

STATUSES = tuple(s.value for s in EnrolmentStatus)
SORTS = ("learner", "status", "progress", "started", "completed", "certified", "version")
DEFAULT_SORT = "-started"
MAX_ADDRESSES = 2000
MAX_LIST_BYTES = 256 * 1024
CSV_HEADER = (
    "enrolment",
    "learner",
    "email",
    "org unit",
    "status",
    "progress percent",
    "requirements met",
    "requirements",
    "started",
    "completed",
    "certified",
    "version",
)


# --- The list ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What the list shows: `sort` is a column of SORTS, "-" in front for descending."""

    status: str | None = None
    unit_id: int | None = None
    version: str | None = None
    sort: str = DEFAULT_SORT

    @classmethod
    def read(
        cls,
        status: str | None = None,
        unit_id: int | None = None,
        version: str | None = None,
        sort: str | None = None,
    ) -> Filters:
        """Filters from untrusted values: unknown ones are left out (the default sort)."""
        sort = sort or DEFAULT_SORT
        return cls(
            status=status if status in STATUSES else None,
            unit_id=unit_id or None,
            version=(version or "").strip()[:20] or None,
            sort=sort if sort.removeprefix("-") in SORTS else DEFAULT_SORT,
        )

    @property
    def sort_column(self) -> str:
        return self.sort.removeprefix("-")

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")

    def args(self) -> dict:
        """The filters as query arguments (for links: pages, sorting, export)."""
        return {
            "status": self.status,
            "unit": self.unit_id,
            "version": self.version,
            "sort": self.sort if self.sort != DEFAULT_SORT else None,
        }


@dataclass(frozen=True)
class EnrolmentRow:
    """One enrolment of the list with its learner and its progress from the ledger."""

    enrolment_id: int
    user_id: int
    learner: str
    email: str
    org_unit: str | None
    status: EnrolmentStatus
    met: int
    total: int
    percent: int
    started_at: datetime
    completed_at: datetime | None
    certified_at: datetime | None
    version: str


def _progress(programme: CertificationPath):
    """Per enrolment of the programme: mandatory requirements met and in all, from the
    ledger (a grouped subquery)."""
    mandatory = RequirementProgress.is_mandatory.is_(True)
    return (
        sa.select(
            RequirementProgress.enrolment_id.label("enrolment_id"),
            sa.func.sum(
                sa.case((sa.and_(mandatory, RequirementProgress.status == ProgressStatus.MET), 1))
            ).label("met"),
            sa.func.sum(sa.case((mandatory, 1))).label("total"),
        )
        .join(Enrolment, Enrolment.id == RequirementProgress.enrolment_id)
        .where(
            RequirementProgress.tenant_id == programme.tenant_id,
            Enrolment.path_id == programme.id,
        )
        .group_by(RequirementProgress.enrolment_id)
        .subquery("progress")
    )


def _conditions(programme: CertificationPath, filters: Filters) -> list:
    conditions = [Enrolment.tenant_id == programme.tenant_id, Enrolment.path_id == programme.id]
    if filters.status:
        conditions.append(Enrolment.status == EnrolmentStatus(filters.status))
    if filters.version:
        conditions.append(Enrolment.path_version == filters.version)
    if filters.unit_id:
        units = org_units.unit_subtree(programme.tenant_id, filters.unit_id)
        conditions.append(User.org_unit_id.in_(units))
    return conditions


def _rows_statement(programme: CertificationPath, filters: Filters, conditions: list) -> sa.Select:
    progress = _progress(programme)
    met = sa.func.coalesce(progress.c.met, 0)
    total = sa.func.coalesce(progress.c.total, 0)
    percent = sa.case((total > 0, (100 * met) // total), else_=0)
    columns = {
        "learner": sa.func.lower(User.full_name),
        "status": Enrolment.status,
        "progress": percent,
        "started": Enrolment.started_at,
        "completed": Enrolment.completed_at,
        "certified": Enrolment.certified_at,
        "version": Enrolment.path_version,
    }
    column = columns[filters.sort_column]
    order = column.desc() if filters.descending else column.asc()
    if filters.sort_column in ("completed", "certified"):
        order = order.nulls_last()  # not yet is last whichever way (as on both databases)
    return (
        sa.select(
            Enrolment.id,
            User.id,
            User.full_name,
            User.email,
            OrgUnit.name,
            Enrolment.status,
            met,
            total,
            percent,
            Enrolment.started_at,
            Enrolment.completed_at,
            Enrolment.certified_at,
            Enrolment.path_version,
        )
        .select_from(Enrolment)
        .join(User, User.id == Enrolment.user_id)
        .outerjoin(OrgUnit, OrgUnit.id == User.org_unit_id)
        .outerjoin(progress, progress.c.enrolment_id == Enrolment.id)
        .where(*conditions)
        .order_by(order, Enrolment.id.desc() if filters.descending else Enrolment.id)
    )


def _row(values) -> EnrolmentRow:
    (eid, uid, name, email, unit, status, met, total, percent, *dates, version) = values
    return EnrolmentRow(
        eid, uid, name, email, unit, status, int(met), int(total), int(percent), *dates, version
    )


def enrolment_page(
    programme: CertificationPath, filters: Filters, *, page: int = 1, per_page: int = 20
) -> Page:
    """One page of the programme's enrolments (EnrolmentRow items) with the person's current
    org unit; the same number of queries whatever the page size (a count and the rows, one
    more for an org unit filter)."""
    conditions = _conditions(programme, filters)
    total = (
        db.session.scalar(
            sa.select(sa.func.count(Enrolment.id))
            .select_from(Enrolment)
            .join(User, User.id == Enrolment.user_id)
            .where(*conditions)
        )
        or 0
    )
    page = max(1, min(page, max(1, -(-total // per_page))))
    statement = _rows_statement(programme, filters, conditions)
    rows = db.session.execute(statement.limit(per_page).offset((page - 1) * per_page)).all()
    return Page([_row(r) for r in rows], page, per_page, total, args=filters.args())


def export_rows(programme: CertificationPath, filters: Filters) -> Iterator[EnrolmentRow]:
    """Every enrolment the filters select, in the list's order, fetched in batches."""
    result = db.session.execute(
        _rows_statement(programme, filters, _conditions(programme, filters)).execution_options(
            yield_per=500
        )
    )
    for values in result:
        yield _row(values)


def csv_lines(rows: Iterable[EnrolmentRow]) -> Iterator[str]:
    """The rows as CSV text, a line at a time (the header first); every cell safe from
    spreadsheet formulas."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(values) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(csv_cell(value) for value in values)
        return buffer.getvalue()

    yield line(CSV_HEADER)
    for row in rows:
        yield line(
            (
                row.enrolment_id,
                row.learner,
                row.email,
                row.org_unit or "",
                row.status.value,
                row.percent,
                row.met,
                row.total,
                row.started_at.date().isoformat(),
                row.completed_at.date().isoformat() if row.completed_at else "",
                row.certified_at.date().isoformat() if row.certified_at else "",
                row.version,
            )
        )


def versions(programme: CertificationPath) -> list[str]:
    """The versions the programme's enrolments are pinned to, newest first."""
    found = db.session.scalars(
        sa.select(Enrolment.path_version)
        .where(Enrolment.tenant_id == programme.tenant_id, Enrolment.path_id == programme.id)
        .distinct()
    ).all()

    def key(version: str) -> tuple:
        return tuple(int(p) if p.isdigit() else 0 for p in version.split("."))

    return sorted(found, key=key, reverse=True)


def enrolment_count(programme: CertificationPath) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count(Enrolment.id)).where(
                Enrolment.tenant_id == programme.tenant_id, Enrolment.path_id == programme.id
            )
        )
        or 0
    )


# --- Bulk enrolment ------------------------------------------------------------------------

SEPARATORS = re.compile(r"[\s,;]+")


def parse_addresses(text: str | None) -> list[str]:
    """The e-mail addresses of a pasted or uploaded list: one a line or separated by commas
    or semicolons; blanks and repeats (in any case) left out, first spelling kept."""
    seen, found = set(), []
    for token in SEPARATORS.split(text or ""):
        address = token.strip("<>\"'")
        if address and address.casefold() not in seen:
            seen.add(address.casefold())
            found.append(address)
    return found


def read_address_file(data: bytes) -> str:
    """The text of an uploaded list. Raises ValidationFailed (`email_file`: too large, not
    UTF-8 text)."""
    problem = None
    if len(data) > MAX_LIST_BYTES:
        problem = f"The list is larger than {MAX_LIST_BYTES // 1024} KB."
    elif not uploads.is_utf8_text(data):
        problem = "Upload a text file (UTF-8, for example .txt or .csv) of e-mail addresses."
    if problem:
        raise ValidationFailed(problem, {"email_file": [problem]})
    return data.decode("utf-8").removeprefix("\ufeff")


@dataclass
class EnrolmentReport:
    """What bulk enrolment did for each person or address it was given."""

    enrolled: list[User] = field(default_factory=list)
    already: list[User] = field(default_factory=list)  # an open enrolment exists
    not_eligible: list[tuple[User, str]] = field(default_factory=list)
    inactive: list[User] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # no such person in the organisation

    @property
    def total(self) -> int:
        return (
            len(self.enrolled)
            + len(self.already)
            + len(self.not_eligible)
            + len(self.inactive)
            + len(self.unknown)
        )


def _people_by_address(tenant_id: int, addresses: list[str]) -> tuple[list[User], list[str]]:
    """The tenant's people with these addresses (in any case), and the addresses of nobody
    in the tenant (a person of another tenant is nobody here)."""
    wanted = {a.casefold(): a for a in addresses if "@" in a}
    found = (
        db.session.scalars(
            sa.select(User).where(
                User.tenant_id == tenant_id, sa.func.lower(User.email).in_(list(wanted))
            )
        ).all()
        if wanted
        else []
    )
    known = {u.email.casefold() for u in found}
    by_address = {u.email.casefold(): u for u in found}
    people = [by_address[a.casefold()] for a in addresses if a.casefold() in by_address]
    return people, [a for a in addresses if a.casefold() not in known]


def _members(unit: OrgUnit) -> list[User]:
    units = org_units.unit_subtree(unit.tenant_id, unit.id)
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.tenant_id == unit.tenant_id, User.org_unit_id.in_(units))
            .order_by(User.full_name, User.id)
        )
    )


def enrol_people(
    programme: CertificationPath,
    actor: User,
    *,
    people: Iterable[User] = (),
    unit: OrgUnit | None = None,
    addresses: Iterable[str] = (),
) -> EnrolmentReport:
    """Enrol the people chosen, everyone in `unit`'s subtree and the people with these
    e-mail addresses (each person once) and report who was enrolled, who already was, who is
    not eligible and why (a missing prerequisite, an active certificate), who is inactive and
    which addresses are nobody's in the organisation. Each enrolment is audited with the
    learner as subject. Flushes.
    Raises Conflict (the programme is not published), ValidationFailed (nobody given, too
    many addresses), NotAllowed (a person or unit of another tenant)."""
    addresses = list(addresses)
    if len(addresses) > MAX_ADDRESSES:
        message = f"Give at most {MAX_ADDRESSES} addresses at a time."
        raise ValidationFailed(message, {"emails": [message]})
    chosen = list(people)
    if not (chosen or unit or addresses):
        raise ValidationFailed("Choose people or an org unit, or give e-mail addresses.")
    if programme.status is not PathStatus.PUBLISHED:
        raise Conflict("Only published programmes accept enrolments.")
    if unit is not None and unit.tenant_id != programme.tenant_id:
        raise NotAllowed("This org unit belongs to another organisation.")
    if unit is not None:
        chosen.extend(_members(unit))
    by_address, unknown = _people_by_address(programme.tenant_id, addresses)
    chosen.extend(by_address)
    report = EnrolmentReport(unknown=unknown)
    seen: set[int] = set()
    for person in chosen:
        if person.id in seen:
            continue
        seen.add(person.id)
        _enrol_one(programme, actor, person, report)
    return report


def _ineligible(person: User, programme: CertificationPath) -> str | None:
    """Why an admin may not enrol `person` (the eligibility service's rules), else None."""
    missing = paths.missing_prerequisites(person, programme)
    if missing:
        return f"missing prerequisite: {', '.join(p.name for p in missing)}"
    certificate = paths.active_certificate(person, programme)
    blocker = paths.certified_blocker(certificate, programme) if certificate else None
    return f"already holds {blocker}" if blocker else None


def _enrol_one(
    programme: CertificationPath, actor: User, person: User, report: EnrolmentReport
) -> None:
    if person.tenant_id != programme.tenant_id:
        raise NotAllowed("This person belongs to another organisation.")
    if not person.active:
        report.inactive.append(person)
        return
    if paths.open_enrolment(person, programme) is not None:
        report.already.append(person)
        return
    reason = _ineligible(person, programme)
    if reason is not None:
        report.not_eligible.append((person, reason))
        return
    try:
        enrolment, created = paths.enrol(person, programme, actor)
    except (Conflict, NotAllowed) as refusal:
        report.not_eligible.append((person, refusal.message))
        return
    if not created:  # enrolled meanwhile (the open-enrolment index settled it)
        report.already.append(person)
        return
    audit.record(
        programme.tenant_id,
        actor,
        "enrolment.created",
        "enrolment",
        enrolment.id,
        f"{person.full_name} enrolled in {programme.name} (version {enrolment.path_version})",
        subject=person,
        programme_id=programme.id,
        version=enrolment.path_version,
    )
    report.enrolled.append(person)
