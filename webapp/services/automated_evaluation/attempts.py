"""Attempts: start, answer, submit, and grading once (overdue attempts included).

An attempt (`Evaluation`) is created for the quiz version frozen in the enrolment's snapshot.
The questions drawn and their order are fixed at start in `meta["order"]` (option orders in
`meta["option_order"]`), so every page of the attempt shows the same set in the same order.
Only the public view of a question (`grading.public_view`) is ever handed to templates before
the attempt is submitted. Answers are stored normalised, question id -> value.

Submitting is decided by one conditional UPDATE (`status = 'in_progress'` -> `submitted`):
among concurrent requests exactly one changes the row and grades it; the others see that
nothing changed and leave. The grade is written as score version 1 and the ledger is told
through `orchestration.record_result`.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from flask import current_app

from webapp import clock
from webapp.errors import Conflict, NotFound, ValidationFailed
from webapp.extensions import db
from webapp.models import Enrolment, Evaluation, EvaluationStatus, ProgressStatus, User
from webapp.services import grading, orchestration, peer_validation, question_types
from webapp.services.automated_evaluation._common import _grace, _write_score
from webapp.services.automated_evaluation.quiz_state import is_overdue, requirement_state

RANDOM = random.SystemRandom()


class DeadlinePassed(Conflict):
    """The attempt's time (plus the grace period) is over: answers are no longer accepted."""


def in_progress_attempt(user: User, quiz_id: int) -> Evaluation | None:
    """The user's attempt in progress of a quiz, if any. Reads only, never commits."""
    return db.session.scalar(
        sa.select(Evaluation).where(
            Evaluation.user_id == user.id,
            Evaluation.quiz_id == quiz_id,
            Evaluation.status == EvaluationStatus.IN_PROGRESS,
        )
    )


def start_attempt(
    user: User,
    enrolment: Enrolment,
    requirement_id: int,
    *,
    rng: random.Random | None = None,
) -> tuple[Evaluation, bool]:
    """Start an attempt of a quiz requirement of the user's enrolment, drawing and ordering the
    questions per the version's settings; returns (attempt, created). An attempt already in
    progress for this requirement is returned as is (created False); the partial unique index
    settles concurrent starts. An overdue attempt is graded first.
    Raises NotFound (not the user's enrolment, not a quiz requirement), Conflict (met, awaiting
    a mentor, attempts used up, cooldown running — with the time — or another attempt of the
    quiz in progress). Flushes; never commits."""
    now = clock.now()
    state = requirement_state(user, enrolment, requirement_id, now)
    if state.in_progress is not None and is_overdue(state.in_progress, now):
        _finalize(state.in_progress, now, reason="deadline")
        state = requirement_state(user, enrolment, requirement_id, now)
    if state.in_progress is not None:
        return state.in_progress, False
    if state.blocker:
        raise Conflict(state.blocker)
    version, settings = state.version, state.settings
    order, option_order = draw_questions(version.questions or [], settings, rng or RANDOM)
    time_limit = settings.get("time_limit_min")
    attempt = Evaluation(
        tenant_id=enrolment.tenant_id,
        user_id=user.id,
        quiz_id=version.quiz_id,
        quiz_version_id=version.id,
        enrolment_id=enrolment.id,
        requirement_id=requirement_id,
        status=EvaluationStatus.IN_PROGRESS,
        started_at=now,
        deadline_at=now + timedelta(minutes=time_limit) if time_limit else None,
        answers={},
        meta={
            "order": order,
            "option_order": option_order,
            "min_score": state.definition.get("min_score")
            if state.definition.get("min_score") is not None
            else current_app.config["CERT_PASS_PERCENT"],
            "requires_peer_validation": bool(state.definition.get("requires_peer_validation")),
        },
    )
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except sa.exc.IntegrityError:
        # Another request started one at the same time: the database kept exactly one.
        existing = in_progress_attempt(user, version.quiz_id)
        if existing is None:
            raise
        if existing.enrolment_id != enrolment.id or existing.requirement_id != requirement_id:
            raise Conflict(
                "You have an attempt of this quiz in progress in another programme; finish it "
                "first."
            ) from None
        return existing, False
    return attempt, True


