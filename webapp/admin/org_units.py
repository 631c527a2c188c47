"""Admin pages: the org unit tree, a unit's page (rename, move, the mentors who review it),
new units and deleting an empty one."""

from __future__ import annotations

from flask import abort, flash, render_template, request, url_for
from flask_login import current_user

from webapp import htmx
from webapp.access import tenant_get_or_404, tenant_id
from webapp.admin.blueprint import bp
from webapp.admin.org_unit_forms import MentorForm, MoveForm, RenameForm, UnitForm
from webapp.errors import Conflict, ValidationFailed
from webapp.extensions import db
from webapp.formtools import apply_problems, choices
from webapp.models import OrgUnit, User
from webapp.services import org_units as units
from webapp.services import peer_validation

MENTORS_TARGET = "unit-mentors"  # the mentors section of a unit's page, swapped by htmx
TOP = ("", "Top of the tree")


@bp.get("/org-units/")
def org_units():
    return render_template("admin/org_units/org_units.html", tree=units.tree(tenant_id()))


@bp.route("/org-units/new", methods=["GET", "POST"])
def org_unit_new():
    form = UnitForm()
    if request.method == "GET":
        form.parent_id.data = request.args.get("parent", type=int)
    form.parent_id.choices = choices([TOP, *units.unit_choices(tenant_id())])
    if form.validate_on_submit():
        parent = tenant_get_or_404(OrgUnit, form.parent_id.data) if form.parent_id.data else None
        try:
            unit = units.create_unit(tenant_id(), current_user, form.name.data, parent)
        except ValidationFailed as error:
            db.session.rollback()
            apply_problems(form, error)
        else:
            db.session.commit()
            flash(f"Org unit “{unit.name}” created.", "success")
            return htmx.see_other(url_for("admin.org_units", _anchor=f"unit-{unit.id}"))
    return render_template("admin/org_units/org_unit_new.html", form=form), (
        422 if form.is_submitted() else 200
    )


def _move_form(unit: OrgUnit, *, fresh: bool = False) -> MoveForm:
    """The move form: posted, or (`fresh`) showing the unit's parent; the choices leave out
    the unit and the units inside it."""
    form = MoveForm(formdata=None, parent_id=unit.parent_id) if fresh else MoveForm()
    form.parent_id.choices = choices(
        [TOP, *units.unit_choices(unit.tenant_id, excluding_subtree_of=unit.id)]
    )
    return form


def _mentor_form(unit: OrgUnit, **kwargs) -> MentorForm:
    form = MentorForm(**kwargs)
    labels = units.unit_labels(unit.tenant_id)
    form.mentor_id.choices = choices(
        [("", "Choose a mentor")]
        + [
            (m.id, f"{m.full_name} ({m.email})" + _reviews_now(m, labels))
            for m in units.assignable_mentors(unit)
        ]
    )
    return form


def _reviews_now(mentor: User, labels: dict[int, str]) -> str:
    label = labels.get(mentor.mentor_unit_id) if mentor.mentor_unit_id else None
    return f", now reviewing {label}" if label else ""


def _unit_page(
    unit: OrgUnit, *, rename_form=None, move_form=None, mentor_form=None, status=200, saved=None
):
    """A unit's page, or its mentors section (#unit-mentors) for htmx. Forms are filled from
    the unit unless a refused one (keeping what was typed) is given."""
    context = {
        "unit": unit,
        "mentor_form": mentor_form or _mentor_form(unit, formdata=None),
        "assigned": units.assigned_mentors(unit),
        "reviewers": peer_validation.reviewers_of_unit(unit),
        "saved": saved,
    }
    if htmx.is_fragment_request(MENTORS_TARGET):
        return render_template("admin/org_units/_mentors.html", **context), status
    context.update(
        path=units.unit_path(unit),
        children=units.children_of(unit),
        contents=units.contents(unit),
        rename_form=rename_form or RenameForm(formdata=None, name=unit.name),
        move_form=move_form or _move_form(unit, fresh=True),
    )
    return render_template("admin/org_units/org_unit.html", **context), status


