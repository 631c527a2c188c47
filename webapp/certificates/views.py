"""My Certificates and the public verification page."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, render_template
from flask_login import current_user
from sqlalchemy.orm import joinedload

from webapp.access import public, tenant_select
from webapp.extensions import db
from webapp.models import Certificate

bp = Blueprint("certificates", __name__, url_prefix="/certs")


@bp.get("/my")
def my_certificates():
    certificates = db.session.scalars(
        tenant_select(Certificate)
        .where(Certificate.user_id == current_user.id)
        .options(joinedload(Certificate.path))
        .order_by(Certificate.issued_at.desc())
    ).all()
    return render_template("certificates/my.html", certificates=certificates)


@bp.get("/verify/<token>")
@public
def verify(token: str):
    certificate = None
    if 20 <= len(token) <= 64:
        certificate = db.session.scalar(
            sa.select(Certificate)
            .where(Certificate.public_token == token)
            .options(joinedload(Certificate.path))
        )
    if certificate is None:
        abort(404)
    response = render_template("certificates/verify.html", certificate=certificate)
    return response, 200, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
