"""People CSV files: reading them as spreadsheets write them, the preview (writes nothing),
the import (idempotent, matched by e-mail)."""

from __future__ import annotations

import codecs

import pytest
import sqlalchemy as sa

from tests.factories import TenantFactory, UserFactory, invited_person, unit_at
from webapp.errors import ValidationFailed
from webapp.extensions import db
from webapp.models import AuditEvent, OrgUnit, OutboxEmail, Role, User
from webapp.services import people
from webapp.services.people import csvfile, importing

HEADER = "email,name,role,org unit,external id\n"


@pytest.fixture
def tenant(app):
    return TenantFactory(name="Acme")


@pytest.fixture
def admin(tenant):
    return UserFactory(tenant=tenant, role=Role.ADMIN, email="ada@example.test")


def file_problem(call) -> str:
    with pytest.raises(ValidationFailed) as caught:
        call()
    return caught.value.problems["file"][0]


def rows(plan) -> list[tuple]:
    return [(r.line, r.status, r.email) for r in plan.rows]


def counts(*models) -> list[int]:
    return [db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in models]


# --- Reading files -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"email,name\nDana@Example.test,Dana Example\n",
        codecs.BOM_UTF8 + b"email,name\r\ndana@example.test,Dana Example\r\n",
        b"E-Mail ; Full Name \ndana@example.test;Dana Example\n",
        b'"EMAIL"\t"Name"\n"dana@example.test"\t"Dana Example"\n',
    ],
    ids=["plain", "bom-crlf", "semicolon-spaced-header", "tab-quoted"],
)
def test_files_are_read_as_spreadsheets_write_them(raw):
    table = csvfile.read_table(csvfile.decode_upload(raw))
    assert table.columns == ("email", "full_name")
    assert [(r.line, r.cells["email"].lower(), r.cells["full_name"]) for r in table.records] == [
        (2, "dana@example.test", "Dana Example")
    ]


def test_the_separator_is_told_by_the_header_not_by_the_data():
    text = 'email;name;org unit\ndana@example.test;"Example, Dana";Operations/North\n'
    table = csvfile.read_table(text)
    assert (table.delimiter_name, table.records[0].cells["full_name"]) == (
        "semicolon",
        "Example, Dana",
    )


def test_lines_are_numbered_as_in_the_file():
    text = HEADER + '\n a@example.test ,A\n,,,,\n"b@example.test",B\n'
    table = csvfile.read_table(text)
    assert [(r.line, r.cells["email"]) for r in table.records] == [
        (3, "a@example.test"),
        (5, "b@example.test"),
    ]


def test_record_problems_are_reported_on_their_line():
    text = 'email,name\na@example.test,"A\nb@example.test,B\n'
    (record,) = csvfile.read_table(text).records
    assert "from line 2 to line 3" in record.problems[0]
    (extra,) = csvfile.read_table("email,name\na@example.test,Lopez, Ana\n").records
    assert "3 values but the header names 2 columns" in extra.problems[0]
    (short,) = csvfile.read_table("email,name,role\na@example.test,A\n").records
    assert short.problems == () and short.cells["role"] == ""


def test_unknown_columns_are_named_and_ignored():
    table = csvfile.read_table("email,name,phone\na@example.test,A,123\n")
    assert table.ignored == ("phone",)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "empty"),
        (b"\n\n", "empty"),
        (b"name,role\nA,learner\n", "email is missing"),
        (b"mail,phone\n", "name is missing"),
        (b"email,name,E-mail\n", "twice"),
        ("email,name\nä,Jos\xe9\n".encode("latin-1"), "Line 2 is not UTF-8"),
        (codecs.BOM_UTF16_LE + "email".encode("utf-16-le"), "UTF-16"),
        (b"x" * (csvfile.MAX_IMPORT_BYTES + 1), "larger than"),
    ],
    ids=["empty", "blank", "no-email", "no-name", "repeated", "latin-1", "utf-16", "too-big"],
)
def test_unreadable_files_are_refused_with_a_clear_message(raw, message):
    assert message in file_problem(lambda: csvfile.read_table(csvfile.decode_upload(raw)))


def test_the_row_limit(monkeypatch):
    monkeypatch.setattr(csvfile, "MAX_IMPORT_ROWS", 3)
    text = "email,name\n" + "".join(f"p{i}@example.test,P{i}\n" for i in range(4))
    assert "more than 3 people" in file_problem(lambda: csvfile.read_table(text))


# --- The preview ---------------------------------------------------------------------------


