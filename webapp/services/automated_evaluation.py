"""Quizzes, attempts, grading, pass/fail, cooldown and regrading (SPEC `automated_evaluation`).

Functions take models and the acting user, flush but never commit, and raise DomainError
subclasses whose messages are safe to show. Question types and the grading arithmetic live in
the pure `grading` module; this module owns the rules around them.
"""

from __future__ import annotations

import copy
import dataclasses
import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from flask import current_app

from webapp import clock
from webapp.errors import Conflict, NotFound, ValidationFailed
from webapp.extensions import db
from webapp.models import (
    AttemptGrant,
    Enrolment,
    EnrolmentStatus,
    Evaluation,
    EvaluationScoreVersion,
    EvaluationStatus,
    ProgressStatus,
    Quiz,
    QuizStatus,
    QuizVersion,
    RegradeBatch,
    RegradeStatus,
    RequirementProgress,
    User,
)
from webapp.outbox import defer
from webapp.services import audit, grading, orchestration, peer_validation

# --- Quiz authoring -------------------------------------------------------------------------
#
# A quiz is edited as a draft (`Quiz.questions`, `Quiz.settings`); publishing freezes a deep
# copy into a new immutable `QuizVersion`. Question dicts follow the format documented in
# `grading`; their ids are generated here and never change. A draft question may lack its
# answer key while the admin works on it; publishing refuses such a question.

DEFAULT_SETTINGS: dict[str, Any] = {
    "time_limit_min": None,
    "shuffle_questions": False,
    "shuffle_options": False,
    "draw_count": None,
    "max_attempts": None,
    "cooldown_min": None,  # None: the configured QUIZ_RETRY_COOLDOWN_MIN
    "feedback": "per_question",
}
FEEDBACK_MODES = ("per_question", "score_only")
SCORING_MODES = ("all_or_nothing", "partial")
MAX_QUESTIONS = 200
MAX_OPTIONS = 20
MAX_ACCEPTED = 50
MAX_POINTS = Decimal(1000)


def create_quiz(tenant_id: int, actor: User | None, *, title: str, description: str = "") -> Quiz:
    """Create an empty draft quiz with the default settings in the tenant.
    Raises ValidationFailed (title, description). Flushes; never commits."""
    _check_tenant(tenant_id, actor)
    title, description = (title or "").strip(), (description or "").strip()
    problems = _details_problems(title, description)
    if problems:
        raise ValidationFailed("Please correct the quiz details.", problems)
    quiz = Quiz(
        tenant_id=tenant_id,
        title=title,
        description=description,
        questions=[],
        settings=dict(DEFAULT_SETTINGS),
        status=QuizStatus.DRAFT,
        has_draft_changes=True,
        latest_version_number=0,
        updated_at=clock.now(),
    )
    db.session.add(quiz)
    db.session.flush()
    return quiz


def update_quiz(quiz: Quiz, actor: User | None, *, title: str, description: str) -> Quiz:
    """Change the title and description of the draft (a new title is a draft change).
    Raises ValidationFailed (title, description), NotFound (other tenant). Flushes; never
    commits."""
    _check_tenant(quiz.tenant_id, actor)
    title, description = (title or "").strip(), (description or "").strip()
    problems = _details_problems(title, description)
    if problems:
        raise ValidationFailed("Please correct the quiz details.", problems)
    if title != quiz.title:
        quiz.title = title
        quiz.has_draft_changes = True
    quiz.description = description
    quiz.updated_at = clock.now()
    db.session.flush()
    return quiz


def effective_settings(quiz: Quiz | QuizVersion) -> dict[str, Any]:
    """The quiz's settings with a default for every missing key (unknown keys dropped).
    Raises nothing; reads only, never commits."""
    stored = quiz.settings or {}
    return {key: stored.get(key, default) for key, default in DEFAULT_SETTINGS.items()}


