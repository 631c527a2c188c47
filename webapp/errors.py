"""Domain errors (messages safe to show to users) and the HTTP error handlers."""

from __future__ import annotations

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from webapp import htmx


class DomainError(Exception):
    """A rule of the domain refused the action; `str(error)` is safe to show to the user."""

    status_code = 422

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationFailed(DomainError):
    """Input broke a rule; `problems` maps field or path -> messages."""

    def __init__(self, message: str, problems: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or {}


class NotAllowed(DomainError):
    """The acting user may not do this (for an existing, visible object)."""

    status_code = 403


class NotFound(DomainError):
    """The object does not exist for this user (also used for foreign-tenant ids)."""

    status_code = 404


class Conflict(DomainError):
    """The object is not in a state that allows the action."""

    status_code = 409


class InvalidTransition(Conflict):
    """A lifecycle state change that the state machine does not allow."""


def register_error_handlers(app: Flask) -> None:
    """Render 400/403/404/405/413/429/500 with the base layout (or a small fragment for htmx)."""

    def render(code: int, title: str, message: str):
        template = "errors/_error.html" if htmx.is_fragment_request() else "errors/error.html"
        return render_template(template, code=code, title=title, message=message), code

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if request.path.startswith("/api/") or request.path.endswith(".json"):
            return {"error": error.name, "status": error.code}, error.code or 500
        messages = {
            400: "The request could not be understood. Please check the form and try again.",
            403: "You do not have permission to do this.",
            404: "There is nothing here. The page may have moved, or you may not have access.",
            405: "This action is not available at this address.",
            413: "The upload is larger than allowed.",
            429: "Too many requests. Please wait a moment and try again.",
        }
        response = render(
            error.code or 500, error.name, messages.get(error.code or 500, error.description or "")
        )
        if error.code == 429 and getattr(error, "retry_after", None):
            body, code = response
            return body, code, {"Retry-After": str(error.retry_after)}
        return response

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        return render(error.status_code, "Not possible", error.message)

    @app.errorhandler(500)
    def server_error(error: Exception):
        return render(500, "Something went wrong", "An unexpected error occurred. It was logged.")
