"""The database enforces what a database can."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tests.factories import QuizVersionFactory, TenantFactory, UserFactory, published_path
from webapp import clock
from webapp.extensions import db
from webapp.models import (
    Base,
    Certificate,
    Enrolment,
    EnrolmentStatus,
    Evaluation,
    RequirementProgress,
)
from webapp.services import certification_path_management as paths

# Installation-wide tables: tenants themselves, the job outbox, operators (who belong to no tenant).
SYSTEM_TABLES = {"tenants", "job_records", "alembic_version", "platform_operators"}
LINK_TABLES = {"path_skills", "path_prerequisites"}


def test_migrations_yield_exactly_the_models_schema(app):
    """`flask db upgrade` ran on this database at session start; autogenerate finds nothing."""
    connection = db.session.connection()
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    assert compare_metadata(context, Base.metadata) == []


def test_every_domain_table_has_a_not_null_tenant_id(app):
    inspector = sa.inspect(db.session.connection())
    for table in inspector.get_table_names():
        if table in SYSTEM_TABLES | LINK_TABLES:
            continue
        columns = {c["name"]: c for c in inspector.get_columns(table)}
        assert "tenant_id" in columns, table
        assert columns["tenant_id"]["nullable"] is False, table


def _enrolment(tenant=None):
    tenant = tenant or TenantFactory()
    programme = published_path(tenant)
    user = UserFactory(tenant=tenant)
    enrolment, _ = paths.enrol(user, programme)
    return enrolment


def _violates(build):
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        build()
        db.session.flush()


def test_one_open_enrolment_per_user_and_programme(app):
    enrolment = _enrolment()
    _violates(
        lambda: db.session.add(
            Enrolment(
                tenant_id=enrolment.tenant_id,
                user_id=enrolment.user_id,
                path_id=enrolment.path_id,
                program_snapshot={},
                path_version="1.0",
            )
        )
    )
    # A finished enrolment does not block a new one (renewal).
    enrolment.status = EnrolmentStatus.CERTIFIED
    db.session.flush()
    db.session.add(
        Enrolment(
            tenant_id=enrolment.tenant_id,
            user_id=enrolment.user_id,
            path_id=enrolment.path_id,
            program_snapshot={},
            path_version="1.0",
        )
    )
    db.session.flush()


def test_one_progress_row_per_enrolment_and_requirement(app):
    enrolment = _enrolment()
    row = enrolment.progress[0]
    _violates(
        lambda: db.session.add(
            RequirementProgress(
                tenant_id=row.tenant_id,
                enrolment_id=row.enrolment_id,
                requirement_id=row.requirement_id,
            )
        )
    )


def test_one_certificate_per_enrolment_and_unique_number_and_token(app):
    enrolment = _enrolment()
    now = clock.now()

    def cert(number, token):
        return Certificate(
            tenant_id=enrolment.tenant_id,
            enrolment_id=enrolment.id,
            user_id=enrolment.user_id,
            path_id=enrolment.path_id,
            path_version="1.0",
            number=number,
            issued_at=now,
            public_token=token,
        )

    db.session.add(cert("CERT-2026-00001", "a" * 32))
    db.session.flush()
    _violates(lambda: db.session.add(cert("CERT-2026-00002", "b" * 32)))
    same_tenant = _enrolment(enrolment.user.tenant)
    _violates(
        lambda: db.session.add(
            Certificate(
                tenant_id=same_tenant.tenant_id,
                enrolment_id=same_tenant.id,
                user_id=same_tenant.user_id,
                path_id=same_tenant.path_id,
                path_version="1.0",
                number="CERT-2026-00001",
                issued_at=now,
                public_token="c" * 32,
            )
        )
    )
    # Each tenant is an issuer with its own sequence: another tenant may hold the same number.
    other = _enrolment(TenantFactory())
    with db.session.begin_nested():
        db.session.add(
            Certificate(
                tenant_id=other.tenant_id,
                enrolment_id=other.id,
                user_id=other.user_id,
                path_id=other.path_id,
                path_version="1.0",
                number="CERT-2026-00001",
                issued_at=now,
                public_token="d" * 32,
            )
        )
    _violates(
        lambda: db.session.add(
            Certificate(
                tenant_id=other.tenant_id,
                enrolment_id=other.id,
                user_id=other.user_id,
                path_id=other.path_id,
                path_version="1.0",
                number="CERT-2026-00003",
                issued_at=now,
                public_token="a" * 32,
            )
        )
    )


def test_one_attempt_in_progress_per_user_and_quiz(app):
    version = QuizVersionFactory()
    user = UserFactory(tenant_id=version.tenant_id)

    def attempt(status="in_progress"):
        return Evaluation(
            tenant_id=version.tenant_id,
            user_id=user.id,
            quiz_id=version.quiz_id,
            quiz_version_id=version.id,
            status=status,
        )

    db.session.add(attempt())
    db.session.flush()
    _violates(lambda: db.session.add(attempt()))
    db.session.add(attempt("graded"))
    db.session.flush()


def test_tenant_id_is_required(app):
    _violates(
        lambda: db.session.add(
            Enrolment(user_id=1, path_id=1, program_snapshot={}, path_version="1.0")
        )
    )


def test_foreign_keys_are_enforced(app):
    tenant = TenantFactory()
    _violates(
        lambda: db.session.add(
            Enrolment(
                tenant_id=tenant.id,
                user_id=999_999,
                path_id=999_999,
                program_snapshot={},
                path_version="1.0",
            )
        )
    )


def test_datetimes_are_timezone_aware_utc(app):
    enrolment = _enrolment()
    db.session.expire_all()
    loaded = db.session.get(Enrolment, enrolment.id)
    assert loaded.started_at.utcoffset() == timedelta(0)
