"""Admin pages: export a programme to a JSON file and import one (programme_files)."""

from __future__ import annotations

import io

from flask import flash, render_template, send_file, url_for
from flask_login import current_user

from webapp import htmx
from webapp.access import tenant_get_or_404
from webapp.admin.blueprint import bp
from webapp.admin.transfer_forms import ImportProgrammeForm
from webapp.errors import ValidationFailed
from webapp.extensions import db
from webapp.models import CertificationPath
from webapp.services import programme_files


@bp.get("/programs/<int:programme_id>/export")
def programme_export(programme_id: int):
    programme = tenant_get_or_404(CertificationPath, programme_id)
    document = programme_files.export_programme(programme)
    # Reads only, but a programme leaving as a file is audited (the one write here).
    programme_files.record_export(programme, current_user, document)
    db.session.commit()
    text = programme_files.dumps(document)
    return send_file(
        io.BytesIO(text.encode()),
        mimetype="application/json",
        as_attachment=True,
        download_name=f"{programme.slug}.json",
        max_age=0,
    )


@bp.route("/programs/import", methods=["GET", "POST"])
def programme_import():
    form = ImportProgrammeForm()
    error = None
    if form.validate_on_submit():
        raw = form.file.data.read(programme_files.MAX_DOCUMENT_BYTES + 1)
        actor = current_user._get_current_object()
        try:
            programme = programme_files.import_programme(
                current_user.tenant,
                actor,
                raw,
                slug=form.slug.data or None,
                name=form.name.data or None,
            )
        except ValidationFailed as failed:
            error = failed
        else:
            db.session.commit()
            flash(f"Imported “{programme.name}” as a draft programme.", "success")
            return htmx.see_other(url_for("admin.programme", programme_id=programme.id))
    template = (
        "_import.html" if htmx.is_fragment_request("programme-import") else "programme_import.html"
    )
    status = 422 if form.is_submitted() else 200
    return render_template(f"admin/transfer/{template}", form=form, error=error), status