@bp.get("/org-units/<int:unit_id>")
def org_unit(unit_id: int):
    return _unit_page(tenant_get_or_404(OrgUnit, unit_id))


@bp.post("/org-units/<int:unit_id>/rename")
def org_unit_rename(unit_id: int):
    unit = tenant_get_or_404(OrgUnit, unit_id)
    form = RenameForm()
    if form.validate_on_submit():
        try:
            renamed = units.rename_unit(unit, current_user, form.name.data)
        except ValidationFailed as error:
            db.session.rollback()
            apply_problems(form, error)
        else:
            db.session.commit()
            if renamed:
                flash(f"Renamed “{unit.name}”.", "success")
            return htmx.see_other(url_for("admin.org_unit", unit_id=unit.id))
    return _unit_page(unit, rename_form=form, status=422)


@bp.post("/org-units/<int:unit_id>/move")
def org_unit_move(unit_id: int):
    unit = tenant_get_or_404(OrgUnit, unit_id)
    form = _move_form(unit)
    if form.validate_on_submit():
        parent = tenant_get_or_404(OrgUnit, form.parent_id.data) if form.parent_id.data else None
        try:
            moved = units.move_unit(unit, current_user, parent)
        except ValidationFailed as error:
            db.session.rollback()
            apply_problems(form, error)
        else:
            db.session.commit()
            if moved:
                where = f"inside “{parent.name}”" if parent else "to the top of the tree"
                flash(f"Moved “{unit.name}” {where}.", "success")
            return htmx.see_other(url_for("admin.org_unit", unit_id=unit.id))
    return _unit_page(unit, move_form=form, status=422)


def _after_mentor_change(unit: OrgUnit, message: str):
    """In place (htmx): the fresh mentors section saying what happened. Otherwise a flash and
    303 back to the unit's page."""
    if htmx.is_fragment_request(MENTORS_TARGET):
        return _unit_page(unit, saved=message)
    flash(message, "success")
    return htmx.see_other(url_for("admin.org_unit", unit_id=unit.id, _anchor=MENTORS_TARGET))


@bp.post("/org-units/<int:unit_id>/mentors")
def org_unit_mentor_add(unit_id: int):
    unit = tenant_get_or_404(OrgUnit, unit_id)
    form = _mentor_form(unit)
    if form.validate_on_submit():
        mentor = tenant_get_or_404(User, form.mentor_id.data)
        try:
            units.set_mentor_unit(mentor, unit, current_user)
        except ValidationFailed as error:
            db.session.rollback()
            apply_problems(form, error)
        else:
            db.session.commit()
            return _after_mentor_change(
                unit, f"{mentor.full_name} now reviews the work in “{unit.name}”."
            )
    return _unit_page(unit, mentor_form=form, status=422)


@bp.post("/org-units/<int:unit_id>/mentors/<int:user_id>/remove")
def org_unit_mentor_remove(unit_id: int, user_id: int):
    unit = tenant_get_or_404(OrgUnit, unit_id)
    mentor = tenant_get_or_404(User, user_id)
    if mentor.mentor_unit_id != unit.id:
        abort(404)
    units.set_mentor_unit(mentor, None, current_user)
    db.session.commit()
    scope = "their own org unit" if mentor.org_unit_id else "the whole organisation"
    return _after_mentor_change(
        unit, f"{mentor.full_name} no longer reviews “{unit.name}”; they review {scope} again."
    )


@bp.route("/org-units/<int:unit_id>/delete", methods=["GET", "POST"])
def org_unit_delete(unit_id: int):
    unit = tenant_get_or_404(OrgUnit, unit_id)
    if request.method == "POST":
        name = unit.name
        try:
            units.delete_unit(unit, current_user)
        except Conflict as error:
            db.session.rollback()
            return _delete_page(unit, error.status_code)
        db.session.commit()
        flash(f"Org unit “{name}” deleted.", "success")
        return htmx.see_other(url_for("admin.org_units"))
    return _delete_page(unit)


def _delete_page(unit: OrgUnit, status: int = 200):
    return render_template(
        "admin/org_units/org_unit_delete.html", unit=unit, contents=units.contents(unit)
    ), status
