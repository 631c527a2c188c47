"""Admin pages: reports (certificates expiring soon and holders' renewal status)."""

from __future__ import annotations

from flask import current_app, render_template, request
from flask_login import current_user

from webapp import clock
from webapp.admin.blueprint import bp
from webapp.pagination import Page
from webapp.services import recertification

WINDOWS = (30, 60, 90)


@bp.get("/reports/expiring")
def expiring_report():
    days = request.args.get("days", type=int)
    days = days if days in WINDOWS else 30
    page = max(request.args.get("page", 1, type=int), 1)
    per_page = current_app.config["PAGE_SIZE"]
    now = clock.now()
    holders, total = recertification.holder_renewals(
        current_user.tenant_id, now, days, page=page, per_page=per_page
    )
    return render_template(
        "admin/reports/expiring_report.html",
        groups=recertification.expiring_groups(current_user.tenant_id, now),
        holders=Page(holders, page, per_page, total, args={"days": days}),
        days=days,
        windows=WINDOWS,
    )
