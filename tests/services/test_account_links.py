"""Invitation and password-reset links: signed, expiring by the clock, single-use."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.factories import TenantFactory, UserFactory, invited_person
from webapp.errors import ValidationFailed
from webapp.extensions import db
from webapp.models import AuditEvent, OutboxEmail, TenantStatus
from webapp.services import account_links
from webapp.services.account_links import LinkPurpose, LinkRefused

GOOD = "a perfectly long password"


def refused(token: str, purpose: LinkPurpose = LinkPurpose.RESET) -> LinkRefused:
    with pytest.raises(LinkRefused) as caught:
        account_links.read_token(token, purpose)
    return caught.value


def test_a_token_names_its_user_until_it_expires(app, clock):
    user = UserFactory()
    token = account_links.make_token(user, LinkPurpose.RESET)
    assert account_links.read_token(token, LinkPurpose.RESET) == user
    clock.advance(hours=app.config["ACCOUNT_LINK_HOURS"], seconds=-1)
    assert account_links.read_token(token, LinkPurpose.RESET) == user
    clock.advance(seconds=2)
    error = refused(token)
    assert (error.reason, error.status_code) == ("expired", 410)
    assert error.message == account_links.EXPIRED


def test_the_lifetime_is_configurable(app, clock):
    app.config["ACCOUNT_LINK_HOURS"] = 1
    token = account_links.make_token(UserFactory(), LinkPurpose.INVITE)
    clock.advance(minutes=61)
    assert refused(token, LinkPurpose.INVITE).reason == "expired"


@pytest.mark.parametrize(
    "token", ["", "garbage", "eyJ1IjoxfQ.forged-signature", "a" * 300], ids=repr
)
def test_forged_and_malformed_tokens_are_invalid(app, token):
    error = refused(token)
    assert (error.reason, error.status_code) == ("invalid", 400)


def test_a_token_of_one_purpose_is_invalid_for_the_other(app):
    token = account_links.make_token(UserFactory(), LinkPurpose.INVITE)
    assert refused(token, LinkPurpose.RESET).reason == "invalid"


def test_setting_the_password_uses_the_link_up_and_ends_other_sessions(app):
    user = invited_person(TenantFactory())
    token = account_links.make_token(user, LinkPurpose.INVITE)
    session_token = user.session_token
    account_links.set_password_with_link(token, LinkPurpose.INVITE, GOOD, GOOD)
    assert user.check_password(GOOD)
    assert user.session_token != session_token
    error = refused(token, LinkPurpose.INVITE)
    assert (error.reason, error.status_code) == ("used", 410)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.password_set"))
    assert event.subject_user_id == user.id


def test_a_used_link_is_told_even_after_it_expired(app, clock):
    user = UserFactory()
    token = account_links.make_token(user, LinkPurpose.RESET)
    account_links.set_password_with_link(token, LinkPurpose.RESET, GOOD, GOOD)
    clock.advance(days=30)
    assert refused(token).reason == "used"


def test_every_reset_link_issued_before_a_password_change_stops_working(app):
    user = UserFactory()
    first = account_links.make_token(user, LinkPurpose.RESET)
    second = account_links.make_token(user, LinkPurpose.RESET)
    account_links.set_password_with_link(second, LinkPurpose.RESET, GOOD, GOOD)
    assert refused(first).reason == "used"


def test_a_new_address_makes_links_sent_to_the_old_one_stop_working(app):
    user = invited_person(TenantFactory(), email="typo@exmaple.test")
    token = account_links.make_token(user, LinkPurpose.INVITE)
    user.email = "right@example.test"
    db.session.flush()
    assert refused(token, LinkPurpose.INVITE).reason == "used"


def test_links_of_deactivated_people_and_suspended_tenants_are_invalid(app):
    user, other = UserFactory(), UserFactory()
    tokens = [account_links.make_token(u, LinkPurpose.RESET) for u in (user, other)]
    user.active = False
    other.tenant.status = TenantStatus.SUSPENDED
    db.session.flush()
    assert [refused(t).reason for t in tokens] == ["invalid", "invalid"]


@pytest.mark.parametrize(
    ("password", "confirm", "fields"),
    [
        ("short", "short", {"password"}),
        (GOOD, GOOD + "!", {"confirm"}),
        ("x" * 201, "y", {"password", "confirm"}),
    ],
)
def test_weak_or_mismatched_passwords_are_refused_and_keep_the_link(app, password, confirm, fields):
    user = UserFactory()
    token = account_links.make_token(user, LinkPurpose.RESET)
    with pytest.raises(ValidationFailed) as caught:
        account_links.set_password_with_link(token, LinkPurpose.RESET, password, confirm)
    assert set(caught.value.problems) == fields
    assert account_links.read_token(token, LinkPurpose.RESET) == user


def test_an_invitation_email_carries_a_working_link_and_is_audited(app):
    admin = UserFactory()
    person = invited_person(admin.tenant, full_name="Dana Example")
    account_links.send_link(person, LinkPurpose.INVITE, admin)
    email = db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.user_id == person.id))
    assert email.to_address == person.email
    assert admin.tenant.name in email.subject
    assert "Hello Dana Example" in email.body and "72 hours" in email.body
    link = next(w for w in email.body.split() if "/auth/invitation/" in w)
    assert link.startswith("http://certifikation.test/auth/invitation/")
    assert account_links.read_token(link.rsplit("/", 1)[1], LinkPurpose.INVITE) == person
    assert link in email.html_body
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.invited"))
    assert (event.actor_id, event.subject_user_id) == (admin.id, person.id)
    assert person.invited_at is not None


def test_a_new_invitation_replaces_the_earlier_one(app, clock):
    person = invited_person(TenantFactory())
    first = account_links.make_token(person, LinkPurpose.INVITE)
    clock.advance(timedelta(minutes=5))
    account_links.send_link(person, LinkPurpose.INVITE)
    assert refused(first, LinkPurpose.INVITE).reason == "used"


def test_a_reset_email_links_to_the_reset_page(app):
    user = UserFactory()
    account_links.send_link(user, LinkPurpose.RESET)
    email = db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.user_id == user.id))
    assert "/auth/reset/" in email.body
    assert email.subject == "Reset your CertifiKation password"
