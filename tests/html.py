"""Comparing pages: the CSRF tokens in a page are signed with a timestamp, so two renders of
the same page differ when a second boundary passes between them."""

from __future__ import annotations

import re


def without_tokens(response) -> str:
    """The body without CSRF tokens (the header's hx-headers and the forms' hidden inputs)."""
    body = re.sub(r'"X-CSRFToken": "[^"]+"', "", response.get_data(as_text=True))
    return re.sub(r'name="csrf_token" value="[^"]+"', "", body)
