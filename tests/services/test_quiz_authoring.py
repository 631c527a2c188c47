"""Quiz authoring in `automated_evaluation`: drafts, questions of every type, settings and
publishing into immutable versions."""

import re

import pytest
import sqlalchemy as sa

from tests import quizdata
from tests.factories import TenantFactory, UserFactory
from tests.quizdata import EDITOR_INPUT
from webapp.errors import Conflict, NotFound, ValidationFailed
from webapp.extensions import db
from webapp.models import AuditEvent, QuizStatus, QuizVersion, Role
from webapp.services import automated_evaluation as evaluation
from webapp.services import demo, grading

WITHOUT_KEY = {
    "single": {**EDITOR_INPUT["single"], "options": [{"text": "A"}, {"text": "B"}]},
    "multiple": {**EDITOR_INPUT["multiple"], "options": [{"text": "A"}, {"text": "B"}]},
    "true_false": {**EDITOR_INPUT["true_false"], "correct": None},
    "short_text": {**EDITOR_INPUT["short_text"], "accepted": ["", "  "]},
    "numeric": {**EDITOR_INPUT["numeric"], "value": ""},
}


@pytest.fixture
def admin(app):
    return UserFactory(role=Role.ADMIN)


@pytest.fixture
def quiz(admin):
    return evaluation.create_quiz(admin.tenant_id, admin, title="Fire safety")


def test_create_quiz_starts_an_empty_draft_with_default_settings(quiz, admin):
    assert quiz.id is not None
    assert quiz.tenant_id == admin.tenant_id
    assert quiz.questions == []
    assert quiz.settings == evaluation.DEFAULT_SETTINGS
    assert quiz.settings is not evaluation.DEFAULT_SETTINGS
    assert quiz.status is QuizStatus.DRAFT
    assert quiz.latest_version_number == 0


def test_demo_data_uses_the_services_default_settings():
    assert demo.DEFAULT_SETTINGS is evaluation.DEFAULT_SETTINGS


@pytest.mark.parametrize("title", ["", "   ", "x" * 161])
def test_a_quiz_needs_a_title_of_at_most_160_characters(admin, title):
    with pytest.raises(ValidationFailed) as error:
        evaluation.create_quiz(admin.tenant_id, admin, title=title)
    assert "title" in error.value.problems


def test_update_quiz_changes_title_and_description(quiz, admin):
    evaluation.update_quiz(quiz, admin, title="  Fire safety 2 ", description="Basics.")
    assert (quiz.title, quiz.description) == ("Fire safety 2", "Basics.")
    with pytest.raises(ValidationFailed):
        evaluation.update_quiz(quiz, admin, title="", description="Changed")
    assert quiz.description == "Basics."


@pytest.mark.parametrize("kind", list(EDITOR_INPUT))
def test_every_question_type_is_added_in_the_stored_format(quiz, admin, kind):
    question = evaluation.add_question(quiz, admin, EDITOR_INPUT[kind])
    assert re.fullmatch(r"[0-9a-f]{8}", question["id"])
    assert quiz.questions == [question]
    assert question["type"] == kind
    assert grading.validate_question(question) == []
    assert not evaluation.missing_answer_key(question)
    assert quiz.has_draft_changes is True


def test_choice_questions_store_options_and_keys(quiz, admin):
    single = evaluation.add_question(quiz, admin, EDITOR_INPUT["single"])
    assert [o["text"] for o in single["options"]] == ["Raise the alarm", "Open the windows"]
    assert single["correct"] == [single["options"][0]["id"]]
    assert single["points"] == 2
    multiple = evaluation.add_question(quiz, admin, EDITOR_INPUT["multiple"])
    assert multiple["scoring"] == "partial"
    assert multiple["points"] == "1.5"
    assert multiple["correct"] == [o["id"] for o in multiple["options"][:2]]


def test_short_text_answers_are_trimmed_and_deduplicated(quiz, admin):
    question = evaluation.add_question(quiz, admin, EDITOR_INPUT["short_text"])
    assert question["accepted"] == ["Personal protective equipment", "PPE"]


def test_numeric_and_true_false_keys(quiz, admin):
    numeric = evaluation.add_question(quiz, admin, EDITOR_INPUT["numeric"])
    assert (numeric["value"], numeric["tolerance"]) == ("25", "0.5")
    true_false = evaluation.add_question(quiz, admin, EDITOR_INPUT["true_false"])
    assert true_false["correct"] is False