def validate_settings(settings: dict[str, Any]) -> dict[str, list[str]]:
    """Every problem with a complete settings dict, by key (empty when valid). The draw count
    is checked against the number of questions only when publishing. Raises nothing; reads
    only, never commits."""
    problems: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        problems.setdefault(key, []).append(message)

    for key in settings:
        if key not in DEFAULT_SETTINGS:
            add(key, "Unknown setting.")
    for key in DEFAULT_SETTINGS:
        if key not in settings:
            add(key, "This setting is missing.")
    limits = {
        "time_limit_min": (1, 600, "The time limit must be between 1 and 600 minutes, or none."),
        "draw_count": (1, MAX_QUESTIONS, "Draw at least 1 question, or leave empty for all."),
        "max_attempts": (1, 100, "Maximum attempts must be between 1 and 100, or none."),
        "cooldown_min": (0, 10080, "The cooldown must be between 0 and 10080 minutes."),
    }
    for key, (low, high, message) in limits.items():
        value = settings.get(key)
        if value is not None and _int_in(value, low, high) is None:
            add(key, message)
    for key in ("shuffle_questions", "shuffle_options"):
        if key in settings and not isinstance(settings[key], bool):
            add(key, "Choose yes or no.")
    if "feedback" in settings and settings["feedback"] not in FEEDBACK_MODES:
        add("feedback", "Choose score only or per-question feedback.")
    return problems


def update_settings(quiz: Quiz, actor: User | None, settings: dict[str, Any]) -> Quiz:
    """Change some or all settings of the draft (keys of DEFAULT_SETTINGS only).
    Raises ValidationFailed (by setting), NotFound (other tenant). Flushes; never commits."""
    _check_tenant(quiz.tenant_id, actor)
    current = effective_settings(quiz)
    merged = {**current, **settings}
    problems = validate_settings(merged)
    if problems:
        raise ValidationFailed("Please correct the settings.", problems)
    if merged != current:
        _draft_changed(quiz)
    if merged != quiz.settings:
        quiz.settings = merged
    db.session.flush()
    return quiz


def find_question(quiz: Quiz, question_id: str) -> dict[str, Any] | None:
    """The draft question with this id, or None. Raises nothing; reads only, never commits."""
    return next((q for q in quiz.questions or [] if q.get("id") == question_id), None)


def add_question(quiz: Quiz, actor: User | None, data: dict[str, Any]) -> dict[str, Any]:
    """Append a question to the draft and return it (with its new id).

    `data`: `type`, `prompt`, `points`, `explanation` and, by type, `options` (a list of
    `{"id"?, "text", "correct"}`) and `scoring`; `correct` (true/false/None); `accepted` (a
    list of answers); `value` and `tolerance`. The answer key may still be missing.
    Raises ValidationFailed (by field), NotFound (other tenant). Flushes; never commits."""
    _check_tenant(quiz.tenant_id, actor)
    questions = copy.deepcopy(quiz.questions or [])
    if len(questions) >= MAX_QUESTIONS:
        raise ValidationFailed(
            f"A quiz can have at most {MAX_QUESTIONS} questions.",
            {"form": [f"A quiz can have at most {MAX_QUESTIONS} questions."]},
        )
    question_id = _new_id({str(q.get("id")) for q in questions}, nbytes=4)
    question = _question_from_input(data, question_id, existing=None)
    _raise_problems(question)
    questions.append(question)
    quiz.questions = questions
    _draft_changed(quiz)
    db.session.flush()
    return copy.deepcopy(question)


def update_question(
    quiz: Quiz, actor: User | None, question_id: str, data: dict[str, Any]
) -> dict[str, Any]:
    """Replace a draft question's content, keeping its id, type and the ids of options that
    are kept. `data` as for `add_question` (its `type` is ignored).
    Raises NotFound (unknown question, other tenant), ValidationFailed (by field). Flushes;
    never commits."""
    _check_tenant(quiz.tenant_id, actor)
    questions = copy.deepcopy(quiz.questions or [])
    index = _index_of(questions, question_id)
    existing = questions[index]
    question = _question_from_input({**data, "type": existing["type"]}, question_id, existing)
    _raise_problems(question)
    if question != existing:
        questions[index] = question
        quiz.questions = questions
        _draft_changed(quiz)
        db.session.flush()
    return copy.deepcopy(question)


def remove_question(quiz: Quiz, actor: User | None, question_id: str) -> dict[str, Any]:
    """Remove a question from the draft and return it; published versions keep theirs.
    Raises NotFound (unknown question, other tenant). Flushes; never commits."""
    _check_tenant(quiz.tenant_id, actor)
    questions = copy.deepcopy(quiz.questions or [])
    removed = questions.pop(_index_of(questions, question_id))
    quiz.questions = questions
    _draft_changed(quiz)
    db.session.flush()
    return removed


