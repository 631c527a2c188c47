"""Admin pages: certificates (list, revoke, re-render)."""

from __future__ import annotations

from webapp.admin.views import bp  # noqa: F401
