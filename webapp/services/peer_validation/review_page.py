"""Read models for the review page: one subject with its learner, requirement, decisions so
far, the learner's earlier submissions or the attempt's answered questions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from webapp.extensions import db
from webapp.models import (
    Decision,
    Enrolment,
    Evaluation,
    EvidenceSubmission,
    PeerValidation,
    User,
)
from webapp.services import orchestration, question_types
from webapp.services.peer_validation.decisions import (
    Subject,
    _is_open,
    _subject_key,
    required_approvals,
)
from webapp.services.peer_validation.evidence import learner_submissions


@dataclass
class Review:
    """Everything the review page shows about one subject."""

    subject: Subject
    kind: str
    learner: User
    enrolment: Enrolment
    definition: dict[str, Any]
    validations: list[PeerValidation]
    earlier: list[EvidenceSubmission]
    questions: list[dict[str, Any]]
    required: int
    mine: PeerValidation | None

    @property
    def is_open(self) -> bool:
        return _is_open(self.subject)

    @property
    def can_decide(self) -> bool:
        return self.is_open and self.mine is None

    @property
    def approvals(self) -> int:
        return sum(1 for v in self.validations if v.decision is Decision.APPROVED)


def review(subject: Subject, mentor: User) -> Review:
    """The review page's data for a subject the mentor may see (load it with
    reviewable_submission / reviewable_evaluation first)."""
    learner = db.session.get(User, subject.user_id)
    enrolment = db.session.get(Enrolment, subject.enrolment_id)
    definition = orchestration.snapshot_requirement(enrolment, subject.requirement_id) or {}
    column = getattr(PeerValidation, _subject_key(subject))
    validations = list(
        db.session.scalars(
            sa.select(PeerValidation)
            .where(column == subject.id)
            .options(selectinload(PeerValidation.mentor))
            .order_by(PeerValidation.decided_at, PeerValidation.id)
        )
    )
    earlier: list[EvidenceSubmission] = []
    questions: list[dict[str, Any]] = []
    if isinstance(subject, EvidenceSubmission):
        kind = "submission"
        earlier = [
            s
            for s in learner_submissions(enrolment, subject.requirement_id)
            if s.id != subject.id and s.submitted_at <= subject.submitted_at
        ]
    else:
        kind = "evaluation"
        questions = answered_questions(subject)
    return Review(
        subject=subject,
        kind=kind,
        learner=learner,
        enrolment=enrolment,
        definition=definition,
        validations=validations,
        earlier=earlier,
        questions=questions,
        required=required_approvals(definition),
        mine=next((v for v in validations if v.mentor_id == mentor.id), None),
    )


def answered_questions(evaluation: Evaluation) -> list[dict[str, Any]]:
    """The attempt's questions in the order shown, each with the learner's answer, the key
    and the outcome (from the latest score version when there is one)."""
    questions = {str(q["id"]): q for q in evaluation.quiz_version.questions}
    meta = evaluation.meta or {}
    order = meta.get("question_ids") or meta.get("order") or list(questions)
    outcomes = meta.get("outcomes") or meta.get("per_question") or {}
    if evaluation.score_versions:
        outcomes = evaluation.score_versions[-1].outcomes or outcomes
    shown = []
    for question_id in order:
        question = questions.get(str(question_id))
        if question is None:
            continue
        outcome = outcomes.get(str(question_id)) or {}
        shown.append(
            {
                "id": question["id"],
                "prompt": question.get("prompt", ""),
                "points": question.get("points", 1),
                "answer": question_types.answer_text(
                    question, (evaluation.answers or {}).get(str(question_id))
                ),
                "key": question_types.key_text(question),
                "earned": outcome.get("earned"),
                "correct": outcome.get("correct"),
            }
        )
    return shown