def move_question(quiz: Quiz, actor: User | None, question_id: str, offset: int) -> int:
    """Move a draft question `offset` places (negative: up), clamped to the list; returns its
    new 0-based position. Raises NotFound (unknown question, other tenant). Flushes; never
    commits."""
    _check_tenant(quiz.tenant_id, actor)
    questions = copy.deepcopy(quiz.questions or [])
    index = _index_of(questions, question_id)
    target = max(0, min(len(questions) - 1, index + offset))
    if target != index:
        questions.insert(target, questions.pop(index))
        quiz.questions = questions
        _draft_changed(quiz)
        db.session.flush()
    return target


def missing_answer_key(question: dict[str, Any]) -> bool:
    """Whether the question has no correct answer yet (it cannot be published then).
    Raises nothing; reads only, never commits."""
    kind = question.get("type")
    if kind in ("single", "multiple"):
        return not question.get("correct")
    if kind == "true_false":
        return not isinstance(question.get("correct"), bool)
    if kind == "short_text":
        return not any(str(a).strip() for a in question.get("accepted") or [])
    if kind == "numeric":
        return str(question.get("value") if question.get("value") is not None else "") == ""
    return True


def question_problems(question: dict[str, Any]) -> dict[str, list[str]]:
    """Every problem that keeps a question from being saved, by field (a missing answer key
    is allowed in a draft and not reported here). Raises nothing; reads only, never commits."""
    problems: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    kind = question.get("type")
    if kind not in grading.REGISTRY:
        add("type", "Choose a question type.")
        return problems
    prompt = str(question.get("prompt") or "")
    if not prompt.strip():
        add("prompt", "Write the question.")
    elif len(prompt) > 2000:
        add("prompt", "The question can be at most 2000 characters.")
    points = _decimal_or_none(question.get("points"))
    if points is None:
        add("points", "Points must be a number.")
    elif not 0 < points <= MAX_POINTS or points.normalize().as_tuple().exponent < -2:
        add("points", "Points must be more than 0 and at most 1000, with at most 2 decimals.")
    if len(str(question.get("explanation") or "")) > 2000:
        add("explanation", "The explanation can be at most 2000 characters.")
    if kind in ("single", "multiple"):
        _choice_problems(question, add)
    elif kind == "true_false" and question.get("correct") not in (True, False, None):
        add("correct", "Choose true or false.")
    elif kind == "short_text":
        accepted = question.get("accepted") or []
        if len(accepted) > MAX_ACCEPTED:
            add("accepted", f"Give at most {MAX_ACCEPTED} accepted answers.")
        if any(len(str(a)) > 200 for a in accepted):
            add("accepted", "An accepted answer can be at most 200 characters.")
    elif kind == "numeric":
        value = question.get("value")
        if value not in (None, "") and _decimal_or_none(value) is None:
            add("value", "The correct value must be a number, like 25 or 2.5.")
        tolerance = _decimal_or_none(question.get("tolerance", "0"))
        if tolerance is None:
            add("tolerance", "The tolerance must be a number.")
        elif tolerance < 0:
            add("tolerance", "The tolerance cannot be negative.")
    return problems


def publish_problems(quiz: Quiz) -> list[str]:
    """Every reason the draft cannot be published, each naming its question (empty when it
    can). Raises nothing; reads only, never commits."""
    questions = quiz.questions or []
    problems = [] if questions else ["Add at least one question."]
    for number, question in enumerate(questions, start=1):
        label = f"Question {number} (“{_shorten(question.get('prompt'))}”)"
        own = [m for messages in question_problems(question).values() for m in messages]
        if not own and missing_answer_key(question):
            problems.append(f"{label} has no correct answer.")
            continue
        # The grading module has the last word on what can be graded.
        problems.extend(f"{label}: {m}" for m in own or grading.validate_question(question))
    settings = effective_settings(quiz)
    for key, messages in validate_settings(settings).items():
        problems.extend(f"Setting {key.replace('_', ' ')}: {m}" for m in messages)
    draw = settings["draw_count"]
    if questions and isinstance(draw, int) and draw > len(questions):
        problems.append(
            f"The quiz draws {draw} questions but has only {len(questions)}; add questions "
            "or lower the number drawn."
        )
    if quiz.status is QuizStatus.ARCHIVED:
        problems.append("An archived quiz cannot be published.")
    return problems


