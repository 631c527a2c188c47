"""The one source of quiz test data. Pure data: no app and no database, so unit tests use it
too.

A question comes in three shapes, each from here:
- stored (`Quiz.questions`, `QuizVersion.questions`, programme files): the builders `single`,
  `multiple`, `true_false`, `short_text` and `numeric` (or `question(kind)`). Called bare, a
  builder gives that type's question of the canonical set `QUESTIONS` (one of each type, with
  recognisable keys and explanations, so a test can look for them in responses); keyword
  arguments override fields, e.g. `true_false(id="a", points="80")`. Every call returns a
  fresh copy. `pool` repeats the canonical set under other ids, and `default_questions` is
  what `QuizFactory` stores when a test names none;
- the authoring service's input (`add_question`, `update_question`): `EDITOR_INPUT`;
- the editor's form bodies, as the browser posts them: `FORM_DATA`.
"""

from __future__ import annotations

import copy

_CANONICAL = (
    {
        "id": "q1",
        "type": "single",
        "prompt": "What do you do first when you discover a fire?",
        "points": 1,
        "options": [
            {"id": "a", "text": "Raise the alarm"},
            {"id": "b", "text": "Collect your belongings"},
            {"id": "c", "text": "Open the windows"},
        ],
        "correct": ["a"],
        "explanation": "EXPLANATION-ALARM-FIRST",
    },
    {
        "id": "q2",
        "type": "multiple",
        "scoring": "partial",
        "prompt": "Which of these are protective equipment?",
        "points": 2,
        "options": [
            {"id": "a", "text": "Goggles"},
            {"id": "b", "text": "Hard hat"},
            {"id": "c", "text": "Coffee mug"},
        ],
        "correct": ["a", "b"],
        "explanation": "EXPLANATION-PPE-LIST",
    },
    {
        "id": "q3",
        "type": "true_false",
        "prompt": "A fire door may be wedged open.",
        "points": 1,
        "correct": False,
        "explanation": "EXPLANATION-FIRE-DOORS",
    },
    {
        "id": "q4",
        "type": "short_text",
        "prompt": "Name the assembly point.",
        "points": 1,
        "accepted": ["ZEBRA-ASSEMBLY-POINT"],
        "explanation": "EXPLANATION-ASSEMBLY",
    },
    {
        "id": "q5",
        "type": "numeric",
        "prompt": "How many exits does the hall have?",
        "points": 1,
        "value": "98765",
        "tolerance": "0.5",
        "explanation": "EXPLANATION-EXITS",
    },
)
_BY_TYPE = {q["type"]: q for q in _CANONICAL}


def question(kind: str, **overrides) -> dict:
    """The canonical stored question of type `kind` with `overrides` applied (a fresh copy)."""
    return copy.deepcopy({**_BY_TYPE[kind], **overrides})


def single(**overrides) -> dict:
    """A single-choice question: by default q1, raise the alarm first (options a, b, c)."""
    return question("single", **overrides)


def multiple(**overrides) -> dict:
    """A multiple-choice question: by default q2, protective equipment (a and b, partial)."""
    return question("multiple", **overrides)


def true_false(**overrides) -> dict:
    """A true/false question: by default q3, fire doors may not be wedged open (False)."""
    return question("true_false", **overrides)


def short_text(**overrides) -> dict:
    """A short-text question: by default q4, the assembly point ZEBRA-ASSEMBLY-POINT."""
    return question("short_text", **overrides)


def numeric(**overrides) -> dict:
    """A numeric question: by default q5, 98765 exits within 0.5."""
    return question("numeric", **overrides)


def canonical() -> list[dict]:
    """A fresh copy of the canonical set: q1..q5, one question of each type, 6 points."""
    return [question(q["type"]) for q in _CANONICAL]


# The canonical set itself, to compare with and to read from; never mutate it (build copies
# with the functions above).
QUESTIONS = canonical()


