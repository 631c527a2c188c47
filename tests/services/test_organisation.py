"""The organisation's settings without views: the rules of each field, the audit record of a
change, the logo checks, the default renewal window of new programmes and the Reply-To of
outgoing e-mail."""

import pytest
import sqlalchemy as sa

from tests.factories import TenantFactory, UserFactory
from tests.platform_support import image_bytes
from tests.services.test_emails import smtp  # noqa: F401  (fixture)
from webapp.errors import Conflict, ValidationFailed
from webapp.extensions import db
from webapp.models import AuditEvent, CertificationPath, Role
from webapp.services import certification_path_management as paths
from webapp.services import mail, organisation

VALID = {
    "name": "Acme",
    "certificate_prefix": "",
    "holder_name_display": "full",
    "signatory_name": "",
    "signatory_title": "",
    "renewal_window_days": None,
    "grace_period_max_days": 30,
    "reply_to": "",
}


def test_valid_settings_have_no_problems():
    assert organisation.settings_problems(VALID) == {}
    assert organisation.settings_problems({**VALID, "grace_period_max_days": 0}) == {}
    assert organisation.settings_problems({**VALID, "renewal_window_days": 365}) == {}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"certificate_prefix": "ac-me"}, "certificate_prefix"),
        ({"holder_name_display": "nickname"}, "holder_name_display"),
        ({"signatory_name": "x" * 121}, "signatory_name"),
        ({"renewal_window_days": -1}, "renewal_window_days"),
        ({"renewal_window_days": True}, "renewal_window_days"),
        ({"grace_period_max_days": None}, "grace_period_max_days"),
        ({"grace_period_max_days": 366}, "grace_period_max_days"),
        ({"reply_to": "no-at-sign"}, "reply_to"),
        ({"reply_to": "x@" + "a" * 250 + ".example"}, "reply_to"),
    ],
)
def test_each_bad_setting_is_reported_on_its_field(change, field):
    assert list(organisation.settings_problems({**VALID, **change})) == [field]


def test_a_change_is_audited_with_before_and_after_and_nothing_else_is(app):
    tenant = TenantFactory(name="Acme", reply_to="old@acme.example")
    admin = UserFactory(tenant=tenant, role=Role.ADMIN)
    changed = organisation.update_settings(
        tenant, admin, {**VALID, "reply_to": "new@acme.example", "grace_period_max_days": 7}
    )
    assert changed == ["grace_period_max_days", "reply_to"]
    [event] = db.session.scalars(sa.select(AuditEvent)).all()
    assert (event.action, event.object_type, event.object_id) == (
        "tenant.settings_updated",
        "tenant",
        tenant.id,
    )
    assert event.data == {
        "changes": {
            "grace_period_max_days": {"before": 30, "after": 7},
            "reply_to": {"before": "old@acme.example", "after": "new@acme.example"},
        }
    }


def test_refused_settings_change_nothing(app):
    tenant = TenantFactory(name="Acme")
    with pytest.raises(ValidationFailed) as error:
        organisation.update_settings(tenant, None, {**VALID, "name": "", "signatory_name": "X"})
    assert list(error.value.problems) == ["name"]
    assert (tenant.name, tenant.signatory_name) == ("Acme", None)


@pytest.mark.parametrize(
    ("data", "extension"),
    [(image_bytes("PNG"), "png"), (image_bytes("JPEG"), "jpg")],
)
def test_png_and_jpeg_logos_are_accepted_by_content(data, extension):
    assert organisation.logo_problem(data) == (extension, None)


def test_set_and_remove_a_logo(app):
    tenant = TenantFactory()
    key = organisation.set_logo(tenant, None, image_bytes())
    assert tenant.logo_key == key
    organisation.remove_logo(tenant, None)
    assert tenant.logo_key is None
    with pytest.raises(Conflict):
        organisation.remove_logo(tenant, None)
    actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["tenant.logo_changed", "tenant.logo_removed"]


def test_new_programmes_take_the_tenants_renewal_window_else_the_installations(app):
    tenant = TenantFactory()
    admin = UserFactory(tenant=tenant, role=Role.ADMIN)
    data = {"name": "Forklift", "slug": "forklift", "level": "foundation"}
    app.config["RENEWAL_WINDOW_DAYS"] = 14
    assert paths.create_programme(tenant.id, admin, data).renewal_window_days == 14
    tenant.renewal_window_days = 60
    second = paths.create_programme(tenant.id, admin, {**data, "name": "B", "slug": "b"})
    assert second.renewal_window_days == 60
    chosen = {**data, "name": "C", "slug": "c", "renewal_window_days": 5}
    assert paths.create_programme(tenant.id, admin, chosen).renewal_window_days == 5
    assert db.session.scalar(sa.select(sa.func.count(CertificationPath.id))) == 3


def test_outgoing_mail_replies_to_the_tenants_address(app, smtp):  # noqa: F811
    tenant = TenantFactory(reply_to="training@acme.example")
    email = mail.queue_email(UserFactory(tenant=tenant), "Hello", "Text.")
    mail.deliver(email.id)
    [message] = smtp
    assert message["Reply-To"] == "training@acme.example"


def test_outgoing_mail_has_no_reply_to_when_unset(app, smtp):  # noqa: F811
    email = mail.queue_email(UserFactory(tenant=TenantFactory()), "Hello", "Text.")
    mail.deliver(email.id)
    [message] = smtp
    assert message["Reply-To"] is None
