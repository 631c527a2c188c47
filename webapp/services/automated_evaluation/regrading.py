"""Regrading: correcting the answer key of a published question and the batches rescoring
the attempts it affects.

An admin corrects the answer key of a question in a published version, with a reason. The
version's question is updated in place (the correction and the old key are kept in
`QuizVersion.corrections`), a `RegradeBatch` is written and the `regrade_batch` job deferred.
The job rescoring every submitted attempt that contains the question adds a score version
per attempt (the old ones stay) tagged with the batch, so running it again skips what is done.
"""

from __future__ import annotations

import copy
from fractions import Fraction
from typing import Any

import sqlalchemy as sa

from webapp import clock
from webapp.errors import ValidationFailed
from webapp.extensions import db
from webapp.models import (
    Enrolment,
    Evaluation,
    EvaluationScoreVersion,
    EvaluationStatus,
    ProgressStatus,
    Quiz,
    QuizVersion,
    RegradeBatch,
    RegradeStatus,
    RequirementProgress,
    User,
)
from webapp.outbox import defer
from webapp.services import audit, grading, orchestration, question_types
from webapp.services.automated_evaluation._common import (
    _check_tenant,
    _index_of,
    _shorten,
    _write_score,
)
from webapp.services.automated_evaluation.attempts import attempt_questions
from webapp.services.automated_evaluation.authoring import missing_answer_key, question_problems

REGRADED_STATUSES = (EvaluationStatus.GRADED, EvaluationStatus.AWAITING_VALIDATION)


def answer_key(question: dict[str, Any]) -> dict[str, Any]:
    """The fields of a question that make up its answer key. Raises nothing; pure."""
    qtype = question_types.get(question.get("type"))
    return qtype.answer_key(question) if qtype else {}


def find_version_question(version: QuizVersion, question_id: str) -> dict[str, Any] | None:
    """The question of a published version with this id, or None. Reads only."""
    return next((q for q in version.questions or [] if q.get("id") == question_id), None)