def test_the_preview_says_per_line_what_would_happen_and_writes_nothing(
    tenant, admin, count_queries
):
    unit_at(tenant, "Operations/North")
    UserFactory(tenant=tenant, email="lee@example.test", full_name="Lee Old", role=Role.LEARNER)
    UserFactory(tenant=tenant, email="same@example.test", full_name="Same Person")
    UserFactory(email="other@example.test")  # another tenant's account
    text = HEADER + (
        "new@example.test,New Person,mentor,Operations/North,E1\n"
        "LEE@example.test,Lee New,admin,operations / north,\n"
        "same@example.test,Same Person,,,\n"
        "other@example.test,Other,,,\n"
        "new@example.test,Again,,,\n"
        "bad-address,Bad,boss,Nowhere,\n"
    )
    before = counts(User, AuditEvent, OrgUnit, OutboxEmail)
    plan = people.plan_import(tenant, admin, text, invite=True)
    assert counts(User, AuditEvent, OrgUnit, OutboxEmail) == before
    assert rows(plan) == [
        (2, "create", "new@example.test"),
        (3, "update", "lee@example.test"),
        (4, "unchanged", "same@example.test"),
        (5, "error", "other@example.test"),
        (6, "error", "new@example.test"),
        (7, "error", "bad-address"),
    ]
    lee = plan.rows[1]
    assert lee.changes == {
        "full_name": {"before": "Lee Old", "after": "Lee New"},
        "role": {"before": "learner", "after": "admin"},
        "org_unit_id": {"before": None, "after": "operations/north"},
    }
    assert plan.rows[3].errors == ["Another account already uses this e-mail address."]
    assert plan.rows[4].errors == ["The same e-mail address as line 2."]
    bad = " ".join(plan.rows[5].errors)
    assert "E-mail:" in bad and "Unknown role “boss”" in bad and "no org unit “Nowhere”" in bad
    assert plan.counts == {"create": 1, "update": 1, "unchanged": 1, "error": 3}
    assert (plan.to_apply, plan.invitations) == (2, 1)


def test_missing_units_are_created_only_when_asked(tenant, admin):
    unit_at(tenant, "Operations")
    text = HEADER + "a@example.test,A,,Operations/North/Depot,\nb@example.test,B,,sales,\n"
    refused = people.plan_import(tenant, admin, text)
    assert [r.status for r in refused.rows] == ["error", "error"]
    plan = people.plan_import(tenant, admin, text, create_units=True)
    assert [r.status for r in plan.rows] == ["create", "create"]
    assert plan.units_to_create == ["sales", "Operations/North", "Operations/North/Depot"]
    assert "Creates the org unit Operations/North/Depot." in plan.rows[0].notes
    assert counts(OrgUnit) == [1]


def test_external_ids_stay_unique(tenant, admin):
    UserFactory(tenant=tenant, external_id="E1", email="holder@example.test")
    UserFactory(external_id="E2")  # another tenant may use the same ids
    text = HEADER + (
        "a@example.test,A,,,E1\nholder@example.test,Holder,,,E1\n"
        "b@example.test,B,,,E2\nc@example.test,C,,,E2\n"
    )
    plan = people.plan_import(tenant, admin, text)
    assert [r.status for r in plan.rows] == ["error", "update", "create", "error"]
    assert "external id" in plan.rows[0].errors[0]
    assert plan.rows[3].errors == ["The same external id as line 4."]


def test_the_preview_keeps_an_admin(tenant, admin):
    other = UserFactory(tenant=tenant, role=Role.ADMIN, email="oda@example.test")
    own = people.plan_import(tenant, admin, HEADER + "ada@example.test,Ada,learner,,\n")
    assert "your own admin role" in own.rows[0].errors[0]
    fine = people.plan_import(tenant, admin, HEADER + "oda@example.test,Oda,learner,,\n")
    assert fine.rows[0].status == "update"
    everyone = HEADER + "ada@example.test,Ada,learner,,\noda@example.test,Oda,mentor,,\n"
    by_script = people.plan_import(tenant, None, everyone)
    assert [r.status for r in by_script.rows] == ["error", "error"]
    assert "no admin left" in by_script.rows[0].errors[0]
    handed_on = everyone + "new@example.test,New Admin,admin,,\n"
    assert [r.status for r in people.plan_import(tenant, None, handed_on).rows] == [
        "update",
        "update",
        "create",
    ]
    assert other.role is Role.ADMIN


# --- The import ----------------------------------------------------------------------------


def test_the_import_applies_the_plan_and_is_idempotent(tenant, admin):
    UserFactory(tenant=tenant, email="lee@example.test", full_name="Lee Old")
    text = HEADER + (
        "new@example.test,New Person,mentor,Operations/North,E1\n"
        "lee@example.test,Lee New,,,\n"
        "broken,Broken,,,\n"
    )
    result = people.apply_import(tenant, admin, text, create_units=True, invite=True)
    assert (result.created, result.updated, result.unchanged, result.skipped) == (1, 1, 0, 1)
    assert (result.invited, result.units_created) == (1, 2)
    new = db.session.scalar(sa.select(User).where(User.email == "new@example.test"))
    north = db.session.get(OrgUnit, new.org_unit_id)
    assert (new.role, new.external_id, north.name, north.parent.name) == (
        Role.MENTOR,
        "E1",
        "North",
        "Operations",
    )
    assert db.session.scalar(sa.select(OutboxEmail.to_address)) == "new@example.test"
    lee = db.session.scalar(sa.select(User).where(User.email == "lee@example.test"))
    assert lee.full_name == "Lee New"
    (event,) = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "users.imported")
    ).all()
    assert event.data["skipped_lines"] == [4] and event.data["created"] == 1
    before = counts(User, OrgUnit, OutboxEmail)
    again = people.plan_import(tenant, admin, text, create_units=True, invite=True)
    assert [r.status for r in again.rows] == ["unchanged", "unchanged", "error"]
    second = people.apply_import(tenant, admin, text, create_units=True, invite=True)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)
    assert counts(User, OrgUnit, OutboxEmail) == before


