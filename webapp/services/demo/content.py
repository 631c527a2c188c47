"""The demo's people, quiz, answers and texts (what each login shows is in DEMO_STORIES)."""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime
from typing import Any

from webapp.models import (
    Role,
)
from webapp.services.automated_evaluation import DEFAULT_SETTINGS

DEMO_PASSWORD = "certifikation-demo"  # noqa: S105 (documented demo password, demo data only)

DEMO_TENANTS = {"acme": "Acme Safety", "globex": "Globex"}

DEMO_USERS = {
    "acme": [
        ("admin@acme.test", "Alex Admin", Role.ADMIN, "Operations"),
        ("mentor@acme.test", "Morgan Mentor", Role.MENTOR, "Operations"),
        ("learner@acme.test", "Lee Learner", Role.LEARNER, "North Site"),
        ("learner2@acme.test", "Robin Learner", Role.LEARNER, "South Site"),
        ("learner3@acme.test", "Sam Learner", Role.LEARNER, "North Site"),
        ("learner4@acme.test", "Kim Learner", Role.LEARNER, "South Site"),
        ("learner5@acme.test", "Pat Learner", Role.LEARNER, "North Site"),
        ("learner6@acme.test", "Drew Learner", Role.LEARNER, "South Site"),
    ],
    "globex": [
        ("admin@globex.test", "Gale Admin", Role.ADMIN, None),
        ("mentor@globex.test", "Glen Mentor", Role.MENTOR, None),
        ("learner@globex.test", "Gus Learner", Role.LEARNER, None),
    ],
}

# What each login shows (printed by `flask seed-demo`).
DEMO_STORIES = {
    "admin@acme.test": "revoked a certificate, corrected a quiz key (a regrade batch ran); "
    "certificates in every state, reports, outbox",
    "mentor@acme.test": "two evidence submissions waiting in the review queue",
    "learner@acme.test": "active certificate; Confined Space Entry half way, evidence "
    "waiting for the mentor",
    "learner2@acme.test": "certificate expiring in 20 days; its renewal enrolment just opened",
    "learner3@acme.test": "certificate expired 15 days ago; renewal enrolment open, 1 of 3 done",
    "learner4@acme.test": "certificate revoked (with the reason); enrolled again, quiz failed "
    "an hour ago, retry tomorrow",
    "learner5@acme.test": "renewed: the expired certificate and the active one that renews it "
    "(Renews / Renewed by)",
    "learner6@acme.test": "quiz failed, then passed by the regrade; evidence rejected once, "
    "resubmitted and waiting",
    "admin@globex.test": "the other tenant: none of Acme's data is visible",
    "mentor@globex.test": "the other tenant's mentor (empty queue)",
    "learner@globex.test": "Globex Onboarding certificate that never expires",
}

# The safety quiz in the stored question format (other tests use it as sample data); the
# admin enters it through the editor, which gives each question and option its own id.
SAFETY_QUESTIONS = [
    {
        "id": "q1",
        "type": "single",
        "points": 1,
        "prompt": "What is the first thing to do when you discover a fire?",
        "options": [
            {"id": "a", "text": "Raise the alarm"},
            {"id": "b", "text": "Collect your belongings"},
            {"id": "c", "text": "Open the windows"},
        ],
        "correct": ["a"],
        "explanation": "Raising the alarm warns everyone and starts the emergency response.",
    },
    {
        "id": "q2",
        "type": "multiple",
        "scoring": "partial",
        "points": 2,
        "prompt": "Which of these are personal protective equipment?",
        "options": [
            {"id": "a", "text": "Safety goggles"},
            {"id": "b", "text": "Hard hat"},
            {"id": "c", "text": "Coffee mug"},
            {"id": "d", "text": "Hearing protection"},
        ],
        "correct": ["a", "b", "d"],
        "explanation": "Goggles, hard hats and hearing protection protect the wearer.",
    },
    {
        "id": "q3",
        "type": "true_false",
        "points": 1,
        "prompt": "A fire door may be wedged open when the corridor is busy.",
        "correct": False,
        "explanation": "Fire doors must stay closed so they can stop smoke and flames.",
    },
    {
        "id": "q4",
        "type": "short_text",
        "points": 1,
        "prompt": "What does the abbreviation PPE stand for?",
        "accepted": ["personal protective equipment"],
        "explanation": "PPE: personal protective equipment.",
    },
    {
        "id": "q5",
        "type": "numeric",
        "points": 1,
        "prompt": "At most how many kilograms should one person lift alone (guideline)?",
        "value": "25",
        "tolerance": "0",
        "explanation": "The common guideline for a lift close to the body is 25 kg.",
    },
]
QUIZ_SETTINGS = {**DEFAULT_SETTINGS, "max_attempts": 3, "cooldown_min": 24 * 60}  # a retry a day

# Answers by question id of SAFETY_QUESTIONS: option texts, true/false, text or number as typed.
RIGHT = {
    "q1": "Raise the alarm",
    "q2": ["Safety goggles", "Hard hat", "Hearing protection"],
    "q3": False,
    "q4": "Personal protective equipment",
    "q5": "25",
}
# 4 of 6 points (fails); 5 of 6 (passes) once "personal protection equipment" is accepted.
ALMOST = {**RIGHT, "q4": "personal protection equipment", "q5": "20"}
POOR = {
    "q1": "Open the windows",
    "q2": ["Safety goggles", "Coffee mug"],
    "q3": False,
    "q4": "protective gear",
    "q5": "25",
}
CORRECTED_KEY = ["personal protective equipment", "personal protection equipment"]
CORRECTION_REASON = (
    "The safety handbook says “personal protection equipment”: accept both wordings."
)
REVOCATION_REASON = (
    "Issued in error: the workplace inspection report was copied from another site's report."
)

Story = Generator[datetime, None, Any]
