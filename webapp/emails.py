"""E-mail bodies: the one place that renders `templates/email/<kind>.txt`. Services import it
(they never touch templates themselves); it imports no service."""

from __future__ import annotations

from typing import Any

from flask import render_template


def render_email(kind: str, **context: Any) -> str:
    """The plain-text body of an e-mail of notification `kind`, rendered from
    `email/<kind>.txt` with `context` (title, body, link, ...), surrounding blank space
    stripped. A kind without a template raises jinja2.TemplateNotFound: it fails loudly."""
    return render_template(f"email/{kind}.txt", **context).strip()
