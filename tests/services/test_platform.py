"""Installation operators and tenants, without views: creating operators and tenants (with
the first admin's invitation), one e-mail address per account across the installation,
suspension and reactivation, and the console's counts."""

import pytest
import sqlalchemy as sa

from tests.factories import (
    PlatformOperatorFactory,
    TenantFactory,
    UserFactory,
    issued_certificate,
    published_path,
)
from webapp.errors import InvalidTransition, ValidationFailed
from webapp.extensions import db
from webapp.models import AuditEvent, OutboxEmail, Role, TenantStatus, User
from webapp.services import account_links, platform
from webapp.services.account_links import LinkPurpose

PASSWORD = "a long enough password"


def tenant_data(**changes):
    return {"name": "Acme Safety", "admin_email": "dana@acme.example", **changes}


def test_an_operator_is_created_with_a_hashed_password(app):
    operator = platform.create_operator(" Ops@Installation.Example ", " Olu Operator ", PASSWORD)
    assert (operator.email, operator.full_name) == ("Ops@installation.example", "Olu Operator")
    assert operator.password_hash != PASSWORD and operator.check_password(PASSWORD)
    assert operator.get_id() == f"op:{operator.id}:{operator.session_token}"


@pytest.mark.parametrize(
    ("email", "name", "password", "fields"),
    [
        ("not-an-address", "Olu", PASSWORD, ["email"]),
        ("ops@installation.example", "", PASSWORD, ["full_name"]),
        ("ops@installation.example", "Olu", "short", ["password"]),
        ("", "", "", ["email", "full_name", "password"]),
    ],
)
def test_a_bad_operator_is_refused(app, email, name, password, fields):
    with pytest.raises(ValidationFailed) as error:
        platform.create_operator(email, name, password)
    assert sorted(error.value.problems) == sorted(fields)


def test_an_address_names_one_account_across_users_and_operators(app):
    UserFactory(email="taken@acme.example")
    PlatformOperatorFactory(email="ops@installation.example")
    with pytest.raises(ValidationFailed) as error:
        platform.create_operator("TAKEN@acme.example", "Olu", PASSWORD)
    assert error.value.problems["email"] == ["Another account already uses this e-mail address."]
    with pytest.raises(ValidationFailed) as error:
        platform.create_tenant(tenant_data(admin_email="ops@Installation.example"), None)
    assert list(error.value.problems) == ["admin_email"]
    with pytest.raises(ValidationFailed):
        platform.create_operator("ops@installation.example", "Olu", PASSWORD)


def test_a_tenant_is_created_with_its_first_admin_invited(app):
    operator = PlatformOperatorFactory()
    created = platform.create_tenant(tenant_data(admin_name="Dana Example"), operator)
    tenant, admin = created.tenant, created.admin
    assert (tenant.name, tenant.slug, tenant.status) == (
        "Acme Safety",
        "acme-safety",
        TenantStatus.ACTIVE,
    )
    assert (admin.tenant_id, admin.email, admin.full_name, admin.role) == (
        tenant.id,
        "dana@acme.example",
        "Dana Example",
        Role.ADMIN,
    )
    assert not admin.has_password and admin.invited_at is not None
    email = db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.user_id == admin.id))
    assert email.tenant_id == tenant.id and "invited to Acme Safety" in email.subject
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.tenant_id == tenant.id).order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.actor_id, e.subject_user_id) for e in events] == [
        ("tenant.created", None, admin.id),
        ("user.invited", None, admin.id),
    ]
    assert events[0].data == {
        "operator": {"id": operator.id, "email": operator.email},
        "via": "platform console",
    }


def test_the_invitation_link_printed_for_the_command_line_works_like_the_e_mailed_one(app):
    created = platform.create_tenant(tenant_data(), None)
    link = platform.invitation_link(created.admin)
    token = link.rsplit("/", 1)[1]
    assert account_links.read_token(token, LinkPurpose.INVITE) == created.admin
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "tenant.created"))
    assert event.data == {"operator": None, "via": "command line"}
    assert created.admin.full_name == "dana"  # the address's local part when no name is given


def test_slugs_are_made_from_the_name_and_kept_unique(app):
    TenantFactory(slug="acme-safety")
    TenantFactory(slug="acme-safety-2")
    created = platform.create_tenant(tenant_data(name="Acme  Safety!"), None)
    assert created.tenant.slug == "acme-safety-3"
    assert platform.slug_from("Café Zürich & Co") == "cafe-zurich-co"
    assert platform.slug_from("!!!") == "tenant"
    assert len(platform.slug_from("x" * 200)) == platform.SLUG_MAX


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"name": ""}, ["name"]),
        ({"slug": "Not A Slug"}, ["slug"]),
        ({"slug": "taken"}, ["slug"]),
        ({"admin_email": "nope"}, ["admin_email"]),
        ({"admin_name": "x" * 121}, ["admin_name"]),
    ],
)
def test_a_bad_tenant_is_refused_and_nothing_is_written(app, changes, fields):
    TenantFactory(slug="taken")
    before = db.session.scalar(sa.select(sa.func.count(User.id)))
    with pytest.raises(ValidationFailed) as error:
        platform.create_tenant(tenant_data(**changes), None)
    assert list(error.value.problems) == fields
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == before


def test_suspension_ends_sessions_and_reactivation_does_not_bring_them_back(app):
    tenant = TenantFactory()
    users = [UserFactory(tenant=tenant) for _ in range(3)]
    other = UserFactory()
    tokens = {u.id: u.session_token for u in [*users, other]}
    platform.suspend_tenant(tenant, None)
    assert tenant.status is TenantStatus.SUSPENDED
    with pytest.raises(InvalidTransition):
        platform.suspend_tenant(tenant, None)
    db.session.expire_all()
    assert all(db.session.get(User, u.id).session_token != tokens[u.id] for u in users)
    assert db.session.get(User, other.id).session_token == tokens[other.id]
    platform.reactivate_tenant(tenant, None)
    assert tenant.status is TenantStatus.ACTIVE
    with pytest.raises(InvalidTransition):
        platform.reactivate_tenant(tenant, None)
    actions = db.session.scalars(
        sa.select(AuditEvent.action)
        .where(AuditEvent.tenant_id == tenant.id)
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["tenant.suspended", "tenant.reactivated"]


def test_the_console_counts_each_tenants_rows_in_a_constant_number_of_queries(app, count_queries):
    acme, globex = TenantFactory(name="Acme"), TenantFactory(name="globex")
    TenantFactory(name="Empty")
    for _ in range(2):
        issued_certificate(acme)  # a learner and a programme each
    published_path(globex)
    UserFactory(tenant=globex)
    page = platform.tenant_figures(1, 10)
    figures = {row.tenant.name: (row.users, row.programmes, row.certificates) for row in page.items}
    assert figures == {"Acme": (2, 2, 2), "Empty": (0, 0, 0), "globex": (1, 1, 0)}
    assert [row.tenant.name for row in page.items] == ["Acme", "Empty", "globex"]

    def queries(count: int) -> int:
        for _ in range(count):
            issued_certificate(TenantFactory())
        db.session.expire_all()
        with count_queries() as counter:
            platform.tenant_figures(1, 50)
        return counter.count

    assert queries(1) == queries(6) == 2
    second = platform.tenant_figures(2, 2)
    assert (second.page, second.total, len(second.items)) == (2, 10, 2)
    assert platform.tenant_figures(99, 2).page == 5  # past the end: the last page
