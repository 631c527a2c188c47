"""Jinja filters and the navigation context shared by every page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask
from flask_login import current_user

from webapp import clock


def format_date(value: datetime | None, fmt: str = "%d %b %Y") -> str:
    return value.strftime(fmt) if value else "—"


def format_datetime(value: datetime | None) -> str:
    return value.strftime("%d %b %Y, %H:%M UTC") if value else "—"


def humanize_enum(value: Any) -> str:
    raw = getattr(value, "value", value)
    return str(raw).replace("_", " ").capitalize() if raw is not None else ""


def init_templating(app: Flask) -> None:
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["humanize"] = humanize_enum
    app.jinja_env.globals["now"] = clock.now

    @app.context_processor
    def navigation() -> dict[str, Any]:
        if not current_user.is_authenticated:
            return {"nav_counts": {}}
        from webapp.services import navigation as nav

        return {"nav_counts": nav.counts(current_user)}
