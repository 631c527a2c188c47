"""Jinja filters and the navigation context shared by every page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, current_app
from flask_login import current_user

from webapp import clock
from webapp.services import automated_evaluation as evaluation
from webapp.services import grading, question_types
from webapp.services import navigation as nav


def format_date(value: datetime | None, fmt: str = "%d %b %Y") -> str:
    return value.strftime(fmt) if value else "—"


def format_datetime(value: datetime | None) -> str:
    return value.strftime("%d %b %Y, %H:%M UTC") if value else "—"


def humanize_enum(value: Any) -> str:
    raw = getattr(value, "value", value)
    return str(raw).replace("_", " ").capitalize() if raw is not None else ""


def format_score(value: Any, places: int = 2) -> str:
    """`|score`: points, a score or a percentage rounded half-up ("3.67", "7.5", "2"); "—"
    when there is none yet."""
    return grading.display_number(value, places) if value is not None else "—"


def pluralize(count: Any, singular: str, plural: str | None = None) -> str:
    """`|plural`: a count with its noun, `{{ n|plural('minute') }}` -> "1 minute", "5 minutes";
    an irregular plural as the second argument (`plural('person', 'people')`). The noun may be
    a phrase ending in it (`plural('more approval')`). Points and scores are shown as `|score`
    shows them, and the noun agrees with what is shown ("1 point", "1.5 points")."""
    shown = grading.display_number(count)
    return f"{shown} {singular if shown == '1' else plural or singular + 's'}"


def format_minutes(minutes: int) -> str:
    """`|minutes`: a duration given in minutes, in the largest whole unit ("1 day", "2 hours",
    "90 minutes")."""
    if minutes and minutes % 1440 == 0:
        return pluralize(minutes // 1440, "day")
    if minutes and minutes % 60 == 0:
        return pluralize(minutes // 60, "hour")
    return pluralize(minutes, "minute")


def has_endpoint(name: str) -> bool:
    """`has_endpoint('admin.person')`: whether the app serves that endpoint, so that a link
    to a page another part of the app adds renders only where the page exists."""
    return name in current_app.view_functions


def init_templating(app: Flask) -> None:
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["humanize"] = humanize_enum
    app.jinja_env.filters["score"] = format_score
    app.jinja_env.filters["plural"] = pluralize
    app.jinja_env.filters["minutes"] = format_minutes
    app.jinja_env.filters["moment"] = evaluation.format_moment
    app.jinja_env.globals["now"] = clock.now
    app.jinja_env.globals["question_type"] = question_types.get
    app.jinja_env.globals["has_endpoint"] = has_endpoint

    @app.context_processor
    def navigation() -> dict[str, Any]:
        # A callable, so that only the full pages whose header shows the badges (base.html)
        # count; fragments never pay for it.
        def counts() -> dict[str, int]:
            return nav.counts(current_user) if current_user.is_authenticated else {}

        return {"nav_counts": counts}
