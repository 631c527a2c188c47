"""Expiry and recertification: the daily job and the hourly reminder sender.

Everything here is set-based SQL in batches (UPDATE ... / INSERT ... SELECT), never a Python
loop over certificates; loops run over programmes and reminder offsets only. Every statement
is idempotent by construction (conditions on the current state, unique constraints with
ON CONFLICT DO NOTHING), so a second run — or a concurrent one — changes nothing. A batch
that fails (a corrupt row) is retried row by row so the bad row is logged and skipped.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from webapp import sqltools, urls
from webapp.extensions import db
from webapp.models import (
    Certificate,
    CertificateStatus,
    CertificationPath,
    EmailStatus,
    Enrolment,
    EnrolmentStatus,
    LearnerTask,
    Notification,
    OrgUnit,
    OutboxEmail,
    PathStatus,
    PathVersion,
    ProgressStatus,
    RequirementProgress,
    TaskStatus,
    User,
)
from webapp.services import certification_path_management as paths

log = logging.getLogger(__name__)

BATCH_SIZE = 10_000  # ids per statement: far below the drivers' bind-parameter limits
LOCK_KEY = 7_314_2026  # advisory lock id of the expiry job on PostgreSQL


@dataclass
class ExpiryReport:
    """What one run changed (zeros on a second run)."""

    as_of: datetime
    certificates_expired: int = 0
    enrolments_expired: int = 0
    renewals_opened: int = 0
    reminders_sent: int = 0
    emails_queued: int = 0
    skipped_rows: list[str] = field(default_factory=list)
    locked_out: bool = False
    # Only these tenants' certificates (the demo seed replays past days for its own tenants);
    # None: every tenant, as the daily job runs.
    tenant_ids: tuple[int, ...] | None = None

    def scope(self) -> sa.ColumnElement[bool]:
        """The condition on certificates that this run may touch."""
        if self.tenant_ids is None:
            return sa.true()
        return CERTS.c.tenant_id.in_(self.tenant_ids)

    def summary(self) -> str:
        if self.locked_out:
            return "Another expiry run holds the lock; nothing done."
        return (
            f"as of {self.as_of:%Y-%m-%d %H:%M} UTC: {self.certificates_expired} certificates "
            f"expired, {self.enrolments_expired} enrolments expired, {self.renewals_opened} "
            f"renewal enrolments opened, {self.reminders_sent} reminders, "
            f"{len(self.skipped_rows)} rows skipped"
        )


def _try_lock() -> bool:
    """Take the run's lock: a transaction-level advisory lock on PostgreSQL; SQLite already
    serialises writers (the first write takes the database lock until commit)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return True
    return bool(db.session.scalar(sa.text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": LOCK_KEY}))


def _batched(
    rows_query: sa.Select,
    keys: tuple[sa.ColumnElement, sa.ColumnElement],
    apply: Callable[[list[int]], int],
    report: ExpiryReport,
    what: str,
) -> int:
    """Walk `rows_query` (which selects `keys`, the last one an id) in keyset order, BATCH_SIZE
    rows at a time — each batch reads from the index where the previous one stopped — and run
    `apply(ids)` on each batch. A failing batch is retried row by row inside savepoints, so one
    corrupt row is logged and skipped without stopping the rest."""
    total = 0
    last: tuple | None = None
    while True:
        statement = rows_query.order_by(*keys).limit(BATCH_SIZE)
        if last is not None:
            bound = [
                sa.bindparam(None, value, type_=key.type)
                for key, value in zip(keys, last, strict=True)
            ]
            statement = statement.where(sa.tuple_(*keys) > sa.tuple_(*bound))
        rows = db.session.execute(statement).all()
        if not rows:
            return total
        last = tuple(rows[-1])
        ids = [row[-1] for row in rows]
        try:
            with db.session.begin_nested():
                total += apply(ids)
        except sa.exc.SQLAlchemyError:
            for row_id in ids:
                try:
                    with db.session.begin_nested():
                        total += apply([row_id])
                except sa.exc.SQLAlchemyError as error:
                    message = f"{what} {row_id}: {type(error.orig or error).__name__}"
                    log.warning("expiry job skipped %s", message)
                    report.skipped_rows.append(message)


def run_expiry(as_of: datetime, tenant_ids: Iterable[int] | None = None) -> ExpiryReport:
    """The daily job: expire certificates and their enrolments, open renewal enrolments
    (renewal window, or a major version after its grace period), and send due reminders;
    for every tenant, or only `tenant_ids`. Idempotent. Never commits (the caller commits
    once)."""
    report = ExpiryReport(
        as_of=as_of, tenant_ids=tuple(tenant_ids) if tenant_ids is not None else None
    )
    if not _try_lock():
        report.locked_out = True
        return report
    expire_certificates(as_of, report)
    open_renewals(as_of, report)
    send_reminders(as_of, report, lock=False)
    return report


CERTS = Certificate.__table__
ENROLMENTS = Enrolment.__table__
BY_EXPIRY = (CERTS.c.expires_at, CERTS.c.id)  # ix_certificates_status_expires_at_id, per status


def expire_certificates(as_of: datetime, report: ExpiryReport) -> None:
    """Active certificates whose `expires_at` has passed (at the exact instant included)
    become expired, and so do their certified enrolments, batch by batch. A catch-up pass
    over the last 30 days expires enrolments whose certificate expired without them."""
    due = sa.select(*BY_EXPIRY).where(
        CERTS.c.status == CertificateStatus.ACTIVE.value,
        CERTS.c.expires_at <= as_of,
        report.scope(),
    )

    def expire(ids: list[int]) -> int:
        enrolment_ids = list(
            db.session.scalars(
                sa.update(CERTS)
                .where(CERTS.c.id.in_(ids), CERTS.c.status == CertificateStatus.ACTIVE.value)
                .values(status=CertificateStatus.EXPIRED.value, expired_at=CERTS.c.expires_at)
                .returning(CERTS.c.enrolment_id)
            )
        )
        report.enrolments_expired += _expire_enrolments(enrolment_ids)
        return len(enrolment_ids)

    report.certificates_expired += _batched(due, BY_EXPIRY, expire, report, "certificate")

    lagging = (
        sa.select(*BY_EXPIRY)
        .join(ENROLMENTS, ENROLMENTS.c.id == CERTS.c.enrolment_id)
        .where(
            CERTS.c.status == CertificateStatus.EXPIRED.value,
            CERTS.c.expires_at > as_of - timedelta(days=30),
            CERTS.c.expires_at <= as_of,
            ENROLMENTS.c.status == EnrolmentStatus.CERTIFIED.value,
            report.scope(),
        )
    )

    def catch_up(ids: list[int]) -> int:
        enrolment_ids = db.session.scalars(
            sa.select(CERTS.c.enrolment_id).where(CERTS.c.id.in_(ids))
        ).all()
        return _expire_enrolments(list(enrolment_ids))

    report.enrolments_expired += _batched(lagging, BY_EXPIRY, catch_up, report, "certificate")


def _expire_enrolments(enrolment_ids: list[int]) -> int:
    if not enrolment_ids:
        return 0
    result = db.session.execute(
        sa.update(ENROLMENTS)
        .where(
            ENROLMENTS.c.id.in_(enrolment_ids),
            ENROLMENTS.c.status == EnrolmentStatus.CERTIFIED.value,
        )
        .values(status=EnrolmentStatus.EXPIRED.value)
    )
    return result.rowcount or 0


def _latest_versions() -> dict[int, PathVersion]:
    latest = (
        sa.select(PathVersion.path_id, sa.func.max(PathVersion.id).label("id"))
        .group_by(PathVersion.path_id)
        .subquery()
    )
    rows = db.session.scalars(sa.select(PathVersion).join(latest, latest.c.id == PathVersion.id))
    return {v.path_id: v for v in rows}


def _major_since(path_id: int, major: int) -> datetime | None:
    return db.session.scalar(
        sa.select(sa.func.min(PathVersion.published_at)).where(
            PathVersion.path_id == path_id, PathVersion.major == major
        )
    )


def open_renewals(as_of: datetime, report: ExpiryReport) -> None:
    """For active certificates inside their programme's renewal window — or of an earlier
    major version once the programme's grace period has passed — open one renewal enrolment
    from the current published definition, with its ledger, to-do items and a notification.
    One keyset walk over the expiry index serves every programme's window."""
    versions = _latest_versions()
    programmes = {
        p.id: p
        for p in db.session.scalars(
            sa.select(CertificationPath).where(
                CertificationPath.status == PathStatus.PUBLISHED,
                CertificationPath.id.in_(list(versions) or [-1]),
            )
        )
    }
    if not programmes:
        return
    widest = max(p.renewal_window_days for p in programmes.values())
    in_windows = sa.select(*BY_EXPIRY).where(
        CERTS.c.status == CertificateStatus.ACTIVE.value,
        CERTS.c.expires_at.is_not(None),
        CERTS.c.expires_at <= as_of + timedelta(days=widest),
        report.scope(),
    )

    def renew(ids: list[int]) -> int:
        created = 0
        by_path: dict[int, list[int]] = {}
        for cert_id, path_id in db.session.execute(
            sa.select(CERTS.c.id, CERTS.c.path_id).where(CERTS.c.id.in_(ids))
        ):
            by_path.setdefault(path_id, []).append(cert_id)
        for path_id, cert_ids in by_path.items():
            path = programmes.get(path_id)
            if path is not None:
                window = CERTS.c.expires_at <= as_of + timedelta(days=path.renewal_window_days)
                created += _insert_renewals(
                    cert_ids, path, versions[path_id], as_of, report, window
                )
        return created

    report.renewals_opened += _batched(in_windows, BY_EXPIRY, renew, report, "certificate")

    for path in programmes.values():
        version = versions[path.id]
        if version.major <= 1:
            continue  # no earlier major version to move holders off
        since = _major_since(path.id, version.major)
        if since is None or since + timedelta(days=path.recert_grace_days) > as_of:
            continue
        earlier_major = sa.select(CERTS.c.path_id, CERTS.c.id).where(
            CERTS.c.path_id == path.id,
            CERTS.c.status == CertificateStatus.ACTIVE.value,
            ~CERTS.c.path_version.like(f"{version.major}.%"),
            report.scope(),
        )
        report.renewals_opened += _batched(
            earlier_major,
            (CERTS.c.path_id, CERTS.c.id),
            lambda ids, path=path, version=version: _insert_renewals(
                ids, path, version, as_of, report, sa.true()
            ),
            report,
            "certificate",
        )


def _insert_renewals(
    certificate_ids: list[int],
    path: CertificationPath,
    version: PathVersion,
    as_of: datetime,
    report: ExpiryReport,
    due: sa.ColumnElement,
) -> int:
    users = User.__table__
    renewal = ENROLMENTS.alias("renewal")
    snapshot = paths.snapshot_of(version)  # quizzes at their latest published versions
    source = (
        sa.select(
            CERTS.c.tenant_id,
            users.c.org_unit_id,
            CERTS.c.user_id,
            CERTS.c.path_id,
            sa.literal(EnrolmentStatus.IN_PROGRESS.value),
            sa.literal(snapshot, type_=ENROLMENTS.c.program_snapshot.type),
            sa.literal(version.version),
            sa.literal(as_of, type_=ENROLMENTS.c.started_at.type),
            CERTS.c.enrolment_id,
            sa.literal({"renewal": True}, type_=ENROLMENTS.c["metadata"].type),
        )
        .join(users, users.c.id == CERTS.c.user_id)
        .where(
            CERTS.c.id.in_(certificate_ids),
            CERTS.c.status == CertificateStatus.ACTIVE.value,
            due,
            users.c.active.is_(True),
            ~sa.exists().where(renewal.c.renewal_of_enrolment_id == CERTS.c.enrolment_id),
        )
    )
    statement = (
        sqltools.insert(ENROLMENTS)
        .from_select(
            [
                "tenant_id",
                "org_unit_id",
                "user_id",
                "path_id",
                "status",
                "program_snapshot",
                "path_version",
                "started_at",
                "renewal_of_enrolment_id",
                "metadata",
            ],
            source,
        )
        # A user who already has an open enrolment in the programme (they re-enrolled by
        # hand, or a concurrent run got there first) is skipped by the partial unique index.
        .on_conflict_do_nothing()
        .returning(ENROLMENTS.c.id)
    )
    new_ids = list(db.session.scalars(statement))
    if new_ids:
        _insert_ledgers(new_ids, snapshot, as_of)
        _notify_renewals(new_ids, path, as_of, report)
    return len(new_ids)


def _insert_ledgers(enrolment_ids: list[int], snapshot: dict[str, Any], as_of: datetime) -> None:
    progress = RequirementProgress.__table__
    tasks = LearnerTask.__table__
    for requirement in snapshot["requirements"]:
        db.session.execute(
            sqltools.insert(progress)
            .from_select(
                [
                    "tenant_id",
                    "org_unit_id",
                    "enrolment_id",
                    "requirement_id",
                    "sort_order",
                    "is_mandatory",
                    "status",
                    "attempt_count",
                    "last_updated_at",
                ],
                sa.select(
                    ENROLMENTS.c.tenant_id,
                    ENROLMENTS.c.org_unit_id,
                    ENROLMENTS.c.id,
                    sa.literal(requirement["requirement_id"]),
                    sa.literal(requirement["sort_order"]),
                    sa.literal(requirement["is_mandatory"]),
                    sa.literal(ProgressStatus.PENDING.value),
                    sa.literal(0),
                    sa.literal(as_of, type_=progress.c.last_updated_at.type),
                ).where(ENROLMENTS.c.id.in_(enrolment_ids)),
            )
            .on_conflict_do_nothing()
        )
        db.session.execute(
            sqltools.insert(tasks)
            .from_select(
                [
                    "tenant_id",
                    "user_id",
                    "enrolment_id",
                    "requirement_id",
                    "title",
                    "status",
                    "created_at",
                ],
                sa.select(
                    ENROLMENTS.c.tenant_id,
                    ENROLMENTS.c.user_id,
                    ENROLMENTS.c.id,
                    sa.literal(requirement["requirement_id"]),
                    sa.literal(requirement["title"]),
                    sa.literal(TaskStatus.OPEN.value),
                    sa.literal(as_of, type_=tasks.c.created_at.type),
                ).where(ENROLMENTS.c.id.in_(enrolment_ids)),
            )
            .on_conflict_do_nothing()
        )


def _insert_notifications(rows_query: sa.Select, as_of: datetime, report: ExpiryReport) -> int:
    """INSERT notifications from `rows_query` (tenant_id, user_id, title, body, link, key, kind,
    created_at) — one batch of at most BATCH_SIZE rows — skipping keys already sent, and queue
    the matching e-mails. Returns how many were new."""
    notifications = Notification.__table__
    inserted = list(
        db.session.scalars(
            sqltools.insert(notifications)
            .from_select(
                [
                    "tenant_id",
                    "user_id",
                    "title",
                    "body",
                    "link",
                    "dedupe_key",
                    "kind",
                    "created_at",
                ],
                rows_query,
            )
            .on_conflict_do_nothing()
            .returning(notifications.c.id)
        )
    )
    if inserted:
        report.emails_queued += _queue_emails(inserted, as_of)
    return len(inserted)


def _queue_emails(notification_ids: list[int], as_of: datetime) -> int:
    notifications = Notification.__table__
    users = User.__table__
    outbox = OutboxEmail.__table__
    queued = db.session.scalars(
        sa.insert(outbox)
        .from_select(
            [
                "tenant_id",
                "user_id",
                "to_address",
                "subject",
                "body",
                "status",
                "attempts",
                "created_at",
            ],
            sa.select(
                notifications.c.tenant_id,
                notifications.c.user_id,
                users.c.email,
                notifications.c.title,
                notifications.c.body,
                sa.literal(EmailStatus.PENDING.value),
                sa.literal(0),
                sa.literal(as_of, type_=outbox.c.created_at.type),
            )
            .join(users, users.c.id == notifications.c.user_id)
            .where(notifications.c.id.in_(notification_ids)),
        )
        .returning(outbox.c.id)
    ).all()
    return len(queued)


def _verify_prefix() -> str:
    """The absolute verification URL without its token (SQL appends each certificate's)."""
    return urls.public_url("certificates.verify", token="x")[:-1]  # noqa: S106 (a placeholder)


def _notify_renewals(
    enrolment_ids: list[int], path: CertificationPath, as_of: datetime, report: ExpiryReport
) -> None:
    link = urls.public_url("programs.detail", slug=path.slug)
    rows = sa.select(
        ENROLMENTS.c.tenant_id,
        ENROLMENTS.c.user_id,
        sa.literal(f"Time to renew: {path.name}"),
        sa.literal(
            f"Your certificate for {path.name} is due for renewal. A renewal enrolment has "
            "been opened for you."
        ),
        sa.literal(link),
        sa.literal("renewal-") + sa.cast(ENROLMENTS.c.id, sa.String),
        sa.literal("renewal_opened"),
        sa.literal(as_of, type_=ENROLMENTS.c.started_at.type),
    ).where(ENROLMENTS.c.id.in_(enrolment_ids))
    _insert_notifications(rows, as_of, report)


def reminder_bands(offsets: Iterable[int]) -> list[tuple[int, int | None]]:
    """(offset, next smaller offset) pairs: a reminder for `offset` is due while the time
    left is at most `offset` days and more than the next smaller offset."""
    ordered = sorted(set(offsets), reverse=True)
    return [(o, ordered[i + 1] if i + 1 < len(ordered) else 0) for i, o in enumerate(ordered)]


def _notice_rows(ids: list[int], title: str, body: str, key_suffix: str | None, as_of: datetime):
    """One reminder row per certificate in `ids`; the key `cert-<id>-<suffix>` makes it once."""
    programmes = CertificationPath.__table__
    key = sa.literal("cert-") + sa.cast(CERTS.c.id, sa.String) + sa.literal(f"-{key_suffix}")
    return (
        sa.select(
            CERTS.c.tenant_id,
            CERTS.c.user_id,
            sa.literal(title) + programmes.c.name,
            sa.literal(body),
            sa.literal(_verify_prefix()) + CERTS.c.public_token,
            key,
            sa.literal(
                "certificate_expired" if key_suffix == "expired" else "certificate_expiring"
            ),
            sa.literal(as_of, type_=CERTS.c.issued_at.type),
        )
        .join(programmes, programmes.c.id == CERTS.c.path_id)
        .where(CERTS.c.id.in_(ids))
    )


def send_reminders(
    as_of: datetime, report: ExpiryReport | None = None, *, lock: bool = True
) -> int:
    """Reminders before expiry (config CERT_REMINDER_OFFSETS_DAYS, default 30 and 7 days) and
    on expiry, each at most once per certificate and offset (unique notification key), in
    keyset batches over the expiry index. Idempotent; never commits."""
    report = report or ExpiryReport(as_of=as_of)
    if lock and not _try_lock():
        report.locked_out = True
        return 0
    sent = 0
    for offset, smaller in reminder_bands(current_app.config["CERT_REMINDER_OFFSETS_DAYS"]):
        band = sa.select(*BY_EXPIRY).where(
            CERTS.c.status == CertificateStatus.ACTIVE.value,
            CERTS.c.expires_at > max(as_of, as_of + timedelta(days=smaller)),
            CERTS.c.expires_at <= as_of + timedelta(days=offset),
            report.scope(),
        )
        rows = functools.partial(
            _notice_rows,
            title="Your certificate expires soon: ",
            body=f"It expires within {offset} days. Renew it from the CertifiKation Center.",
            key_suffix=f"reminder-{offset}",
            as_of=as_of,
        )
        sent += _batched(
            band,
            BY_EXPIRY,
            lambda ids, rows=rows: _insert_notifications(rows(ids), as_of, report),
            report,
            "certificate",
        )
    expired_rows = functools.partial(
        _notice_rows,
        title="Your certificate has expired: ",
        body="Enrol again to renew it.",
        key_suffix="expired",
        as_of=as_of,
    )
    # One walk per status, so that each is a range of the (status, expires_at, id) index.
    for status in (CertificateStatus.ACTIVE, CertificateStatus.EXPIRED):
        lapsed = sa.select(*BY_EXPIRY).where(
            CERTS.c.status == status.value,
            CERTS.c.expires_at <= as_of,
            CERTS.c.expires_at > as_of - timedelta(days=30),
            report.scope(),
        )
        sent += _batched(
            lapsed,
            BY_EXPIRY,
            lambda ids: _insert_notifications(expired_rows(ids), as_of, report),
            report,
            "certificate",
        )
    report.reminders_sent += sent
    return sent


# --- Reports ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpiringGroup:
    programme: str
    org_unit: str | None
    within_30: int
    within_60: int
    within_90: int


@dataclass(frozen=True)
class HolderRenewal:
    certificate: Certificate
    holder: str
    org_unit: str | None
    renewal_status: str  # "not opened" / in_progress / completed / certified
    renewal_met: int
    renewal_total: int


def expiring_groups(tenant_id: int, as_of: datetime) -> list[ExpiringGroup]:
    """Active certificates expiring in the next 30/60/90 days, per programme and org unit."""
    certs = Certificate.__table__
    horizon = {d: as_of + timedelta(days=d) for d in (30, 60, 90)}

    def within(days: int):
        return sa.func.sum(sa.case((certs.c.expires_at <= horizon[days], 1), else_=0))

    rows = db.session.execute(
        sa.select(CertificationPath.name, OrgUnit.name, within(30), within(60), within(90))
        .select_from(certs)
        .join(CertificationPath, CertificationPath.id == certs.c.path_id)
        .outerjoin(OrgUnit, OrgUnit.id == certs.c.org_unit_id)
        .where(
            certs.c.tenant_id == tenant_id,
            certs.c.status == CertificateStatus.ACTIVE.value,
            certs.c.expires_at > as_of,
            certs.c.expires_at <= horizon[90],
        )
        .group_by(CertificationPath.name, OrgUnit.name)
        .order_by(CertificationPath.name, OrgUnit.name)
    ).all()
    return [ExpiringGroup(p, u, int(a or 0), int(b or 0), int(c or 0)) for p, u, a, b, c in rows]


def holder_renewals(
    tenant_id: int, as_of: datetime, days: int, *, page: int = 1, per_page: int = 50
) -> tuple[list[HolderRenewal], int]:
    """Holders whose certificate expires within `days` (or has expired in the last `days`),
    with the state of their renewal enrolment; a constant number of queries."""
    condition = sa.and_(
        Certificate.tenant_id == tenant_id,
        Certificate.status.in_([CertificateStatus.ACTIVE, CertificateStatus.EXPIRED]),
        Certificate.expires_at.is_not(None),
        Certificate.expires_at <= as_of + timedelta(days=days),
        Certificate.expires_at > as_of - timedelta(days=days),
    )
    total = db.session.scalar(sa.select(sa.func.count(Certificate.id)).where(condition)) or 0
    certificates = db.session.scalars(
        sa.select(Certificate)
        .where(condition)
        .options(joinedload(Certificate.user), joinedload(Certificate.path))
        .order_by(Certificate.expires_at, Certificate.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    enrolment_ids = [c.enrolment_id for c in certificates]
    renewals = {
        e.renewal_of_enrolment_id: e
        for e in db.session.scalars(
            sa.select(Enrolment).where(Enrolment.renewal_of_enrolment_id.in_(enrolment_ids or [-1]))
        )
    }
    counts = {
        row.enrolment_id: (int(row.met or 0), int(row.total or 0))
        for row in db.session.execute(
            sa.select(
                RequirementProgress.enrolment_id,
                sa.func.sum(
                    sa.case((RequirementProgress.status == ProgressStatus.MET, 1), else_=0)
                ).label("met"),
                sa.func.count(RequirementProgress.id).label("total"),
            )
            .where(
                RequirementProgress.enrolment_id.in_([e.id for e in renewals.values()] or [-1]),
                RequirementProgress.is_mandatory.is_(True),
            )
            .group_by(RequirementProgress.enrolment_id)
        )
    }
    units = dict(
        db.session.execute(
            sa.select(OrgUnit.id, OrgUnit.name).where(OrgUnit.tenant_id == tenant_id)
        ).all()
    )
    result = []
    for certificate in certificates:
        renewal = renewals.get(certificate.enrolment_id)
        met, total = counts.get(renewal.id, (0, 0)) if renewal else (0, 0)
        result.append(
            HolderRenewal(
                certificate=certificate,
                holder=certificate.user.full_name,
                org_unit=units.get(certificate.org_unit_id),
                renewal_status=renewal.status.value if renewal else "not opened",
                renewal_met=met,
                renewal_total=total,
            )
        )
    return result, total
