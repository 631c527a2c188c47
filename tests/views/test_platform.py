"""The platform console and operator logins: operators land on /platform/ and never see a
tenant's pages, tenant users never see the console, a tenant is created with its invited
admin, and a suspended tenant's people are logged out at once while its certificates still
verify."""

import pytest
import sqlalchemy as sa

from tests.factories import (
    PlatformOperatorFactory,
    TenantFactory,
    UserFactory,
    issued_certificate,
)
from tests.views.test_csrf import _token_any
from webapp.extensions import db
from webapp.models import AuditEvent, OutboxEmail, Role, Tenant, TenantStatus, User
from webapp.services import platform


@pytest.fixture
def operator(app):
    return PlatformOperatorFactory(full_name="Olu Operator")


@pytest.fixture
def tenant(app):
    return TenantFactory(name="Acme Safety")


def test_an_operator_logs_in_as_usual_and_lands_on_the_console(client, login, operator, tenant):
    response = client.post(
        "/auth/login?next=/certs/admin/",
        data={"email": operator.email.upper(), "password": "correct horse battery staple"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/platform/"
    db.session.expire_all()
    assert operator.last_login_at is not None
    page = client.get("/platform/").get_data(as_text=True)
    assert "Olu Operator" in page and "installation operator" in page and "Acme Safety" in page
    assert client.get("/auth/login").headers["Location"] == "/platform/"
    assert client.get("/").headers["Location"] == "/platform/"
    assert client.get("/auth/login?next=/platform/tenants/new").headers["Location"] == (
        "/platform/tenants/new"
    )


def test_an_inactive_operator_cannot_log_in(client, app):
    operator = PlatformOperatorFactory(active=False)
    response = client.post(
        "/auth/login", data={"email": operator.email, "password": "correct horse battery staple"}
    )
    assert response.status_code == 422
    assert "do not match an active account" in response.get_data(as_text=True)


def test_an_operators_logout_ends_the_session_server_side(client, login, operator):
    login(operator)
    old_cookie = client.get_cookie("session")
    assert client.post("/auth/logout").status_code == 303
    assert client.get("/platform/").status_code == 302
    client.set_cookie("session", old_cookie.value)  # the old cookie does not come back
    assert client.get("/platform/").status_code == 302


def test_deactivating_an_operator_ends_their_session(client, login, operator):
    login(operator)
    operator.active = False
    db.session.flush()
    assert client.get("/platform/").status_code == 302


def test_a_user_id_and_an_operator_id_never_mix(client, login, operator):
    user = UserFactory(id=operator.id)  # the same number, another kind of account
    login(operator)
    assert client.get("/platform/").status_code == 200
    assert client.get("/certs").status_code == 403
    client.post("/auth/logout")
    login(user)
    assert client.get("/certs").status_code == 200
    assert client.get("/platform/").status_code == 403


def test_the_console_lists_tenants_with_counts_only(client, login, operator, tenant, count_queries):
    certificate = issued_certificate(tenant, name="Secret Programme")
    login(operator)
    html = client.get("/platform/").get_data(as_text=True)
    row = html.split("Acme Safety</th>")[1].split("</tr>")[0]
    assert [cell.split("</td>")[0] for cell in row.split("<td>")[3:6]] == ["1", "1", "1"]
    for secret in ("Secret Programme", certificate.user.email, certificate.number):
        assert secret not in html

    def queries(tenants: int) -> int:
        for _ in range(tenants):
            UserFactory(tenant=TenantFactory())
        with count_queries() as counter:
            assert client.get("/platform/").status_code == 200
        return counter.count

    assert queries(1) == queries(8)


def test_an_operator_creates_a_tenant_and_its_admin_is_invited(client, login, operator):
    login(operator)
    assert "Create tenant and invite its admin" in client.get("/platform/tenants/new").get_data(
        as_text=True
    )
    response = client.post(
        "/platform/tenants/new",
        data={"name": "Internal Staff", "admin_email": "lead@ops.example", "admin_name": "Lea"},
    )
    assert response.status_code == 303 and response.headers["Location"] == "/platform/"
    page = client.get("/platform/").get_data(as_text=True)
    assert (
        "Internal Staff created. An invitation to set a password was sent to lead@ops.example."
        in page
    )
    tenant = db.session.scalar(sa.select(Tenant).where(Tenant.slug == "internal-staff"))
    admin = db.session.scalar(sa.select(User).where(User.email == "lead@ops.example"))
    assert admin.tenant_id == tenant.id and admin.role is Role.ADMIN and not admin.has_password
    assert db.session.scalar(sa.select(OutboxEmail.id).where(OutboxEmail.user_id == admin.id))
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "tenant.created"))
    assert event.actor_id is None and event.data["operator"]["id"] == operator.id


