"""The only module that reads or writes HX-* headers (STYLE rule 7 and 8)."""

from __future__ import annotations

import json

from flask import Flask, Response, redirect, request


def is_htmx() -> bool:
    """Any request sent by htmx (including boosted links and history restores)."""
    return request.headers.get("HX-Request") == "true"


def target() -> str | None:
    """The id of the element htmx will swap into, if any."""
    return request.headers.get("HX-Target")


def is_fragment_request(*targets: str) -> bool:
    """True when htmx asked for a fragment to swap into one of `targets` (any target when none
    given). Boosted navigations and history restores need the whole page and answer False."""
    if not is_htmx():
        return False
    if request.headers.get("HX-Boosted") or request.headers.get("HX-History-Restore-Request"):
        return False
    current = target()
    if current is None:
        return False
    return not targets or current in targets


def see_other(url: str, *, target: str | None = None) -> Response:
    """After a write: `204 + HX-Location` for htmx, `303 See Other` for a plain browser. With
    `target` (an element id) htmx loads `url` into that element (outerHTML) instead of the
    whole page, sending it as HX-Target."""
    if is_htmx():
        response = Response(status=204)
        response.headers["HX-Location"] = (
            json.dumps({"path": url, "target": f"#{target}", "swap": "outerHTML"})
            if target
            else url
        )
        return response
    return redirect(url, code=303)


def redirect_to_login(url: str) -> Response:
    """An unauthenticated request: htmx gets HX-Redirect (a full navigation), browsers a 302."""
    if is_htmx():
        response = Response(status=401)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url)


def trigger(response: Response, event: str) -> Response:
    """Ask htmx to fire a client-side event after the swap (e.g. refresh a counter)."""
    existing = response.headers.get("HX-Trigger")
    response.headers["HX-Trigger"] = f"{existing}, {event}" if existing else event
    return response


def _vary(response: Response) -> Response:
    response.vary.add("HX-Request")
    response.vary.add("HX-Target")
    return response


def init_app(app: Flask) -> None:
    app.after_request(_vary)
