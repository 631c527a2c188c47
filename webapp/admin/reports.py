"""Admin pages: reports. The index, completion per programme or org unit and the people behind
each figure, the requirement funnel of a programme, the item analysis of a quiz version (each
with a chart, the same figures as a table, and CSV), and certificates expiring soon with their
holders' renewals."""

from __future__ import annotations

from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Response, current_app, render_template, request
from flask_login import current_user

from webapp import clock
from webapp.access import tenant_get_or_404, tenant_id
from webapp.admin.blueprint import bp
from webapp.extensions import db
from webapp.models import CertificationPath, OrgUnit, QuizVersion
from webapp.pagination import Page
from webapp.services import recertification, reports

WINDOWS = (30, 60, 90)
M = TypeVar("M")


def _row_or_none(model: type[M], name: str) -> M | None:
    """The row of this tenant named by query argument `name`; None when the argument is absent
    or empty; 404 for a foreign, unknown or malformed id."""
    raw = request.args.get(name, "").strip()
    return tenant_get_or_404(model, raw) if raw else None


def _programme_choices() -> list[tuple[int, str]]:
    return db.session.execute(
        sa.select(CertificationPath.id, CertificationPath.name)
        .where(CertificationPath.tenant_id == tenant_id())
        .order_by(sa.func.lower(CertificationPath.name))
    ).all()


def _csv(lines: list[str], name: str) -> Response:
    response = Response("".join(lines), mimetype="text/csv")
    response.headers["Content-Disposition"] = f"attachment; filename={name}.csv"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/reports/")
def reports_index():
    return render_template("admin/reports/reports_index.html")


def _completion() -> dict[str, Any]:
    by = request.args.get("by") if request.args.get("by") in reports.GROUPS else "programme"
    programme = _row_or_none(CertificationPath, "programme_id")
    rows = reports.completion(tenant_id(), by, programme.id if programme else None)
    return {"by": by, "programme": programme, "rows": rows}


@bp.get("/reports/completion")
def completion_report():
    return render_template(
        "admin/reports/completion_report.html",
        **_completion(),
        groups=reports.GROUPS,
        programmes=_programme_choices(),
        no_unit=reports.NO_UNIT,
    )


@bp.get("/reports/completion.csv")
def completion_export():
    report = _completion()
    return _csv(reports.completion_csv(report["rows"], reports.GROUPS[report["by"]]), "completion")


def _people_filters() -> dict[str, Any]:
    """The drill-down's filters: a programme, an org unit ("0": none) and a status."""
    programme = _row_or_none(CertificationPath, "programme_id")
    raw_unit = request.args.get("org_unit_id", "").strip()
    no_unit = raw_unit == str(reports.NO_UNIT)
    unit = tenant_get_or_404(OrgUnit, raw_unit) if raw_unit and not no_unit else None
    status = request.args.get("status", "enrolled")
    return {
        "programme": programme,
        "unit": unit,
        "no_unit": no_unit,
        "status": status if status in reports.PEOPLE_STATUSES else "enrolled",
    }


@bp.get("/reports/completion/people")
def completion_people():
    chosen = _people_filters()
    programme, unit = chosen["programme"], chosen["unit"]
    unit_id = unit.id if unit else (reports.NO_UNIT if chosen["no_unit"] else None)
    page, per_page = max(request.args.get("page", 1, type=int), 1), current_app.config["PAGE_SIZE"]
    people, total = reports.completion_people(
        tenant_id(),
        programme_id=programme.id if programme else None,
        org_unit_id=unit_id,
        status=chosen["status"],
        page=page,
        per_page=per_page,
    )
    args = {
        "programme_id": programme.id if programme else None,
        "org_unit_id": str(unit_id) if unit_id is not None else None,  # "0": no org unit
        "status": chosen["status"],
    }
    return render_template(
        "admin/reports/completion_people.html",
        **chosen,
        people=Page(people, page, per_page, total, args=args),
        unit_label=reports.unit_paths(tenant_id()).get(unit.id) if unit else None,
        statuses=reports.PEOPLE_STATUSES,
    )


@bp.get("/reports/funnel")
def funnel_report():
    programme = _row_or_none(CertificationPath, "programme_id")
    return render_template(
        "admin/reports/funnel_report.html",
        programme=programme,
        funnel=reports.requirement_funnel(programme) if programme else None,
        programmes=_programme_choices(),
    )


@bp.get("/reports/programs/<int:programme_id>/funnel.csv")
def funnel_export(programme_id: int):
    programme = tenant_get_or_404(CertificationPath, programme_id)
    return _csv(
        reports.funnel_csv(reports.requirement_funnel(programme)), f"funnel-{programme.slug}"
    )


@bp.get("/reports/items")
def item_analysis():
    version = _row_or_none(QuizVersion, "version_id")
    return render_template(
        "admin/reports/item_analysis.html",
        version=version,
        analysis=reports.item_analysis(version) if version else None,
        versions=reports.version_choices(tenant_id()),
        thresholds={
            "facility_low": reports.FACILITY_LOW,
            "facility_high": reports.FACILITY_HIGH,
            "discrimination_low": reports.DISCRIMINATION_LOW,
        },
    )


@bp.get("/reports/quiz-versions/<int:version_id>/items.csv")
def item_analysis_export(version_id: int):
    version = tenant_get_or_404(QuizVersion, version_id)
    return _csv(reports.items_csv(reports.item_analysis(version)), f"items-{version.id}")


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