def _key_from_input(question: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    return question_types.REGISTRY[question["type"]].key_from_input(question, data)


def affected_attempt_count(version: QuizVersion, question_id: str) -> int:
    """How many submitted attempts of the version contain the question. Reads only."""
    rows = db.session.execute(
        sa.select(Evaluation.meta).where(
            Evaluation.quiz_version_id == version.id,
            Evaluation.status.in_(REGRADED_STATUSES),
        )
    ).scalars()
    return sum(1 for meta in rows if question_id in (meta or {}).get("order", []))


def correct_question(
    version: QuizVersion,
    actor: User,
    question_id: str,
    data: dict[str, Any],
    reason: str,
) -> RegradeBatch:
    """Correct the answer key of a question in a published version (`data` by type: `correct`
    option ids, `scoring`; `correct` true/false; `accepted` answers; `value`, `tolerance`),
    keeping the old key in the version's corrections; the draft gets the correction too when
    it still has the old key. Writes a regrade batch, an audit event, and defers the
    `regrade_batch` job. Raises NotFound (other tenant, unknown question), ValidationFailed
    (by field: the key, `reason`; an unchanged key). Flushes; never commits."""
    _check_tenant(version.tenant_id, actor)
    version = db.session.scalar(
        sa.select(QuizVersion)
        .where(QuizVersion.id == version.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    questions = copy.deepcopy(version.questions or [])
    index = _index_of(questions, question_id)
    before = questions[index]
    corrected = {**before, **_key_from_input(before, data)}
    problems = _correction_problems(before, corrected, reason)
    if problems:
        raise ValidationFailed("Please correct the answer key.", problems)
    reason = reason.strip()
    questions[index] = corrected
    version.questions = questions
    batch = RegradeBatch(
        tenant_id=version.tenant_id,
        quiz_version_id=version.id,
        question_id=question_id,
        reason=reason,
        status=RegradeStatus.PENDING,
        attempts_total=affected_attempt_count(version, question_id),
        created_by_id=actor.id,
        created_at=clock.now(),
    )
    db.session.add(batch)
    db.session.flush()
    version.corrections = [
        *(version.corrections or []),
        {
            "question_id": question_id,
            "before": answer_key(before),
            "after": answer_key(corrected),
            "reason": reason,
            "by": actor.id,
            "at": clock.now().isoformat(),
            "batch_id": batch.id,
        },
    ]
    _correct_draft(version.quiz, before, corrected)
    audit.record(
        version.tenant_id,
        actor,
        "quiz.question_corrected",
        "quiz_version",
        version.id,
        f"Corrected the key of “{_shorten(before.get('prompt'))}” in "
        f"“{version.title}” version {version.number}: {reason}",
        quiz_id=version.quiz_id,
        question_id=question_id,
        before=answer_key(before),
        after=answer_key(corrected),
        batch_id=batch.id,
    )
    db.session.flush()
    defer("regrade_batch", batch.id, tenant_id=version.tenant_id)
    return batch


def _correction_problems(
    before: dict[str, Any], corrected: dict[str, Any], reason: str
) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    for field, messages in question_problems(corrected).items():
        problems.setdefault("correct" if field == "options" else field, []).extend(messages)
    if not problems:
        if missing_answer_key(corrected):
            problems["key"] = ["Give the correct answer."]
        else:
            leftover = grading.validate_question(corrected)
            if leftover:
                problems["key"] = leftover
    if not problems and answer_key(corrected) == answer_key(before):
        problems["key"] = ["This is the key the question already has; change it or cancel."]
    reason = (reason or "").strip()
    if not reason:
        problems["reason"] = ["Say why the key is corrected (learners' results change)."]
    elif len(reason) > 1000:
        problems["reason"] = ["The reason can be at most 1000 characters."]
    return problems


def _correct_draft(quiz: Quiz, before: dict[str, Any], corrected: dict[str, Any]) -> None:
    """Carry the correction into the draft when its question still has the old key, so the
    next version does not bring the wrong key back."""
    questions = copy.deepcopy(quiz.questions or [])
    for question in questions:
        if question.get("id") == before["id"] and answer_key(question) == answer_key(before):
            question.update(answer_key(corrected))
            quiz.questions = questions
            quiz.updated_at = clock.now()
            return


def begin_regrade(batch_id: int) -> RegradeBatch | None:
    """Mark a batch running and count the attempts it affects; None when it is already done
    (or gone): running the job again changes nothing. Flushes; never commits."""
    batch = db.session.get(RegradeBatch, batch_id)
    if batch is None or batch.status is RegradeStatus.DONE:
        return None
    version = db.session.get(QuizVersion, batch.quiz_version_id)
    batch.start()
    batch.attempts_total = affected_attempt_count(version, batch.question_id)
    db.session.flush()
    return batch


def regrade_chunk(batch: RegradeBatch, after_id: int = 0, limit: int = 50) -> int | None:
    """Rescore the next `limit` submitted attempts of the batch's version with ids above
    `after_id`; returns the last id looked at, or None when none is left. Attempts without
    the question or already rescored by this batch are skipped. Flushes; never commits."""
    ids = list(
        db.session.scalars(
            sa.select(Evaluation.id)
            .where(
                Evaluation.quiz_version_id == batch.quiz_version_id,
                Evaluation.status.in_(REGRADED_STATUSES),
                Evaluation.id > after_id,
            )
            .order_by(Evaluation.id)
            .limit(limit)
        )
    )
    if not ids:
        return None
    for attempt_id in ids:
        regrade_attempt(batch, attempt_id)
    db.session.flush()
    return ids[-1]


def regrade_attempt(batch: RegradeBatch, attempt_id: int) -> bool:
    """Rescore one attempt against the corrected version as a new score version and re-evaluate
    the ledger (newly passing: met, or awaiting a mentor; met stays met). Returns whether it
    rescored it (False: not affected, or done by this batch already). Flushes; never commits."""
    attempt = db.session.scalar(
        sa.select(Evaluation)
        .where(Evaluation.id == attempt_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if attempt is None or attempt.status not in REGRADED_STATUSES:
        return False
    if batch.question_id not in (attempt.meta or {}).get("order", []):
        return False
    done = db.session.scalar(
        sa.select(EvaluationScoreVersion.id).where(
            EvaluationScoreVersion.evaluation_id == attempt.id,
            EvaluationScoreVersion.regrade_batch_id == batch.id,
        )
    )
    if done is not None:
        return False
    was_passed, old_percent = attempt.passed, attempt.percent
    result = grading.grade(attempt_questions(attempt), attempt.answers or {})
    passed = result.passed(Fraction(str((attempt.meta or {}).get("min_score", 80))))
    _write_score(attempt, result, passed, reason=f"regrade: {batch.reason}", batch=batch)
    db.session.flush()
    batch.attempts_rescored += 1
    if _reevaluate_ledger(attempt, was_passed):
        batch.requirements_newly_met += 1
    if attempt.percent != old_percent or passed != was_passed:
        audit.record(
            attempt.tenant_id,
            None,
            "evaluation.regraded",
            "evaluation",
            attempt.id,
            f"Attempt #{attempt.id} regraded: {grading.display_percent(Fraction(old_percent))}% "
            f"-> {grading.display_percent(Fraction(attempt.percent))}%"
            + (" (now passed)" if passed and not was_passed else "")
            + (" (now failed)" if was_passed and not passed else ""),
            subject=db.session.get(User, attempt.user_id),
            batch_id=batch.id,
            user_id=attempt.user_id,
            passed_before=was_passed,
            passed_after=passed,
        )
    return True


def _reevaluate_ledger(attempt: Evaluation, was_passed: bool | None) -> bool:
    """Apply a changed pass/fail of a regraded attempt to the ledger; returns whether its
    requirement became met now."""
    if attempt.enrolment_id is None or attempt.requirement_id is None:
        return False
    if bool(was_passed) == bool(attempt.passed):
        return False
    enrolment = db.session.get(Enrolment, attempt.enrolment_id)
    row = db.session.scalar(
        sa.select(RequirementProgress).where(
            RequirementProgress.enrolment_id == attempt.enrolment_id,
            RequirementProgress.requirement_id == attempt.requirement_id,
        )
    )
    if row is None or row.status is ProgressStatus.MET:
        return False  # met stays met
    if not attempt.passed:
        if attempt.status is EvaluationStatus.AWAITING_VALIDATION:
            # A failing attempt needs no mentor any more.
            attempt.finalize_validation()
            db.session.flush()
            orchestration.record_result(
                enrolment, attempt.requirement_id, ProgressStatus.FAILED, count_attempt=False
            )
        return False
    if (attempt.meta or {}).get("requires_peer_validation"):
        if attempt.status is EvaluationStatus.GRADED:
            attempt.await_validation()
            db.session.flush()
        orchestration.record_result(
            enrolment,
            attempt.requirement_id,
            ProgressStatus.AWAITING_VALIDATION,
            evaluation_id=attempt.id,
            count_attempt=False,
        )
        return False
    row = orchestration.record_result(
        enrolment,
        attempt.requirement_id,
        ProgressStatus.MET,
        evaluation_id=attempt.id,
        count_attempt=False,
    )
    return row.status is ProgressStatus.MET


def finish_regrade(batch_id: int) -> RegradeBatch | None:
    """Mark a running batch done and write the audit event with its outcome; None when it was
    not running. Flushes; never commits."""
    batch = db.session.get(RegradeBatch, batch_id)
    if batch is None or batch.status is not RegradeStatus.RUNNING:
        return None
    batch.finish(clock.now())
    audit.record(
        batch.tenant_id,
        None,
        "quiz.regraded",
        "regrade_batch",
        batch.id,
        f"Regrade finished: {batch.attempts_rescored} attempt(s) rescored, "
        f"{batch.requirements_newly_met} requirement(s) newly met",
        quiz_version_id=batch.quiz_version_id,
        question_id=batch.question_id,
        attempts_rescored=batch.attempts_rescored,
        requirements_newly_met=batch.requirements_newly_met,
    )
    db.session.flush()
    return batch


def fail_regrade(batch_id: int, error: str) -> None:
    """Record why a batch failed (the job is retried and skips what is done). Flushes."""
    batch = db.session.get(RegradeBatch, batch_id)
    if batch is not None and batch.status is not RegradeStatus.DONE:
        batch.fail(error)
        db.session.flush()


def version_batches(version: QuizVersion) -> list[RegradeBatch]:
    """The regrade batches of a version, newest first (one query). Reads only."""
    return list(
        db.session.scalars(
            sa.select(RegradeBatch)
            .where(
                RegradeBatch.tenant_id == version.tenant_id,
                RegradeBatch.quiz_version_id == version.id,
            )
            .order_by(RegradeBatch.created_at.desc(), RegradeBatch.id.desc())
        )
    )
