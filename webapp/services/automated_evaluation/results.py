"""Attempt pages: an attempt in progress as shown (`AttemptView`) and a submitted attempt's
results (`AttemptResult`), with answers and keys in words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any

from webapp import clock
from webapp.errors import Conflict
from webapp.extensions import db
from webapp.models import Evaluation, EvaluationStatus, RegradeBatch
from webapp.services import grading
from webapp.services.automated_evaluation.attempts import attempt_questions, public_questions
from webapp.services.automated_evaluation.authoring import effective_settings
from webapp.services.question_types import answer_text, key_text


@dataclass(frozen=True)
class AttemptQuestion:
    """One question of an attempt in progress as the page shows it (public view only)."""

    number: int
    question: dict[str, Any]  # grading.public_view: no key, no explanation
    answer: Any

    @property
    def id(self) -> str:
        return self.question["id"]

    @property
    def answered(self) -> bool:
        return self.answer is not None

    @property
    def form_values(self) -> list[str]:
        """The saved answer as the form posts it (to check boxes and fill fields)."""
        if self.answer is None:
            return []
        if isinstance(self.answer, bool):
            return ["true" if self.answer else "false"]
        if isinstance(self.answer, list):
            return [str(a) for a in self.answer]
        return [str(self.answer)]


@dataclass(frozen=True)
class AttemptView:
    """An attempt in progress: its questions (public views), answers and time left."""

    attempt: Evaluation
    title: str
    questions: list[AttemptQuestion]
    per_page: int
    page: int
    seconds_left: int | None

    @property
    def pages(self) -> int:
        return max(1, -(-len(self.questions) // self.per_page))

    @property
    def page_questions(self) -> list[AttemptQuestion]:
        start = (self.page - 1) * self.per_page
        return self.questions[start : start + self.per_page]

    @property
    def answered_count(self) -> int:
        return sum(1 for q in self.questions if q.answered)

    def page_of(self, question_id: str) -> int:
        index = next((i for i, q in enumerate(self.questions) if q.id == question_id), 0)
        return index // self.per_page + 1


def attempt_view(
    attempt: Evaluation, *, page: int = 1, per_page: int = 5, now: datetime | None = None
) -> AttemptView:
    """What the attempt page shows: public views of the questions in the attempt's order, the
    saved answers, the page (clamped) and the seconds left when timed. Raises nothing; reads
    only, never commits."""
    now = now or clock.now()
    answers = attempt.answers or {}
    questions = [
        AttemptQuestion(number, question, answers.get(question["id"]))
        for number, question in enumerate(public_questions(attempt), start=1)
    ]
    pages = max(1, -(-len(questions) // per_page))
    seconds_left = None
    if attempt.deadline_at is not None:
        seconds_left = max(0, int((attempt.deadline_at - now).total_seconds()))
    return AttemptView(
        attempt=attempt,
        title=attempt.quiz_version.title,
        questions=questions,
        per_page=per_page,
        page=min(max(1, page), pages),
        seconds_left=seconds_left,
    )


@dataclass(frozen=True)
class QuestionFeedback:
    """One question on the results page (per-question feedback only): the learner's answer,
    the key, the explanation and the points earned."""

    number: int
    prompt: str
    answer: str
    key: str
    explanation: str
    earned: str
    points: str
    correct: bool
    partial: bool


@dataclass(frozen=True)
class AttemptResult:
    """A submitted attempt as the results page shows it."""

    attempt: Evaluation
    title: str
    score: str  # "7.5 of 10"
    earned: str  # "7.5"
    points: str  # "10"
    percent: str  # rounded half-up, like every score shown
    passed: bool
    min_score: int
    feedback: str  # "per_question" | "score_only"
    questions: list[QuestionFeedback]
    regraded_at: datetime | None
    regrade_reason: str | None


def exact_totals(outcomes: dict[str, Any]) -> tuple[Fraction, Fraction]:
    """(raw, maximum) as exact fractions from per-question outcomes. Raises nothing; pure."""
    raw = sum((Fraction(o.get("earned", "0")) for o in outcomes.values()), Fraction(0))
    maximum = sum((Fraction(o.get("points", "0")) for o in outcomes.values()), Fraction(0))
    return raw, maximum


def attempt_result(attempt: Evaluation) -> AttemptResult:
    """The results of a submitted attempt from its latest score version: score, percentage
    (exact, shown rounded half-up), pass/fail, and per-question feedback with keys and explanations
    when the quiz's feedback setting allows. Raises Conflict (not submitted yet). Reads only."""
    if attempt.status is EvaluationStatus.IN_PROGRESS or attempt.latest_score_version == 0:
        raise Conflict("This attempt has not been submitted yet.")
    latest = attempt.score_versions[-1]
    raw, maximum = exact_totals(latest.outcomes or {})
    percent = raw * 100 / maximum if maximum else Fraction(0)
    settings = effective_settings(attempt.quiz_version)
    feedback: list[QuestionFeedback] = []
    if settings["feedback"] == "per_question":
        answers = attempt.answers or {}
        for number, question in enumerate(attempt_questions(attempt), start=1):
            outcome = (latest.outcomes or {}).get(question["id"], {})
            earned = Fraction(outcome.get("earned", "0"))
            feedback.append(
                QuestionFeedback(
                    number=number,
                    prompt=str(question.get("prompt", "")),
                    answer=answer_text(question, answers.get(question["id"])),
                    key=key_text(question),
                    explanation=str(question.get("explanation") or ""),
                    earned=grading.display_number(earned),
                    points=grading.display_number(Fraction(outcome.get("points", "0"))),
                    correct=bool(outcome.get("correct")),
                    partial=earned > 0 and not outcome.get("correct"),
                )
            )
    regraded = latest if latest.regrade_batch_id else None
    return AttemptResult(
        attempt=attempt,
        title=attempt.quiz_version.title,
        score=f"{grading.display_number(raw)} of {grading.display_number(maximum)}",
        earned=grading.display_number(raw),
        points=grading.display_number(maximum),
        percent=grading.display_number(percent),
        passed=bool(latest.passed),
        min_score=int((attempt.meta or {}).get("min_score", 80)),
        feedback=settings["feedback"],
        questions=feedback,
        regraded_at=regraded.created_at if regraded else None,
        regrade_reason=_batch_reason(regraded.regrade_batch_id) if regraded else None,
    )


def _batch_reason(batch_id: int) -> str | None:
    batch = db.session.get(RegradeBatch, batch_id)
    return batch.reason if batch else None
