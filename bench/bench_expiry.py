"""The daily expiry job next to bare SQL doing the same changes (issue 7, "Scale").

A seeded database is copied twice (PostgreSQL: CREATE DATABASE ... TEMPLATE) so both
measurements start from identical data: one copy runs `recertification.run_expiry(as_of)`
+ commit in a real app context, then a second run that must change nothing; the other runs
hand-written statements, one per kind of change, no batching. Both must end with the same
counts and checksums; the ratio job/bare is the figure to keep low. Two rounds: the first
run over the seed (a backlog: nothing processed yet), then the next day's run, from copies
of the bare SQL's result (the same state the job leaves). PostgreSQL at 1,000,000
certificates, SQLite at 100,000.

SQLite copies are never ANALYZEd (the app never does it): with sqlite_stat1 present and
`renewal_of_enrolment_id` mostly NULL, SQLite stops using its index in the job's renewal
query and scans the enrolments per certificate.

Environment: BENCH_DATABASE_URL (a PostgreSQL server; default the local one),
BENCH_EXPIRY_PG_ROWS, BENCH_EXPIRY_SQLITE_ROWS, BENCH_SKIP_PG=1.
Run alone with `python -m bench.bench_expiry`; progress goes to stderr.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from config import Config

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
AS_OF = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)  # the job's daily 02:00 run
SEEDED_AT = AS_OF - timedelta(days=800)
PROGRAMMES = 10  # each holder has one certificate per programme
ORG_UNITS = 5
REMINDER_OFFSETS = (30, 7)
# expires_at is spread evenly (a multiplicative hash of the id) over one year starting
# 60 days before AS_OF: ~16% already expired, ~8-16% inside the renewal window (30 or 60
# days), ~8% inside a reminder band. Every 53rd certificate never expires, every 101st is
# revoked, every 97th holder is deactivated (no renewal for them, reminders still go).
SPREAD_SECONDS = 365 * 86400
EXPIRED_SECONDS = 60 * 86400
HASH = 2654435761
PASSWORD_HASH = "scrypt:32768:8:1$bench$" + "0" * 128  # never used to log in


def _say(message: str) -> None:
    print(f"[bench_expiry {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _rows(name: str, default: int) -> int:
    raw = os.environ.get(name, "").replace("_", "").strip()
    return int(raw) if raw else default


class BenchConfig(Config):
    """Production-like settings pointing at one benchmark database."""

    ENV_NAME = "bench"

    def __init__(self, database_url: str, storage_path: str) -> None:
        super().__init__()
        self.SECRET_KEY = "bench-only-not-a-secret"  # noqa: S105
        self.SQLALCHEMY_DATABASE_URI = database_url
        self.REDIS_URL = None
        self.STORAGE_PATH = storage_path
        self.PUBLIC_BASE_URL = "https://certifikation.bench"
        self.CERT_REMINDER_OFFSETS_DAYS = REMINDER_OFFSETS


@contextmanager
def _app_context(database_url: str, storage_path: str) -> Iterator[None]:
    from webapp import create_app
    from webapp.extensions import db

    app = create_app(BenchConfig(database_url, storage_path))
    with app.app_context():
        try:
            yield
        finally:
            db.session.remove()
            db.engine.dispose()


# --- Dialect differences ------------------------------------------------------------------


@dataclass(frozen=True)
class Dialect:
    """The few SQL fragments that differ between PostgreSQL and SQLite."""

    name: str
    series: str  # a row source `s(g, u, p, t)`: id, holder, programme, expiry "instant"
    at: Callable[[int], str]  # SQL for s.t moved by N days, as a stored timestamp
    token: Callable[[str], str]  # SQL for a 32-hex-digit token (PostgreSQL: salted md5)
    padded: Callable[[str], str]  # an SQL integer as 8 zero-padded digits
    requirements: str  # table function over e.program_snapshot's requirements, as r(value)
    field: Callable[[str, str], str]  # one field of r.value, cast to a type
    window_end: str  # :as_of + p.renewal_window_days days, comparable to expires_at

    def ts(self, at: datetime) -> Any:
        """A bind value comparable to stored timestamps (SQLite stores naive UTC text)."""
        if self.name == "postgresql":
            return at
        return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


POSTGRESQL = Dialect(
    name="postgresql",
    series=(
        "(SELECT g, (g - 1) / :programmes + 1 AS u, :programme0 + (g - 1) % :programmes AS p,"
        " CAST(:as_of AS timestamptz) + (((g::bigint * :hash) % :spread) - :back)"
        " * interval '1 second' AS t FROM generate_series(1, :rows) AS g) AS s"
    ),
    at=lambda days: f"s.t + interval '{days} days'",
    token=lambda salt: f"md5('{salt}' || s.g)",
    padded=lambda expression: f"lpad(({expression})::text, 8, '0')",
    requirements="jsonb_array_elements(e.program_snapshot -> 'requirements') AS r(value)",
    field=lambda name, type_: f"(r.value ->> '{name}')::{type_}",
    window_end="CAST(:as_of AS timestamptz) + p.renewal_window_days * interval '1 day'",
)

SQLITE = Dialect(
    name="sqlite",
    series=(
        "(WITH RECURSIVE seq(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM seq WHERE g < :rows)"
        " SELECT g, (g - 1) / :programmes + 1 AS u, :programme0 + (g - 1) % :programmes AS p,"
        " :as_of_epoch + ((g * :hash) % :spread) - :back AS t FROM seq) AS s"
    ),
    at=lambda days: (
        f"strftime('%Y-%m-%d %H:%M:%S', s.t + {days * 86400}, 'unixepoch') || '.000000'"
    ),
    token=lambda salt: "lower(hex(randomblob(16)))",
    padded=lambda expression: f"printf('%08d', {expression})",
    requirements="json_each(e.program_snapshot, '$.requirements') AS r",
    field=lambda name, type_: f"json_extract(r.value, '$.{name}')",
    window_end=(
        "strftime('%Y-%m-%d %H:%M:%f', :as_of, '+' || p.renewal_window_days || ' days') || '000'"
    ),
)


# --- Seeding ------------------------------------------------------------------------------


def _seed_programmes() -> dict[str, int]:
    """Tenant, org units and published programmes (2-3 content requirements each) through
    the services, so the version definitions are the real ones. Commits."""
    from webapp import clock
    from webapp.clock import FrozenClock
    from webapp.extensions import db
    from webapp.models import CertificationPath, OrgUnit, Tenant
    from webapp.services import certification_path_management as paths

    previous = clock.install(FrozenClock(SEEDED_AT))
    try:
        tenant = Tenant(name="Bench Corporation", slug="bench")
        db.session.add(tenant)
        db.session.flush()
        units = [OrgUnit(tenant_id=tenant.id, name=f"Site {i + 1}") for i in range(ORG_UNITS)]
        db.session.add_all(units)
        programmes = []
        for i in range(PROGRAMMES):
            programme = CertificationPath(
                tenant_id=tenant.id,
                name=f"Programme {i + 1}",
                slug=f"programme-{i + 1}",
                validity_days=365,
                renewal_window_days=60 if i % 5 == 0 else 30,
            )
            db.session.add(programme)
            db.session.flush()
            for step in range(3 if i % 2 == 0 else 2):
                paths.add_requirement(
                    programme,
                    None,
                    "content",
                    {"title": f"Step {step + 1} of {programme.name}", "body": "Read and confirm."},
                    ("pdf",),
                )
            paths.publish_path(programme, None)
            programmes.append(programme.id)
        db.session.commit()
        if programmes != list(range(programmes[0], programmes[0] + PROGRAMMES)):
            raise RuntimeError("programme ids are not contiguous")
        return {"tenant": tenant.id, "unit0": units[0].id, "programme0": programmes[0]}
    finally:
        clock.install(previous)


def _seed_statements(d: Dialect) -> list[str]:
    active = "CASE WHEN s.g % 101 = 0 THEN 'revoked' ELSE 'active' END"
    expires = f"CASE WHEN s.g % 53 = 0 THEN NULL ELSE {d.at(0)} END"
    users_series = d.series.replace(":rows", ":users")
    return [
        "INSERT INTO users (id, tenant_id, org_unit_id, email, full_name, password_hash, role,"
        " active, session_token, created_at)"
        " SELECT s.g, :tenant, :unit0 + s.g % :units, 'holder' || s.g || '@bench.invalid',"
        f" 'Holder ' || s.g, :password, 'learner', s.g % 97 <> 0, {d.token('session')}, :seeded"
        f" FROM {users_series}",
        "INSERT INTO program_enrolments (id, tenant_id, org_unit_id, user_id, path_id, status,"
        " program_snapshot, path_version, started_at, completed_at, certified_at, expires_at,"
        " metadata)"
        " SELECT s.g, :tenant, :unit0 + s.u % :units, s.u, s.p, 'certified', v.definition,"
        f" '1.0', {d.at(-395)}, {d.at(-366)}, {d.at(-365)}, {expires}, '{{}}'"
        f" FROM {d.series} JOIN path_versions AS v ON v.path_id = s.p",
        "INSERT INTO certificates (id, tenant_id, org_unit_id, enrolment_id, user_id, path_id,"
        " path_version, number, status, issued_at, expires_at, revoked_at, revoked_reason,"
        " public_token, metadata, pdf_status)"
        " SELECT s.g, :tenant, :unit0 + s.u % :units, s.g, s.u, s.p, '1.0',"
        f" 'CERT-B-' || {d.padded('s.g')}, {active}, {d.at(-365)}, {expires},"
        f" CASE WHEN s.g % 101 = 0 THEN {d.at(-300)} END,"
        " CASE WHEN s.g % 101 = 0 THEN 'Issued in error.' END,"
        f" {d.token('certificate')}, '{{}}', 'ready'"
        f" FROM {d.series}",
    ]


def _seed_params(d: Dialect, rows: int, ids: dict[str, int]) -> dict[str, Any]:
    return {
        **ids,
        "rows": rows,
        "users": (rows + PROGRAMMES - 1) // PROGRAMMES,
        "programmes": PROGRAMMES,
        "units": ORG_UNITS,
        "hash": HASH,
        "spread": SPREAD_SECONDS,
        "back": EXPIRED_SECONDS,
        "as_of": d.ts(AS_OF),
        "as_of_epoch": int(AS_OF.timestamp()),
        "seeded": d.ts(SEEDED_AT),
        "password": PASSWORD_HASH,
    }


BULK_TABLES = ["users", "program_enrolments", "certificates"]


def _seed(d: Dialect, url: str, storage: str, rows: int) -> None:
    """Migrate an empty database and fill it: programmes through the services, holders,
    certified enrolments and certificates with set-based SQL. Commits."""
    from flask_migrate import upgrade

    from webapp.extensions import db

    with _app_context(url, storage):
        started = time.perf_counter()
        upgrade()
        _say(f"{d.name}: migrated in {time.perf_counter() - started:.1f} s")
        params = _seed_params(d, rows, _seed_programmes())
        indexes = _drop_secondary_indexes() if d.name == "postgresql" else []
        for statement, table in zip(_seed_statements(d), BULK_TABLES, strict=True):
            started = time.perf_counter()
            db.session.execute(sa.text(statement), params)
            _say(f"{d.name}: seeded {table} in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        for definition in indexes:
            db.session.execute(sa.text(definition))
        if d.name == "postgresql":
            for table in BULK_TABLES:
                db.session.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                        f" (SELECT max(id) FROM {table}))"
                    )
                )
            _say(
                f"{d.name}: rebuilt {len(indexes)} indexes in {time.perf_counter() - started:.1f} s"
            )
        db.session.commit()


def _drop_secondary_indexes() -> list[str]:
    """A bulk load on PostgreSQL: drop the plain indexes of the bulk tables (rebuilt after the
    load, from their saved definitions) and, as a superuser, skip foreign-key triggers for
    this transaction — the seed is consistent by construction. Returns the definitions."""
    from webapp.extensions import db

    db.session.execute(sa.text("SET LOCAL maintenance_work_mem = '256MB'"))
    if db.session.scalar(sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")):
        db.session.execute(sa.text("SET LOCAL session_replication_role = replica"))
    rows = db.session.execute(
        sa.text(
            "SELECT indexname, indexdef FROM pg_indexes AS i"
            " WHERE schemaname = current_schema() AND tablename = ANY(:tables)"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint AS k WHERE k.conname = i.indexname)"
        ),
        {"tables": BULK_TABLES},
    ).all()
    for name, _ in rows:
        db.session.execute(sa.text(f'DROP INDEX "{name}"'))
    return [definition for _, definition in rows]


# --- The two contestants ------------------------------------------------------------------


def _bare_statements(d: Dialect) -> list[str]:
    """The same changes as the job, one statement per kind of change, no batching. The
    major-version clause of the job is left out: every seeded certificate is of the current
    major version, so it selects nothing there either."""
    bands = sorted(REMINDER_OFFSETS)
    days = " ".join(f"WHEN c.expires_at <= :remind_{o} THEN {o}" for o in bands)
    return [
        "UPDATE certificates SET status = 'expired', expired_at = expires_at"
        " WHERE status = 'active' AND expires_at <= :as_of",
        "UPDATE program_enrolments SET status = 'expired' FROM certificates AS c"
        " WHERE c.enrolment_id = program_enrolments.id AND c.status = 'expired'"
        " AND program_enrolments.status = 'certified'",
        "INSERT INTO program_enrolments (tenant_id, org_unit_id, user_id, path_id, status,"
        " program_snapshot, path_version, started_at, renewal_of_enrolment_id, metadata)"
        " SELECT c.tenant_id, u.org_unit_id, c.user_id, c.path_id, 'in_progress',"
        " v.definition, v.major || '.' || v.minor, :as_of, c.enrolment_id,"
        " '{\"renewal\": true}'"
        " FROM certificates AS c"
        " JOIN users AS u ON u.id = c.user_id"
        " JOIN certification_paths AS p ON p.id = c.path_id"
        " JOIN path_versions AS v"
        " ON v.id = (SELECT max(id) FROM path_versions WHERE path_id = p.id)"
        " WHERE p.status = 'published' AND u.active AND c.status = 'active'"
        f" AND c.expires_at <= {d.window_end}"
        " AND NOT EXISTS (SELECT 1 FROM program_enrolments AS r"
        " WHERE r.renewal_of_enrolment_id = c.enrolment_id)"
        " AND NOT EXISTS (SELECT 1 FROM program_enrolments AS o WHERE o.user_id = c.user_id"
        " AND o.path_id = c.path_id AND o.status IN ('in_progress', 'completed'))"
        " ON CONFLICT DO NOTHING",
        "INSERT INTO program_progress (tenant_id, org_unit_id, enrolment_id, requirement_id,"
        " sort_order, is_mandatory, status, attempt_count, last_updated_at)"
        f" SELECT e.tenant_id, e.org_unit_id, e.id, {d.field('requirement_id', 'int')},"
        f" {d.field('sort_order', 'int')}, {d.field('is_mandatory', 'boolean')}, 'pending',"
        f" 0, :as_of FROM program_enrolments AS e, {d.requirements}"
        " WHERE e.id > :last_enrolment AND e.renewal_of_enrolment_id IS NOT NULL"
        " ON CONFLICT DO NOTHING",
        "INSERT INTO learner_tasks (tenant_id, user_id, enrolment_id, requirement_id, title,"
        " status, created_at)"
        f" SELECT e.tenant_id, e.user_id, e.id, {d.field('requirement_id', 'int')},"
        f" {d.field('title', 'text')}, 'open', :as_of"
        f" FROM program_enrolments AS e, {d.requirements}"
        " WHERE e.id > :last_enrolment AND e.renewal_of_enrolment_id IS NOT NULL"
        " ON CONFLICT DO NOTHING",
        "INSERT INTO notifications (tenant_id, user_id, title, body, link, dedupe_key, kind,"
        " created_at)"
        " SELECT e.tenant_id, e.user_id, 'Time to renew: ' || p.name,"
        " 'Your certificate for ' || p.name || ' is due for renewal. A renewal enrolment has"
        " been opened for you.', :base || '/certs/programs/' || p.slug, 'renewal-' || e.id,"
        " 'renewal_opened', :as_of"
        " FROM program_enrolments AS e JOIN certification_paths AS p ON p.id = e.path_id"
        " WHERE e.id > :last_enrolment AND e.renewal_of_enrolment_id IS NOT NULL"
        " UNION ALL"
        " SELECT c.tenant_id, c.user_id, 'Your certificate expires soon: ' || p.name,"
        " 'It expires within ' || c.days || ' days. Renew it from the CertifiKation Center.',"
        " :base || '/certs/verify/' || c.public_token,"
        " 'cert-' || c.id || '-reminder-' || c.days, 'certificate_expiring', :as_of"
        " FROM (SELECT c.tenant_id, c.user_id, c.path_id, c.public_token, c.id,"
        f" CASE {days} END AS days FROM certificates AS c WHERE c.status = 'active'"
        f" AND c.expires_at > :as_of AND c.expires_at <= :remind_{bands[-1]}) AS c"
        " JOIN certification_paths AS p ON p.id = c.path_id"
        " UNION ALL"
        " SELECT c.tenant_id, c.user_id, 'Your certificate has expired: ' || p.name,"
        " 'Enrol again to renew it.', :base || '/certs/verify/' || c.public_token,"
        " 'cert-' || c.id || '-expired', 'certificate_expired', :as_of"
        " FROM certificates AS c JOIN certification_paths AS p ON p.id = c.path_id"
        " WHERE c.status IN ('active', 'expired') AND c.expires_at <= :as_of"
        " AND c.expires_at > :expired_since"
        " ON CONFLICT DO NOTHING",
        "INSERT INTO outbox_emails (tenant_id, user_id, to_address, subject, body, status,"
        " attempts, created_at)"
        " SELECT n.tenant_id, n.user_id, u.email, n.title, n.body, 'pending', 0, :as_of"
        " FROM notifications AS n JOIN users AS u ON u.id = n.user_id"
        " WHERE n.id > :last_notification",
    ]


def _run_bare(d: Dialect, connection: sa.Connection, base_url: str, as_of: datetime) -> int:
    """The hand-written statements in one transaction; returns how many were executed."""
    params: dict[str, Any] = {
        "as_of": d.ts(as_of),
        "expired_since": d.ts(as_of - timedelta(days=30)),
        "base": base_url,
        **{f"remind_{o}": d.ts(as_of + timedelta(days=o)) for o in REMINDER_OFFSETS},
    }
    params["last_enrolment"] = connection.scalar(
        sa.text("SELECT coalesce(max(id), 0) FROM program_enrolments")
    )
    params["last_notification"] = connection.scalar(
        sa.text("SELECT coalesce(max(id), 0) FROM notifications")
    )
    statements = _bare_statements(d)
    for statement in statements:
        connection.execute(sa.text(statement), params)
    connection.commit()
    return len(statements) + 2


OUTCOME = {
    # label: (count, a checksum over what was written) — equal on both copies
    "certificates expired": "SELECT count(*), coalesce(sum(id), 0) FROM certificates"
    " WHERE status = 'expired' AND expired_at = expires_at",
    "enrolments expired": "SELECT count(*), coalesce(sum(id), 0) FROM program_enrolments"
    " WHERE status = 'expired'",
    "renewals": "SELECT count(*), coalesce(sum(renewal_of_enrolment_id + user_id + path_id"
    " + length(path_version)), 0) FROM program_enrolments"
    " WHERE renewal_of_enrolment_id IS NOT NULL AND status = 'in_progress'",
    "ledger rows": "SELECT count(*), coalesce(sum(requirement_id + sort_order), 0)"
    " FROM program_progress WHERE status = 'pending'",
    "to-do items": "SELECT count(*), coalesce(sum(requirement_id + length(title)), 0)"
    " FROM learner_tasks",
    "notifications": "SELECT count(*), coalesce(sum(user_id + length(title) + length(body)"
    " + length(link) + length(kind)), 0) FROM notifications",
    "e-mails": "SELECT count(*), coalesce(sum(user_id + length(to_address) + length(subject)"
    " + length(body)), 0) FROM outbox_emails",
}

Outcome = dict[str, tuple[int, int]]


def _outcome(connection: sa.Connection) -> Outcome:
    return {
        label: tuple(int(v) for v in connection.execute(sa.text(sql)).one())
        for label, sql in OUTCOME.items()
    }


def _kinds(connection: sa.Connection) -> dict[str, int]:
    rows = connection.execute(sa.text("SELECT kind, count(*) FROM notifications GROUP BY kind"))
    return {kind: int(count) for kind, count in rows}


def _warm(connection: sa.Connection) -> None:
    """The same reads on both copies before timing, so neither starts from a colder cache."""
    for table in ("certificates", "program_enrolments", "users", "certification_paths"):
        connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()


@dataclass
class Measurement:
    seconds: float = 0.0
    report: Any = None
    error: str | None = None
    outcome: Outcome | None = None


def _measure_job(
    where: str, url: str, storage: str, as_of: datetime
) -> tuple[Measurement, Measurement]:
    """The job run twice on one copy: run_expiry + commit in a real app context."""
    from webapp.extensions import db
    from webapp.services import recertification

    first, second = Measurement(), Measurement()
    with _app_context(url, storage):
        _warm(db.session.connection())
        db.session.commit()
        for measurement, label in ((first, "job"), (second, "job, second run")):
            started = time.perf_counter()
            try:
                measurement.report = recertification.run_expiry(as_of)
                db.session.commit()
            except Exception as error:  # a failing job is a result worth printing
                db.session.rollback()
                measurement.error = f"{type(error).__name__}: {str(error).splitlines()[0]}"
            measurement.seconds = time.perf_counter() - started
            failed = f" FAILED: {measurement.error}" if measurement.error else ""
            _say(f"{where}: {label} {measurement.seconds:.2f} s{failed}")
            if measurement.error:
                break
            measurement.outcome = _outcome(db.session.connection())
            db.session.commit()
    return first, second


@dataclass
class Round:
    """One comparison from identical copies: the job (twice) on one, bare SQL on the other."""

    label: str
    as_of: datetime
    job: Measurement
    again: Measurement
    bare: Measurement
    statements: int
    before: Outcome
    kinds: dict[str, int]  # notifications of this round by kind


def _measure_round(
    d: Dialect, label: str, as_of: datetime, job_url: str, bare_url: str, storage: str
) -> Round:
    from flask import current_app

    from webapp.extensions import db

    job, again = _measure_job(d.name, job_url, storage, as_of)
    bare = Measurement()
    with _app_context(bare_url, storage), db.engine.connect() as connection:
        before, kinds_before = _outcome(connection), _kinds(connection)
        _warm(connection)
        connection.commit()
        started = time.perf_counter()
        statements = _run_bare(d, connection, current_app.config["PUBLIC_BASE_URL"], as_of)
        bare.seconds = time.perf_counter() - started
        _say(f"{d.name}: bare SQL {bare.seconds:.2f} s")
        bare.outcome = _outcome(connection)
        kinds = {k: n - kinds_before.get(k, 0) for k, n in _kinds(connection).items()}
        connection.commit()
    return Round(label, as_of, job, again, bare, statements, before, kinds)


# --- Report ------------------------------------------------------------------------------


def _round_lines(r: Round, rows: int) -> list[str]:
    changes = {label: r.bare.outcome[label][0] - r.before[label][0] for label in OUTCOME}
    lines = [
        f"  {r.label}, as of {r.as_of:%Y-%m-%d %H:%M} UTC",
        "    changes: " + ", ".join(f"{n:,} {label}" for label, n in changes.items()),
        "    notifications by kind: "
        + ", ".join(f"{n:,} {kind}" for kind, n in sorted(r.kinds.items())),
    ]
    per = 1e6 / rows
    lines.append(
        f"    bare SQL {r.bare.seconds:8.2f} s  {r.bare.seconds * per:7.2f} us/certificate"
        f"  ({r.statements} statements, one transaction)"
    )
    if r.job.error:
        lines.append(f"    job FAILED after {r.job.seconds:.2f} s (rolled back): {r.job.error}")
        lines.append(
            f"    ratio job/bare at least {r.job.seconds / r.bare.seconds:.2f}x"
            " (time until the failure)"
        )
        return lines
    lines.append(
        f"    job      {r.job.seconds:8.2f} s  {r.job.seconds * per:7.2f} us/certificate"
        f"  (run_expiry + commit, batches of {_batch_size():,})"
    )
    lines.append(f"    ratio job/bare {r.job.seconds / r.bare.seconds:.2f}x")
    report = r.job.report
    reported = {
        "certificates expired": report.certificates_expired,
        "enrolments expired": report.enrolments_expired,
        "renewals": report.renewals_opened,
        "notifications": report.reminders_sent + r.kinds.get("renewal_opened", 0),
        "e-mails": report.emails_queued,
    }
    disagrees = [
        f"{label}: report {n:,}, database {changes[label]:,}"
        for label, n in reported.items()
        if changes[label] != n
    ]
    same = r.job.outcome == r.bare.outcome
    lines.append(
        f"    same result on both copies (counts and checksums): {'yes' if same else 'NO'};"
        f" job's report agrees: {'NO (' + '; '.join(disagrees) + ')' if disagrees else 'yes'}"
        + (f"; {len(report.skipped_rows)} rows skipped" if report.skipped_rows else "")
    )
    if not same:
        lines.append(f"      job  {r.job.outcome}")
        lines.append(f"      bare {r.bare.outcome}")
    if r.again.error:
        lines.append(f"    second run FAILED after {r.again.seconds:.2f} s: {r.again.error}")
    else:
        a = r.again.report
        unchanged = r.again.outcome == r.job.outcome
        lines.append(
            f"    second run {r.again.seconds:.2f} s: {a.certificates_expired} expired,"
            f" {a.enrolments_expired} enrolments expired, {a.renewals_opened} renewals,"
            f" {a.reminders_sent} reminders, {a.emails_queued} e-mails;"
            f" database unchanged: {'yes' if unchanged else 'NO'}"
        )
    return lines


def _load() -> str:
    """The 1-minute load average: timings on a busy machine say so."""
    return f"{os.getloadavg()[0]:.1f}"


def _batch_size() -> int:
    from webapp.services.recertification import batches

    return batches.BATCH_SIZE


# --- Databases ----------------------------------------------------------------------------


class PostgresCopies:
    """Bench databases on one PostgreSQL server: created, cloned by TEMPLATE, all dropped."""

    def __init__(self, server_url: str) -> None:
        self.server = sa.make_url(server_url)
        self.admin = sa.create_engine(self.server, isolation_level="AUTOCOMMIT")
        self.prefix = f"certifikation_bench_{secrets.token_hex(4)}"
        self.created: list[str] = []
        try:
            with self.admin.connect() as conn:
                self.version = f"PostgreSQL {conn.scalar(sa.text('SHOW server_version'))}"
                number = int(conn.scalar(sa.text("SHOW server_version_num")))
        except sa.exc.OperationalError as error:
            self.admin.dispose()
            raise RuntimeError(
                f"No PostgreSQL server at {self.server.render_as_string()} ({error.orig});"
                " set BENCH_DATABASE_URL, or BENCH_SKIP_PG=1 to skip it"
            ) from error
        # FILE_COPY copies the files instead of WAL-logging every block (PostgreSQL 15+).
        self.strategy = " STRATEGY = FILE_COPY" if number >= 150000 else ""

    def url(self, key: str) -> str:
        name = f"{self.prefix}_{key}"
        return self.server.set(database=name).render_as_string(hide_password=False)

    def create(self, key: str, template: str | None = None) -> None:
        name = f"{self.prefix}_{key}"
        self.created.append(name)
        with self.admin.connect() as conn:
            if template is None:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            else:
                source = f"{self.prefix}_{template}"
                conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{source}"{self.strategy}')

    def settle(self, key: str) -> None:
        """What autovacuum does between two daily runs: VACUUM and fresh statistics."""
        engine = sa.create_engine(self.url(key), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE)")
        engine.dispose()

    def drop(self, key: str) -> None:
        name = f"{self.prefix}_{key}"
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self.created:
            self.created.remove(name)

    def close(self) -> None:
        with self.admin.connect() as conn:
            for name in reversed(self.created):
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.clear()
        self.admin.dispose()
        _say("postgresql: bench databases dropped")


class SqliteCopies:
    """Bench database files in a temporary folder; a copy is a file copy."""

    def __init__(self, folder: str) -> None:
        import sqlite3

        self.folder = Path(folder)
        self.version = f"SQLite {sqlite3.sqlite_version}"

    def url(self, key: str) -> str:
        return f"sqlite:///{self.folder / key}.db"

    def create(self, key: str, template: str | None = None) -> None:
        if template is not None:
            shutil.copyfile(self.folder / f"{template}.db", self.folder / f"{key}.db")

    def settle(self, key: str) -> None:
        """Nothing: the app never runs ANALYZE on SQLite (see the module docstring)."""

    def drop(self, key: str) -> None:
        (self.folder / f"{key}.db").unlink(missing_ok=True)

    def close(self) -> None:
        for path in self.folder.glob("*.db"):
            path.unlink()


def _bench(d: Dialect, copies: PostgresCopies | SqliteCopies, rows: int, storage: str) -> list[str]:
    """Seed, copy twice, measure the first run (a backlog); then from the bare SQL's result
    copy twice again and measure the next day's run."""
    load = _load()
    started = time.perf_counter()
    copies.create("seed")
    _seed(d, copies.url("seed"), storage, rows)
    copies.settle("seed")
    copies.create("job", template="seed")
    copies.create("bare", template="seed")
    seed_seconds = time.perf_counter() - started
    _say(f"{d.name}: seeded and copied in {seed_seconds:.1f} s")
    copies.drop("seed")
    first = _measure_round(
        d,
        "first run, nothing processed yet (a backlog)",
        AS_OF,
        copies.url("job"),
        copies.url("bare"),
        storage,
    )
    copies.drop("job")
    started = time.perf_counter()
    copies.settle("bare")  # the bare SQL left the same state as the job would have
    copies.create("job2", template="bare")
    copies.create("bare2", template="bare")
    next_seconds = time.perf_counter() - started
    copies.drop("bare")
    nextday = _measure_round(
        d,
        f"next day, after the first run (copies prepared in {next_seconds:.1f} s)",
        AS_OF + timedelta(days=1),
        copies.url("job2"),
        copies.url("bare2"),
        storage,
    )
    holders = (rows + PROGRAMMES - 1) // PROGRAMMES
    return [
        f"Expiry job on {copies.version}: {rows:,} certificates ({holders:,} holders,"
        f" {PROGRAMMES} programmes); seed {seed_seconds:.1f} s (migrate, SQL, 2 copies);"
        f" load average {load} at the start, {_load()} at the end",
        *_round_lines(first, rows),
        *_round_lines(nextday, rows),
    ]


def run() -> list[str]:
    """Seed, copy, measure job and bare SQL on PostgreSQL and SQLite; the report lines."""
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="certifikation_bench_") as folder:
        storage = str(Path(folder) / "storage")
        if os.environ.get("BENCH_SKIP_PG") == "1":
            lines.append("Expiry job on PostgreSQL: skipped (BENCH_SKIP_PG=1)")
        else:
            postgres = PostgresCopies(os.environ.get("BENCH_DATABASE_URL") or DEFAULT_SERVER)
            try:
                lines += _bench(
                    POSTGRESQL, postgres, _rows("BENCH_EXPIRY_PG_ROWS", 1_000_000), storage
                )
            finally:
                postgres.close()
        sqlite = SqliteCopies(folder)
        try:
            lines += _bench(SQLITE, sqlite, _rows("BENCH_EXPIRY_SQLITE_ROWS", 100_000), storage)
        finally:
            sqlite.close()
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