def publish_quiz(quiz: Quiz, actor: User | None) -> QuizVersion:
    """Freeze the draft into a new immutable version (number = latest + 1) and mark the quiz
    published with no draft changes; records an audit event.
    Raises ValidationFailed (`publish`: every problem, naming the question), Conflict (nothing
    changed since the latest version), NotFound (other tenant). Flushes; never commits."""
    _check_tenant(quiz.tenant_id, actor)
    problems = publish_problems(quiz)
    if problems:
        raise ValidationFailed("This quiz cannot be published yet.", {"publish": problems})
    if quiz.latest_version_number and not quiz.has_draft_changes:
        raise Conflict(
            f"Nothing to publish: the draft is the same as version {quiz.latest_version_number}."
        )
    latest = db.session.scalar(
        sa.select(sa.func.max(QuizVersion.number)).where(QuizVersion.quiz_id == quiz.id)
    )
    number = max(latest or 0, quiz.latest_version_number or 0) + 1
    now = clock.now()
    version = QuizVersion(
        tenant_id=quiz.tenant_id,
        quiz=quiz,
        number=number,
        title=quiz.title,
        questions=copy.deepcopy(quiz.questions),
        settings=effective_settings(quiz),
        published_at=now,
        published_by_id=actor.id if actor else None,
    )
    db.session.add(version)
    quiz.status = QuizStatus.PUBLISHED
    quiz.has_draft_changes = False
    quiz.latest_version_number = number
    quiz.updated_at = now
    db.session.flush()
    audit.record(
        quiz.tenant_id,
        actor,
        "quiz.published",
        "quiz",
        quiz.id,
        f"Published quiz “{quiz.title}” version {number}",
        version=number,
        quiz_version_id=version.id,
        questions=len(version.questions),
    )
    db.session.flush()
    return version


def _check_tenant(tenant_id: int, actor: User | None) -> None:
    # Defence in depth: views load quizzes tenant-scoped already.
    if actor is not None and actor.tenant_id != tenant_id:
        raise NotFound("There is no such quiz.")


def _details_problems(title: str, description: str) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    if not title:
        problems["title"] = ["Give the quiz a title."]
    elif len(title) > 160:
        problems["title"] = ["The title can be at most 160 characters."]
    if len(description) > 5000:
        problems["description"] = ["The description can be at most 5000 characters."]
    return problems


def _draft_changed(quiz: Quiz) -> None:
    quiz.has_draft_changes = True
    quiz.updated_at = clock.now()


def _index_of(questions: list[dict[str, Any]], question_id: str) -> int:
    for index, question in enumerate(questions):
        if question.get("id") == question_id:
            return index
    raise NotFound("There is no such question in this quiz.")


def _new_id(taken: set[str], *, nbytes: int) -> str:
    while True:
        candidate = secrets.token_hex(nbytes)
        if candidate not in taken:
            return candidate


