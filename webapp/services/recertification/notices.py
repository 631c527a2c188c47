"""Notices: notifications and their queued e-mails, written by INSERT ... SELECT with a unique
key each, for opened renewals, reminders before expiry and on expiry (both by the effective
validity: a grace period moves them to its end).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from flask import current_app

from webapp import sqltools, urls
from webapp.emails import render_email_parts
from webapp.extensions import db
from webapp.models import (
    CertificateStatus,
    CertificationPath,
    EmailStatus,
    Notification,
    OutboxEmail,
    User,
)
from webapp.services.recertification.batches import (
    CERTS,
    ENROLMENTS,
    ExpiryReport,
    _batched_by_validity,
    _try_lock,
)


def _insert_notifications(
    rows_query: sa.Select, email_bodies: EmailBodies, as_of: datetime, report: ExpiryReport
) -> int:
    """INSERT notifications from `rows_query` (tenant_id, user_id, title, body, link, key, kind,
    created_at) — one batch of at most BATCH_SIZE rows — skipping keys already sent, and queue
    the matching e-mails with the parts `email_bodies` (see _email_bodies). Returns how many
    were new."""
    notifications = Notification.__table__
    inserted = list(
        db.session.scalars(
            sqltools.insert(notifications)
            .from_select(
                [
                    "tenant_id",
                    "user_id",
                    "title",
                    "body",
                    "link",
                    "dedupe_key",
                    "kind",
                    "created_at",
                ],
                rows_query,
            )
            .on_conflict_do_nothing()
            .returning(notifications.c.id)
        )
    )
    if inserted:
        report.emails_queued += _queue_emails(inserted, email_bodies, as_of)
    return len(inserted)


# Stands for the link while the templates render; SQL puts each notification's link there.
_LINK = "\x00link\x00"

# What markupsafe (Jinja's autoescape) replaces, in its order: "&" first.
_HTML_ESCAPES = (("&", "&amp;"), (">", "&gt;"), ("<", "&lt;"), ("'", "&#39;"), ('"', "&#34;"))


class EmailBodies(NamedTuple):
    """The text and HTML parts of a batch's e-mails, as SQL expressions over notifications."""

    text: sa.ColumnElement
    html: sa.ColumnElement


def _html_escaped(value: sa.ColumnElement) -> sa.ColumnElement:
    """`value` escaped in SQL exactly as the HTML templates escape a value."""
    for char, entity in _HTML_ESCAPES:
        value = sa.func.replace(value, char, entity, type_=sa.Text)
    return value


def _spliced(rendered: str, link: sa.ColumnElement) -> sa.ColumnElement:
    """`rendered` as an SQL expression with `link` in place of every _LINK."""
    first, *rest = rendered.split(_LINK)
    expression = sa.literal(first, sa.Text)
    for part in rest:
        expression = expression + link + sa.literal(part, sa.Text)
    return expression


def _email_bodies(kind: str, body: str) -> EmailBodies:
    """The e-mail parts of a batch: `email/<kind>.txt` and `.html` rendered once in Python with
    the batch's fixed `body`, each notification's own link spliced in by SQL (HTML-escaped in
    the HTML part, as the template would have escaped it)."""
    text, html = render_email_parts(kind, body=body, link=_LINK)
    link = sa.func.coalesce(Notification.__table__.c.link, "")
    return EmailBodies(_spliced(text, link), _spliced(html, _html_escaped(link)))


def _queue_emails(notification_ids: list[int], email_bodies: EmailBodies, as_of: datetime) -> int:
    notifications = Notification.__table__
    users = User.__table__
    outbox = OutboxEmail.__table__
    queued = db.session.scalars(
        sa.insert(outbox)
        .from_select(
            [
                "tenant_id",
                "user_id",
                "to_address",
                "subject",
                "body",
                "html_body",
                "status",
                "attempts",
                "created_at",
            ],
            sa.select(
                notifications.c.tenant_id,
                notifications.c.user_id,
                users.c.email,
                notifications.c.title,
                email_bodies.text,
                email_bodies.html,
                sa.literal(EmailStatus.PENDING.value),
                sa.literal(0),
                sa.literal(as_of, type_=outbox.c.created_at.type),
            )
            .join(users, users.c.id == notifications.c.user_id)
            .where(notifications.c.id.in_(notification_ids)),
        )
        .returning(outbox.c.id)
    ).all()
    return len(queued)


def _verify_prefix() -> str:
    """The absolute verification URL without its token (SQL appends each certificate's)."""
    return urls.public_url("certificates.verify", token="x")[:-1]  # noqa: S106 (a placeholder)