def test_a_refused_tenant_keeps_the_input(client, login, operator, tenant):
    UserFactory(email="taken@acme.example")
    login(operator)
    tenants = db.session.scalar(sa.select(sa.func.count(Tenant.id)))
    response = client.post(
        "/platform/tenants/new",
        data={"name": "<b>Globex</b>", "slug": "Bad Slug", "admin_email": "taken@acme.example"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Another account already uses this e-mail address." in html
    assert "lowercase letters" in html
    assert 'value="&lt;b&gt;Globex&lt;/b&gt;"' in html and 'value="taken@acme.example"' in html
    assert db.session.scalar(sa.select(sa.func.count(Tenant.id))) == tenants


def test_suspending_asks_first_then_logs_the_tenants_people_out_at_once(
    client, login, app, operator, tenant
):
    learner = UserFactory(tenant=tenant)
    certificate = issued_certificate(tenant, user=learner)
    learner_client = app.test_client()  # the learner is logged in meanwhile
    learner_client.post(
        "/auth/login", data={"email": learner.email, "password": "correct horse battery staple"}
    )
    assert learner_client.get("/certs").status_code == 200
    login(operator)
    confirm = client.get(f"/platform/tenants/{tenant.id}/suspend")
    assert "Suspend Acme Safety?" in confirm.get_data(as_text=True)
    assert client.post(f"/platform/tenants/{tenant.id}/suspend").status_code == 303
    db.session.expire_all()
    assert tenant.status is TenantStatus.SUSPENDED
    assert learner_client.get("/certs").status_code == 302  # logged out at once

    client.post("/auth/logout")
    refused = client.post(
        "/auth/login", data={"email": learner.email, "password": "correct horse battery staple"}
    )
    assert refused.status_code == 422
    assert "suspended" in refused.get_data(as_text=True)
    wrong = client.post("/auth/login", data={"email": learner.email, "password": "wrong"})
    assert "suspended" not in wrong.get_data(as_text=True)  # only after the right password

    # Verification keeps working, for people and machines.
    verify = client.get(f"/certs/verify/{certificate.public_token}")
    assert verify.status_code == 200 and certificate.number in verify.get_data(as_text=True)
    assert client.get(f"/certs/verify/{certificate.public_token}.json").get_json()["status"] == (
        "valid"
    )
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "tenant.suspended"))
    assert event.tenant_id == tenant.id and event.data["operator"]["email"] == operator.email


def test_reactivating_lets_the_people_log_in_again(client, login, operator, tenant):
    learner = UserFactory(tenant=tenant)
    platform.suspend_tenant(tenant, None)
    login(operator)
    assert "Reactivate" in client.get("/platform/").get_data(as_text=True)
    confirm = client.get(f"/platform/tenants/{tenant.id}/reactivate")
    assert "Reactivate Acme Safety?" in confirm.get_data(as_text=True)
    assert client.post(f"/platform/tenants/{tenant.id}/reactivate").status_code == 303
    client.post("/auth/logout")
    login(learner)
    assert client.get("/certs").status_code == 200


def test_suspending_twice_says_so_and_changes_nothing(client, login, operator, tenant):
    platform.suspend_tenant(tenant, None)
    login(operator)
    page = client.get(f"/platform/tenants/{tenant.id}/suspend").get_data(as_text=True)
    assert "is suspended already" in page
    response = client.post(f"/platform/tenants/{tenant.id}/suspend", follow_redirects=True)
    assert "Acme Safety is suspended already." in response.get_data(as_text=True)
    assert (
        db.session.scalar(
            sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "tenant.suspended")
        )
        == 1
    )


def test_an_unknown_tenant_answers_404(client, login, operator):
    login(operator)
    assert client.get("/platform/tenants/999999/suspend").status_code == 404
    assert client.post("/platform/tenants/999999/reactivate").status_code == 404


def test_console_changes_need_the_csrf_token(client, app, operator, tenant, csrf_on):
    token = _token_any(client.get("/auth/login").get_data(as_text=True))
    client.post(
        "/auth/login",
        data={
            "email": operator.email,
            "password": "correct horse battery staple",
            "csrf_token": token,
        },
    )
    assert client.post(f"/platform/tenants/{tenant.id}/suspend").status_code == 400
    refused = client.post("/platform/tenants/new", data={"name": "X", "admin_email": "x@y.example"})
    assert refused.status_code == 400
    db.session.expire_all()
    assert tenant.status is TenantStatus.ACTIVE
    assert db.session.scalar(sa.select(sa.func.count(Tenant.id))) == 1
