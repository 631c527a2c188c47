"""Migrations on a database holding data. 0003: existing certificate numbers stay, each
tenant's counter continues after its own highest serial, clashing programme names are
renamed before names become unique per tenant. 0004: existing e-mails have no HTML part
(and keep their text when it is downgraded). 0005: requirement settings keep their values
when their column is renamed, and back."""

import json
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import downgrade, upgrade

from tests.conftest import _database_url, make_config
from webapp import create_app
from webapp.extensions import db


@pytest.fixture
def empty_app(tmp_path_factory, clock) -> Iterator[Flask]:
    """An app on a database of its own, not migrated yet."""
    urls = _database_url(tmp_path_factory)
    url = next(urls)
    app = create_app(make_config(url, tmp_path_factory))
    try:
        with app.app_context():
            yield app
            db.session.remove()
            db.engine.dispose()
    finally:
        urls.close()


def insert(table: str, **values) -> None:
    columns = ", ".join(values)
    params = ", ".join(f":{key}" for key in values)
    statement = f"INSERT INTO {table} ({columns}) VALUES ({params})"  # noqa: S608 (test data)
    db.session.execute(sa.text(statement), values)


def seed_before_0003() -> None:
    now = "2026-06-15 10:00:00+00:00"
    for tenant_id, slug in ((1, "acme"), (2, "globex")):
        insert(
            "tenants",
            id=tenant_id,
            name=slug.title(),
            slug=slug,
            holder_name_display="full",
            created_at=now,
        )
        insert(
            "users",
            id=tenant_id,
            tenant_id=tenant_id,
            email=f"user@{slug}.test",
            full_name="A User",
            password_hash="x",
            role="learner",
            active=True,
            session_token=f"token{tenant_id}",
            created_at=now,
        )
    programmes = [
        (1, 1, "Forklift", "forklift"),
        (2, 1, "Forklift", "forklift-2"),
        (3, 2, "Forklift", "forklift"),
    ]
    for programme_id, tenant_id, name, slug in programmes:
        insert(
            "certification_paths",
            id=programme_id,
            tenant_id=tenant_id,
            name=name,
            slug=slug,
            description="",
            level="foundation",
            renewal_window_days=30,
            recert_grace_days=90,
            self_enrolment=True,
            status="published",
            version_major=1,
            version_minor=0,
            updated_at=now,
            created_at=now,
        )
    # One shared counter: Acme 00001, Globex 00002, Acme 00003.
    for serial, tenant_id, programme_id in ((1, 1, 1), (2, 2, 3), (3, 1, 2)):
        insert(
            "program_enrolments",
            id=serial,
            tenant_id=tenant_id,
            user_id=tenant_id,
            path_id=programme_id,
            status="certified",
            program_snapshot="{}",
            path_version="1.0",
            started_at=now,
            metadata="{}",
        )
        insert(
            "certificates",
            id=serial,
            tenant_id=tenant_id,
            enrolment_id=serial,
            user_id=tenant_id,
            path_id=programme_id,
            path_version="1.0",
            number=f"CERT-2026-{serial:05d}",
            status="active",
            issued_at=now,
            public_token=f"{serial:032d}",
            metadata="{}",
            pdf_status="ready",
        )
    insert("certificate_counters", year=2026, last_number=3)
    db.session.commit()


def test_upgrade_keeps_numbers_and_continues_each_tenants_sequence(empty_app):
    upgrade(revision="0002")
    seed_before_0003()
    upgrade()
    numbers = db.session.execute(
        sa.text("SELECT tenant_id, number FROM certificates ORDER BY id")
    ).all()
    assert [tuple(row) for row in numbers] == [
        (1, "CERT-2026-00001"),
        (2, "CERT-2026-00002"),
        (1, "CERT-2026-00003"),
    ]
    counters = db.session.execute(
        sa.text("SELECT tenant_id, year, last_number FROM certificate_counters ORDER BY tenant_id")
    ).all()
    assert [tuple(row) for row in counters] == [(1, 2026, 3), (2, 2026, 2)]
    names = db.session.execute(
        sa.text("SELECT id, name FROM certification_paths ORDER BY id")
    ).all()
    assert [tuple(row) for row in names] == [
        (1, "Forklift"),
        (2, "Forklift (forklift-2)"),
        (3, "Forklift"),  # another tenant may use the name
    ]
    from webapp.services import certificates

    db.session.execute(sa.text("DELETE FROM certificate_counters WHERE tenant_id = 2"))
    assert certificates.next_serial(1, 2026) == 4
    assert certificates.next_serial(2, 2026) == 1
    db.session.rollback()


