"""E-mail bodies come from templates/email/<kind>.txt and <kind>.html through webapp.emails:
every notification kind has both templates, a missing one fails loudly, the HTML part escapes
every value, both the notify path and the set-based expiry job write the rendered parts to the
outbox (the expiry job's links escaped in SQL as the template escapes them), and delivery sends
text and HTML as multipart/alternative."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from jinja2 import ChoiceLoader, DictLoader, TemplateNotFound

from tests.factories import TenantFactory, UserFactory, published_path
from tests.services.test_recertification import certify
from webapp.emails import render_email, render_email_html, render_email_parts
from webapp.extensions import db
from webapp.models import EmailStatus, Notification, OutboxEmail
from webapp.services import mail, notifications, recertification

KINDS = [
    "attempts_granted",
    "attempts_requested",
    "certificate_expired",
    "certificate_expiring",
    "certificate_extended",
    "certificate_issued",
    "certificate_revoked",
    "enrolment_cancelled",
    "renewal_opened",
    "requirement_recorded",
    "review.approved",
    "review.rejected",
    "review.requested",
]
# E-mails that are not notifications: set-a-password links (services/account_links.py), whose
# wording lives in the template itself.
ACCOUNT_KINDS = ["invitation", "password_reset"]
TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "email"
LINK = "https://x.test/l?a=1&b=<2>"
ESCAPED_LINK = "https://x.test/l?a=1&amp;b=&lt;2&gt;"
# A base URL with every character that HTML escapes (links are built on it as it is).
BASE_URL = "https://certs.example.test/a&b'c\"d<e>"
ESCAPED_BASE_URL = "https://certs.example.test/a&amp;b&#39;c&#34;d&lt;e&gt;"


@pytest.mark.parametrize("kind", KINDS)
def test_each_notification_kind_renders_its_template(app, kind):
    text = render_email(kind, title="A title", body="What happened.", link="https://x.test/l")
    assert text == "What happened.\n\nhttps://x.test/l"


def test_every_email_template_is_a_known_kind():
    known = sorted(KINDS + ACCOUNT_KINDS)
    assert sorted(p.name.removesuffix(".txt") for p in TEMPLATES.glob("*.txt")) == known
    html = TEMPLATES.glob("[!_]*.html")  # _layout.html is the shared layout
    assert sorted(p.name.removesuffix(".html") for p in html) == known


@pytest.mark.parametrize("kind", ACCOUNT_KINDS)
def test_each_account_email_carries_its_link_in_both_parts(app, kind):
    context = {"title": "Hi", "name": "Ana <b>", "tenant": "Acme", "link": LINK, "hours": 72}
    text, html = render_email_parts(kind, **context)
    assert LINK in text and "72 hours" in text and "Ana <b>" in text
    assert html.count(ESCAPED_LINK) == 2 and "Ana &lt;b&gt;" in html and "72 hours" in html


@pytest.mark.parametrize("kind", KINDS)
def test_each_notification_kind_renders_its_html_part_with_its_link(app, kind):
    html = render_email_html(kind, title="A title", body="What happened.", link=LINK)
    assert html.startswith("<!DOCTYPE html>") and html.endswith("</html>")
    assert '<p style="margin: 0 0 16px;">What happened.</p>' in html
    assert html.count(ESCAPED_LINK) == 2  # the link, and the address written out
    assert f'<a href="{ESCAPED_LINK}"' in html
    assert "\x00" not in html and LINK not in html


def test_the_html_part_escapes_every_value(app):
    html = render_email_html(
        "review.rejected",
        title='<script>alert("t")</script>',
        body="Reason: <b>copied</b> & 'pasted'\nSecond line",
        link=LINK,
    )
    assert "<script>" not in html and "<b>" not in html
    assert '<h1 style="margin: 0 0 16px; font-size: 22px; line-height: 1.3;">&lt;script&gt;' in html
    assert "Reason: &lt;b&gt;copied&lt;/b&gt; &amp; &#39;pasted&#39;<br>Second line" in html


def test_an_email_without_a_link_has_no_link_in_either_part(app):
    text, html = render_email_parts("attempts_granted", title="T", body="Two more.", link="")
    assert text == "Two more."
    assert "<a " not in html and "Or open this address" not in html


def test_a_kind_without_a_template_fails_loudly(app):
    with pytest.raises(TemplateNotFound):
        render_email("no_such_kind", body="x", link="")
    with pytest.raises(TemplateNotFound):
        render_email_html("no_such_kind", body="x", link="")


@pytest.fixture
def text_only_kind(app, monkeypatch):
    """A kind `text_only` with a text template and no HTML one."""
    loader = ChoiceLoader([DictLoader({"email/text_only.txt": "{{ body }}"}), app.jinja_loader])
    monkeypatch.setattr(app.jinja_env, "loader", loader)
    return "text_only"


def test_a_kind_without_an_html_template_fails_loudly(app, text_only_kind):
    assert render_email(text_only_kind, body="x") == "x"
    with pytest.raises(TemplateNotFound, match="email/text_only.html"):
        render_email_html(text_only_kind, body="x", link="")
    user = UserFactory(tenant=TenantFactory())
    with pytest.raises(TemplateNotFound, match="email/text_only.html"):
        notifications.notify(user, text_only_kind, "Title", "Body")


def test_notify_queues_the_rendered_template(app):
    user = UserFactory(tenant=TenantFactory())
    notifications.notify(user, "certificate_issued", "Issued", "Well done.", "https://x.test/c")
    notifications.notify(user, "attempts_granted", "Granted", "Two more.")
    bodies = db.session.scalars(
        sa.select(OutboxEmail.body).where(OutboxEmail.user_id == user.id).order_by(OutboxEmail.id)
    ).all()
    assert bodies == ["Well done.\n\nhttps://x.test/c", "Two more."]
    html = db.session.scalars(
        sa.select(OutboxEmail.html_body)
        .where(OutboxEmail.user_id == user.id)
        .order_by(OutboxEmail.id)
    ).all()
    assert html == [
        render_email_html(
            "certificate_issued", title="Issued", body="Well done.", link="https://x.test/c"
        ),
        render_email_html("attempts_granted", title="Granted", body="Two more.", link=""),
    ]


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
    assert email.html_body == render_email_html(note.kind, body=note.body, link=note.link)
    assert f'<a href="{note.link}"' in email.html_body


def test_expiry_emails_escape_each_link_in_the_html_part_as_the_template_does(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", BASE_URL)
    tenant = TenantFactory()
    path = published_path(tenant, requirements=2, validity_days=365, renewal_window_days=30)
    users = [UserFactory(tenant=tenant) for _ in range(2)]
    certificates = [certify(user, path) for user in users]
    report = recertification.run_expiry(certificates[0].expires_at - timedelta(days=7))
    assert report.reminders_sent == 2 and report.emails_queued == 4  # and the renewals
    for user, certificate in zip(users, certificates, strict=True):
        notes = db.session.scalars(
            sa.select(Notification).where(Notification.user_id == user.id)
        ).all()
        assert sorted(n.kind for n in notes) == ["certificate_expiring", "renewal_opened"]
        for note in notes:
            email = db.session.scalar(
                sa.select(OutboxEmail).where(
                    OutboxEmail.user_id == user.id, OutboxEmail.subject == note.title
                )
            )
            assert note.link.startswith(BASE_URL)
            assert email.body == render_email(note.kind, body=note.body, link=note.link)
            assert email.html_body == render_email_html(note.kind, body=note.body, link=note.link)
            escaped = ESCAPED_BASE_URL + note.link.removeprefix(BASE_URL)
            assert email.html_body.count(escaped) == 2 and BASE_URL not in email.html_body
        expiring = next(n for n in notes if n.kind == "certificate_expiring")
        assert expiring.link.endswith(certificate.public_token)


# --- Delivery ---------------------------------------------------------------------------


class FakeSMTP:
    """Stands for smtplib.SMTP: keeps the messages sent."""

    sent: list = []

    def __init__(self, host, port, timeout):
        self.host = host

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def send_message(self, message):
        FakeSMTP.sent.append(message)


@pytest.fixture
def smtp(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.test")
    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    monkeypatch.setattr(FakeSMTP, "sent", [])
    return FakeSMTP.sent


def test_delivery_sends_text_then_html_as_multipart_alternative(app, smtp):
    user = UserFactory(tenant=TenantFactory(), email="ana@example.test")
    notifications.notify(user, "certificate_issued", "Issued", "Well done.", LINK)
    email = db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.user_id == user.id))
    mail.deliver(email.id)
    [message] = smtp
    assert (message["To"], message["Subject"]) == ("ana@example.test", "Issued")
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.iter_parts()
    assert text.get_content_type() == "text/plain"
    assert text.get_content() == email.body + "\n"
    assert html.get_content_type() == "text/html"
    assert html.get_content() == email.html_body + "\n"
    assert email.status is EmailStatus.SENT


def test_an_email_without_an_html_part_is_sent_as_plain_text(app, smtp):
    user = UserFactory(tenant=TenantFactory())
    email = mail.queue_email(user, "Plain", "Only text.")
    assert email.html_body is None
    mail.deliver(email.id)
    [message] = smtp
    assert message.get_content_type() == "text/plain"
    assert message.get_content() == "Only text.\n"
