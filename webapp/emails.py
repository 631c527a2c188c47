"""E-mail bodies: the one place that renders `templates/email/<kind>.txt` (the text part) and
`templates/email/<kind>.html` (the HTML part, autoescaped, around `email/_layout.html`).
Services import it (they never touch templates themselves); it imports no service."""

from __future__ import annotations

from typing import Any

from flask import render_template


def render_email(kind: str, **context: Any) -> str:
    """The plain-text body of an e-mail of notification `kind`, rendered from
    `email/<kind>.txt` with `context` (title, body, link, ...), surrounding blank space
    stripped. A kind without a template raises jinja2.TemplateNotFound: it fails loudly."""
    return render_template(f"email/{kind}.txt", **context).strip()


def render_email_html(kind: str, **context: Any) -> str:
    """The HTML body of the same e-mail, rendered from `email/<kind>.html` with the same
    `context`; every value is escaped. A kind without an HTML template raises
    jinja2.TemplateNotFound, like a missing text one."""
    return render_template(f"email/{kind}.html", **context).strip()


def render_email_parts(kind: str, **context: Any) -> tuple[str, str]:
    """(text, HTML) of an e-mail of `kind`: both parts from the same `context`."""
    return render_email(kind, **context), render_email_html(kind, **context)
