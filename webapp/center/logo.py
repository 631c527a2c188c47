"""The organisation's logo, shown in the header of every page of its people. Routes attach
to the center blueprint."""

from __future__ import annotations

from flask import abort, send_file
from flask_login import current_user

from webapp.center.blueprint import bp
from webapp.storage import get_storage


@bp.get("/certs/logo")
def logo():
    # Pages link it with ?v=<part of the storage key>: a new logo is a new URL, so it can be
    # cached for a day.
    key = current_user.tenant.logo_key
    if not key or not get_storage().exists(key):
        abort(404)
    response = send_file(get_storage().path(key), max_age=86400)
    response.headers["Cache-Control"] = "private, max-age=86400"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
