"""Admin pages: quizzes."""

from __future__ import annotations

from webapp.admin.views import bp  # noqa: F401
