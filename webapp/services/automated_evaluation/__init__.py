"""Automated evaluation (SPEC `automated_evaluation`): quizzes and their immutable published
versions, attempts, the grading rules, pass/fail, the cooldown after a failed attempt, maximum
attempts and the extra attempts an admin grants, results, and regrading after a corrected key.

Functions take models and the acting user, flush but never commit, and raise DomainError
subclasses whose messages are safe to show. Question types and the grading arithmetic live in
the pure `grading` module; this package owns the rules around them, one module per concern
(each imports only those listed before it, and the private helpers of `_common`):

- `authoring`: the draft quiz, its settings and questions, publishing a version;
- `quiz_state`: where a learner stands with a quiz requirement (`QuizState`);
- `attempts`: starting, answering and submitting an attempt, grading it once, overdue ones;
- `results`: an attempt as shown while it is taken, and its results;
- `regrading`: correcting a published key and the batches rescoring the attempts.

Callers use the names re-exported here.
"""

from webapp.services.automated_evaluation.attempts import (
    DeadlinePassed,
    attempt_questions,
    draw_questions,
    finalize_overdue_attempt,
    in_progress_attempt,
    normalize_submitted,
    overdue_attempt_ids,
    public_questions,
    save_answers,
    start_attempt,
    submit_attempt,
)
from webapp.services.automated_evaluation.authoring import (
    DEFAULT_SETTINGS,
    MAX_QUESTIONS,
    add_question,
    create_quiz,
    effective_settings,
    find_question,
    missing_answer_key,
    move_question,
    publish_problems,
    publish_quiz,
    question_problems,
    remove_question,
    update_question,
    update_quiz,
    update_settings,
    validate_settings,
)
from webapp.services.automated_evaluation.quiz_state import (
    QuizState,
    attempt_grants,
    format_moment,
    is_overdue,
    quiz_requirement,
    requirement_state,
)
from webapp.services.automated_evaluation.regrading import (
    affected_attempt_count,
    answer_key,
    begin_regrade,
    correct_question,
    fail_regrade,
    find_version_question,
    finish_regrade,
    regrade_attempt,
    regrade_chunk,
    version_batches,
)
from webapp.services.automated_evaluation.results import (
    AttemptQuestion,
    AttemptResult,
    AttemptView,
    QuestionFeedback,
    answer_text,
    attempt_result,
    attempt_view,
    exact_totals,
    key_text,
)

__all__ = [
    "DEFAULT_SETTINGS",
    "MAX_QUESTIONS",
    "AttemptQuestion",
    "AttemptResult",
    "AttemptView",
    "DeadlinePassed",
    "QuestionFeedback",
    "QuizState",
    "add_question",
    "affected_attempt_count",
    "answer_key",
    "answer_text",
    "attempt_grants",
    "attempt_questions",
    "attempt_result",
    "attempt_view",
    "begin_regrade",
    "correct_question",
    "create_quiz",
    "draw_questions",
    "effective_settings",
    "exact_totals",
    "fail_regrade",
    "finalize_overdue_attempt",
    "find_question",
    "find_version_question",
    "finish_regrade",
    "format_moment",
    "in_progress_attempt",
    "is_overdue",
    "key_text",
    "missing_answer_key",
    "move_question",
    "normalize_submitted",
    "overdue_attempt_ids",
    "public_questions",
    "publish_problems",
    "publish_quiz",
    "question_problems",
    "quiz_requirement",
    "regrade_attempt",
    "regrade_chunk",
    "remove_question",
    "requirement_state",
    "save_answers",
    "start_attempt",
    "submit_attempt",
    "update_question",
    "update_quiz",
    "update_settings",
    "validate_settings",
    "version_batches",
]
