"""The admin blueprint (admins of a tenant only); the route modules of this package attach
their pages to `bp`, and `webapp.admin.views` imports them all."""

from __future__ import annotations

from flask import Blueprint

from webapp.access import admin_required

bp = Blueprint("admin", __name__, url_prefix="/certs/admin")


@bp.before_request
@admin_required
def require_admin():
    return None
