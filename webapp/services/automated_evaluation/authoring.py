"""Quiz authoring: the draft's details, settings and questions, and publishing a version.

A quiz is edited as a draft (`Quiz.questions`, `Quiz.settings`); publishing freezes a deep
copy into a new immutable `QuizVersion`. Question dicts follow the format documented in
`grading`; their ids are generated here and never change. A draft question may lack its
answer key while the admin works on it; publishing refuses such a question.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from webapp import clock
from webapp.errors import Conflict, ValidationFailed
from webapp.extensions import db
from webapp.models import Quiz, QuizStatus, QuizVersion, User
from webapp.services import audit, grading, question_types
from webapp.services.automated_evaluation._common import (
    _check_tenant,
    _index_of,
    _shorten,
    _text,
)

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
MAX_QUESTIONS = 200
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
    audit.record(tenant_id, actor, "quiz.created", "quiz", quiz.id, f"Quiz “{title}” created")
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
    before = {"title": quiz.title, "description": quiz.description}
    if title != quiz.title:
        quiz.title = title
        quiz.has_draft_changes = True
    quiz.description = description
    quiz.updated_at = clock.now()
    db.session.flush()
    audit.record(
        quiz.tenant_id,
        actor,
        "quiz.details_updated",
        "quiz",
        quiz.id,
        f"Details of quiz “{title}” saved",
        changes=audit.changes(before, {"title": title, "description": description}),
    )
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
        audit.record(
            quiz.tenant_id,
            actor,
            "quiz.settings_updated",
            "quiz",
            quiz.id,
            f"Settings of quiz “{quiz.title}” changed",
            changes=audit.changes(current, merged),
        )
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
    question_id = question_types.new_id({str(q.get("id")) for q in questions}, nbytes=4)
    question = _question_from_input(data, question_id, existing=None)
    _raise_problems(question)
    questions.append(question)
    quiz.questions = questions
    _draft_changed(quiz)
    db.session.flush()
    _audit_question(quiz, actor, "quiz.question_added", question, position=len(questions))
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
        _audit_question(
            quiz,
            actor,
            "quiz.question_updated",
            question,
            changes=audit.changes(existing, question),
        )
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
    _audit_question(quiz, actor, "quiz.question_removed", removed)
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
        _audit_question(
            quiz,
            actor,
            "quiz.question_moved",
            questions[target],
            changes={"position": {"before": index + 1, "after": target + 1}},
        )
    return target


def missing_answer_key(question: dict[str, Any]) -> bool:
    """Whether the question has no correct answer yet (it cannot be published then).
    Raises nothing; reads only, never commits."""
    qtype = question_types.get(question.get("type"))
    return qtype.missing_key(question) if qtype else True


def question_problems(question: dict[str, Any]) -> dict[str, list[str]]:
    """Every problem that keeps a question from being saved, by field (a missing answer key
    is allowed in a draft and not reported here). Raises nothing; reads only, never commits."""
    problems: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    qtype = question_types.get(question.get("type"))
    if qtype is None:
        add("type", "Choose a question type.")
        return problems
    prompt = str(question.get("prompt") or "")
    if not prompt.strip():
        add("prompt", "Write the question.")
    elif len(prompt) > 2000:
        add("prompt", "The question can be at most 2000 characters.")
    points = question_types.decimal_or_none(question.get("points"))
    if points is None:
        add("points", "Points must be a number.")
    elif not 0 < points <= MAX_POINTS or points.normalize().as_tuple().exponent < -2:
        add("points", "Points must be more than 0 and at most 1000, with at most 2 decimals.")
    if len(str(question.get("explanation") or "")) > 2000:
        add("explanation", "The explanation can be at most 2000 characters.")
    qtype.problems(question, add)
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
    quiz.publish()
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


def _details_problems(title: str, description: str) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    if not title:
        problems["title"] = ["Give the quiz a title."]
    elif len(title) > 160:
        problems["title"] = ["The title can be at most 160 characters."]
    if len(description) > 5000:
        problems["description"] = ["The description can be at most 5000 characters."]
    return problems


def _audit_question(
    quiz: Quiz, actor: User | None, action: str, question: dict[str, Any], **data: Any
) -> None:
    what = {
        "quiz.question_added": "added to",
        "quiz.question_updated": "changed in",
        "quiz.question_removed": "removed from",
        "quiz.question_moved": "moved in",
    }[action]
    audit.record(
        quiz.tenant_id,
        actor,
        action,
        "quiz",
        quiz.id,
        f"Question “{_shorten(question.get('prompt'))}” {what} the draft of “{quiz.title}”",
        question_id=question.get("id"),
        **data,
    )


def _draft_changed(quiz: Quiz) -> None:
    quiz.has_draft_changes = True
    quiz.updated_at = clock.now()


def _int_in(value: Any, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if low <= value <= high else None


def _points(value: Any) -> int | str | Any:
    """Whole points are stored as ints, others as exact decimal strings ("1.5")."""
    number = question_types.decimal_or_none(value)
    if number is None:
        return value if value not in (None, "") else None
    if number == number.to_integral_value():
        return int(number)
    return str(number.normalize())


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
    qtype = question_types.get(kind)
    if qtype is not None:
        question.update(qtype.from_input(data, existing))
    return question


def _raise_problems(question: dict[str, Any]) -> None:
    problems = question_problems(question)
    if not problems and not missing_answer_key(question):
        # The grading module has the last word on what can be graded.
        leftover = grading.validate_question(question)
        if leftover:
            problems = {"form": leftover}
    if problems:
        raise ValidationFailed("Please correct the question.", problems)
