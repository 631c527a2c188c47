"""Admin pages: the enrolments of a programme (filters, sorting, pages, CSV export) and bulk
enrolment (people, a whole org unit, a list of e-mail addresses) with its report."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    current_app,
    make_response,
    render_template,
    request,
    stream_with_context,
)
from flask_login import current_user

from webapp import htmx
from webapp.access import tenant_get_or_404, tenant_id, tenant_select
from webapp.admin.blueprint import bp
from webapp.admin.enrolment_forms import EnrolPeopleForm
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.formtools import apply_problems, choices
from webapp.models import CertificationPath, OrgUnit, User
from webapp.services import org_units
from webapp.services import programme_enrolments as roster

LIST_TARGET = "enrolment-list"  # the list section, swapped by the filters (htmx)
ENROL_TARGET = "enrol-people"  # the enrol form and its report, swapped in place
ENROLMENTS_CHANGED = "enrolments-changed"  # the list reloads itself on this event


def _filters() -> roster.Filters:
    """The list's filters from the query string; a foreign org unit answers 404."""
    unit_id = request.args.get("unit", type=int)
    if unit_id is not None:
        tenant_get_or_404(OrgUnit, unit_id)
    return roster.Filters.read(
        status=request.args.get("status"),
        unit_id=unit_id,
        version=request.args.get("version"),
        sort=request.args.get("sort"),
    )


def _page(programme: CertificationPath, filters: roster.Filters):
    return roster.enrolment_page(
        programme,
        filters,
        page=request.args.get("page", 1, type=int),
        per_page=current_app.config["PAGE_SIZE"],
    )


def _enrol_form(units: list | None = None, **kwargs) -> EnrolPeopleForm:
    form = EnrolPeopleForm(**kwargs)
    people = db.session.execute(
        tenant_select(User)
        .with_only_columns(User.id, User.full_name, User.email)
        .where(User.active.is_(True))
        .order_by(User.full_name, User.id)
    ).all()
    form.user_ids.choices = choices((i, f"{name} ({email})") for i, name, email in people)
    units = org_units.unit_choices(tenant_id()) if units is None else units
    form.org_unit_id.choices = choices([("", "No org unit"), *units])
    return form


def _enrolments_page(programme, *, filters=None, enrol_form=None, report=None, status=200):
    """The enrolments page: the filtered list and the enrol form (refused input kept), with
    the report of an enrolment just made."""
    filters = filters or roster.Filters()
    units = org_units.unit_choices(tenant_id())
    return render_template(
        "admin/enrolments/programme_enrolments.html",
        programme=programme,
        filters=filters,
        page=_page(programme, filters),
        statuses=roster.STATUSES,
        units=units,
        versions=roster.versions(programme),
        enrol_form=enrol_form or _enrol_form(units, formdata=None),
        report=report,
    ), status


@bp.get("/programs/<int:programme_id>/enrolments")
def programme_enrolments(programme_id: int):
    programme = tenant_get_or_404(CertificationPath, programme_id)
    filters = _filters()
    if htmx.is_fragment_request(LIST_TARGET):
        return render_template(
            "admin/enrolments/_enrolment_list.html",
            programme=programme,
            filters=filters,
            page=_page(programme, filters),
        )
    return _enrolments_page(programme, filters=filters)


@bp.get("/programs/<int:programme_id>/enrolments.csv")
def programme_enrolments_export(programme_id: int):
    programme = tenant_get_or_404(CertificationPath, programme_id)
    rows = roster.export_rows(programme, _filters())
    response = Response(stream_with_context(roster.csv_lines(rows)), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f"attachment; filename={programme.slug}-enrolments.csv"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _chosen_people(ids: list[int]) -> list[User]:
    """The people picked, all of this tenant: a foreign or unknown id answers 404."""
    if not ids:
        return []
    people = db.session.scalars(tenant_select(User).where(User.id.in_(ids))).all()
    if len(people) != len(set(ids)):
        abort(404)
    order = {user_id: n for n, user_id in reversed(list(enumerate(ids)))}
    return sorted(people, key=lambda p: order[p.id])


def _addresses(form: EnrolPeopleForm) -> list[str]:
    """The addresses pasted and those of the uploaded file, as one list."""
    text = form.emails.data or ""
    upload = form.email_file.data
    if upload and getattr(upload, "filename", ""):
        text += "\n" + roster.read_address_file(upload.read(roster.MAX_LIST_BYTES + 1))
    return roster.parse_addresses(text)


@bp.post("/programs/<int:programme_id>/enrol")
def programme_enrol(programme_id: int):
    programme = tenant_get_or_404(CertificationPath, programme_id)
    form = _enrol_form()
    if form.validate_on_submit():
        people = _chosen_people(form.user_ids.data or [])
        unit = tenant_get_or_404(OrgUnit, form.org_unit_id.data) if form.org_unit_id.data else None
        try:
            report = roster.enrol_people(
                programme, current_user, people=people, unit=unit, addresses=_addresses(form)
            )
        except DomainError as error:
            db.session.rollback()
            apply_problems(form, error)
        else:
            db.session.commit()
            return _enrolled(programme, report)
    if htmx.is_fragment_request(ENROL_TARGET):
        return _enrol_fragment(programme, form, None, 422)
    return _enrolments_page(programme, enrol_form=form, status=422)


def _enrol_fragment(programme, form, report, status=200):
    return render_template(
        "admin/enrolments/_enrol.html", programme=programme, enrol_form=form, report=report
    ), status


def _enrolled(programme: CertificationPath, report: roster.EnrolmentReport):
    """The report with a fresh form: in place for htmx (the list reloads itself), else the
    whole page."""
    if not htmx.is_fragment_request(ENROL_TARGET):
        return _enrolments_page(programme, report=report)
    response = make_response(_enrol_fragment(programme, _enrol_form(formdata=None), report))
    return htmx.trigger(response, ENROLMENTS_CHANGED)
