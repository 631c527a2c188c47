"""The JSON API blueprint (`/api`). Today it serves the health check only: `GET /api/health`
answers `{"status": "ok"}` once the database answers; it needs no login."""

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
