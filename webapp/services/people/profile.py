"""A person's page for admins: their enrolments with progress (from the ledger), certificates,
the decisions on their evidence and attempts, the decisions they made as a mentor, and the
audit events about them. A fixed number of queries whatever the history. Reads only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload

from webapp.extensions import db
from webapp.models import (
    AuditEvent,
    Certificate,
    CertificationPath,
    Decision,
    Enrolment,
    Evaluation,
    EvidenceSubmission,
    PathRequirement,
    PeerValidation,
    ProgressStatus,
    RequirementProgress,
    User,
)

EVENTS_SHOWN = 50


@dataclass(frozen=True)
class EnrolmentLine:
    enrolment: Enrolment
    programme_name: str
    met: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.met / self.total) if self.total else 0


@dataclass(frozen=True)
class DecisionLine:
    """A mentor's decision on a submission (kind "submission") or a quiz attempt
    ("evaluation")."""

    decided_at: datetime
    decision: Decision
    comment: str
    kind: str
    subject_id: int
    requirement_title: str
    programme_name: str
    learner_id: int
    learner_name: str
    mentor_id: int
    mentor_name: str


@dataclass(frozen=True)
class Profile:
    enrolments: list[EnrolmentLine]
    certificates: list[Certificate]
    decisions_received: list[DecisionLine]
    decisions_made: list[DecisionLine]
    events: list[AuditEvent]
    events_total: int


def _enrolments(person: User) -> list[EnrolmentLine]:
    mandatory = RequirementProgress.is_mandatory.is_(True)
    met = sa.and_(mandatory, RequirementProgress.status == ProgressStatus.MET)
    progress = (
        sa.select(
            RequirementProgress.enrolment_id,
            sa.func.sum(sa.case((mandatory, 1), else_=0)).label("total"),
            sa.func.sum(sa.case((met, 1), else_=0)).label("met"),
        )
        .where(RequirementProgress.tenant_id == person.tenant_id)
        .group_by(RequirementProgress.enrolment_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Enrolment, CertificationPath.name, progress.c.met, progress.c.total)
        .join(CertificationPath, CertificationPath.id == Enrolment.path_id)
        .outerjoin(progress, progress.c.enrolment_id == Enrolment.id)
        .where(Enrolment.tenant_id == person.tenant_id, Enrolment.user_id == person.id)
        .order_by(Enrolment.started_at.desc(), Enrolment.id.desc())
    ).all()
    return [
        EnrolmentLine(enrolment, name, int(met or 0), int(total or 0))
        for enrolment, name, met, total in rows
    ]


def _decisions(person: User, *, made: bool) -> list[DecisionLine]:
    learner, mentor = aliased(User), aliased(User)
    learner_id = sa.func.coalesce(EvidenceSubmission.user_id, Evaluation.user_id)
    requirement_id = sa.func.coalesce(EvidenceSubmission.requirement_id, Evaluation.requirement_id)
    rows = db.session.execute(
        sa.select(
            PeerValidation,
            PathRequirement.title,
            CertificationPath.name,
            learner.id,
            learner.full_name,
            mentor.full_name,
        )
        .outerjoin(EvidenceSubmission, EvidenceSubmission.id == PeerValidation.submission_id)
        .outerjoin(Evaluation, Evaluation.id == PeerValidation.evaluation_id)
        .outerjoin(PathRequirement, PathRequirement.id == requirement_id)
        .outerjoin(CertificationPath, CertificationPath.id == PathRequirement.path_id)
        .join(learner, learner.id == learner_id)
        .join(mentor, mentor.id == PeerValidation.mentor_id)
        .where(
            PeerValidation.tenant_id == person.tenant_id,
            (PeerValidation.mentor_id if made else learner_id) == person.id,
        )
        .order_by(PeerValidation.decided_at.desc(), PeerValidation.id.desc())
    ).all()
    return [
        DecisionLine(
            decided_at=validation.decided_at,
            decision=validation.decision,
            comment=validation.comment,
            kind="submission" if validation.submission_id else "evaluation",
            subject_id=validation.submission_id or validation.evaluation_id,
            requirement_title=title or "",
            programme_name=programme or "",
            learner_id=learner_pk,
            learner_name=learner_name,
            mentor_id=validation.mentor_id,
            mentor_name=mentor_name,
        )
        for validation, title, programme, learner_pk, learner_name, mentor_name in rows
    ]


def _about(person: User):
    return sa.and_(
        AuditEvent.tenant_id == person.tenant_id,
        sa.or_(
            AuditEvent.subject_user_id == person.id,
            sa.and_(AuditEvent.object_type == "user", AuditEvent.object_id == person.id),
        ),
    )


def person_profile(person: User) -> Profile:
    """Everything the person's admin page shows below their record (six queries)."""
    certificates = db.session.scalars(
        sa.select(Certificate)
        .where(Certificate.tenant_id == person.tenant_id, Certificate.user_id == person.id)
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    ).all()
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(_about(person))
        .options(joinedload(AuditEvent.actor))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(EVENTS_SHOWN)
    ).all()
    events_total = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(_about(person)))
    return Profile(
        enrolments=_enrolments(person),
        certificates=list(certificates),
        decisions_received=_decisions(person, made=False),
        decisions_made=_decisions(person, made=True),
        events=list(events),
        events_total=events_total or 0,
    )
