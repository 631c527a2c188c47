"""The request headers htmx sends, for tests that ask for a page as a fragment."""

from __future__ import annotations


def htmx(target: str | None = None, **extra: str) -> dict[str, str]:
    """`HX-Request: true`, `HX-Target: target` when given, and `extra` headers whose names are
    written with underscores for dashes: `htmx("list", HX_Boosted="true")`."""
    headers = {"HX-Request": "true"}
    if target is not None:
        headers["HX-Target"] = target
    headers.update({name.replace("_", "-"): value for name, value in extra.items()})
    return headers
