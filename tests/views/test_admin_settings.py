"""Organisation settings: the tenant's name, logo, signatory, certificate number prefix, holder
names, default renewal window, grace-period limit and reply-to address."""

import io

import pytest
import sqlalchemy as sa

from tests.factories import TenantFactory, UserFactory, issued_certificate
from tests.platform_support import image_bytes
from webapp.extensions import db
from webapp.models import AuditEvent, HolderNameDisplay, Role
from webapp.services import organisation
from webapp.storage import get_storage


@pytest.fixture
def tenant(app):
    return TenantFactory(name="Acme Safety")


@pytest.fixture
def admin(tenant):
    return UserFactory(tenant=tenant, role=Role.ADMIN)


def test_an_admin_sets_the_prefix_and_new_numbers_use_it(client, login, tenant, admin):
    before = issued_certificate(tenant)
    login(admin)
    page = client.get("/certs/admin/settings").get_data(as_text=True)
    assert "e.g. CERT-2026-00001" in page
    response = client.post(
        "/certs/admin/settings",
        data={"certificate_prefix": " acme ", "holder_name_display": "initials"},
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert tenant.certificate_prefix == "ACME"
    assert tenant.holder_name_display is HolderNameDisplay.INITIALS
    assert issued_certificate(tenant).number == "ACME-2026-00002"  # the tenant's own sequence
    assert before.number == "CERT-2026-00001"  # issued numbers stay
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "tenant.settings_updated")
    )
    assert event.tenant_id == tenant.id
    assert event.data["changes"] == {
        "certificate_prefix": {"before": None, "after": "ACME"},
        "holder_name_display": {"before": "full", "after": "initials"},
    }


@pytest.mark.parametrize("prefix", ["AC-ME", "ÄCME", "X" * 17, "<b>"])
def test_a_bad_prefix_is_refused_with_the_input_kept(client, login, tenant, admin, prefix):
    login(admin)
    response = client.post(
        "/certs/admin/settings",
        data={"certificate_prefix": prefix, "holder_name_display": "full"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'class="field-error"' in html
    assert "<b>" not in html.split('id="certificate_prefix"')[1][:200]  # escaped when kept
    db.session.expire_all()
    assert tenant.certificate_prefix is None


def test_an_empty_prefix_falls_back_to_the_installation_default(client, login, tenant, admin):
    tenant.certificate_prefix = "ACME"
    db.session.flush()
    login(admin)
    client.post(
        "/certs/admin/settings", data={"certificate_prefix": "", "holder_name_display": "full"}
    )
    db.session.expire_all()
    assert tenant.certificate_prefix is None
    assert issued_certificate(tenant).number == "CERT-2026-00001"


def test_settings_are_for_admins_only(client, login, tenant):
    login(UserFactory(tenant=tenant, role=Role.MENTOR))
    assert client.get("/certs/admin/settings").status_code == 403
    assert client.post("/certs/admin/settings", data={"certificate_prefix": "X"}).status_code == 403


# --- Name, signatory, renewal window, grace-period limit, reply-to ------------------------------

FULL_FORM = {
    "name": "Acme Safety Ltd",
    "certificate_prefix": "",
    "holder_name_display": "full",
    "signatory_name": "Dana Example",
    "signatory_title": "Head of Training",
    "renewal_window_days": "45",
    "grace_period_max_days": "60",
    "reply_to": "Training@Acme.Example",
}


def test_an_admin_saves_every_setting_and_the_change_is_audited(client, login, tenant, admin):
    login(admin)
    page = client.get("/certs/admin/settings").get_data(as_text=True)
    for label in ("Organisation name", "Signatory", "renewal window", "grace period", "Reply-to"):
        assert label in page
    assert client.post("/certs/admin/settings", data=FULL_FORM).status_code == 303
    db.session.expire_all()
    assert (tenant.name, tenant.signatory_name, tenant.signatory_title) == (
        "Acme Safety Ltd",
        "Dana Example",
        "Head of Training",
    )
    assert (tenant.renewal_window_days, tenant.grace_period_max_days) == (45, 60)
    assert tenant.reply_to == "Training@acme.example"  # the domain in lower case
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "tenant.settings_updated")
    )
    assert event.actor_id == admin.id
    assert event.data["changes"]["name"] == {"before": "Acme Safety", "after": "Acme Safety Ltd"}
    assert event.data["changes"]["grace_period_max_days"] == {"before": 30, "after": 60}
    assert event.data["changes"]["renewal_window_days"] == {"before": None, "after": 45}
    assert set(event.data["changes"]) == {
        "name",
        "signatory_name",
        "signatory_title",
        "renewal_window_days",
        "grace_period_max_days",
        "reply_to",
    }


def test_saving_unchanged_settings_writes_no_audit_event(client, login, tenant, admin):
    login(admin)
    data = {**FULL_FORM, "name": "Acme Safety", "signatory_name": "", "signatory_title": ""}
    data.update(renewal_window_days="", grace_period_max_days="30", reply_to="")
    assert client.post("/certs/admin/settings", data=data).status_code == 303
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Give your organisation"),
        ("grace_period_max_days", "366", "from 0 to 365"),
        ("grace_period_max_days", "-1", "from 0 to 365"),
        ("grace_period_max_days", "", "from 0 to 365"),
        ("grace_period_max_days", "ten", "Not a valid integer"),
        ("renewal_window_days", "400", "from 0 to 365"),
        ("reply_to", "not an address <x@y>", "not a valid e-mail address"),
        ("reply_to", "a@b.example\r\nBcc: c@d.example", "not a valid e-mail address"),
        ("signatory_title", "x" * 121, "longer than 120"),
    ],
)
def test_bad_settings_are_refused_and_the_input_is_kept(
    client, login, tenant, admin, field, value, message
):
    login(admin)
    response = client.post("/certs/admin/settings", data={**FULL_FORM, field: value})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert 'value="Dana Example"' in html  # the other fields keep what was typed
    db.session.expire_all()
    assert tenant.name == "Acme Safety" and tenant.signatory_name is None


