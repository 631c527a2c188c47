"""Admin pages: the programme list, the programme editor and its requirements (a programme's
enrolments are `admin/enrolments.py`'s)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp import htmx, uploads
from webapp.access import tenant_get_or_404, tenant_id, tenant_select
from webapp.admin.blueprint import bp
from webapp.admin.programme_forms import (
    REQUIREMENT_KINDS,
    ProgrammeForm,
    RequirementForm,
)
from webapp.errors import Conflict, DomainError, ValidationFailed
from webapp.extensions import db
from webapp.formtools import apply_problems, choices
from webapp.models import (
    CertificationPath,
    OrgUnit,
    PathRequirement,
    PathStatus,
    PathVersion,
    Quiz,
)
from webapp.services import certification_path_management as paths
from webapp.services import org_units

STATUSES = [s.value for s in PathStatus]
SETTINGS_TARGET = "requirement-settings"  # the add form's kind settings, swapped by htmx


@bp.context_processor
def requirement_editor_helpers() -> dict:
    return {"requirement_kinds": REQUIREMENT_KINDS}


@bp.get("/programs/")
def programmes():
    search = request.args.get("q", "").strip()[:100]
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    statement = tenant_select(CertificationPath).order_by(CertificationPath.name)
    if search:
        statement = statement.where(CertificationPath.name.ilike(f"%{search}%"))
    if status:
        statement = statement.where(CertificationPath.status == status)
    page = db.paginate(statement, per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template(
        "admin/programmes/programmes.html",
        page=page,
        search=search,
        status=status,
        statuses=STATUSES,
    )


def _programme_form(programme: CertificationPath | None = None) -> ProgrammeForm:
    form = (
        ProgrammeForm(obj=programme) if request.method == "GET" and programme else ProgrammeForm()
    )
    if request.method == "GET" and programme is None:  # the organisation's default window
        form.renewal_window_days.data = paths.default_renewal_window(tenant_id())
    others = db.session.execute(
        sa.select(CertificationPath.id, CertificationPath.name)
        .where(CertificationPath.tenant_id == tenant_id())
        .where(CertificationPath.id != (programme.id if programme else -1))
        .order_by(CertificationPath.name)
    ).all()
    form.prerequisite_ids.choices = choices(others)
    form.org_unit_id.choices = choices(
        [("", "Whole organisation"), *org_units.unit_choices(tenant_id())]
    )
    if request.method == "GET" and programme:
        form.prerequisite_ids.data = [p.id for p in programme.prerequisites]
        form.skill_names.data = ", ".join(s.name for s in programme.skills)
    return form


def _referenced_rows_or_404(form) -> None:
    """Ids posted in the form must be rows of this tenant: foreign ids answer 404."""
    for programme_id in (
        getattr(form, "prerequisite_ids", None) and form.prerequisite_ids.data or []
    ):
        tenant_get_or_404(CertificationPath, programme_id)
    for name, model in (("org_unit_id", OrgUnit), ("quiz_id", Quiz)):
        field = getattr(form, name, None)
        if field is not None and field.data:
            tenant_get_or_404(model, field.data)


def _save_badge(form: ProgrammeForm, programme: CertificationPath) -> bool:
    upload = form.badge.data
    if not upload or not getattr(upload, "filename", ""):
        return True
    data = upload.read()
    extension, problem = uploads.check_image(data, uploads.MB)
    if problem:
        form.badge.errors = [problem]
        return False
    # Written with the transaction: a save that is refused or rolled back leaves no file.
    paths.set_badge(programme, uploads.store(db.session(), "badges", extension, data))
    return True


@bp.route("/programs/new", methods=["GET", "POST"])
def programme_new():
    form = _programme_form()
    if form.validate_on_submit():
        _referenced_rows_or_404(form)
        try:
            programme = paths.create_programme(tenant_id(), current_user, form.data_for_service())
        except ValidationFailed as error:
            apply_problems(form, error)
        else:
            if _save_badge(form, programme):
                db.session.commit()
                flash(f"Programme “{programme.name}” created as a draft.", "success")
                return htmx.see_other(url_for("admin.programme", programme_id=programme.id))
            db.session.rollback()
    return render_template("admin/programmes/programme_new.html", form=form), (
        422 if form.is_submitted() else 200
    )


@bp.route("/programs/<int:programme_id>/edit", methods=["GET", "POST"])
def programme_edit(programme_id: int):
    programme = tenant_get_or_404(CertificationPath, programme_id)
    form = _programme_form(programme)
    if form.validate_on_submit():
        _referenced_rows_or_404(form)
        try:
            paths.update_programme(programme, current_user, form.data_for_service())
        except ValidationFailed as error:
            db.session.rollback()
            apply_problems(form, error)
        else:
            if _save_badge(form, programme):
                db.session.commit()
                flash("Programme saved.", "success")
                return htmx.see_other(url_for("admin.programme", programme_id=programme.id))
            db.session.rollback()
    return render_template(
        "admin/programmes/programme_edit.html", form=form, programme=programme
    ), (422 if form.is_submitted() else 200)


def _requirement_form(requirement: PathRequirement | None = None, **kwargs) -> RequirementForm:
    """The requirement form with its choices: filled from `requirement` on GET, else bound
    to the posted form, or to `formdata=` when given (None: an empty form)."""
    if request.method == "GET" and requirement is not None:
        form = RequirementForm(obj=requirement, kind=requirement.kind.value, **requirement.settings)
    else:
        form = RequirementForm(**kwargs)
    quizzes = db.session.execute(
        sa.select(Quiz.id, Quiz.title).where(Quiz.tenant_id == tenant_id()).order_by(Quiz.title)
    ).all()
    form.quiz_id.choices = choices([("", "Choose a quiz"), *quizzes])
    form.accepted_types.choices = choices(
        (t, t.upper()) for t in current_app.config["UPLOAD_ALLOWED_TYPES"]
    )
    return form


def _programme_page(
    programme: CertificationPath, *, requirement_form=None, editing=None, status=200, saved=None
):
    """The programme page, or its #requirements fragment for htmx. The add form is empty
    unless `requirement_form` (refused input) is given; `saved` is a status text shown in
    the fragment."""
    fragment = htmx.is_fragment_request("requirements")
    versions = db.session.scalars(
        sa.select(PathVersion)
        .where(PathVersion.path_id == programme.id)
        .order_by(PathVersion.major.desc(), PathVersion.minor.desc())
    ).all()
    context = {
        "programme": programme,
        "versions": versions,
        "requirement_form": requirement_form or _requirement_form(formdata=None),
        "editing": editing,
        "has_enrolments": paths.has_enrolments(programme),
        "fragment": fragment,
        "saved": saved,
    }
    if fragment:
        return render_template("admin/programmes/_requirements.html", **context), status
    return render_template("admin/programmes/programme.html", **context), status


@bp.get("/programs/<int:programme_id>")
def programme(programme_id: int):
    return _programme_page(tenant_get_or_404(CertificationPath, programme_id))


@bp.post("/programs/<int:programme_id>/requirements")
def requirement_add(programme_id: int):
    programme = tenant_get_or_404(CertificationPath, programme_id)
    form = _requirement_form()
    if form.validate_on_submit():
        _referenced_rows_or_404(form)
        try:
            requirement = paths.add_requirement(
                programme,
                current_user,
                form.kind.data,
                form.data_for_service(),
                current_app.config["UPLOAD_ALLOWED_TYPES"],
            )
        except DomainError as error:
            db.session.rollback()
            apply_problems(form, error)
        else:
            db.session.commit()
            return _after_requirement_change(programme, f"Requirement “{requirement.title}” added.")
    return _programme_page(programme, requirement_form=form, status=422)


@bp.get("/programs/<int:programme_id>/requirements/settings")
def requirement_settings(programme_id: int):
    """The settings of the kind chosen in the add form, with the values sent along, for htmx
    to swap in when the kind changes. Reads only."""
    programme = tenant_get_or_404(CertificationPath, programme_id)
    if request.args.get("kind") not in REQUIREMENT_KINDS:
        abort(400)
    if not htmx.is_fragment_request(SETTINGS_TARGET):
        return redirect(
            url_for("admin.programme", programme_id=programme.id, _anchor="requirements")
        )
    return render_template(
        "admin/programmes/_requirement_settings.html",
        programme=programme,
        requirement_form=_requirement_form(formdata=request.args),
        fragment=True,
    )


def _after_requirement_change(programme: CertificationPath, message: str | None = None):
    """In place (htmx): the fresh fragment saying what happened, no flash that would turn up
    on a later page. Otherwise a flash and 303 back to the editor."""
    if htmx.is_fragment_request("requirements"):
        return _programme_page(programme, saved=message)
    if message:
        flash(message, "success")
    return redirect(
        url_for("admin.programme", programme_id=programme.id) + "#requirements", code=303
    )


def _own_requirement(
    programme_id: int, requirement_id: int
) -> tuple[CertificationPath, PathRequirement]:
    programme = tenant_get_or_404(CertificationPath, programme_id)
    requirement = tenant_get_or_404(PathRequirement, requirement_id)
    if requirement.path_id != programme.id or requirement.removed_at is not None:
        abort(404)
    return programme, requirement


@bp.route(
    "/programs/<int:programme_id>/requirements/<int:requirement_id>/edit", methods=["GET", "POST"]
)
def requirement_edit(programme_id: int, requirement_id: int):
    programme, requirement = _own_requirement(programme_id, requirement_id)
    form = _requirement_form(requirement)
    if form.validate_on_submit():
        _referenced_rows_or_404(form)
        try:
            paths.update_requirement(
                requirement,
                current_user,
                form.data_for_service(),
                current_app.config["UPLOAD_ALLOWED_TYPES"],
            )
        except ValidationFailed as error:
            db.session.rollback()
            apply_problems(form, error)
        else:
            db.session.commit()
            return _after_requirement_change(programme, f"Requirement “{requirement.title}” saved.")
    status = 422 if form.is_submitted() else 200
    return _programme_page(programme, requirement_form=form, editing=requirement, status=status)


@bp.post("/programs/<int:programme_id>/requirements/<int:requirement_id>/remove")
def requirement_remove(programme_id: int, requirement_id: int):
    programme, requirement = _own_requirement(programme_id, requirement_id)
    title = requirement.title
    paths.remove_requirement(requirement, current_user)
    db.session.commit()
    return _after_requirement_change(programme, f"Requirement “{title}” removed.")


@bp.post("/programs/<int:programme_id>/requirements/<int:requirement_id>/move")
def requirement_move(programme_id: int, requirement_id: int):
    programme, requirement = _own_requirement(programme_id, requirement_id)
    paths.move_requirement(requirement, request.form.get("direction", ""), current_user)
    db.session.commit()
    return _after_requirement_change(programme)


@bp.post("/programs/<int:programme_id>/publish")
def programme_publish(programme_id: int):
    programme = tenant_get_or_404(CertificationPath, programme_id)
    try:
        version = paths.publish_path(programme, current_user)
    except ValidationFailed as error:
        db.session.rollback()
        for messages in error.problems.values():
            for message in messages:
                flash(message, "error")
    else:
        db.session.commit()
        flash(f"Published version {version.version}.", "success")
    return htmx.see_other(url_for("admin.programme", programme_id=programme.id))


def _archive_page(programme: CertificationPath, refusal: str | None = None, status: int = 200):
    return render_template(
        "admin/programmes/programme_archive.html",
        programme=programme,
        figures=paths.archive_figures(programme),
        refusal=refusal,
    ), status


@bp.route("/programs/<int:programme_id>/archive", methods=["GET", "POST"])
def programme_archive(programme_id: int):
    programme = tenant_get_or_404(CertificationPath, programme_id)
    if request.method == "GET":
        return _archive_page(programme)
    try:
        paths.archive_programme(programme, current_user)
    except DomainError as error:  # archived already
        db.session.rollback()
        return _archive_page(programme, error.message, error.status_code)
    db.session.commit()
    flash(f"“{programme.name}” archived. Existing enrolments continue.", "success")
    return htmx.see_other(url_for("admin.programme", programme_id=programme.id))


@bp.route("/programs/<int:programme_id>/delete", methods=["GET", "POST"])
def programme_delete(programme_id: int):
    programme = tenant_get_or_404(CertificationPath, programme_id)
    if request.method == "GET":
        refusal = paths.deletion_refusal(programme)
        return render_template(
            "admin/programmes/programme_delete.html", programme=programme, refusal=refusal
        )
    name = programme.name
    try:
        paths.delete_programme(programme, current_user)
    except Conflict as error:
        db.session.rollback()
        return render_template(
            "admin/programmes/programme_delete.html", programme=programme, refusal=error.message
        ), error.status_code
    db.session.commit()
    flash(f"Programme “{name}” deleted.", "success")
    return htmx.see_other(url_for("admin.programmes"))
