"""The pure grading module, without the app: each question type from a table, the totals, the
pass mark decided with exact arithmetic, the display that rounds half-up, and a property-based
comparison with an independent oracle written here."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import quizdata
from webapp.services import grading


def choice(kind, correct, scoring="all_or_nothing", options="abcde"):
    return quizdata.question(
        kind,
        id="q",
        prompt="?",
        points=1,
        options=[{"id": o, "text": f"Option {o}"} for o in options],
        correct=list(correct),
        scoring=scoring,
    )


SINGLE = choice("single", "b")
ALL_OR_NOTHING = choice("multiple", "abc")
PARTIAL = choice("multiple", "abc", scoring="partial")
TRUE = quizdata.true_false(id="q", prompt="?", points=1, correct=True)
FALSE = quizdata.true_false(id="q", prompt="?", points=1, correct=False)
TEXT = quizdata.short_text(
    id="q", prompt="?", points=1, accepted=["Personal Protective Equipment", "PPE"]
)
NUMBER = quizdata.numeric(id="q", prompt="?", points=1, value="25", tolerance="0.5")
EXACT = quizdata.numeric(id="q", prompt="?", points=1, value="2.5", tolerance="0")

GRADES = [
    # (question, raw answer as a form sends it, expected share of the points)
    (SINGLE, "b", 1),
    (SINGLE, "a", 0),
    (SINGLE, ["b"], 1),
    (ALL_OR_NOTHING, ["a", "b", "c"], 1),
    (ALL_OR_NOTHING, ["c", "b", "a", "a"], 1),
    (ALL_OR_NOTHING, ["a", "b"], 0),
    (ALL_OR_NOTHING, ["a", "b", "c", "d"], 0),
    (PARTIAL, ["a", "b", "c"], 1),
    (PARTIAL, ["a", "b"], Fraction(2, 3)),
    (PARTIAL, ["a"], Fraction(1, 3)),
    (PARTIAL, ["a", "b", "d"], Fraction(1, 3)),
    (PARTIAL, ["a", "d"], 0),
    (PARTIAL, ["a", "d", "e"], 0),  # never below zero
    (PARTIAL, ["d"], 0),
    (TRUE, "true", 1),
    (TRUE, "false", 0),
    (FALSE, "false", 1),
    (FALSE, "no", 1),
    (FALSE, "yes", 0),
    (TEXT, "personal protective equipment", 1),
    (TEXT, "  Personal   protective EQUIPMENT ", 1),
    (TEXT, "ppe", 1),
    (TEXT, "protective equipment", 0),
    (NUMBER, "25", 1),
    (NUMBER, "25.5", 1),
    (NUMBER, "24.5", 1),
    (NUMBER, "25,4", 1),
    (NUMBER, "25.51", 0),
    (NUMBER, "24.49", 0),
    (NUMBER, "-25", 0),
    (EXACT, "2.50", 1),
    (EXACT, "2.5000001", 0),
]


@pytest.mark.parametrize(("question", "raw", "share"), GRADES)
def test_each_type_grades_its_answer(question, raw, share):
    answer = grading.normalize_answer(question, raw)
    result = grading.grade([question], {"q": answer})
    assert result.raw == Fraction(share)
    assert result.per_question["q"]["correct"] is (share == 1)
    assert result.per_question["q"]["answered"] is True


MALFORMED = [
    (SINGLE, "z"),
    (SINGLE, ["a", "b"]),
    (ALL_OR_NOTHING, ["a", "x"]),
    (TRUE, "maybe"),
    (TEXT, "x" * 501),
    (NUMBER, "twenty"),
    (NUMBER, "NaN"),
    (NUMBER, "Infinity"),
    (NUMBER, ""),
]


@pytest.mark.parametrize(("question", "raw"), MALFORMED)
def test_malformed_answers_are_refused(question, raw):
    with pytest.raises(ValueError):
        grading.normalize_answer(question, raw)


def test_unanswered_questions_earn_nothing_but_count_in_the_maximum():
    questions = [
        {**SINGLE, "id": "a", "points": 2},
        {**TRUE, "id": "b", "points": "1.5"},
        {**TEXT, "id": "c"},
    ]
    result = grading.grade(questions, {"a": "b"})
    assert result.raw == 2 and result.maximum == Fraction(9, 2)
    assert result.percent == Fraction(400, 9)
    assert result.per_question["b"] == {
        "earned": "0",
        "points": "3/2",
        "correct": False,
        "answered": False,
    }


def two_questions(first: str, second: str) -> list[dict]:
    return [{**TRUE, "id": "a", "points": first}, {**TRUE, "id": "b", "points": second}]


@pytest.mark.parametrize(
    ("first", "second", "passes", "shown"),
    [
        ("79.99", "20.01", False, "79.99"),  # 79.99 % fails
        ("80", "20", True, "80"),  # exactly 80 % passes
        ("80", "20.01", False, "79.99"),  # 79.992 %
        ("79.999", "20.001", False, "80"),  # 79.999 % fails, shown rounded half-up
        ("80.01", "19.99", True, "80.01"),
    ],
)
def test_the_pass_mark_is_exact_and_the_display_rounds_half_up(first, second, passes, shown):
    result = grading.grade(two_questions(first, second), {"a": True})
    assert result.passed(80) is passes
    assert grading.display_percent(result.percent) == shown


def test_a_third_of_the_points_is_kept_exact():
    result = grading.grade([{**PARTIAL, "points": 3}], {"q": ["a"]})
    assert result.raw == 1 and result.percent == Fraction(100, 3)
    assert grading.display_percent(result.percent) == "33.33"
    assert grading.to_decimal(result.percent) == Decimal("33.3333")


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Fraction(11, 3), "3.67"),  # 3.666…: up, not truncated to 3.66
        (Fraction(200, 3), "66.67"),
        (Fraction(1, 3), "0.33"),
        (Fraction(15, 2), "7.5"),  # trailing zeros stripped
        (Fraction(2), "2"),
        (Fraction(0), "0"),
        (Fraction(100), "100"),
        (Fraction(1, 200), "0.01"),  # exactly half: up
        (Fraction(12345, 1000), "12.35"),  # 12.345 exactly: up
        (Fraction(12345, 1000) - Fraction(1, 10**30), "12.34"),  # just under half: down
        (Fraction(-1, 1000), "0"),  # never "-0"
        (Decimal("66.6666"), "66.67"),  # a stored value
        (Decimal("7.5000"), "7.5"),
        ("2/3", "0.67"),  # an outcome as stored in JSON
        ("1.5", "1.5"),
        (3, "3"),
    ],
)
def test_display_number_rounds_half_up_and_strips_trailing_zeros(value, shown):
    assert grading.display_number(value) == shown


def test_display_number_takes_the_number_of_places():
    assert grading.display_number(Fraction(2, 3), places=0) == "1"
    assert grading.display_number(Fraction(2, 3), places=3) == "0.667"
    assert grading.display_number(Fraction(1, 2), places=0) == "1"


def test_display_percent_follows_the_same_rule():
    # Regrade audit and notification texts use it.
    assert grading.display_percent(Fraction(200, 3)) == "66.67"
    assert grading.display_percent(Fraction(11, 3)) == "3.67"


# --- Property-based: the grader against an independent oracle --------------------------------

OPTION_IDS = ["a", "b", "c", "d", "e"]
WORDS = ["alpha", "beta", "gamma", "delta"]


def oracle(questions: list[dict], answers: dict) -> tuple[Fraction, Fraction]:
    """Score and maximum computed the obvious way, independently of `grading`."""
    score = Fraction(0)
    maximum = Fraction(0)
    for q in questions:
        points = Fraction(str(q["points"]))
        maximum += points
        answer = answers.get(q["id"])
        if answer is None:
            continue
        kind = q["type"]
        if kind == "single":
            right = answer == q["correct"][0]
            share = Fraction(1) if right else Fraction(0)
        elif kind == "multiple":
            hits = len([c for c in answer if c in q["correct"]])
            misses = len(answer) - hits
            if q["scoring"] == "partial":
                share = Fraction(max(hits - misses, 0), len(q["correct"]))
            else:
                same = hits == len(q["correct"]) and misses == 0
                share = Fraction(1) if same else Fraction(0)
        elif kind == "true_false":
            share = Fraction(1) if answer == q["correct"] else Fraction(0)
        elif kind == "short_text":
            wanted = [" ".join(a.lower().split()) for a in q["accepted"]]
            share = Fraction(1) if " ".join(answer.lower().split()) in wanted else Fraction(0)
        else:
            distance = abs(Fraction(answer) - Fraction(q["value"]))
            share = Fraction(1) if distance <= Fraction(q["tolerance"]) else Fraction(0)
        score += points * share
    return score, maximum


cents = st.integers(min_value=1, max_value=100_000).map(lambda n: str(Decimal(n) / 100))


@st.composite
def question_and_answer(draw, number: int):
    kind = draw(st.sampled_from(["single", "multiple", "true_false", "short_text", "numeric"]))
    qid = f"q{number}"
    question = quizdata.question(kind, id=qid, prompt="?", points=draw(cents))
    answered = draw(st.booleans())
    if kind in ("single", "multiple"):
        options = draw(st.lists(st.sampled_from(OPTION_IDS), min_size=2, unique=True))
        question["options"] = [{"id": o, "text": o} for o in options]
        if kind == "single":
            question["correct"] = [draw(st.sampled_from(options))]
            raw = draw(st.sampled_from(options))
        else:
            question["correct"] = draw(st.lists(st.sampled_from(options), min_size=1, unique=True))
            question["scoring"] = draw(st.sampled_from(["all_or_nothing", "partial"]))
            raw = draw(st.lists(st.sampled_from(options), unique=True))
    elif kind == "true_false":
        question["correct"] = draw(st.booleans())
        raw = draw(st.sampled_from(["true", "false"]))
    elif kind == "short_text":
        question["accepted"] = draw(st.lists(st.sampled_from(WORDS), min_size=1, unique=True))
        word = draw(st.sampled_from(WORDS))
        raw = draw(st.sampled_from([word, word.upper(), f"  {word.title()} "]))
    else:
        value = draw(st.integers(-10_000, 10_000))
        tolerance = draw(st.integers(0, 300))
        offset = draw(st.integers(-2 * tolerance - 5, 2 * tolerance + 5))
        question["value"] = str(Decimal(value) / 100)
        question["tolerance"] = str(Decimal(tolerance) / 100)
        raw = str(Decimal(value + offset) / 100)
    answer = grading.normalize_answer(question, raw) if answered else None
    return question, answer


@st.composite
def quizzes(draw):
    pairs = [draw(question_and_answer(n)) for n in range(draw(st.integers(1, 12)))]
    questions = [q for q, _ in pairs]
    answers = {q["id"]: a for q, a in pairs if a is not None}
    return questions, answers


@settings(max_examples=200, deadline=None)
@given(quizzes(), st.integers(min_value=0, max_value=100))
def test_grading_agrees_with_an_independent_oracle(quiz, min_score):
    questions, answers = quiz
    for question in questions:
        assert grading.validate_question(question) == []
    result = grading.grade(questions, answers)
    score, maximum = oracle(questions, answers)
    assert (result.raw, result.maximum) == (score, maximum)
    assert 0 <= result.raw <= result.maximum
    assert result.passed(min_score) is (score * 100 >= min_score * maximum)
    shown = Fraction(Decimal(grading.display_percent(result.percent)))
    assert shown - Fraction(1, 200) <= result.percent < shown + Fraction(1, 200)


@given(st.fractions(min_value=0, max_value=100))
def test_display_rounds_half_up_to_two_places(percent):
    shown = Fraction(Decimal(grading.display_number(percent)))
    # Half-up: the nearest hundredth, a tie going up.
    assert shown - Fraction(1, 200) <= percent < shown + Fraction(1, 200)
    assert shown * 100 == int(shown * 100)
