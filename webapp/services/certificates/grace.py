"""Grace periods: an admin lets an expiring or just-expired certificate count as valid until a
later date, with a reason. The certificate row is never edited for validity: each grace
period is its own CertificateExtension row, and the effective validity is the later of
`expires_at` and the latest extension (`Certificate.valid_until`).

How status works: `Certificate.status_at` reads the effective validity, so a certificate in
its grace period is valid (the verification page says until when) and the daily expiry job
leaves it alone until the grace period ends, then expires it and its enrolment as usual. A
certificate the job had already marked expired becomes active again when granted a grace
period (`Certificate.resume`, and its enrolment `resume_certified`): only the job's mark is
undone. Reminders and the expiry notice follow the effective validity; the renewal window
still opens from the certificate's own expiry, which a grace period can only follow.

Which certificates: not revoked, with an expiry, inside their programme's renewal window or
expired less than the tenant's `grace_period_max_days` ago; until at most that many days
after `expires_at`, and later than the current validity (a grace period only lengthens).

Raises ValidationFailed. Flushes, never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from webapp import clock
from webapp.errors import ValidationFailed
from webapp.extensions import db
from webapp.models import (
    Certificate,
    CertificateExtension,
    CertificateStatus,
    CertificationPath,
    Enrolment,
    EnrolmentStatus,
    Tenant,
    User,
)
from webapp.services import audit, notifications
from webapp.urls import public_url

MAX_REASON = 1000


@dataclass(frozen=True)
class GraceWindow:
    """The dates an admin may choose for a certificate's grace period now, or why none."""

    earliest: date | None = None
    latest: date | None = None
    refusal: str | None = None
    max_days: int = 0

    @property
    def open(self) -> bool:
        return self.refusal is None


def _until(certificate: Certificate, day: date) -> datetime:
    """The end of a grace period ending on `day`: at the time of day the certificate
    expires, so that N days after the expiry is exactly N days."""
    return datetime.combine(day, certificate.expires_at.timetz())


def grace_window(certificate: Certificate, now: datetime) -> GraceWindow:
    """Which dates a grace period granted at `now` may end on (or why there is none). Reads
    only."""
    tenant = db.session.get(Tenant, certificate.tenant_id)
    max_days = tenant.grace_period_max_days or 0
    if certificate.status is CertificateStatus.REVOKED:
        return GraceWindow(refusal="A revoked certificate cannot be given a grace period.")
    if certificate.expires_at is None:
        return GraceWindow(refusal="This certificate does not expire.")
    if max_days <= 0:
        return GraceWindow(refusal="Grace periods are turned off in the organisation settings.")
    programme = db.session.get(CertificationPath, certificate.path_id)
    opens = certificate.expires_at - timedelta(days=programme.renewal_window_days)
    if now < opens:
        return GraceWindow(
            refusal="A grace period can be given once the certificate is inside its renewal "
            f"window, from {opens:%d %b %Y}.",
            max_days=max_days,
        )
    limit = certificate.expires_at + timedelta(days=max_days)
    if limit <= now:
        return GraceWindow(
            refusal=f"This certificate expired more than {max_days} days ago: it is too late "
            "for a grace period.",
            max_days=max_days,
        )
    current = max(now, certificate.valid_until)
    earliest = current.date()
    if _until(certificate, earliest) <= current:
        earliest += timedelta(days=1)
    if _until(certificate, earliest) > limit:
        return GraceWindow(
            refusal=f"Its grace period already runs to the limit of {max_days} days after the "
            "expiry.",
            max_days=max_days,
        )
    return GraceWindow(earliest=earliest, latest=limit.date(), max_days=max_days)


def extensions_of(certificate: Certificate) -> list[CertificateExtension]:
    """The certificate's grace periods, oldest first, with who granted them. One query."""
    return list(
        db.session.scalars(
            sa.select(CertificateExtension)
            .where(
                CertificateExtension.tenant_id == certificate.tenant_id,
                CertificateExtension.certificate_id == certificate.id,
            )
            .options(joinedload(CertificateExtension.created_by))
            .order_by(CertificateExtension.created_at, CertificateExtension.id)
        )
    )


def extend_certificate(
    certificate: Certificate, actor: User, until: date | None, reason: str
) -> CertificateExtension:
    """Grant a grace period until `until` (see the module's rules): a CertificateExtension
    row; a certificate the job had marked expired (and its enrolment) counts as active again;
    audited (subject: the holder); the holder told. Raises ValidationFailed (no reason, no
    date, a date outside the window, no window). Flushes, never commits."""
    reason = (reason or "").strip()
    problems: dict[str, list[str]] = {}
    if not reason:
        problems["reason"] = ["Give the reason for the grace period."]
    elif len(reason) > MAX_REASON:
        problems["reason"] = [f"At most {MAX_REASON} characters."]
    if until is None:
        problems["until"] = ["Give the date the grace period ends."]
    db.session.refresh(certificate, with_for_update=True)
    now = clock.now()
    window = grace_window(certificate, now)
    if not window.open:
        raise ValidationFailed(window.refusal)
    if until is not None and not window.earliest <= until <= window.latest:
        problems["until"] = [
            f"Choose a date from {window.earliest:%d %b %Y} to {window.latest:%d %b %Y} (at most "
            f"{window.max_days} days after the expiry on {certificate.expires_at:%d %b %Y})."
        ]
    if problems:
        raise ValidationFailed("Please correct the highlighted fields.", problems)
    previous = certificate.valid_until
    extension = CertificateExtension(
        tenant_id=certificate.tenant_id,
        certificate_id=certificate.id,
        extended_until=_until(certificate, until),
        reason=reason,
        created_by_id=actor.id,
    )
    db.session.add(extension)
    if certificate.status is CertificateStatus.EXPIRED:
        certificate.resume()
        enrolment = db.session.get(Enrolment, certificate.enrolment_id)
        if enrolment.status is EnrolmentStatus.EXPIRED:
            enrolment.resume_certified()
    db.session.flush()
    db.session.expire(certificate, ["grace_until"])
    programme = (certificate.meta or {}).get("programme_name", "")
    holder = db.session.get(User, certificate.user_id)
    audit.record(
        certificate.tenant_id,
        actor,
        "certificate.extended",
        "certificate",
        certificate.id,
        f"{certificate.number} in a grace period until {until:%d %b %Y}: {reason}",
        subject=holder,
        number=certificate.number,
        until=extension.extended_until.isoformat(),
        previous_valid_until=previous.isoformat(),
        reason=reason,
    )
    notifications.notify(
        holder,
        "certificate_extended",
        f"Grace period: {programme}",
        f"Your certificate {certificate.number} for {programme} counts as valid until "
        f"{until:%d %b %Y} (a grace period after its expiry on "
        f"{certificate.expires_at:%d %b %Y}). Renew it before then.",
        public_url("certificates.my_certificates"),
    )
    return extension
