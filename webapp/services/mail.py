"""E-mail through the outbox: written with its cause, delivered by the `deliver_email` job."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app

from webapp import clock
from webapp.extensions import db
from webapp.models import EmailStatus, OutboxEmail, Tenant, User
from webapp.outbox import defer

log = logging.getLogger(__name__)


def queue_email(user: User, subject: str, body: str, html_body: str | None = None) -> OutboxEmail:
    """Write an outbox e-mail to `user` (text `body`, and `html_body` as its HTML alternative
    if given) and defer its delivery. Flushes; never commits."""
    email = OutboxEmail(
        tenant_id=user.tenant_id,
        user_id=user.id,
        to_address=user.email,
        subject=subject[:200],
        body=body,
        html_body=html_body,
    )
    db.session.add(email)
    db.session.flush()
    defer("deliver_email", email.id, queue="mail", tenant_id=user.tenant_id)
    return email


def _message(email: OutboxEmail, sender: str, reply_to: str | None = None) -> EmailMessage:
    """The message that `email` is sent as: its text alone, or with an HTML part
    multipart/alternative (text first, then HTML: clients show the last part they can);
    with a Reply-To header when its tenant set a reply-to address."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.to_address
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = email.subject
    message.set_content(email.body)
    if email.html_body:
        message.add_alternative(email.html_body, subtype="html")
    return message


def deliver(email_id: int) -> None:
    """Send one pending e-mail by SMTP (see _message; Reply-To is the tenant's setting at the
    time of sending), or (no MAIL_SERVER) log it and keep
    it as sent in the outbox, where admins can read it. Does nothing for an e-mail already
    sent. Never commits."""
    email = db.session.get(OutboxEmail, email_id, with_for_update=True)
    if email is None or email.status is EmailStatus.SENT:
        return
    email.attempts += 1
    server = current_app.config.get("MAIL_SERVER")
    if server:
        tenant = db.session.get(Tenant, email.tenant_id)
        reply_to = tenant.reply_to if tenant is not None else None
        message = _message(email, current_app.config["MAIL_FROM"], reply_to)
        with smtplib.SMTP(server, current_app.config["MAIL_PORT"], timeout=10) as smtp:
            smtp.send_message(message)
    else:
        log.info(
            "e-mail (no MAIL_SERVER, kept in the outbox) to %s: %s", email.to_address, email.subject
        )
    email.mark_sent(clock.now())


def deliver_pending(limit: int = 500) -> int:
    """Deliver up to `limit` pending outbox e-mails (those written by set-based jobs such as
    the expiry run). Returns how many were sent. Never commits."""
    ids = db.session.scalars(
        sa.select(OutboxEmail.id)
        .where(OutboxEmail.status == EmailStatus.PENDING)
        .order_by(OutboxEmail.id)
        .limit(limit)
    ).all()
    for email_id in ids:
        deliver(email_id)
    return len(ids)
