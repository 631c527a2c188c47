"""The review queue: what waits for a mentor's decision in their scope, counted and paged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from webapp import clock
from webapp.extensions import db
from webapp.models import (
    CertificationPath,
    Enrolment,
    Evaluation,
    EvaluationStatus,
    EvidenceSubmission,
    PathRequirement,
    PeerValidation,
    SubmissionStatus,
    User,
)
from webapp.pagination import Page
from webapp.services.peer_validation.scope import _learner_condition, scope_units


@dataclass(frozen=True)
class QueueItem:
    kind: str  # "submission" | "evaluation"
    id: int
    submitted_at: datetime
    learner_name: str
    programme_name: str
    requirement_title: str

    @property
    def age(self) -> timedelta:
        return clock.now() - self.submitted_at


class QueuePage(Page):
    """One page of the queue; `args` are its filters (programme, age)."""


def _queue_union(
    mentor: User,
    units: set[int] | None,
    *,
    programme_id: int | None = None,
    older_than_days: int | None = None,
):
    """Pending submissions and attempts awaiting validation in the mentor's scope that the
    mentor has not decided yet, as one UNION ALL subquery."""
    mine = sa.select(PeerValidation.id).where(PeerValidation.mentor_id == mentor.id)
    submissions = (
        sa.select(
            sa.literal_column("'submission'").label("kind"),
            EvidenceSubmission.id.label("id"),
            EvidenceSubmission.submitted_at.label("submitted_at"),
            EvidenceSubmission.user_id.label("user_id"),
            EvidenceSubmission.enrolment_id.label("enrolment_id"),
            EvidenceSubmission.requirement_id.label("requirement_id"),
        )
        .join(User, _learner_condition(mentor, EvidenceSubmission.user_id, units))
        .where(
            EvidenceSubmission.tenant_id == mentor.tenant_id,
            EvidenceSubmission.status == SubmissionStatus.PENDING,
            ~mine.where(PeerValidation.submission_id == EvidenceSubmission.id).exists(),
        )
    )
    evaluations = (
        sa.select(
            sa.literal_column("'evaluation'").label("kind"),
            Evaluation.id.label("id"),
            Evaluation.submitted_at.label("submitted_at"),
            Evaluation.user_id.label("user_id"),
            Evaluation.enrolment_id.label("enrolment_id"),
            Evaluation.requirement_id.label("requirement_id"),
        )
        .join(User, _learner_condition(mentor, Evaluation.user_id, units))
        .where(
            Evaluation.tenant_id == mentor.tenant_id,
            Evaluation.status == EvaluationStatus.AWAITING_VALIDATION,
            Evaluation.enrolment_id.is_not(None),
            Evaluation.requirement_id.is_not(None),
            ~mine.where(PeerValidation.evaluation_id == Evaluation.id).exists(),
        )
    )
    if programme_id is not None:
        submissions = submissions.join(
            Enrolment, Enrolment.id == EvidenceSubmission.enrolment_id
        ).where(Enrolment.path_id == programme_id)
        evaluations = evaluations.join(Enrolment, Enrolment.id == Evaluation.enrolment_id).where(
            Enrolment.path_id == programme_id
        )
    if older_than_days:
        cutoff = clock.now() - timedelta(days=older_than_days)
        submissions = submissions.where(EvidenceSubmission.submitted_at <= cutoff)
        evaluations = evaluations.where(Evaluation.submitted_at <= cutoff)
    return sa.union_all(submissions, evaluations).subquery("queue")


def queue_count(mentor: User) -> int:
    """How many items wait in the mentor's queue (the navigation badge)."""
    if not mentor.is_mentor:
        return 0
    queue = _queue_union(mentor, scope_units(mentor))
    return db.session.scalar(sa.select(sa.func.count()).select_from(queue)) or 0


def review_queue(
    mentor: User,
    *,
    page: int = 1,
    per_page: int = 20,
    programme_id: int | None = None,
    older_than_days: int | None = None,
) -> QueuePage:
    """One page of the mentor's queue, oldest first, with programme, requirement and learner.
    A constant number of queries whatever the queue's length."""
    queue = _queue_union(
        mentor, scope_units(mentor), programme_id=programme_id, older_than_days=older_than_days
    )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(queue)) or 0
    page = max(1, min(page, max(1, -(-total // per_page))))
    rows = db.session.execute(
        sa.select(
            queue.c.kind,
            queue.c.id,
            queue.c.submitted_at,
            User.full_name,
            CertificationPath.name,
            PathRequirement.title,
        )
        .join(User, User.id == queue.c.user_id)
        .join(Enrolment, Enrolment.id == queue.c.enrolment_id)
        .join(CertificationPath, CertificationPath.id == Enrolment.path_id)
        .join(PathRequirement, PathRequirement.id == queue.c.requirement_id)
        .order_by(queue.c.submitted_at, queue.c.kind.desc(), queue.c.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return QueuePage(
        items=[QueueItem(*row) for row in rows],
        page=page,
        per_page=per_page,
        total=total,
        args={"programme": programme_id, "age": older_than_days},
    )
