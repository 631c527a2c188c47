"""Quiz data shared by the quiz tests: one question of each type with recognisable keys and
explanations (so a test can look for them in responses), and a learner enrolled in a
programme whose first requirement is that quiz."""

from __future__ import annotations

from tests.factories import UserFactory, quiz_path
from webapp.services import certification_path_management as paths

QUESTIONS = [
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
]

# Strings that exist only in the keys and explanations above: none may reach the learner's
# browser before the attempt is submitted.
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

# Form values (as posted) answering every question right, and every one wrong (0 of 6).
RIGHT = {"q1": ["a"], "q2": ["a", "b"], "q3": ["false"], "q4": ["zebra-assembly-point"]}
RIGHT["q5"] = ["98764.6"]  # within the tolerance, without the key's digits
WRONG = {"q1": ["b"], "q2": ["c"], "q3": ["true"], "q4": ["somewhere"], "q5": ["12"]}


def enrolled_learner(tenant, *, questions=None, **quiz_kwargs):
    """(learner, enrolment, quiz requirement id) in a fresh programme of `tenant`."""
    programme = quiz_path(
        tenant, questions=questions or [dict(q) for q in QUESTIONS], **quiz_kwargs
    )
    learner = UserFactory(tenant=tenant)
    enrolment, _ = paths.enrol(learner, programme)
    requirement_id = next(
        r["requirement_id"]
        for r in enrolment.program_snapshot["requirements"]
        if r["kind"] == "quiz"
    )
    return learner, enrolment, requirement_id
