"""The JSON Schema of programme files: the published file is the one the code builds, the
question types give it their keys, the documented examples match it, and each kind of problem
(of the schema or of the rules after it) is worded and placed as the importer always has."""

import copy
import json
import re
from pathlib import Path

import jsonschema
import pytest

from tests.factories import PathFactory, TenantFactory
from webapp.services import automated_evaluation, question_types
from webapp.services import programme_files as files
from webapp.services.programme_files import schema
from webapp.services.question_types import QuestionType

DOCS = Path(__file__).parents[2] / "docs"
PUBLISHED = DOCS / "programme-file.schema.json"
QUIZ = "$.quizzes.lifting-quiz"


def published_validator() -> jsonschema.Draft202012Validator:
    """The published schema as any tool would use it: plain jsonschema, draft 2020-12."""
    return jsonschema.Draft202012Validator(json.loads(PUBLISHED.read_text()))


def document() -> dict:
    """A valid programme file: every requirement kind, a question of every type."""
    options = [
        {"id": "a", "text": "Sling"},
        {"id": "b", "text": "Hook"},
        {"id": "c", "text": "Rope"},
    ]
    return {
        "format": "certifikation.programme",
        "format_version": 1,
        "programme": {"name": "Lifting", "slug": "lifting", "skills": ["Rigging"]},
        "requirements": [
            {"kind": "quiz", "title": "Lifting quiz", "quiz": "lifting-quiz"},
            {
                "kind": "evidence",
                "title": "Lift plan",
                "settings": {"instructions": "Upload your plan.", "accepted_types": ["pdf"]},
            },
            {"kind": "content", "title": "Handbook", "settings": {"body": "Read it."}},
        ],
        "quizzes": {
            "lifting-quiz": {
                "title": "Lifting quiz",
                "questions": [
                    {
                        "id": "q1",
                        "type": "single",
                        "prompt": "Which holds the load?",
                        "points": 1,
                        "options": copy.deepcopy(options),
                        "correct": ["a"],
                    },
                    {
                        "id": "q2",
                        "type": "multiple",
                        "prompt": "Which are lifting gear?",
                        "points": 2,
                        "options": copy.deepcopy(options),
                        "correct": ["a", "b"],
                        "scoring": "partial",
                    },
                    {
                        "id": "q3",
                        "type": "true_false",
                        "prompt": "You may stand under a load.",
                        "points": 1,
                        "correct": False,
                    },
                    {
                        "id": "q4",
                        "type": "short_text",
                        "prompt": "What does SWL stand for?",
                        "points": 1,
                        "accepted": ["safe working load"],
                    },
                    {
                        "id": "q5",
                        "type": "numeric",
                        "prompt": "Load in tonnes?",
                        "points": "1.5",
                        "value": "2.5",
                        "tolerance": "0.1",
                    },
                ],
            }
        },
    }


def question(doc: dict, index: int) -> dict:
    return doc["quizzes"]["lifting-quiz"]["questions"][index]


@pytest.fixture
def tenant(app):
    return TenantFactory(slug="globex")


def problems_of(tenant, doc) -> dict[str, list[str]]:
    problems, plan = files.check_document(tenant, doc)
    assert (plan is None) == bool(problems)
    return dict(problems)


def test_the_published_schema_is_the_one_built_from_the_code():
    assert PUBLISHED.read_text() == files.schema_text(), (
        "docs/programme-file.schema.json is out of date; write it anew with "
        "`flask programs schema` (see docs/programme-format.md)"
    )