def test_downgrade_and_upgrade_again(empty_app):
    upgrade()
    downgrade(revision="0002")
    upgrade()
    columns = {c["name"] for c in sa.inspect(db.engine).get_columns("certificate_counters")}
    assert columns == {"tenant_id", "year", "last_number"}


def test_0004_adds_an_empty_html_part_to_existing_emails_and_downgrades(empty_app):
    upgrade(revision="0003")
    now = "2026-06-15 10:00:00+00:00"
    insert("tenants", id=1, name="Acme", slug="acme", holder_name_display="full", created_at=now)
    insert(
        "outbox_emails",
        id=1,
        tenant_id=1,
        to_address="a@acme.test",
        subject="Before",
        body="Text only.",
        status="sent",
        attempts=1,
        created_at=now,
    )
    db.session.commit()
    upgrade()
    row = db.session.execute(sa.text("SELECT body, html_body FROM outbox_emails")).one()
    assert tuple(row) == ("Text only.", None)
    db.session.rollback()
    downgrade(revision="0003")
    columns = {c["name"] for c in sa.inspect(db.engine).get_columns("outbox_emails")}
    assert "html_body" not in columns and "body" in columns
    assert db.session.execute(sa.text("SELECT subject FROM outbox_emails")).scalar() == "Before"
    db.session.rollback()


def test_requirement_settings_keep_their_values_through_the_column_rename(empty_app):
    upgrade(revision="0002")
    seed_before_0003()
    upgrade(revision="0003")
    insert(
        "path_requirements",
        id=1,
        tenant_id=1,
        path_id=1,
        kind="evidence",
        title="Report",
        sort_order=1,
        is_mandatory=True,
        metadata='{"required_approvals": 2}',
        created_at="2026-06-15 10:00:00+00:00",
    )
    db.session.commit()
    upgrade(revision="0005")
    value = db.session.execute(sa.text("SELECT settings FROM path_requirements")).scalar_one()
    assert (json.loads(value) if isinstance(value, str) else value) == {"required_approvals": 2}
    db.session.commit()
    downgrade(revision="0003")
    columns = {c["name"] for c in sa.inspect(db.engine).get_columns("path_requirements")}
    assert "metadata" in columns and "settings" not in columns


def test_0007_renames_clashing_top_level_units_then_makes_the_names_unique(empty_app):
    upgrade(revision="0006")
    now = "2026-06-15 10:00:00+00:00"
    insert("tenants", id=1, name="Acme", slug="acme", holder_name_display="full", created_at=now)
    for unit_id in (1, 2, 3):
        insert("org_units", id=unit_id, tenant_id=1, name="North", created_at=now)
    insert("org_units", id=4, tenant_id=1, parent_id=1, name="North", created_at=now)
    db.session.commit()
    upgrade(revision="0007")
    names = db.session.execute(sa.text("SELECT id, name FROM org_units ORDER BY id")).all()
    assert [tuple(row) for row in names] == [
        (1, "North"),
        (2, "North (2)"),
        (3, "North (3)"),
        (4, "North"),  # inside another unit: not top-level, untouched
    ]
    db.session.commit()
    with pytest.raises(sa.exc.IntegrityError):
        insert("org_units", id=5, tenant_id=1, name="North", created_at=now)
        db.session.flush()
    db.session.rollback()
