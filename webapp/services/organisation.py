"""A tenant's own settings as an issuer: its certificate number prefix and how holders are
named on public verification pages. Functions flush, never commit."""

from __future__ import annotations

from typing import Any

from webapp.errors import ValidationFailed
from webapp.extensions import db
from webapp.models import HolderNameDisplay, Tenant, User
from webapp.services import audit
from webapp.services.certificates import PREFIX_RE


def settings_problems(data: dict[str, Any]) -> dict[str, list[str]]:
    """Every problem with the settings, by field (empty when valid). Pure."""
    problems: dict[str, list[str]] = {}
    prefix = (data.get("certificate_prefix") or "").strip()
    if prefix and not PREFIX_RE.match(prefix):
        problems["certificate_prefix"] = [
            "Use 1 to 16 capital letters and digits (e.g. ACME), or leave it empty."
        ]
    if data.get("holder_name_display") not in {mode.value for mode in HolderNameDisplay}:
        problems["holder_name_display"] = ["Choose full name or initials."]
    return problems


def update_settings(tenant: Tenant, actor: User, data: dict[str, Any]) -> list[str]:
    """Change the tenant's certificate prefix (empty: the installation's default; numbers
    already issued keep theirs) and holder name display. Returns the names of the settings
    that changed, audited. Raises ValidationFailed. Flushes, never commits."""
    problems = settings_problems(data)
    if problems:
        raise ValidationFailed("Please correct the highlighted fields.", problems)
    prefix = (data.get("certificate_prefix") or "").strip() or None
    display = HolderNameDisplay(data["holder_name_display"])
    changed = []
    if prefix != tenant.certificate_prefix:
        tenant.certificate_prefix = prefix
        changed.append("certificate_prefix")
    if display is not tenant.holder_name_display:
        tenant.holder_name_display = display
        changed.append("holder_name_display")
    if changed:
        audit.record(
            tenant.id,
            actor,
            "tenant.settings_updated",
            "tenant",
            tenant.id,
            f"Settings changed: {', '.join(changed)}",
            certificate_prefix=prefix,
            holder_name_display=display.value,
        )
    db.session.flush()
    return changed