def draw_questions(
    questions: list[dict[str, Any]], settings: dict[str, Any], rng: random.Random
) -> tuple[list[str], dict[str, list[str]]]:
    """The question ids of one attempt in the order shown (draw N, shuffle) and, when options
    are shuffled, each choice question's option order. Raises nothing; pure."""
    ids = [str(q["id"]) for q in questions]
    draw = settings.get("draw_count")
    if draw and draw < len(ids):
        chosen = set(rng.sample(ids, draw))
        ids = [i for i in ids if i in chosen]
    if settings.get("shuffle_questions"):
        rng.shuffle(ids)
    option_order: dict[str, list[str]] = {}
    if settings.get("shuffle_options"):
        for question in questions:
            if str(question["id"]) in ids and question.get("options"):
                order = [str(o["id"]) for o in question["options"]]
                rng.shuffle(order)
                option_order[str(question["id"])] = order
    return ids, option_order


def attempt_questions(attempt: Evaluation) -> list[dict[str, Any]]:
    """The attempt's questions (with their keys) in the order shown. Raises nothing; reads
    only. Never hand these to a template before the attempt is submitted."""
    by_id = {str(q["id"]): q for q in attempt.quiz_version.questions or []}
    return [by_id[qid] for qid in (attempt.meta or {}).get("order", []) if qid in by_id]


def public_questions(attempt: Evaluation) -> list[dict[str, Any]]:
    """The attempt's questions as the learner may see them before submitting (no keys, no
    explanations), options in the attempt's order. Raises nothing; reads only."""
    option_order = (attempt.meta or {}).get("option_order", {})
    return [grading.public_view(q, option_order.get(q["id"])) for q in attempt_questions(attempt)]


def normalize_submitted(question: dict[str, Any], raw: Any) -> Any:
    """A form value (a string or a list of strings) as the stored answer, or None when the
    learner gave none (clears the answer). Raises ValueError with a message safe to show."""
    qtype = question_types.REGISTRY[question["type"]]
    values = [v for v in (raw if isinstance(raw, list) else [raw]) if v is not None]
    if not all(isinstance(v, str | bool | int) for v in values):
        raise ValueError(qtype.answer_message)
    try:
        return qtype.submitted(question, values)
    except ValueError:
        raise ValueError(qtype.answer_message) from None


