"""Revocation: a certificate revoked with its date, reason and actor (nothing is deleted),
audited, and its holder notified.

Raises ValidationFailed and InvalidTransition. Flushes, never commits.
"""

from __future__ import annotations

from webapp import clock
from webapp.errors import ValidationFailed
from webapp.extensions import db
from webapp.models import Certificate, User
from webapp.services import audit, notifications
from webapp.urls import public_url

MAX_REASON = 1000


def revoke_certificate(certificate: Certificate, actor: User, reason: str) -> None:
    """Revoke: status revoked with date, reason and actor (nothing is deleted); audit event;
    the holder is notified. Raises ValidationFailed (no reason), InvalidTransition (already
    revoked). Flushes, never commits."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            "Give the reason for the revocation.", {"reason": ["Give the reason."]}
        )
    if len(reason) > MAX_REASON:
        raise ValidationFailed(
            "The reason is too long.", {"reason": [f"At most {MAX_REASON} characters."]}
        )
    db.session.refresh(certificate, with_for_update=True)
    now = clock.now()
    certificate.revoke(now, reason, actor.id)
    programme = (certificate.meta or {}).get("programme_name", "")
    audit.record(
        certificate.tenant_id,
        actor,
        "certificate.revoked",
        "certificate",
        certificate.id,
        f"{certificate.number} revoked: {reason}",
        subject=certificate.user,
        number=certificate.number,
        reason=reason,
    )
    notifications.notify(
        certificate.user,
        "certificate_revoked",
        f"Certificate revoked: {programme}",
        f"Your certificate {certificate.number} for {programme} was revoked on "
        f"{now:%d %b %Y}. Reason: {reason}",
        public_url("certificates.my_certificates"),
        dedupe_key=f"cert-{certificate.id}-revoked",
    )
    db.session.flush()