def _int_in(value: Any, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if low <= value <= high else None


def _decimal_or_none(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return grading.parse_decimal(value)
    except ValueError:
        return None


def _shorten(text: Any, width: int = 60) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _accepted_answers(raw: Any) -> list[str]:
    """Accepted short-text answers: whitespace folded, duplicates (as compared when grading)
    dropped, order kept."""
    accepted: list[str] = []
    for answer in raw or []:
        answer = " ".join(str(answer).split())
        if answer and grading.normalize_text(answer) not in map(grading.normalize_text, accepted):
            accepted.append(answer)
    return accepted


def _points(value: Any) -> int | str | Any:
    """Whole points are stored as ints, others as exact decimal strings ("1.5")."""
    number = _decimal_or_none(value)
    if number is None:
        return value if value not in (None, "") else None
    if number == number.to_integral_value():
        return int(number)
    return str(number.normalize())


def _text(value: Any) -> str:
    return str(value if value is not None else "").strip()


def _question_from_input(
    data: dict[str, Any], question_id: str, existing: dict[str, Any] | None
) -> dict[str, Any]:
    """The canonical stored form of a question from editor input (not yet checked)."""
    kind = data.get("type")
    question: dict[str, Any] = {
        "id": question_id,
        "type": kind,
        "prompt": _text(data.get("prompt")),
        "points": _points(data.get("points", 1)),
        "explanation": _text(data.get("explanation")),
    }
    if kind in ("single", "multiple"):
        question.update(_choice_from_input(data, existing))
        if kind == "multiple":
            question["scoring"] = data.get("scoring") or "all_or_nothing"
    elif kind == "true_false":
        question["correct"] = data.get("correct")
    elif kind == "short_text":
        question["accepted"] = _accepted_answers(data.get("accepted"))
    elif kind == "numeric":
        question["value"] = _text(data.get("value")) or None
        question["tolerance"] = _text(data.get("tolerance")) or "0"
    return question


def _choice_from_input(data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
    # Ids of kept options stay stable (attempts and regrades refer to them); any other id
    # sent by the browser is replaced by a fresh one.
    known = {str(o.get("id")) for o in (existing or {}).get("options") or []}
    used: set[str] = set()
    options, correct = [], []
    for row in data.get("options") or []:
        text, is_correct = _text(row.get("text")), bool(row.get("correct"))
        if not text and not is_correct:
            continue  # an empty row of the form
        option_id = str(row.get("id") or "")
        if option_id not in known or option_id in used:
            option_id = _new_id(known | used, nbytes=3)
        used.add(option_id)
        options.append({"id": option_id, "text": text})
        if is_correct:
            correct.append(option_id)
    return {"options": options, "correct": correct}


def _choice_problems(question: dict[str, Any], add: Any) -> None:
    options = question.get("options") or []
    if len(options) < 2:
        add("options", "Give at least two options.")
    elif len(options) > MAX_OPTIONS:
        add("options", f"Give at most {MAX_OPTIONS} options.")
    if any(not str(o.get("text", "")).strip() for o in options):
        add("options", "Every option needs text (an option marked correct cannot be empty).")
    if any(len(str(o.get("text", ""))) > 500 for o in options):
        add("options", "An option can be at most 500 characters.")
    if question["type"] == "single" and len(question.get("correct") or []) > 1:
        add("options", "A single-choice question has exactly one correct option.")
    if question["type"] == "multiple" and question.get("scoring") not in SCORING_MODES:
        add("scoring", "Choose all-or-nothing or partial credit.")


def _raise_problems(question: dict[str, Any]) -> None:
    problems = question_problems(question)
    if not problems and not missing_answer_key(question):
        # The grading module has the last word on what can be graded.
        leftover = grading.validate_question(question)
        if leftover:
            problems = {"form": leftover}
    if problems:
        raise ValidationFailed("Please correct the question.", problems)


# --- Attempts: start, answer, submit ---------------------------------------------------------
#
# An attempt (`Evaluation`) is created for the quiz version frozen in the enrolment's snapshot.
# The questions drawn and their order are fixed at start in `meta["order"]` (option orders in
# `meta["option_order"]`), so every page of the attempt shows the same set in the same order.
# Only the public view of a question (`grading.public_view`) is ever handed to templates before
# the attempt is submitted. Answers are stored normalised, question id -> value.
#
# Submitting is decided by one conditional UPDATE (`status = 'in_progress'` -> `submitted`):
# among concurrent requests exactly one changes the row and grades it; the others see that
# nothing changed and leave. The grade is written as score version 1 and the ledger is told
# through `orchestration.record_result`.

RANDOM = random.SystemRandom()
MAX_NUMERIC_LENGTH = 40
MAX_NUMERIC_EXPONENT = 30  # |adjusted exponent|: keeps Decimal arithmetic far from overflow
ANSWER_MESSAGES = {
    "single": "Choose one of the options.",
    "multiple": "Choose among the options shown.",
    "true_false": "Answer true or false.",
    "short_text": "Your answer can be at most 500 characters.",
    "numeric": "Enter a number, like 25 or 2.5.",
}
FINISHED_STATUSES = (
    EvaluationStatus.SUBMITTED,
    EvaluationStatus.AWAITING_VALIDATION,
    EvaluationStatus.GRADED,
)


class DeadlinePassed(Conflict):
    """The attempt's time (plus the grace period) is over: answers are no longer accepted."""


def format_moment(moment: datetime) -> str:
    """A moment to the second, as shown to learners ("15 Jun 2026, 10:30:00 UTC")."""
    return moment.strftime("%d %b %Y, %H:%M:%S UTC")


def quiz_requirement(enrolment: Enrolment, requirement_id: int) -> dict[str, Any]:
    """The frozen definition of a quiz requirement of the enrolment.
    Raises NotFound (not a quiz requirement of the snapshot). Reads only, never commits."""
    definition = orchestration.snapshot_requirement(enrolment, requirement_id)
    if definition is None or definition.get("kind") != "quiz":
        raise NotFound("This is not a quiz of your enrolment.")
    if not definition.get("quiz_version_id"):
        raise NotFound("This quiz has no published version.")
    return definition


def _version_of(tenant_id: int, version_id: int) -> QuizVersion:
    version = db.session.get(QuizVersion, version_id)
    if version is None or version.tenant_id != tenant_id:
        raise NotFound("This quiz does not exist.")
    return version


def _cooldown(settings: dict[str, Any]) -> timedelta:
    minutes = settings.get("cooldown_min")
    if minutes is None:
        minutes = current_app.config["QUIZ_RETRY_COOLDOWN_MIN"]
    return timedelta(minutes=minutes)


def _grace() -> timedelta:
    return timedelta(seconds=current_app.config["QUIZ_DEADLINE_GRACE_SECONDS"])


def is_overdue(attempt: Evaluation, now: datetime | None = None) -> bool:
    """Whether an attempt in progress is past its deadline plus the grace period.
    Raises nothing; reads only, never commits."""
    if attempt.status is not EvaluationStatus.IN_PROGRESS or attempt.deadline_at is None:
        return False
    return (now or clock.now()) > attempt.deadline_at + _grace()


@dataclass(frozen=True)
class QuizState:
    """Where a learner stands with a quiz requirement: what they may do now and why not."""

    definition: dict[str, Any]
    version: QuizVersion
    settings: dict[str, Any]
    progress: RequirementProgress | None
    in_progress: Evaluation | None  # this requirement's attempt in progress
    finished: list[Evaluation]  # this requirement's submitted attempts, newest first
    retry_at: datetime | None  # the cooldown after a failed attempt ends then
    blocker: str | None  # why no new attempt can start now
    now: datetime
    grants: tuple[AttemptGrant, ...] = ()  # extra attempts an admin granted, oldest first

    @property
    def question_count(self) -> int:
        draw = self.settings.get("draw_count")
        total = len(self.version.questions or [])
        return min(draw, total) if draw else total

    @property
    def max_attempts(self) -> int | None:
        """The quiz's limit plus the extra attempts granted to this learner (None: no limit)."""
        limit = self.settings.get("max_attempts")
        if limit is None:
            return None
        return limit + self.extra_attempts

    @property
    def extra_attempts(self) -> int:
        return sum(grant.extra_attempts for grant in self.grants)

    @property
    def attempts_used(self) -> int:
        return len(self.finished)

    @property
    def attempts_left(self) -> int | None:
        if self.max_attempts is None:
            return None
        return max(0, self.max_attempts - self.attempts_used)

    @property
    def overdue(self) -> bool:
        return self.in_progress is not None and is_overdue(self.in_progress, self.now)

    @property
    def can_start(self) -> bool:
        return self.in_progress is None and self.blocker is None

    @property
    def is_met(self) -> bool:
        return self.progress is not None and self.progress.status is ProgressStatus.MET

    @property
    def awaiting_validation(self) -> bool:
        return (
            self.progress is not None and self.progress.status is ProgressStatus.AWAITING_VALIDATION
        )

    @property
    def satisfied_by(self) -> Evaluation | None:
        wanted = self.progress.satisfied_by_evaluation_id if self.progress else None
        return next((a for a in self.finished if a.id == wanted), None)


def requirement_state(
    user: User, enrolment: Enrolment, requirement_id: int, now: datetime | None = None
) -> QuizState:
    """The learner's state for one quiz requirement of their enrolment: attempt in progress,
    attempts used and left (with any extra attempts an admin granted), cooldown end, and the
    reason a new attempt cannot start (four queries whatever the number of attempts). Raises
    NotFound (not the user's enrolment or not a quiz requirement). Reads only, never commits."""
    if enrolment.user_id != user.id or enrolment.tenant_id != user.tenant_id:
        raise NotFound("There is no such enrolment.")
    now = now or clock.now()
    definition = quiz_requirement(enrolment, requirement_id)
    version = _version_of(enrolment.tenant_id, definition["quiz_version_id"])
    settings = effective_settings(version)
    attempts = list(
        db.session.scalars(
            sa.select(Evaluation)
            .where(
                Evaluation.tenant_id == user.tenant_id,
                Evaluation.user_id == user.id,
                Evaluation.quiz_id == version.quiz_id,
            )
            .order_by(Evaluation.started_at.desc(), Evaluation.id.desc())
        )
    )
    progress = db.session.scalar(
        sa.select(RequirementProgress).where(
            RequirementProgress.enrolment_id == enrolment.id,
            RequirementProgress.requirement_id == requirement_id,
        )
    )
    grants = tuple(attempt_grants(enrolment.id, requirement_id))

    def mine(attempt: Evaluation) -> bool:
        return attempt.enrolment_id == enrolment.id and attempt.requirement_id == requirement_id

    running = next((a for a in attempts if a.status is EvaluationStatus.IN_PROGRESS), None)
    finished = [a for a in attempts if mine(a) and a.status in FINISHED_STATUSES]
    retry_at = _retry_at(attempts, progress, settings, now)
    state = QuizState(
        definition=definition,
        version=version,
        settings=settings,
        progress=progress,
        in_progress=running if running is not None and mine(running) else None,
        finished=finished,
        retry_at=retry_at,
        blocker=None,
        now=now,
        grants=grants,
    )
    blocker = _start_blocker(state, enrolment, running)
    return dataclasses.replace(state, blocker=blocker)


def _retry_at(
    attempts: list[Evaluation],
    progress: RequirementProgress | None,
    settings: dict[str, Any],
    now: datetime,
) -> datetime | None:
    """End of the cooldown after the user's last submitted attempt of this quiz, if it failed
    and the cooldown is still running."""
    submitted = [a for a in attempts if a.submitted_at is not None]
    if not submitted:
        return None
    last = max(submitted, key=lambda a: (a.submitted_at, a.id))
    failed = last.passed is False or (
        progress is not None
        and progress.status is ProgressStatus.FAILED
        and last.enrolment_id == progress.enrolment_id
    )
    if not failed:
        return None
    available = last.submitted_at + _cooldown(settings)
    return available if now < available else None


def _start_blocker(
    state: QuizState, enrolment: Enrolment, running: Evaluation | None
) -> str | None:
    if enrolment.status is not EnrolmentStatus.IN_PROGRESS:
        return "This enrolment is no longer in progress."
    if state.is_met:
        return "You have already passed this quiz."
    if state.awaiting_validation:
        return "Your passing attempt is waiting for a mentor's decision."
    if running is not None and state.in_progress is None and not is_overdue(running, state.now):
        return "You have an attempt of this quiz in progress in another programme; finish it first."
    if state.attempts_left == 0:
        if state.max_attempts == 1:
            return "You have used your only attempt of this quiz."
        return f"You have used all {state.max_attempts} attempts of this quiz."
    if state.retry_at is not None:
        return f"You can start your next attempt at {format_moment(state.retry_at)}."
    return None


def attempt_grants(enrolment_id: int, requirement_id: int) -> list[AttemptGrant]:
    """The extra attempts granted on one requirement of an enrolment, oldest first."""
    return list(
        db.session.scalars(
            sa.select(AttemptGrant)
            .where(
                AttemptGrant.enrolment_id == enrolment_id,
                AttemptGrant.requirement_id == requirement_id,
            )
            .order_by(AttemptGrant.created_at, AttemptGrant.id)
        )
    )


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
    kind = question["type"]
    values = [v for v in (raw if isinstance(raw, list) else [raw]) if v is not None]
    message = ANSWER_MESSAGES[kind]
    if not all(isinstance(v, str | bool | int) for v in values):
        raise ValueError(message)
    if kind == "multiple":
        chosen = [str(v) for v in values if str(v) != ""]
        if len(chosen) > MAX_OPTIONS:
            raise ValueError(message)
        try:
            answer = grading.normalize_answer(question, chosen)
        except ValueError:
            raise ValueError(message) from None
        return answer or None
    if len(values) > 1:
        raise ValueError(message)
    value = values[0] if values else None
    if value is None or str(value).strip() == "":
        return None
    if kind == "numeric":
        text = str(value).strip()
        if len(text) > MAX_NUMERIC_LENGTH:
            raise ValueError(message)
    try:
        answer = grading.normalize_answer(question, value)
    except ValueError:
        raise ValueError(message) from None
    if kind == "numeric" and abs(Decimal(answer).adjusted()) > MAX_NUMERIC_EXPONENT:
        raise ValueError(message)
    return answer


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
    (the learner's next visit or the periodic job). Returns whether it graded it now.
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


# --- Attempt pages: the attempt as shown, results ---------------------------------------------


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


def answer_text(question: dict[str, Any], answer: Any) -> str:
    """A stored answer (or key) in words: option texts, True/False, the text or the number.
    Raises nothing; pure."""
    if answer is None or answer == []:
        return ""
    kind = question.get("type")
    if kind in ("single", "multiple"):
        texts = {str(o["id"]): o.get("text", "") for o in question.get("options") or []}
        chosen = answer if isinstance(answer, list) else [answer]
        return "; ".join(texts.get(str(c), str(c)) for c in chosen)
    if kind == "true_false":
        return "True" if answer is True else "False" if answer is False else str(answer)
    return str(answer)


def key_text(question: dict[str, Any]) -> str:
    """The correct answer in words (shown only after submission). Raises nothing; pure."""
    kind = question.get("type")
    if kind in ("single", "multiple", "true_false"):
        return answer_text(question, question.get("correct"))
    if kind == "short_text":
        return " or ".join(str(a) for a in question.get("accepted") or [])
    if kind == "numeric":
        tolerance = str(question.get("tolerance") or "0")
        return str(question.get("value")) + ("" if tolerance in ("0", "") else f" ± {tolerance}")
    return ""


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


# --- Regrading ---------------------------------------------------------------------------------
#
# An admin corrects the answer key of a question in a published version, with a reason. The
# version's question is updated in place (the correction and the old key are kept in
# `QuizVersion.corrections`), a `RegradeBatch` is written and the `regrade_batch` job deferred.
# The job rescoring every submitted attempt that contains the question adds a score version
# per attempt (the old ones stay) tagged with the batch, so running it again skips what is done.

KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "single": ("correct",),
    "multiple": ("correct", "scoring"),
    "true_false": ("correct",),
    "short_text": ("accepted",),
    "numeric": ("value", "tolerance"),
}
REGRADED_STATUSES = (EvaluationStatus.GRADED, EvaluationStatus.AWAITING_VALIDATION)


def answer_key(question: dict[str, Any]) -> dict[str, Any]:
    """The fields of a question that make up its answer key. Raises nothing; pure."""
    return {field: question.get(field) for field in KEY_FIELDS.get(question.get("type", ""), ())}


def find_version_question(version: QuizVersion, question_id: str) -> dict[str, Any] | None:
    """The question of a published version with this id, or None. Reads only."""
    return next((q for q in version.questions or [] if q.get("id") == question_id), None)


def _key_from_input(question: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    kind = question["type"]
    if kind in ("single", "multiple"):
        known = [str(o["id"]) for o in question.get("options") or []]
        chosen = [str(c) for c in data.get("correct") or []]
        # Unknown ids are kept so that validation reports them; known ones in option order.
        unknown = set(chosen) - set(known)
        key: dict[str, Any] = {"correct": chosen if unknown else [c for c in known if c in chosen]}
        if kind == "multiple":
            key["scoring"] = data.get("scoring") or question.get("scoring") or "all_or_nothing"
        return key
    if kind == "true_false":
        return {"correct": data.get("correct")}
    if kind == "short_text":
        return {"accepted": _accepted_answers(data.get("accepted"))}
    return {
        "value": _text(data.get("value")) or None,
        "tolerance": _text(data.get("tolerance")) or "0",
    }


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
    batch.status = RegradeStatus.RUNNING
    batch.error = None
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
    batch.status = RegradeStatus.DONE
    batch.finished_at = clock.now()
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
        batch.status = RegradeStatus.FAILED
        batch.error = error[:2000]
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