def _notify_renewals(
    enrolment_ids: list[int], programme: CertificationPath, as_of: datetime, report: ExpiryReport
) -> None:
    link = urls.public_url("programmes.detail", slug=programme.slug)
    body = (
        f"Your certificate for {programme.name} is due for renewal. A renewal enrolment has "
        "been opened for you."
    )
    rows = sa.select(
        ENROLMENTS.c.tenant_id,
        ENROLMENTS.c.user_id,
        sa.literal(f"Time to renew: {programme.name}"),
        sa.literal(body),
        sa.literal(link),
        sa.literal("renewal-") + sa.cast(ENROLMENTS.c.id, sa.String),
        sa.literal("renewal_opened"),
        sa.literal(as_of, type_=ENROLMENTS.c.started_at.type),
    ).where(ENROLMENTS.c.id.in_(enrolment_ids))
    _insert_notifications(rows, _email_bodies("renewal_opened", body), as_of, report)


def reminder_bands(offsets: Iterable[int]) -> list[tuple[int, int | None]]:
    """(offset, next smaller offset) pairs: a reminder for `offset` is due while the time
    left is at most `offset` days and more than the next smaller offset."""
    ordered = sorted(set(offsets), reverse=True)
    return [(o, ordered[i + 1] if i + 1 < len(ordered) else 0) for i, o in enumerate(ordered)]


def _notice_rows(ids: list[int], title: str, body: str, key_suffix: str | None, as_of: datetime):
    """One reminder row per certificate in `ids`; the key `cert-<id>-<suffix>` makes it once."""
    programmes = CertificationPath.__table__
    key = sa.literal("cert-") + sa.cast(CERTS.c.id, sa.String) + sa.literal(f"-{key_suffix}")
    return (
        sa.select(
            CERTS.c.tenant_id,
            CERTS.c.user_id,
            sa.literal(title) + programmes.c.name,
            sa.literal(body),
            sa.literal(_verify_prefix()) + CERTS.c.public_token,
            key,
            sa.literal(
                "certificate_expired" if key_suffix == "expired" else "certificate_expiring"
            ),
            sa.literal(as_of, type_=CERTS.c.issued_at.type),
        )
        .join(programmes, programmes.c.id == CERTS.c.path_id)
        .where(CERTS.c.id.in_(ids))
    )


def send_reminders(
    as_of: datetime, report: ExpiryReport | None = None, *, lock: bool = True
) -> int:
    """Reminders before expiry (config CERT_REMINDER_OFFSETS_DAYS, default 30 and 7 days) and
    on expiry, each at most once per certificate and offset (unique notification key), in
    keyset batches over the expiry index; the days left count to the end of a grace period
    (none is sent "on expiry" while one runs). Idempotent; never commits."""
    report = report or ExpiryReport(as_of=as_of)
    if lock and not _try_lock():
        report.locked_out = True
        return 0
    sent = 0
    active = [CERTS.c.status == CertificateStatus.ACTIVE.value, report.scope()]
    for offset, smaller in reminder_bands(current_app.config["CERT_REMINDER_OFFSETS_DAYS"]):
        band = (max(as_of, as_of + timedelta(days=smaller)), as_of + timedelta(days=offset))
        body = f"It expires within {offset} days. Renew it from the CertifiKation Center."
        rows = functools.partial(
            _notice_rows,
            title="Your certificate expires soon: ",
            body=body,
            key_suffix=f"reminder-{offset}",
            as_of=as_of,
        )
        email_bodies = _email_bodies("certificate_expiring", body)
        sent += _batched_by_validity(
            active,
            *band,
            lambda ids, rows=rows, email_bodies=email_bodies: _insert_notifications(
                rows(ids), email_bodies, as_of, report
            ),
            report,
            "certificate",
        )
    expired_body = "Enrol again to renew it."
    expired_rows = functools.partial(
        _notice_rows,
        title="Your certificate has expired: ",
        body=expired_body,
        key_suffix="expired",
        as_of=as_of,
    )
    expired_email = _email_bodies("certificate_expired", expired_body)
    # One walk per status, so that each is a range of the (status, expires_at, id) index.
    for status in (CertificateStatus.ACTIVE, CertificateStatus.EXPIRED):
        sent += _batched_by_validity(
            [CERTS.c.status == status.value, report.scope()],
            as_of - timedelta(days=30),
            as_of,
            lambda ids: _insert_notifications(expired_rows(ids), expired_email, as_of, report),
            report,
            "certificate",
        )
    report.reminders_sent += sent
    return sent