def _lock(attempt: Evaluation) -> Evaluation:
    """Reload the attempt with a row lock (PostgreSQL), serialising writes to it."""
    return db.session.scalar(
        sa.select(Evaluation)
        .where(Evaluation.id == attempt.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _check_owner(attempt: Evaluation, user: User) -> None:
    if attempt.user_id != user.id or attempt.tenant_id != user.tenant_id:
        raise NotFound("There is no such attempt.")


def save_answers(attempt: Evaluation, user: User, raw_answers: dict[str, Any]) -> dict[str, Any]:
    """Check and store the learner's answers (question id -> form value; an empty value clears
    the answer); all or nothing. Returns the normalised values.
    Raises NotFound (not the user's attempt, a question not in the attempt), ValidationFailed
    (malformed values, by question id), Conflict (already submitted), DeadlinePassed (after the
    deadline plus the grace period). Flushes; never commits."""
    _check_owner(attempt, user)
    attempt = _lock(attempt)
    if attempt.status is not EvaluationStatus.IN_PROGRESS:
        raise Conflict("This attempt has already been submitted.")
    if is_overdue(attempt):
        raise DeadlinePassed("Time is up: answers can no longer be changed.")
    questions = {q["id"]: q for q in attempt_questions(attempt)}
    normalized: dict[str, Any] = {}
    problems: dict[str, list[str]] = {}
    for question_id, raw in raw_answers.items():
        question = questions.get(question_id)
        if question is None:
            raise NotFound("This question is not part of your attempt.")
        try:
            normalized[question_id] = normalize_submitted(question, raw)
        except ValueError as error:
            problems[question_id] = [str(error)]
    if problems:
        raise ValidationFailed("Please correct the highlighted answers.", problems)
    answers = dict(attempt.answers or {})
    for question_id, value in normalized.items():
        if value is None:
            answers.pop(question_id, None)
        else:
            answers[question_id] = value
    if answers != (attempt.answers or {}):
        attempt.answers = answers
        db.session.flush()
    return normalized


def submit_attempt(
    attempt: Evaluation, user: User, raw_answers: dict[str, Any] | None = None
) -> bool:
    """Submit the learner's attempt: store `raw_answers` first when given and still in time
    (answers sent after the deadline plus grace are ignored), then grade it once. Returns
    whether this call graded it (False: it was already submitted — a double click or a second
    tab — and nothing changed).
    Raises NotFound (not the user's attempt, a question not in the attempt), ValidationFailed
    (malformed values; nothing is submitted). Flushes; never commits."""
    _check_owner(attempt, user)
    if raw_answers:
        try:
            save_answers(attempt, user, raw_answers)
        except DeadlinePassed:
            pass  # graded on what was saved in time
        except Conflict:
            return False
    now = clock.now()
    return _finalize(attempt, now, reason="deadline" if is_overdue(attempt, now) else "submitted")


def finalize_overdue_attempt(attempt: Evaluation, now: datetime | None = None) -> bool:
    """Grade an attempt whose deadline plus grace has passed, on the answers saved in time
    (the learner's next POST or the periodic job; never a GET). Returns whether it graded it now.
    Raises nothing for an attempt that is not overdue. Flushes; never commits."""
    now = now or clock.now()
    if not is_overdue(attempt, now):
        return False
    return _finalize(attempt, now, reason="deadline")


def overdue_attempt_ids(now: datetime | None = None, limit: int = 500) -> list[int]:
    """Ids of attempts in progress past their deadline plus grace, oldest deadline first (all
    tenants: the periodic job). Reads only, never commits."""
    cutoff = (now or clock.now()) - _grace()
    return list(
        db.session.scalars(
            sa.select(Evaluation.id)
            .where(
                Evaluation.status == EvaluationStatus.IN_PROGRESS,
                Evaluation.deadline_at.is_not(None),
                Evaluation.deadline_at < cutoff,
            )
            .order_by(Evaluation.deadline_at, Evaluation.id)
            .limit(limit)
        )
    )


def _finalize(attempt: Evaluation, now: datetime, *, reason: str) -> bool:
    """Claim the attempt with a conditional UPDATE (exactly one concurrent caller wins), grade
    it as score version 1 and record the result in the ledger."""
    submitted_at = min(now, attempt.deadline_at) if attempt.deadline_at else now
    # Set-based on purpose: `WHERE status = 'in_progress'` lets exactly one of concurrent
    # submits, visits and the overdue job grade the attempt; Evaluation.finish then moves it on.
    claimed = db.session.execute(
        sa.update(Evaluation)
        .where(Evaluation.id == attempt.id, Evaluation.status == EvaluationStatus.IN_PROGRESS)
        .values(status=EvaluationStatus.SUBMITTED, submitted_at=submitted_at)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(attempt)  # the answers as they were when the claim locked the row
    if claimed != 1:
        return False
    meta = attempt.meta or {}
    result = grading.grade(attempt_questions(attempt), attempt.answers or {})
    passed = result.passed(Fraction(str(meta.get("min_score", 80))))
    needs_mentor = passed and bool(meta.get("requires_peer_validation"))
    attempt.finish(submitted_at, awaiting_validation=needs_mentor)
    attempt.meta = {**meta, "finished_by": reason, "finished_at": now.isoformat()}
    _write_score(attempt, result, passed, reason=reason, batch=None)
    db.session.flush()
    if attempt.enrolment_id is not None and attempt.requirement_id is not None:
        outcome = (
            ProgressStatus.AWAITING_VALIDATION
            if needs_mentor
            else ProgressStatus.MET
            if passed
            else ProgressStatus.FAILED
        )
        orchestration.record_result(
            db.session.get(Enrolment, attempt.enrolment_id),
            attempt.requirement_id,
            outcome,
            evaluation_id=attempt.id,
        )
        if needs_mentor:
            peer_validation.notify_reviewers(attempt)
    return True