def pool(*suffixes: str) -> list[dict]:
    """The canonical set once per suffix, each id followed by the suffix ("" keeps it)."""
    return [question(q["type"], id=f"{q['id']}{suffix}") for suffix in suffixes for q in _CANONICAL]


def default_questions() -> list[dict]:
    """What QuizFactory stores when a test names no questions: one true/false question q1
    worth 1 point whose key is True (`factories.awaiting_evaluation` answers it so)."""
    return [true_false(id="q1", prompt="Water is wet.", correct=True, explanation="It is.")]


# Strings that exist only in the keys and explanations of the canonical set: none may reach
# the learner's browser before the attempt is submitted.
SECRETS = [
    "EXPLANATION-ALARM-FIRST",
    "EXPLANATION-PPE-LIST",
    "EXPLANATION-FIRE-DOORS",
    "EXPLANATION-ASSEMBLY",
    "EXPLANATION-EXITS",
    "ZEBRA-ASSEMBLY-POINT",
    "98765",
    "tolerance",
    "accepted",
    "explanation",
    '"correct"',
    "is-correct",
]

# Form values (as posted) answering every canonical question right, and every one wrong
# (0 of 6).
RIGHT = {"q1": ["a"], "q2": ["a", "b"], "q3": ["false"], "q4": ["zebra-assembly-point"]}
RIGHT["q5"] = ["98764.6"]  # within the tolerance, without the key's digits
WRONG = {"q1": ["b"], "q2": ["c"], "q3": ["true"], "q4": ["somewhere"], "q5": ["12"]}

# A valid question of each type as the authoring service takes it, before normalisation:
# options carry their own correct flag, numbers are strings, blank entries are dropped.
EDITOR_INPUT = {
    "single": {
        "type": "single",
        "prompt": "What do you do first when you discover a fire?",
        "points": "2",
        "explanation": "Raising the alarm warns everyone.",
        "options": [
            {"text": "Raise the alarm", "correct": True},
            {"text": "Open the windows"},
            {"text": "", "correct": False},
        ],
    },
    "multiple": {
        "type": "multiple",
        "prompt": "Which of these are protective equipment?",
        "points": "1.5",
        "scoring": "partial",
        "options": [
            {"text": "Goggles", "correct": True},
            {"text": "Hard hat", "correct": True},
            {"text": "Coffee mug"},
        ],
    },
    "true_false": {
        "type": "true_false",
        "prompt": "A fire door may be wedged open.",
        "points": 1,
        "correct": False,
    },
    "short_text": {
        "type": "short_text",
        "prompt": "What does PPE stand for?",
        "points": "1",
        "accepted": ["Personal protective equipment", "", "personal  PROTECTIVE equipment", "PPE"],
    },
    "numeric": {
        "type": "numeric",
        "prompt": "At most how many kilograms should one person lift alone?",
        "points": "3",
        "value": "25",
        "tolerance": "0.5",
    },
}

# Form bodies of a valid question of each type, as the editor's forms post them (the type is
# posted beside them as "type").
FORM_DATA = {
    "single": {
        "prompt": "Pick the extinguisher for electrical fires.",
        "points": "2",
        "options-0-text": "CO2",
        "options-0-correct": "y",
        "options-1-text": "Water",
        "options-2-text": "",
    },
    "multiple": {
        "prompt": "Which are protective equipment?",
        "points": "1",
        "scoring": "partial",
        "options-0-text": "Goggles",
        "options-0-correct": "y",
        "options-1-text": "Hard hat",
        "options-1-correct": "y",
        "options-2-text": "Mug",
    },
    "true_false": {"prompt": "Smoke rises.", "points": "1", "correct": "true"},
    "short_text": {"prompt": "PPE means?", "points": "1", "accepted": "PPE\r\nProtective kit\r\n"},
    "numeric": {"prompt": "Max lift in kg?", "points": "1", "value": "25", "tolerance": "0.5"},
}
