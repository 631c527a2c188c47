"""The one builder of absolute links (verification URLs, QR codes, e-mail links, shares).

Production sets `PUBLIC_BASE_URL` (required there). In development it may stay unset: links
then follow the server actually serving, i.e. the request's own host and port, or, outside a
request (the CLI, a worker), `DEV_SERVER_URL`, which `make run` sets to its host and port.
Paths are built from the URL map, so this works in jobs, where there is no request.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, has_request_context, request


def public_base_url() -> str:
    """The scheme, host and port that links given to people and machines start with."""
    configured = current_app.config.get("PUBLIC_BASE_URL")
    if configured:
        return configured.rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    return str(current_app.config.get("DEV_SERVER_URL") or "http://127.0.0.1:5000").rstrip("/")


def path_for(endpoint: str, **values: Any) -> str:
    """The path of an endpoint, built without a request."""
    adapter = current_app.url_map.bind(
        "localhost", script_name=current_app.config.get("APPLICATION_ROOT") or "/"
    )
    return adapter.build(endpoint, values)


def public_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of an endpoint under the public base URL."""
    return public_base_url() + path_for(endpoint, **values)


def absolute(path: str) -> str:
    """An absolute URL for a path built elsewhere (e.g. by `path_for`)."""
    return public_base_url() + path


def init_app(app: Flask) -> None:
    """Templates build absolute links with the same builder: `public_url(endpoint, ...)`."""
    app.jinja_env.globals["public_url"] = public_url
