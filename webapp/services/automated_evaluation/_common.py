"""Private helpers shared by the modules of `automated_evaluation` (checks, text folding,
writing a score version). A `_name` crosses a module boundary of the package only from here.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app

from webapp import clock
from webapp.errors import NotFound
from webapp.extensions import db
from webapp.models import Evaluation, EvaluationScoreVersion, RegradeBatch, User
from webapp.services import grading
from webapp.services.question_types import clean_text


def _check_tenant(tenant_id: int, actor: User | None) -> None:
    # Defence in depth: views load quizzes tenant-scoped already.
    if actor is not None and actor.tenant_id != tenant_id:
        raise NotFound("There is no such quiz.")


def _index_of(questions: list[dict[str, Any]], question_id: str) -> int:
    for index, question in enumerate(questions):
        if question.get("id") == question_id:
            return index
    raise NotFound("There is no such question in this quiz.")


def _shorten(text: Any, width: int = 60) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _text(value: Any) -> str:
    return clean_text(value)


def _grace() -> timedelta:
    return timedelta(seconds=current_app.config["QUIZ_DEADLINE_GRACE_SECONDS"])


def _write_score(
    attempt: Evaluation,
    result: grading.Result,
    passed: bool,
    *,
    reason: str,
    batch: RegradeBatch | None,
) -> EvaluationScoreVersion:
    """Add the next score version (old ones are kept) and mirror it on the attempt."""
    number = (attempt.latest_score_version or 0) + 1
    score = EvaluationScoreVersion(
        tenant_id=attempt.tenant_id,
        evaluation_id=attempt.id,
        version=number,
        raw_score=grading.to_decimal(result.raw),
        max_score=grading.to_decimal(result.maximum),
        percent=grading.to_decimal(result.percent),
        passed=passed,
        outcomes=result.per_question,
        reason=reason[:255],
        regrade_batch_id=batch.id if batch else None,
        created_at=clock.now(),
    )
    db.session.add(score)
    attempt.raw_score = score.raw_score
    attempt.max_score = score.max_score
    attempt.percent = score.percent
    attempt.passed = passed
    attempt.latest_score_version = number
    attempt.meta = {**(attempt.meta or {}), "outcomes": result.per_question}
    return score
