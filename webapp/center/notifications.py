"""The notifications page: the user's in-app notifications, newest first, marked read in place
(htmx) or by plain forms. Routes attach to the center blueprint."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, make_response, render_template, request, url_for
from flask_login import current_user

from webapp import htmx
from webapp.access import first_or_404
from webapp.center.blueprint import bp
from webapp.extensions import db
from webapp.models import Notification
from webapp.services import notifications as inbox

LIST_TARGET = "notifications"
CHANGED = "notifications-changed"


def _list_context() -> dict:
    page = db.paginate(
        sa.select(Notification)
        .where(
            Notification.user_id == current_user.id,
            Notification.tenant_id == current_user.tenant_id,
        )
        .order_by(Notification.created_at.desc(), Notification.id.desc()),
        per_page=current_app.config["PAGE_SIZE"],
        error_out=False,
    )
    return {"page": page, "unread": inbox.unread_count(current_user)}


@bp.get("/certs/notifications")
def notifications():
    if htmx.is_fragment_request(LIST_TARGET):
        return render_template("center/_notifications.html", **_list_context())
    return render_template("center/notifications.html", **_list_context())


@bp.post("/certs/notifications/<int:notification_id>/read")
def notification_read(notification_id: int):
    first_or_404(
        sa.select(Notification).where(
            Notification.id == notification_id, Notification.user_id == current_user.id
        )
    )
    inbox.mark_read(current_user, [notification_id])
    db.session.commit()
    return _after_change()


@bp.post("/certs/notifications/read")
def notifications_read_all():
    inbox.mark_read(current_user)
    db.session.commit()
    return _after_change()


def _after_change():
    """The list in place (with an event that refreshes the unread count), else 303."""
    if htmx.is_fragment_request(LIST_TARGET):
        response = make_response(render_template("center/_notifications.html", **_list_context()))
        return htmx.trigger(response, CHANGED)
    return htmx.see_other(
        url_for("center.notifications", page=request.args.get("page", 1, type=int))
    )
