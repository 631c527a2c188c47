"""A tenant's own settings as an issuer: its name, logo, certificate signatory, certificate
number prefix, how holders are named on public verification pages, the default renewal
window of new programmes, the longest grace period an admin may grant, and the reply-to
address of its e-mails. Every change is audited with its before and after values.
Functions flush, never commit.
"""

from __future__ import annotations

import io
from typing import Any

from email_validator import EmailNotValidError, validate_email
from reportlab.lib.utils import ImageReader

from webapp import uploads
from webapp.errors import Conflict, ValidationFailed
from webapp.extensions import db
from webapp.models import HolderNameDisplay, Tenant, User
from webapp.services import audit
from webapp.services.certificates import PREFIX_RE

LOGO_TYPES = ("png", "jpg")  # no SVG: it can carry scripts, and reportlab cannot draw it
LOGO_MAX_BYTES = 512 * 1024
LOGO_MAX_SIDE = 4000  # pixels; a small file can still unpack into a huge image
GRACE_PERIOD_LIMIT = 365
RENEWAL_WINDOW_LIMIT = 365
# The settings of the form, in the order they are shown and audited.
FIELDS = (
    "name",
    "certificate_prefix",
    "holder_name_display",
    "signatory_name",
    "signatory_title",
    "renewal_window_days",
    "grace_period_max_days",
    "reply_to",
)


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return value.strip() if isinstance(value, str) else ""


def _int_in(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def normalised_email(address: str) -> str:
    """The address as it is stored (domain in lower case). Raises ValueError with a message
    safe to show when it is not a usable e-mail address. Pure."""
    if len(address) > 254:
        raise ValueError("Use at most 254 characters.")
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValueError(f"This is not a valid e-mail address: {error}") from None


def settings_problems(data: dict[str, Any]) -> dict[str, list[str]]:
    """Every problem with the settings, by field (empty when valid). Pure."""
    problems: dict[str, list[str]] = {}
    name = _text(data, "name")
    if not name:
        problems["name"] = ["Give your organisation's name."]
    elif len(name) > 120:
        problems["name"] = ["Use at most 120 characters."]
    prefix = _text(data, "certificate_prefix")
    if prefix and not PREFIX_RE.match(prefix):
        problems["certificate_prefix"] = [
            "Use 1 to 16 capital letters and digits (e.g. ACME), or leave it empty."
        ]
    if data.get("holder_name_display") not in {mode.value for mode in HolderNameDisplay}:
        problems["holder_name_display"] = ["Choose full name or initials."]
    for key in ("signatory_name", "signatory_title"):
        if len(_text(data, key)) > 120:
            problems[key] = ["Use at most 120 characters."]
    window = data.get("renewal_window_days")
    if window is not None and not _int_in(window, 0, RENEWAL_WINDOW_LIMIT):
        problems["renewal_window_days"] = [
            f"Give a number of days from 0 to {RENEWAL_WINDOW_LIMIT}, or leave it empty."
        ]
    if not _int_in(data.get("grace_period_max_days"), 0, GRACE_PERIOD_LIMIT):
        problems["grace_period_max_days"] = [
            f"Give a number of days from 0 to {GRACE_PERIOD_LIMIT}."
        ]
    reply_to = _text(data, "reply_to")
    if reply_to:
        try:
            normalised_email(reply_to)
        except ValueError as error:
            problems["reply_to"] = [str(error)]
    return problems


def _cleaned(data: dict[str, Any]) -> dict[str, Any]:
    """The stored value of every setting (valid data)."""
    reply_to = _text(data, "reply_to")
    return {
        "name": _text(data, "name"),
        "certificate_prefix": _text(data, "certificate_prefix") or None,
        "holder_name_display": HolderNameDisplay(data["holder_name_display"]),
        "signatory_name": _text(data, "signatory_name") or None,
        "signatory_title": _text(data, "signatory_title") or None,
        "renewal_window_days": data.get("renewal_window_days"),
        "grace_period_max_days": data["grace_period_max_days"],
        "reply_to": normalised_email(reply_to) if reply_to else None,
    }


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, HolderNameDisplay) else value


def update_settings(tenant: Tenant, actor: User, data: dict[str, Any]) -> list[str]:
    """Change the tenant's settings (an empty prefix: the installation's default, and numbers
    already issued keep theirs; an empty renewal window: the installation's default). Returns
    the names of the settings that changed, audited with their before and after values.
    Raises ValidationFailed. Flushes, never commits."""
    problems = settings_problems(data)
    if problems:
        raise ValidationFailed("Please correct the highlighted fields.", problems)
    changes: dict[str, dict[str, Any]] = {}
    for key, value in _cleaned(data).items():
        before = getattr(tenant, key)
        if before != value:
            changes[key] = {"before": _plain(before), "after": _plain(value)}
            setattr(tenant, key, value)
    if changes:
        audit.record(
            tenant.id,
            actor,
            "tenant.settings_updated",
            "tenant",
            tenant.id,
            f"Settings changed: {', '.join(changes)}",
            changes=changes,
        )
    db.session.flush()
    return list(changes)


# --- The logo --------------------------------------------------------------------------------


def logo_problem(data: bytes) -> tuple[str | None, str | None]:
    """(extension, problem) of an uploaded logo: PNG or JPEG by content, at most
    LOGO_MAX_BYTES, readable, and at most LOGO_MAX_SIDE pixels each way. Pure."""
    if not data:
        return None, "Choose an image file."
    extension, problem = uploads.check_image(data, LOGO_MAX_BYTES, LOGO_TYPES)
    if problem:
        return None, problem
    try:
        width, height = ImageReader(io.BytesIO(data)).getSize()
    except Exception:  # any decoder error means the same to the admin
        return None, "The image cannot be read. Save it again as PNG or JPEG."
    if not (0 < width <= LOGO_MAX_SIDE and 0 < height <= LOGO_MAX_SIDE):
        return None, f"The image may be at most {LOGO_MAX_SIDE} pixels wide and high."
    return extension, None


def set_logo(tenant: Tenant, actor: User, data: bytes) -> str:
    """Store a new logo under a generated key (written with the transaction) and show it from
    now on; the previous file stays, for the certificates issued with it. Returns the key.
    Raises ValidationFailed (problems under "logo"). Flushes, never commits."""
    extension, problem = logo_problem(data)
    if problem or extension is None:
        raise ValidationFailed(problem or "Choose an image file.", {"logo": [problem or ""]})
    key = uploads.store(db.session(), "logos", extension, data)
    before, tenant.logo_key = tenant.logo_key, key
    audit.record(
        tenant.id,
        actor,
        "tenant.logo_changed",
        "tenant",
        tenant.id,
        "Logo replaced" if before else "Logo added",
        changes={"logo_key": {"before": before, "after": key}},
    )
    db.session.flush()
    return key


def remove_logo(tenant: Tenant, actor: User) -> None:
    """Stop showing the logo (the file stays, for the certificates issued with it). Raises
    Conflict when there is none. Flushes, never commits."""
    if tenant.logo_key is None:
        raise Conflict("There is no logo to remove.")
    before, tenant.logo_key = tenant.logo_key, None
    audit.record(
        tenant.id,
        actor,
        "tenant.logo_removed",
        "tenant",
        tenant.id,
        "Logo removed",
        changes={"logo_key": {"before": before, "after": None}},
    )
    db.session.flush()