@pytest.mark.parametrize("kind", list(EDITOR_INPUT))
def test_every_question_type_is_edited_keeping_its_id(quiz, admin, kind):
    added = evaluation.add_question(quiz, admin, EDITOR_INPUT[kind])
    data = {**EDITOR_INPUT[kind], "prompt": "Reworded?", "type": "numeric"}
    updated = evaluation.update_question(quiz, admin, added["id"], data)
    assert updated["id"] == added["id"]
    assert updated["type"] == kind  # the type of a question never changes
    assert quiz.questions == [updated]
    assert quiz.questions[0]["prompt"] == "Reworded?"


def test_editing_options_keeps_the_ids_of_kept_options(quiz, admin):
    added = evaluation.add_question(quiz, admin, EDITOR_INPUT["single"])
    first, second = added["options"]
    updated = evaluation.update_question(
        quiz,
        admin,
        added["id"],
        {
            **EDITOR_INPUT["single"],
            "options": [
                {"id": second["id"], "text": "Open the windows wide", "correct": True},
                {"id": "forged", "text": "Call a friend"},
                {"id": second["id"], "text": "A duplicate id"},
            ],
        },
    )
    ids = [o["id"] for o in updated["options"]]
    assert ids[0] == second["id"]
    assert first["id"] not in ids and "forged" not in ids
    assert len(set(ids)) == 3
    assert updated["correct"] == [second["id"]]


def test_question_ids_are_unique_within_the_quiz(quiz, admin):
    ids = {
        evaluation.add_question(quiz, admin, EDITOR_INPUT["true_false"])["id"] for _ in range(20)
    }
    assert len(ids) == 20


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"type": "essay", "prompt": "Why?"}, "type"),
        ({**EDITOR_INPUT["single"], "prompt": "  "}, "prompt"),
        ({**EDITOR_INPUT["single"], "points": "0"}, "points"),
        ({**EDITOR_INPUT["single"], "points": "-1"}, "points"),
        ({**EDITOR_INPUT["single"], "points": "many"}, "points"),
        ({**EDITOR_INPUT["single"], "points": "1.255"}, "points"),
        ({**EDITOR_INPUT["single"], "points": "1001"}, "points"),
        ({**EDITOR_INPUT["single"], "options": [{"text": "Only", "correct": True}]}, "options"),
        (
            {
                **EDITOR_INPUT["single"],
                "options": [{"text": "A", "correct": True}, {"text": "B", "correct": True}],
            },
            "options",
        ),
        (
            {**EDITOR_INPUT["multiple"], "options": [{"text": "A"}, {"text": "", "correct": True}]},
            "options",
        ),
        ({**EDITOR_INPUT["multiple"], "scoring": "generous"}, "scoring"),
        ({**EDITOR_INPUT["true_false"], "correct": "maybe"}, "correct"),
        ({**EDITOR_INPUT["short_text"], "accepted": ["x" * 201]}, "accepted"),
        ({**EDITOR_INPUT["numeric"], "value": "twenty"}, "value"),
        ({**EDITOR_INPUT["numeric"], "tolerance": "-1"}, "tolerance"),
        ({**EDITOR_INPUT["numeric"], "tolerance": "a bit"}, "tolerance"),
    ],
)
def test_invalid_questions_are_refused_and_change_nothing(quiz, admin, data, field):
    kept = evaluation.add_question(
        quiz, admin, EDITOR_INPUT.get(data["type"], EDITOR_INPUT["single"])
    )
    before = [dict(q) for q in quiz.questions]
    with pytest.raises(ValidationFailed) as error:
        evaluation.add_question(quiz, admin, data)
    assert field in error.value.problems
    if data["type"] in EDITOR_INPUT:
        with pytest.raises(ValidationFailed) as error:
            evaluation.update_question(quiz, admin, kept["id"], data)
        assert field in error.value.problems
    assert quiz.questions == before


def test_unknown_questions_answer_not_found(quiz, admin):
    with pytest.raises(NotFound):
        evaluation.update_question(quiz, admin, "nope", EDITOR_INPUT["single"])
    with pytest.raises(NotFound):
        evaluation.remove_question(quiz, admin, "nope")
    with pytest.raises(NotFound):
        evaluation.move_question(quiz, admin, "nope", 1)


