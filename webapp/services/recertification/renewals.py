"""Renewal enrolments: opened inside a programme's renewal window, or after a new major
version's grace period, with their ledgers and to-do items.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from webapp import sqltools
from webapp.extensions import db
from webapp.models import (
    CertificateStatus,
    CertificationPath,
    EnrolmentStatus,
    LearnerTask,
    PathStatus,
    PathVersion,
    ProgressStatus,
    RequirementProgress,
    TaskStatus,
    User,
)
from webapp.services import audit
from webapp.services import certification_path_management as paths
from webapp.services.recertification.batches import (
    BY_EXPIRY,
    CERTS,
    ENROLMENTS,
    ExpiryReport,
    _batched,
)
from webapp.services.recertification.notices import _notify_renewals


def _latest_versions() -> dict[int, PathVersion]:
    latest = (
        sa.select(PathVersion.path_id, sa.func.max(PathVersion.id).label("id"))
        .group_by(PathVersion.path_id)
        .subquery()
    )
    rows = db.session.scalars(sa.select(PathVersion).join(latest, latest.c.id == PathVersion.id))
    return {v.path_id: v for v in rows}


def _major_since(programme_id: int, major: int) -> datetime | None:
    return db.session.scalar(
        sa.select(sa.func.min(PathVersion.published_at)).where(
            PathVersion.path_id == programme_id, PathVersion.major == major
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
        by_programme: dict[int, list[int]] = {}
        for cert_id, programme_id in db.session.execute(
            sa.select(CERTS.c.id, CERTS.c.path_id).where(CERTS.c.id.in_(ids))
        ):
            by_programme.setdefault(programme_id, []).append(cert_id)
        for programme_id, cert_ids in by_programme.items():
            programme = programmes.get(programme_id)
            if programme is not None:
                window = CERTS.c.expires_at <= as_of + timedelta(days=programme.renewal_window_days)
                created += _insert_renewals(
                    cert_ids, programme, versions[programme_id], as_of, report, window
                )
        return created

    report.renewals_opened += _batched(in_windows, BY_EXPIRY, renew, report, "certificate")

    for programme in programmes.values():
        version = versions[programme.id]
        if version.major <= 1:
            continue  # no earlier major version to move holders off
        since = _major_since(programme.id, version.major)
        if since is None or since + timedelta(days=programme.recert_grace_days) > as_of:
            continue
        earlier_major = sa.select(CERTS.c.path_id, CERTS.c.id).where(
            CERTS.c.path_id == programme.id,
            CERTS.c.status == CertificateStatus.ACTIVE.value,
            ~CERTS.c.path_version.like(f"{version.major}.%"),
            report.scope(),
        )
        report.renewals_opened += _batched(
            earlier_major,
            (CERTS.c.path_id, CERTS.c.id),
            lambda ids, programme=programme, version=version: _insert_renewals(
                ids, programme, version, as_of, report, sa.true()
            ),
            report,
            "certificate",
        )


def _insert_renewals(
    certificate_ids: list[int],
    programme: CertificationPath,
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
        .returning(ENROLMENTS.c.id, ENROLMENTS.c.tenant_id, ENROLMENTS.c.user_id)
    )
    created = db.session.execute(statement).all()
    new_ids = [row.id for row in created]
    audit.record_system_events(
        "enrolment.renewal_opened",
        "enrolment",
        [(row.tenant_id, row.id, row.user_id) for row in created],
        f"Renewal enrolment opened in {programme.name} (daily run)",
        as_of,
    )
    if new_ids:
        _insert_ledgers(new_ids, snapshot, as_of)
        _notify_renewals(new_ids, programme, as_of, report)
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
