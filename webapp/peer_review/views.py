"""The mentor review queue."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy.orm import joinedload

from webapp.access import mentor_required, tenant_select
from webapp.extensions import db
from webapp.models import EvidenceSubmission, SubmissionStatus

bp = Blueprint("peer_review", __name__, url_prefix="/certs/reviews")


@bp.get("/")
@mentor_required
def queue():
    submissions = (
        db.session.scalars(
            tenant_select(EvidenceSubmission)
            .where(
                EvidenceSubmission.status == SubmissionStatus.PENDING,
                EvidenceSubmission.user_id != current_user.id,
            )
            .options(joinedload(EvidenceSubmission.files))
            .order_by(EvidenceSubmission.submitted_at, EvidenceSubmission.id)
            .limit(100)
        )
        .unique()
        .all()
    )
    return render_template("peer_review/queue.html", submissions=submissions)