def test_an_admin_of_another_tenant_cannot_change_the_quiz(quiz):
    stranger = UserFactory(tenant=TenantFactory(), role=Role.ADMIN)
    with pytest.raises(NotFound):
        evaluation.add_question(quiz, stranger, EDITOR_INPUT["single"])
    with pytest.raises(NotFound):
        evaluation.publish_quiz(quiz, stranger)
    assert quiz.questions == []


def test_remove_and_move_questions(quiz, admin):
    a, b, c = (
        evaluation.add_question(quiz, admin, {**EDITOR_INPUT["true_false"], "prompt": p})
        for p in "ABC"
    )
    assert evaluation.move_question(quiz, admin, c["id"], -1) == 1
    assert [q["prompt"] for q in quiz.questions] == ["A", "C", "B"]
    assert evaluation.move_question(quiz, admin, a["id"], -1) == 0  # clamped
    evaluation.remove_question(quiz, admin, b["id"])
    assert [q["prompt"] for q in quiz.questions] == ["A", "C"]


@pytest.mark.parametrize("kind", list(WITHOUT_KEY))
def test_a_draft_question_may_lack_its_answer_but_then_the_quiz_cannot_be_published(
    quiz, admin, kind
):
    evaluation.add_question(quiz, admin, EDITOR_INPUT["true_false"])
    question = evaluation.add_question(quiz, admin, WITHOUT_KEY[kind])
    assert evaluation.missing_answer_key(question)
    with pytest.raises(ValidationFailed) as error:
        evaluation.publish_quiz(quiz, admin)
    prompt = WITHOUT_KEY[kind]["prompt"]
    assert f"Question 2 (“{prompt}”) has no correct answer." in error.value.problems["publish"]
    assert quiz.status is QuizStatus.DRAFT
    assert quiz.latest_version_number == 0
    assert db.session.scalar(sa.select(sa.func.count(QuizVersion.id))) == 0


def test_a_quiz_without_questions_cannot_be_published(quiz, admin):
    with pytest.raises(ValidationFailed) as error:
        evaluation.publish_quiz(quiz, admin)
    assert error.value.problems["publish"] == ["Add at least one question."]


def test_publishing_refuses_a_stored_question_that_grading_rejects(quiz, admin):
    # e.g. an imported question whose key points at an option that does not exist
    quiz.questions = [quizdata.single(prompt="Pick", correct=["z"])]
    with pytest.raises(ValidationFailed) as error:
        evaluation.publish_quiz(quiz, admin)
    assert error.value.problems["publish"] == [
        "Question 1 (“Pick”): A correct answer refers to an option that does not exist."
    ]


def test_publishing_freezes_a_version_and_records_it(quiz, admin):
    for kind in EDITOR_INPUT:
        evaluation.add_question(quiz, admin, EDITOR_INPUT[kind])
    version = evaluation.publish_quiz(quiz, admin)
    assert version.number == 1
    assert version.questions == quiz.questions
    assert version.questions is not quiz.questions
    assert version.settings == evaluation.DEFAULT_SETTINGS
    assert version.title == "Fire safety"
    assert version.published_by_id == admin.id
    assert quiz.status is QuizStatus.PUBLISHED
    assert quiz.has_draft_changes is False
    assert quiz.latest_version_number == 1
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "quiz.published"))
    assert (event.object_id, event.actor_id, event.data["version"]) == (quiz.id, admin.id, 1)


