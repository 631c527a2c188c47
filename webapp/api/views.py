"""Token-authenticated JSON API for external systems, and a health check."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint

from webapp.access import public
from webapp.extensions import db

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/health")
@public
def health():
    db.session.execute(sa.text("SELECT 1"))
    return {"status": "ok"}
