"""Admin pages: people (the list, a person's page, adding and editing, invitations,
deactivation, deletion of unused records, and the CSV import with its preview)."""

from __future__ import annotations

from flask import current_app, flash, render_template, request, url_for
from flask_login import current_user

from webapp import clock, htmx
from webapp.access import tenant_get_or_404, tenant_id
from webapp.admin.blueprint import bp
from webapp.admin.people_forms import (
    ImportConfirmForm,
    ImportForm,
    NewPersonForm,
    PeopleFilterForm,
    PersonForm,
)
from webapp.errors import Conflict, ValidationFailed
from webapp.extensions import db
from webapp.formtools import apply_problems
from webapp.models import User
from webapp.services import people

RESULTS_TARGET = "people-results"  # the list's table, swapped by the live filters


def _actor() -> User:
    return current_user._get_current_object()


@bp.get("/people/")
def people_list():
    tree = people.unit_tree(tenant_id())
    form = PeopleFilterForm(request.args)
    form.set_units(tree)
    form.validate()
    unit_id = form.org_unit_id.data if not form.org_unit_id.errors else None
    page = people.directory_page(
        tenant_id(),
        **form.filters(),
        unit_ids=people.subtree_ids(tree, unit_id) if unit_id else None,
        page=request.args.get("page", 1, type=int),
        per_page=current_app.config["PAGE_SIZE"],
        args=form.query_args(),
    )
    fragment = htmx.is_fragment_request(RESULTS_TARGET)
    template = "_people_results.html" if fragment else "people_list.html"
    return render_template(
        f"admin/people/{template}",
        form=form,
        page=page,
        sort=people.parse_sort(form.sort.data),
        paths=people.unit_paths(tree),
    )


@bp.route("/people/new", methods=["GET", "POST"])
def person_new():
    form = NewPersonForm()
    form.set_units(people.unit_tree(tenant_id()))
    if form.validate_on_submit():
        try:
            person = people.create_person(
                current_user.tenant,
                _actor(),
                form.person_fields(),
                invite=form.send_invitation.data,
            )
        except ValidationFailed as error:
            db.session.rollback()
            apply_problems(form, error)
        else:
            db.session.commit()
            flash(
                f"{person.full_name} added and invited."
                if form.send_invitation.data
                else f"{person.full_name} added. Send an invitation from this page when ready.",
                "success",
            )
            return htmx.see_other(url_for("admin.person", user_id=person.id))
    status = 422 if form.is_submitted() else 200
    return render_template("admin/people/person_new.html", form=form), status


@bp.get("/people/<int:user_id>")
def person(user_id: int):
    person = tenant_get_or_404(User, user_id)
    tree = people.unit_tree(tenant_id())
    return render_template(
        "admin/people/person.html",
        person=person,
        profile=people.person_profile(person),
        paths=people.unit_paths(tree),
        now=clock.now(),
    )


@bp.route("/people/<int:user_id>/edit", methods=["GET", "POST"])
def person_edit(user_id: int):
    person = tenant_get_or_404(User, user_id)
    form = PersonForm(obj=person) if request.method == "GET" else PersonForm()
    form.set_units(people.unit_tree(tenant_id()))
    if form.validate_on_submit():
        try:
            changes = people.update_person(person, _actor(), form.person_fields())
        except ValidationFailed as error:
            db.session.rollback()
            apply_problems(form, error)
        else:
            db.session.commit()
            flash("Changes saved." if changes else "Nothing was changed.", "success")
            return htmx.see_other(url_for("admin.person", user_id=person.id))
    status = 422 if form.is_submitted() else 200
    return render_template("admin/people/person_edit.html", form=form, person=person), status


@bp.post("/people/<int:user_id>/invite")
def person_invite(user_id: int):
    person = tenant_get_or_404(User, user_id)
    try:
        people.invite(person, _actor())
    except Conflict as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(f"Invitation sent to {person.email}; earlier links no longer work.", "success")
    return htmx.see_other(url_for("admin.person", user_id=person.id))


@bp.route("/people/<int:user_id>/deactivate", methods=["GET", "POST"])
def person_deactivate(user_id: int):
    person = tenant_get_or_404(User, user_id)
    error = None
    if request.method == "POST":
        try:
            people.deactivate(person, _actor())
        except Conflict as refused:
            db.session.rollback()
            error = refused.message
        else:
            db.session.commit()
            flash(f"{person.full_name} is deactivated and was logged out.", "success")
            return htmx.see_other(url_for("admin.person", user_id=person.id))
    status = 409 if error else 200
    return render_template(
        "admin/people/person_deactivate.html", person=person, error=error
    ), status


@bp.post("/people/<int:user_id>/reactivate")
def person_reactivate(user_id: int):
    person = tenant_get_or_404(User, user_id)
    people.reactivate(person, _actor())
    db.session.commit()
    flash(f"{person.full_name} can log in again.", "success")
    return htmx.see_other(url_for("admin.person", user_id=person.id))


@bp.route("/people/<int:user_id>/delete", methods=["GET", "POST"])
def person_delete(user_id: int):
    person = tenant_get_or_404(User, user_id)
    if request.method == "POST":
        name = person.full_name
        try:
            people.delete_person(person, _actor())
        except Conflict:
            db.session.rollback()
        else:
            db.session.commit()
            flash(f"{name} was deleted.", "success")
            return htmx.see_other(url_for("admin.people_list"))
    refusal = people.deletion_refusal(person, _actor())
    status = 409 if refusal and request.method == "POST" else 200
    return render_template(
        "admin/people/person_delete.html", person=person, refusal=refusal
    ), status


# --- Import from CSV: a preview that writes nothing, then the import -----------------------


def _preview(plan: people.ImportPlan, text: str, *, notice: str | None = None, status=200):
    seal = people.seal_preview(plan, text, current_user.tenant, _actor())
    form = ImportConfirmForm(formdata=None, data={"text": text, "seal": seal})
    return render_template(
        "admin/people/people_import_preview.html", plan=plan, form=form, notice=notice
    ), status


@bp.route("/people/import", methods=["GET", "POST"])
def people_import():
    form = ImportForm()
    if form.validate_on_submit():
        try:
            text = people.decode_upload(form.file.data.read(people.MAX_IMPORT_BYTES + 1))
            plan = people.plan_import(
                current_user.tenant,
                _actor(),
                text,
                create_units=form.create_units.data,
                invite=form.invite.data,
            )
        except ValidationFailed as error:
            apply_problems(form, error)
        else:
            return _preview(plan, text)
    status = 422 if form.is_submitted() else 200
    return render_template("admin/people/people_import.html", form=form), status


@bp.post("/people/import/confirm")
def people_import_confirm():
    form = ImportConfirmForm()
    text = form.text.data or ""
    tenant, actor = current_user.tenant, _actor()
    try:
        options = people.open_preview(form.seal.data or "", text, tenant, actor)
        result = people.apply_import(tenant, actor, text, **options)
    except people.PlanChanged as changed:
        db.session.rollback()
        return _preview(changed.plan, text, notice=changed.message, status=409)
    except (people.PreviewRefused, ValidationFailed) as refused:
        db.session.rollback()
        upload = ImportForm(formdata=None)
        upload.general_errors = [refused.message]
        return render_template("admin/people/people_import.html", form=upload), 400
    db.session.commit()
    flash(f"Import done: {result.summary()}.", "success")
    return htmx.see_other(url_for("admin.people_list"))
