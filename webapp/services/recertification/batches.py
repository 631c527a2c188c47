"""The keyset batches every statement of the service walks: the run's report, its lock, the
table aliases and the expiry index the walks follow, and the walks by effective validity (a
grace period ends after `expires_at`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Certificate, CertificateExtension, Enrolment

log = logging.getLogger(__name__)

BATCH_SIZE = 10_000  # ids per statement: far below the drivers' bind-parameter limits
LOCK_KEY = 7_314_2026  # advisory lock id of the expiry job on PostgreSQL

CERTS = Certificate.__table__
ENROLMENTS = Enrolment.__table__
BY_EXPIRY = (CERTS.c.expires_at, CERTS.c.id)  # ix_certificates_status_expires_at_id, per status
EXTENSIONS = CertificateExtension.__table__

# A certificate has a grace period (or had one). Its effective validity in SQL is the model's
# own expression, `Certificate.valid_until` (over this same table).
EXTENDED = sa.exists().where(EXTENSIONS.c.certificate_id == CERTS.c.id)


def running_grace(as_of: datetime) -> sa.ColumnElement[bool]:
    """A grace period of the certificate still runs at `as_of`."""
    return sa.exists().where(
        EXTENSIONS.c.certificate_id == CERTS.c.id, EXTENSIONS.c.extended_until > as_of
    )


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


def _batched_by_validity(
    conditions: list[sa.ColumnElement[bool]],
    after: datetime | None,
    until: datetime,
    apply: Callable[[list[int]], int],
    report: ExpiryReport,
    what: str,
) -> int:
    """`_batched` over the certificates matching `conditions` whose effective validity ends in
    (`after`, `until`]: those without a grace period walk the expiry index as before; the few
    with one are walked by id, their validity read from their latest extension."""
    plain = [*conditions, ~EXTENDED, CERTS.c.expires_at <= until]
    extended = [*conditions, EXTENDED, Certificate.valid_until <= until]
    if after is not None:
        plain.append(CERTS.c.expires_at > after)
        extended.append(Certificate.valid_until > after)
    total = _batched(sa.select(*BY_EXPIRY).where(*plain), BY_EXPIRY, apply, report, what)
    by_id = (CERTS.c.id,)
    return total + _batched(sa.select(*by_id).where(*extended), by_id, apply, report, what)
