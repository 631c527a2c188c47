"""Administration (admins of a tenant only): the blueprint (`webapp.admin.blueprint`) with the
pages of every route module of this package attached."""

from __future__ import annotations

from webapp.admin import (  # noqa: F401  (each module attaches its routes to bp)
    attempts,
    audit,
    certificates,
    enrolment_detail,
    enrolments,
    home,
    org_units,
    outbox,
    people,
    programmes,
    quizzes,
    regrading,
    reports,
    settings,
    transfer,
)
from webapp.admin.blueprint import bp

__all__ = ["bp"]
