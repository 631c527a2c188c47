"""E-mail bodies come from templates/email/<kind>.txt through webapp.emails.render_email: every
notification kind has its template, a missing one fails loudly, and both the notify path and
the set-based expiry job write the rendered text to the outbox."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from jinja2 import TemplateNotFound

from tests.factories import TenantFactory, UserFactory, published_path
from tests.services.test_recertification import certify
from webapp.emails import render_email
from webapp.extensions import db
from webapp.models import Notification, OutboxEmail
from webapp.services import notifications, recertification

KINDS = [
    "attempts_granted",
    "attempts_requested",
    "certificate_expired",
    "certificate_expiring",
    "certificate_issued",
    "certificate_revoked",
    "renewal_opened",
    "review.approved",
    "review.rejected",
    "review.requested",
]
TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "email"


@pytest.mark.parametrize("kind", KINDS)
def test_each_notification_kind_renders_its_template(app, kind):
    text = render_email(kind, title="A title", body="What happened.", link="https://x.test/l")
    assert text == "What happened.\n\nhttps://x.test/l"


def test_every_email_template_is_a_known_kind():
    assert sorted(p.name.removesuffix(".txt") for p in TEMPLATES.glob("*.txt")) == KINDS


def test_a_kind_without_a_template_fails_loudly(app):
    with pytest.raises(TemplateNotFound):
        render_email("no_such_kind", body="x", link="")


def test_notify_queues_the_rendered_template(app):
    user = UserFactory(tenant=TenantFactory())
    notifications.notify(user, "certificate_issued", "Issued", "Well done.", "https://x.test/c")
    notifications.notify(user, "attempts_granted", "Granted", "Two more.")
    bodies = db.session.scalars(
        sa.select(OutboxEmail.body).where(OutboxEmail.user_id == user.id).order_by(OutboxEmail.id)
    ).all()
    assert bodies == ["Well done.\n\nhttps://x.test/c", "Two more."]


def test_notify_with_an_unknown_kind_fails_loudly(app):
    user = UserFactory(tenant=TenantFactory())
    with pytest.raises(TemplateNotFound):
        notifications.notify(user, "no_such_kind", "Title", "Body")


def test_expiry_emails_render_the_template_with_each_certificates_link(app):
    tenant = TenantFactory()
    programme = published_path(tenant, requirements=2, validity_days=365, renewal_window_days=30)
    user = UserFactory(tenant=tenant)
    certificate = certify(user, programme)
    assert recertification.send_reminders(certificate.expires_at - timedelta(days=7)) == 1
    note = db.session.scalar(sa.select(Notification).where(Notification.user_id == user.id))
    email = db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.user_id == user.id))
    assert note.kind == "certificate_expiring" and note.link.endswith(certificate.public_token)
    assert email.subject == note.title
    assert email.body == render_email(note.kind, body=note.body, link=note.link)
    assert email.body == f"{note.body}\n\n{note.link}"