def test_the_schema_is_a_valid_draft_2020_12_schema():
    built = files.build_schema()
    assert built["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(built)


def test_the_format_documentation_links_the_schema():
    assert "(programme-file.schema.json)" in (DOCS / "programme-format.md").read_text()


def test_every_example_in_the_docs_matches_the_published_schema():
    examples = [
        json.loads(block)
        for page in sorted(DOCS.glob("*.md"))
        for block in re.findall(r"```json\n(.*?)\n```", page.read_text(), re.DOTALL)
    ]
    assert examples
    validator = published_validator()
    for example in examples:
        assert [e.message for e in validator.iter_errors(example)] == []
        report = schema.schema_problems(example)
        assert (report.take(), report.take(deferred=True)) == ([], [])


def test_exported_files_match_the_published_schema(tenant):
    PathFactory(tenant=tenant, slug="site-basics")
    doc = dict(document(), programme=dict(document()["programme"], prerequisites=["site-basics"]))
    imported = files.import_programme(tenant, None, doc)
    exported = json.loads(files.dumps(files.export_programme(imported)))
    assert [e.message for e in published_validator().iter_errors(exported)] == []


def test_the_valid_document_has_no_problem(tenant):
    assert problems_of(tenant, document()) == {}
    assert [e.message for e in published_validator().iter_errors(document())] == []


def test_each_question_type_gives_the_schema_its_keys():
    built = files.build_schema()
    assert built["$defs"]["question"]["properties"]["type"]["enum"] == list(question_types.REGISTRY)
    for name, qtype in question_types.REGISTRY.items():
        definition = built["$defs"][f"{name}-question"]
        assert definition["properties"]["type"] == {"const": name}
        for key, shape in qtype.file_schema["properties"].items():
            assert definition["properties"][key] == shape
        assert set(qtype.file_schema["required"]) <= set(definition["required"])


def test_a_new_question_type_brings_its_keys_into_the_schema():
    class Essay(QuestionType):
        name = "essay"
        label = "Essay"
        file_schema = {"properties": {"rubric": {"type": "string"}}, "required": ["rubric"]}

    built = files.build_schema({**question_types.REGISTRY, "essay": Essay()})
    validator = jsonschema.Draft202012Validator(built)
    doc = document()
    essay = {"id": "q6", "type": "essay", "prompt": "Why?", "points": 1, "rubric": "Reasons."}
    doc["quizzes"]["lifting-quiz"]["questions"].append(essay)
    assert list(validator.iter_errors(doc)) == []
    del essay["rubric"]
    assert [e.message for e in validator.iter_errors(doc)] == ["'rubric' is a required property"]
    assert list(published_validator().iter_errors(document())) == []  # the registry's own


def test_the_quiz_settings_of_the_schema_are_the_quiz_defaults():
    settings = files.build_schema()["$defs"]["quiz-settings"]["properties"]
    defaults = {key: shape["default"] for key, shape in settings.items()}
    assert defaults == automated_evaluation.DEFAULT_SETTINGS


def test_wrong_quiz_settings_are_worded_by_the_quiz_rules(tenant):
    for key in automated_evaluation.DEFAULT_SETTINGS:
        doc = document()
        doc["quizzes"]["lifting-quiz"]["settings"] = {key: ["not", "a", "setting"]}
        rules = automated_evaluation.validate_settings(
            {**automated_evaluation.DEFAULT_SETTINGS, key: ["not", "a", "setting"]}
        )
        assert problems_of(tenant, doc) == {f"{QUIZ}.settings.{key}": rules[key]}
        assert list(published_validator().iter_errors(doc))  # the schema refuses it too


def _set(target, key, value):
    target[key] = value


# (id, change to the valid document, expected problems, whether the published schema refuses
# the file: False for the rules an import checks after it)
CASES = [
    # Unknown keys, at every level.
    ("unknown-top", lambda d: _set(d, "extra", 1), {"$.extra": ["Unknown key."]}, True),
    (
        "unknown-programme",
        lambda d: _set(d["programme"], "colour", "red"),
        {"$.programme.colour": ["Unknown key."]},
        True,
    ),
    (
        "unknown-setting-of-a-requirement",
        lambda d: _set(d["requirements"][2]["settings"], "colour", 1),
        {"$.requirements[2].settings.colour": ["Unknown key."]},
        True,
    ),
    (
        "key-of-another-kind",
        lambda d: _set(d["requirements"][1], "min_score", 50),
        {"$.requirements[1].min_score": ["Unknown key."]},
        True,
    ),
    (
        "key-of-another-question-type",
        lambda d: _set(question(d, 2), "options", []),
        {f"{QUIZ}.questions[2].options": ["Unknown key."]},
        True,
    ),
    (
        "unknown-key-of-an-option",
        lambda d: _set(question(d, 0)["options"][0], "colour", "red"),
        {f"{QUIZ}.questions[0].options[0].colour": ["Unknown key."]},
        True,
    ),
    (
        "unknown-quiz-setting",
        lambda d: _set(d["quizzes"]["lifting-quiz"], "settings", {"sound": "loud"}),
        {f"{QUIZ}.settings.sound": ["Unknown setting."]},
        True,
    ),
    # Missing keys.
    (
        "no-programme",
        lambda d: d.pop("programme"),
        {"$.programme": ["This key is required."]},
        True,
    ),
    (
        "no-name",
        lambda d: d["programme"].pop("name"),
        {"$.programme.name": ["This key is required."]},
        True,
    ),
    (
        "no-quiz-title",
        lambda d: d["quizzes"]["lifting-quiz"].pop("title"),
        {f"{QUIZ}.title": ["This key is required."]},
        True,
    ),
    (
        "no-prompt",
        lambda d: question(d, 3).pop("prompt"),
        {f"{QUIZ}.questions[3].prompt": ["This key is required."]},
        True,
    ),
    (
        "no-option-text",
        lambda d: question(d, 1)["options"][2].pop("text"),
        {f"{QUIZ}.questions[1].options[2].text": ["This key is required."]},
        True,
    ),
    (
        "evidence-without-settings",
        lambda d: d["requirements"][1].pop("settings"),
        {
            "$.requirements[1].settings.instructions": ["This key is required."],
            "$.requirements[1].settings.accepted_types": ["This key is required."],
        },
        False,  # the schema cannot say that a missing `settings` is {}
    ),
    # Values of the wrong type.
    (
        "name-text",
        lambda d: _set(d["programme"], "name", 7),
        {"$.programme.name": ["Expected text."]},
        True,
    ),
    (
        "whole-number",
        lambda d: _set(d["programme"], "renewal_window_days", "30"),
        {"$.programme.renewal_window_days": ["Expected a whole number."]},
        True,
    ),
    (
        "whole-number-not-a-fraction",
        lambda d: _set(d["programme"], "renewal_window_days", 30.0),
        {"$.programme.renewal_window_days": ["Expected a whole number."]},
        False,  # plain JSON Schema takes 30.0 for an integer
    ),
    (
        "whole-number-or-null",
        lambda d: _set(d["programme"], "validity_days", True),
        {"$.programme.validity_days": ["Expected a whole number or null."]},
        True,
    ),
    (
        "true-or-false",
        lambda d: _set(d["programme"], "self_enrolment", "yes"),
        {"$.programme.self_enrolment": ["Expected true or false."]},
        True,
    ),
    (
        "a-list",
        lambda d: _set(d["programme"], "skills", "Rigging"),
        {"$.programme.skills": ["Expected a list."]},
        True,
    ),
    (
        "an-object",
        lambda d: _set(d, "quizzes", []),
        {
            "$.quizzes": ["Expected an object."],
            "$.requirements[0].quiz": ["There is no quiz “lifting-quiz” in $.quizzes."],
        },
        True,
    ),
    (
        "number-or-text",
        lambda d: _set(question(d, 0), "points", True),
        {f"{QUIZ}.questions[0].points": ["Expected a number or text."]},
        True,
    ),
    (
        "number-or-text-or-null",
        lambda d: _set(question(d, 4), "value", []),
        {f"{QUIZ}.questions[4].value": ["Expected a number or text or null."]},
        True,
    ),
    (
        "true-or-false-or-null",
        lambda d: _set(question(d, 2), "correct", "yes"),
        {f"{QUIZ}.questions[2].correct": ["Expected true or false or null."]},
        True,
    ),
    (
        "list-of-text",
        lambda d: _set(question(d, 3), "accepted", ["ok", 2, 3]),
        {f"{QUIZ}.questions[3].accepted": ["Expected a list of text."]},
        True,
    ),
    (
        "option-object",
        lambda d: _set(question(d, 0), "options", ["a", {"id": "b", "text": "B"}]),
        {f"{QUIZ}.questions[0].options[0]": ["Expected an object."]},
        True,
    ),
    (
        "quiz-setting-of-the-wrong-type",
        lambda d: _set(d["quizzes"]["lifting-quiz"], "settings", {"max_attempts": "3"}),
        {f"{QUIZ}.settings.max_attempts": ["Maximum attempts must be between 1 and 100, or none."]},
        True,
    ),
    # Format and version: nothing else is reported.
    (
        "another-format",
        lambda d: d.update(format="other.format", extra=1),
        {"$.format": ["This is not a programme file (expected “certifikation.programme”)."]},
        True,
    ),
    (
        "another-version",
        lambda d: _set(d, "format_version", 2),
        {
            "$.format_version": [
                "Format version 2 is not supported; this version of CertifiKation reads version 1."
            ]
        },
        True,
    ),
    (
        "version-as-text",
        lambda d: _set(d, "format_version", "1"),
        {"$.format_version": ["Expected a whole number."]},
        True,
    ),
    # Kinds and types: nothing else of that requirement or question is reported.
    (
        "unknown-kind",
        lambda d: d["requirements"][2].update(kind="webinar", colour=1),
        {"$.requirements[2].kind": ["Choose quiz, evidence or content."]},
        True,
    ),
    (
        "no-kind",
        lambda d: d["requirements"][2].pop("kind"),
        {"$.requirements[2].kind": ["Choose quiz, evidence or content."]},
        True,
    ),
    (
        "unknown-type",
        lambda d: question(d, 4).update(type="essay", colour=1),
        {
            f"{QUIZ}.questions[4].type": [
                "Unknown question type; use one of: "
                "single, multiple, true_false, short_text, numeric."
            ]
        },
        True,
    ),
    # The few rules on values in the schema.
    (
        "blank-quiz-key",
        lambda d: (
            d["quizzes"].update({" ": d["quizzes"].pop("lifting-quiz")}),
            _set(d["requirements"][0], "quiz", " "),
        ),
        {'$.quizzes[" "]': ["A quiz key is 1 to 80 characters."]},
        True,
    ),
    (
        "long-question-id",
        lambda d: _set(question(d, 1), "id", "q" * 41),
        {f"{QUIZ}.questions[1].id": ["A question id is 1 to 40 characters."]},
        True,
    ),
    (
        "no-question",
        lambda d: _set(d["quizzes"]["lifting-quiz"], "questions", []),
        {f"{QUIZ}.questions": ["A quiz needs at least one question."]},
        True,
    ),
    (
        "too-many-questions",
        lambda d: _set(
            d["quizzes"]["lifting-quiz"],
            "questions",
            [dict(question(d, 2), id=f"q{n}") for n in range(201)],
        ),
        {f"{QUIZ}.questions": ["A quiz can have at most 200 questions."]},
        True,
    ),
    (
        "blank-skill",
        lambda d: _set(d["programme"], "skills", ["Rigging", " ", 5]),
        {
            "$.programme.skills[1]": ["Expected skill as non-empty text."],
            "$.programme.skills[2]": ["Expected skill as non-empty text."],
        },
        True,
    ),
    (
        "accepted-type-not-text",
        lambda d: _set(d["requirements"][1]["settings"], "accepted_types", ["pdf", 3]),
        {"$.requirements[1].settings.accepted_types[1]": ["Expected type as non-empty text."]},
        True,
    ),
    # The rules the schema cannot state, checked after it.
    (
        "quiz-not-in-the-file",
        lambda d: _set(d["requirements"][0], "quiz", "other"),
        {
            "$.requirements[0].quiz": ["There is no quiz “other” in $.quizzes."],
            QUIZ: ["No requirement uses this quiz."],
        },
        False,
    ),
    (
        "duplicate-question-id",
        lambda d: _set(question(d, 1), "id", "q1"),
        {f"{QUIZ}.questions[1].id": ["Another question of this quiz has this id."]},
        False,
    ),
    (
        "correct-answer-not-an-option",
        lambda d: _set(question(d, 0), "correct", ["z"]),
        {
            f"{QUIZ}.questions[0].correct": [
                "A correct answer refers to an option that does not exist."
            ]
        },
        False,
    ),
    (
        "prerequisite-not-here",
        lambda d: _set(d["programme"], "prerequisites", ["nowhere"]),
        {"$.programme.prerequisites[0]": ["There is no programme with the slug “nowhere” here."]},
        False,
    ),
    (
        "skill-listed-twice",
        lambda d: _set(d["programme"], "skills", ["Rigging", " Rigging "]),
        {"$.programme.skills[1]": ["This skill is listed twice."]},
        False,
    ),
    (
        "long-skill-at-its-own-place",
        lambda d: _set(d["programme"], "skills", ["Rigging", "Rigging", "x" * 121]),
        {
            "$.programme.skills[1]": ["This skill is listed twice."],
            "$.programme.skills[2]": ["A skill name is at most 120 long."],
        },
        False,
    ),
    (
        "rule-of-the-admin-forms",
        lambda d: _set(d["requirements"][0], "min_score", 101),
        {"$.requirements[0].min_score": ["The minimum score must be between 0 and 100."]},
        False,
    ),
    (
        "rule-of-the-quiz-editor",
        lambda d: _set(question(d, 3), "prompt", " "),
        {f"{QUIZ}.questions[3].prompt": ["Write the question."]},
        False,
    ),
]


@pytest.mark.parametrize(
    ("change", "expected", "schema_refuses"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_each_kind_of_problem_has_its_message_and_path(tenant, change, expected, schema_refuses):
    doc = document()
    change(doc)
    assert problems_of(tenant, doc) == expected
    refused = bool(list(published_validator().iter_errors(doc)))
    assert refused is schema_refuses