def test_editing_a_published_quiz_starts_a_draft_and_never_changes_the_version(quiz, admin):
    question = evaluation.add_question(quiz, admin, EDITOR_INPUT["single"])
    evaluation.add_question(quiz, admin, EDITOR_INPUT["numeric"])
    version = evaluation.publish_quiz(quiz, admin)
    frozen = [dict(q) for q in version.questions]

    evaluation.update_question(
        quiz, admin, question["id"], {**EDITOR_INPUT["single"], "prompt": "New"}
    )
    evaluation.add_question(quiz, admin, EDITOR_INPUT["true_false"])
    evaluation.remove_question(quiz, admin, quiz.questions[1]["id"])
    evaluation.update_settings(quiz, admin, {"max_attempts": 3})
    evaluation.update_quiz(quiz, admin, title="Renamed", description="")
    db.session.expire_all()

    version = db.session.get(QuizVersion, version.id)
    assert version.questions == frozen
    assert version.settings["max_attempts"] is None
    assert version.title == "Fire safety"
    assert quiz.status is QuizStatus.PUBLISHED
    assert quiz.has_draft_changes is True
    assert quiz.latest_version_number == 1

    second = evaluation.publish_quiz(quiz, admin)
    assert second.number == 2
    assert [q["prompt"] for q in second.questions] == ["New", EDITOR_INPUT["true_false"]["prompt"]]
    assert db.session.get(QuizVersion, version.id).questions == frozen
    assert [v.number for v in quiz.versions] == [1, 2]


def test_publishing_an_unchanged_draft_again_is_refused(quiz, admin):
    evaluation.add_question(quiz, admin, EDITOR_INPUT["single"])
    evaluation.publish_quiz(quiz, admin)
    with pytest.raises(Conflict):
        evaluation.publish_quiz(quiz, admin)
    evaluation.update_settings(quiz, admin, {"feedback": "per_question"})  # no actual change
    assert quiz.has_draft_changes is False


def settings_with(**changes):
    return {**evaluation.DEFAULT_SETTINGS, **changes}


@pytest.mark.parametrize(
    ("key", "value", "valid"),
    [
        ("time_limit_min", None, True),
        ("time_limit_min", 1, True),
        ("time_limit_min", 600, True),
        ("time_limit_min", 0, False),
        ("time_limit_min", 601, False),
        ("time_limit_min", "10", False),
        ("time_limit_min", True, False),
        ("time_limit_min", 1.5, False),
        ("draw_count", None, True),
        ("draw_count", 1, True),
        ("draw_count", 0, False),
        ("max_attempts", None, True),
        ("max_attempts", 1, True),
        ("max_attempts", 100, True),
        ("max_attempts", 0, False),
        ("max_attempts", 101, False),
        ("cooldown_min", None, True),
        ("cooldown_min", 0, True),
        ("cooldown_min", 10080, True),
        ("cooldown_min", -1, False),
        ("cooldown_min", 10081, False),
        ("shuffle_questions", True, True),
        ("shuffle_questions", "yes", False),
        ("shuffle_options", False, True),
        ("shuffle_options", None, False),
        ("feedback", "score_only", True),
        ("feedback", "per_question", True),
        ("feedback", "everything", False),
    ],
)
def test_settings_validation_bounds(key, value, valid):
    problems = evaluation.validate_settings(settings_with(**{key: value}))
    assert (problems == {}) is valid
    if not valid:
        assert list(problems) == [key]


def test_settings_must_have_exactly_the_known_keys():
    extra = evaluation.validate_settings(settings_with(passcode="1234"))
    assert extra == {"passcode": ["Unknown setting."]}
    missing = dict(evaluation.DEFAULT_SETTINGS)
    del missing["feedback"]
    assert list(evaluation.validate_settings(missing)) == ["feedback"]


def test_update_settings_merges_and_refuses_bad_values_changing_nothing(quiz, admin):
    evaluation.update_settings(quiz, admin, {"time_limit_min": 20, "shuffle_options": True})
    assert quiz.settings == settings_with(time_limit_min=20, shuffle_options=True)
    with pytest.raises(ValidationFailed) as error:
        evaluation.update_settings(quiz, admin, {"max_attempts": 0, "cooldown_min": 5})
    assert list(error.value.problems) == ["max_attempts"]
    assert quiz.settings == settings_with(time_limit_min=20, shuffle_options=True)


def test_drawing_more_questions_than_the_quiz_has_is_refused_at_publish(quiz, admin):
    evaluation.add_question(quiz, admin, EDITOR_INPUT["single"])
    evaluation.update_settings(quiz, admin, {"draw_count": 2})  # fine while drafting
    with pytest.raises(ValidationFailed) as error:
        evaluation.publish_quiz(quiz, admin)
    assert "draws 2 questions but has only 1" in error.value.problems["publish"][0]
    evaluation.add_question(quiz, admin, EDITOR_INPUT["numeric"])
    assert evaluation.publish_quiz(quiz, admin).settings["draw_count"] == 2