def test_empty_cells_keep_what_a_person_has(tenant, admin):
    unit = unit_at(tenant, "Sales")
    person = UserFactory(
        tenant=tenant,
        email="lee@example.test",
        full_name="Lee",
        role=Role.MENTOR,
        org_unit_id=unit.id,
        external_id="E5",
    )
    result = people.apply_import(tenant, admin, HEADER + "lee@example.test,Lee,,,\n")
    assert result.unchanged == 1
    assert (person.role, person.org_unit_id, person.external_id) == (Role.MENTOR, unit.id, "E5")


def test_a_file_handing_the_admin_role_on_applies_in_any_order(tenant, admin):
    text = HEADER + "ada@example.test,Ada,learner,,\nnew@example.test,New Admin,admin,,\n"
    result = people.apply_import(tenant, None, text)
    assert (result.created, result.updated) == (1, 1)
    assert admin.role is Role.LEARNER


def test_the_import_refuses_a_plan_that_changed_since_the_preview(tenant, admin):
    text = HEADER + "lee@example.test,Lee,,,\n"
    preview = people.plan_import(tenant, admin, text)
    UserFactory(tenant=tenant, email="lee@example.test", full_name="Lee")
    with pytest.raises(importing.PlanChanged) as caught:
        people.apply_import(tenant, admin, text, expected_digest=preview.digest)
    assert caught.value.plan.rows[0].status == "unchanged"
    assert counts(User) == [2]


def test_a_sealed_preview_opens_only_for_its_text_tenant_and_admin(tenant, admin):
    text = HEADER + "a@example.test,A,,,\n"
    plan = people.plan_import(tenant, admin, text, create_units=True)
    seal = people.seal_preview(plan, text, tenant, admin)
    assert people.open_preview(seal, text.replace("\n", "\r\n"), tenant, admin) == {
        "create_units": True,
        "invite": False,
        "expected_digest": plan.digest,
    }
    other_admin = UserFactory(tenant=tenant, role=Role.ADMIN)
    for args in (
        (seal, text + "b@example.test,B,,,\n", tenant, admin),
        (seal, text, TenantFactory(), admin),
        (seal, text, tenant, other_admin),
        ("forged", text, tenant, admin),
    ):
        with pytest.raises(importing.PreviewRefused):
            people.open_preview(*args)


def test_a_sealed_preview_expires(tenant, admin, clock):
    text = HEADER + "a@example.test,A,,,\n"
    seal = people.seal_preview(people.plan_import(tenant, admin, text), text, tenant, admin)
    clock.advance(minutes=59)
    assert people.open_preview(seal, text, tenant, admin)
    clock.advance(minutes=2)
    with pytest.raises(importing.PreviewRefused):
        people.open_preview(seal, text, tenant, admin)


def test_an_invited_person_in_the_file_is_not_invited_twice(tenant, admin):
    invited_person(tenant, email="pending@example.test", full_name="Pending")
    result = people.apply_import(
        tenant, admin, HEADER + "pending@example.test,Pending,,,\n", invite=True
    )
    assert (result.unchanged, result.invited) == (1, 0)


def test_moving_someone_into_a_unit_still_to_be_created_is_an_update(tenant, admin):
    person = UserFactory(tenant=tenant, email="lee@example.test", full_name="Lee")
    text = HEADER + "lee@example.test,Lee,,Depot,\n"
    plan = people.plan_import(tenant, admin, text, create_units=True)
    assert plan.rows[0].status == "update"
    assert plan.rows[0].changes == {"org_unit_id": {"before": None, "after": "Depot"}}
    people.apply_import(tenant, admin, text, create_units=True, expected_digest=plan.digest)
    assert person.org_unit.name == "Depot"


def test_the_import_is_one_event_of_the_admin_and_its_consequences_have_none(tenant, admin):
    text = HEADER + "new@example.test,New Person,,Depot,\n"
    people.apply_import(tenant, admin, text, create_units=True, invite=True)
    found = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.action, e.actor_id) for e in found] == [
        ("org_unit.created", None),
        ("user.created", None),
        ("users.imported", admin.id),
    ]
    created = found[1]
    assert created.summary.endswith("and invited by a CSV import by " + admin.full_name)
    assert created.data["invited"] is True and created.subject_user_id is not None


def test_an_operators_address_is_refused_like_any_other_account(app):
    from tests.factories import PlatformOperatorFactory
    from webapp.services import people

    PlatformOperatorFactory(email="olu@platform.example")
    assert people.rules.email_taken_problem("olu@platform.example") == (
        "Another account already uses this e-mail address."
    )
    assert people.rules.email_taken_problem("free@platform.example") is None