def test_the_reply_to_address_is_escaped_when_kept(client, login, admin):
    login(admin)
    html = client.post(
        "/certs/admin/settings", data={**FULL_FORM, "reply_to": '"><script>x</script>'}
    ).get_data(as_text=True)
    assert "<script>x</script>" not in html


def renewal_window_shown(client) -> str:
    page = client.get("/certs/admin/programs/new").get_data(as_text=True)
    field = page.split('id="renewal_window_days"')[1].split(">")[0]
    return field.split('value="')[1].split('"')[0]


def test_new_programmes_start_with_the_organisations_renewal_window(
    client, login, app, tenant, admin
):
    login(admin)
    app.config["RENEWAL_WINDOW_DAYS"] = 21  # the installation's default while the tenant has none
    assert renewal_window_shown(client) == "21"
    tenant.renewal_window_days = 75
    db.session.flush()
    assert renewal_window_shown(client) == "75"


# --- The logo -----------------------------------------------------------------------------------


def stored_logos() -> set:
    return set((get_storage().root / "logos").rglob("*.*"))


def upload(client, data: bytes, name: str = "logo.png"):
    return client.post(
        "/certs/admin/settings/logo",
        data={"logo": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_an_admin_adds_a_logo_that_the_tenants_people_see_in_the_header(
    client, login, tenant, admin
):
    login(admin)
    logo = image_bytes("PNG")
    assert upload(client, logo).status_code == 303
    db.session.expire_all()
    key = tenant.logo_key
    assert key.startswith("logos/") and key.endswith(".png")
    assert get_storage().read(key) == logo
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "tenant.logo_changed")
    )
    assert event.data["changes"] == {"logo_key": {"before": None, "after": key}}

    client.post("/auth/logout")
    login(UserFactory(tenant=tenant))
    page = client.get("/certs").get_data(as_text=True)
    src = f"/certs/logo?v={key[-12:]}"
    assert f'class="brand-logo" src="{src}" alt="Acme Safety"' in page
    with client.get(src) as served:
        assert served.status_code == 200 and served.data == logo
        assert served.headers["Content-Type"] == "image/png"
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        assert "private" in served.headers["Cache-Control"]


def test_another_tenants_people_never_see_the_logo(client, login, tenant, admin):
    tenant.logo_key = "logos/ab/" + "ab" * 16 + ".png"
    get_storage().save(tenant.logo_key, image_bytes())
    db.session.flush()
    login(UserFactory(tenant=TenantFactory()))
    assert "brand-logo" not in client.get("/certs").get_data(as_text=True)
    assert client.get("/certs/logo").status_code == 404


def test_a_jpeg_logo_is_accepted(client, login, tenant, admin):
    login(admin)
    assert upload(client, image_bytes("JPEG"), "logo.jpeg").status_code == 303
    db.session.expire_all()
    assert tenant.logo_key.endswith(".jpg")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (image_bytes("GIF"), "Upload a PNG or JPEG image."),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "PNG or JPEG"),
        (b"%PDF-1.4 not an image", "PNG or JPEG"),
        (b"\x89PNG\r\n\x1a\n" + b"broken" * 10, "cannot be read"),
        (image_bytes("PNG", size=(4001, 10)), "at most 4000 pixels"),
        (b"", "Choose an image file."),
    ],
)
def test_a_bad_logo_is_refused_and_nothing_is_stored(client, login, tenant, admin, data, message):
    login(admin)
    stored = stored_logos()
    response = upload(client, data, "logo.png")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert tenant.logo_key is None
    assert stored_logos() == stored


def test_a_logo_over_the_size_limit_is_refused(client, login, tenant, admin, monkeypatch):
    # A smaller limit than the real 512 KB: the test client spools larger bodies to files.
    monkeypatch.setattr(organisation, "LOGO_MAX_BYTES", 2048)
    login(admin)
    response = upload(client, image_bytes() + b"0" * 2048)
    assert response.status_code == 422
    assert "The image is larger than 2 KB." in response.get_data(as_text=True)


def test_removing_the_logo_asks_first_and_is_audited(client, login, tenant, admin):
    login(admin)
    upload(client, image_bytes())
    db.session.expire_all()
    key = tenant.logo_key
    page = client.get("/certs/admin/settings").get_data(as_text=True)
    assert "Remove logo" in page
    confirm = client.get("/certs/admin/settings/logo/remove")
    assert confirm.status_code == 200 and "Remove the logo" in confirm.get_data(as_text=True)
    assert client.post("/certs/admin/settings/logo/remove").status_code == 303
    db.session.expire_all()
    assert tenant.logo_key is None
    assert get_storage().exists(key)  # kept for the certificates issued with it
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "tenant.logo_removed")
    )
    assert event.data["changes"] == {"logo_key": {"before": key, "after": None}}
    assert "brand-logo" not in client.get("/certs").get_data(as_text=True)
    # Once more: nothing to remove, said so, nothing written.
    again = client.post("/certs/admin/settings/logo/remove", follow_redirects=True)
    assert "There is no logo to remove." in again.get_data(as_text=True)


def test_the_logo_pages_are_for_admins_only(client, login, tenant):
    login(UserFactory(tenant=tenant, role=Role.MENTOR))
    assert upload(client, image_bytes()).status_code == 403
    assert client.post("/certs/admin/settings/logo/remove").status_code == 403
