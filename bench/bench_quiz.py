"""Quiz grading and submitting (issue 4), per operation:

- `grading.grade` of a 100-question attempt (every question type, partial credit), pure;
- checking the 100 answers as a form sends them (`normalize_submitted`), pure;
- the submit request end to end through the Flask test client on a temporary SQLite database:
  the conditional UPDATE that claims the attempt, grading, the score version, the ledger,
  the commit and the redirect — with the answers already saved (htmx), and with the 100
  answers posted in the same request (the plain form without JavaScript).

Run alone with `python -m bench.bench_quiz`.
"""

from __future__ import annotations

import tempfile
import time
from typing import Any

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from config import TestingConfig
from webapp.services import grading

QUESTIONS = 100
GRADES = 300
SUBMITS = 25
PASSWORD = "bench-password-not-secret"  # noqa: S105


def questions() -> list[dict[str, Any]]:
    """100 questions, 20 of each type, 1-3 points."""
    made = []
    for n in range(QUESTIONS):
        kind = ("single", "multiple", "true_false", "short_text", "numeric")[n % 5]
        question: dict[str, Any] = {
            "id": f"q{n}",
            "type": kind,
            "prompt": f"Question {n}",
            "points": 1 + n % 3,
            "explanation": f"Because {n}.",
        }
        if kind in ("single", "multiple"):
            question["options"] = [{"id": o, "text": f"Option {o}"} for o in "abcde"]
            question["correct"] = ["a"] if kind == "single" else ["a", "b", "c"]
            if kind == "multiple":
                question["scoring"] = "partial" if n % 2 else "all_or_nothing"
        elif kind == "true_false":
            question["correct"] = n % 2 == 0
        elif kind == "short_text":
            question["accepted"] = ["personal protective equipment", "PPE", "protective kit"]
        else:
            question["value"], question["tolerance"] = "25", "0.5"
        made.append(question)
    return made


def form_answers(qs: list[dict[str, Any]]) -> dict[str, list[str]]:
    """A mix of right, partly right and wrong answers, as the form posts them."""
    values = {
        "single": lambda n: ["a" if n % 3 else "b"],
        "multiple": lambda n: ["a", "b"] if n % 3 else ["a", "d"],
        "true_false": lambda n: ["true" if n % 4 else "false"],
        "short_text": lambda n: ["  Personal Protective  equipment "] if n % 3 else ["gloves"],
        "numeric": lambda n: ["25,4"] if n % 3 else ["30"],
    }
    return {q["id"]: values[q["type"]](n) for n, q in enumerate(qs)}


def _per_op(seconds: float, count: int) -> str:
    per = seconds / count
    return f"{per * 1e3:.3f} ms" if per < 1 else f"{per:.2f} s"


def _bench_pure() -> list[str]:
    from webapp.services.automated_evaluation import normalize_submitted

    qs = questions()
    raw = form_answers(qs)
    by_id = {q["id"]: q for q in qs}
    answers = {qid: normalize_submitted(by_id[qid], value) for qid, value in raw.items()}
    grading.grade(qs, answers)  # warm up
    started = time.perf_counter()
    for _ in range(GRADES):
        result = grading.grade(qs, answers)
    graded = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(GRADES):
        for qid, value in raw.items():
            normalize_submitted(by_id[qid], value)
    normalized = time.perf_counter() - started
    return [
        f"grade a {QUESTIONS}-question attempt: {_per_op(graded, GRADES)} per attempt "
        f"({GRADES} runs; {grading.display_percent(result.percent)}%)",
        f"check {QUESTIONS} posted answers: {_per_op(normalized, GRADES)} per attempt",
    ]


def _seed(db) -> tuple[int, int, int]:
    """A tenant, a learner enrolled in a programme whose quiz has 100 questions (no
    cooldown, so attempts can follow each other). Returns (user, enrolment, requirement)."""
    from webapp.models import (
        CertificationPath,
        PathRequirement,
        Quiz,
        QuizStatus,
        QuizVersion,
        RequirementKind,
        Tenant,
        User,
    )
    from webapp.services import certification_path_management as paths
    from webapp.services.automated_evaluation import DEFAULT_SETTINGS

    tenant = Tenant(name="Bench", slug="bench")
    db.session.add(tenant)
    db.session.flush()
    user = User(
        tenant_id=tenant.id,
        email="learner@bench.test",
        full_name="Bench Learner",
        password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"),
    )
    settings = {**DEFAULT_SETTINGS, "cooldown_min": 0}
    qs = questions()
    quiz = Quiz(tenant_id=tenant.id, title="Bench quiz", questions=qs, settings=settings)
    quiz.status, quiz.latest_version_number = QuizStatus.PUBLISHED, 1
    db.session.add_all([user, quiz])
    db.session.flush()
    db.session.add(
        QuizVersion(
            tenant_id=tenant.id,
            quiz_id=quiz.id,
            number=1,
            title="Bench quiz",
            questions=qs,
            settings=settings,
        )
    )
    programme = CertificationPath(tenant_id=tenant.id, name="Bench programme", slug="bench")
    db.session.add(programme)
    db.session.flush()
    for order, kind in enumerate((RequirementKind.QUIZ, RequirementKind.CONTENT), start=1):
        db.session.add(
            PathRequirement(
                tenant_id=tenant.id,
                path_id=programme.id,
                kind=kind,
                title=kind.value,
                sort_order=order,
                quiz_id=quiz.id if kind is RequirementKind.QUIZ else None,
                settings={} if kind is RequirementKind.QUIZ else {"body": "Read."},
            )
        )
    db.session.flush()
    db.session.expire(programme, ["requirements"])
    paths.publish_path(programme, None)
    enrolment, _ = paths.enrol(user, programme)
    requirement_id = enrolment.program_snapshot["requirements"][0]["requirement_id"]
    db.session.commit()
    return user.id, enrolment.id, requirement_id


def _bench_submit() -> list[str]:
    from flask_migrate import upgrade

    from webapp import create_app
    from webapp.extensions import db
    from webapp.models import Enrolment, EvaluationScoreVersion, User
    from webapp.services import automated_evaluation as evaluation

    lines = []
    with tempfile.TemporaryDirectory(prefix="certifikation_bench_quiz_") as folder:
        config = TestingConfig()
        config.SQLALCHEMY_DATABASE_URI = f"sqlite:///{folder}/bench.sqlite"
        config.STORAGE_PATH = folder
        config.REDIS_URL = None
        config.WTF_CSRF_ENABLED = False
        app = create_app(config)
        with app.app_context():
            upgrade()
            user_id, enrolment_id, requirement_id = _seed(db)
            engine = db.engine
        client = app.test_client()
        login = {"email": "learner@bench.test", "password": PASSWORD}
        assert client.post("/auth/login", data=login).status_code == 303
        posted = {f"answer-{qid}": value for qid, value in form_answers(questions()).items()}
        statements = []
        count_statement = lambda *args: statements.append(1)  # noqa: E731

        def one_submit(with_answers: bool) -> float:
            with app.app_context():
                user = db.session.get(User, user_id)
                enrolment = db.session.get(Enrolment, enrolment_id)
                attempt, _ = evaluation.start_attempt(user, enrolment, requirement_id)
                if not with_answers:
                    evaluation.save_answers(
                        attempt, user, {k.removeprefix("answer-"): v for k, v in posted.items()}
                    )
                db.session.commit()
                url = f"/certs/quiz/attempts/{attempt.id}/submit"
            data = {"confirmed": "1", **(posted if with_answers else {})}
            sa.event.listen(engine, "before_cursor_execute", count_statement)
            started = time.perf_counter()
            response = client.post(url, data=data)
            elapsed = time.perf_counter() - started
            sa.event.remove(engine, "before_cursor_execute", count_statement)
            assert response.status_code == 303, response.status_code
            return elapsed

        one_submit(False)  # warm up: templates, first connection
        for with_answers, label in ((False, "answers saved before"), (True, "100 answers posted")):
            statements.clear()
            total = sum(one_submit(with_answers) for _ in range(SUBMITS))
            lines.append(
                f"submit request, {label}: {_per_op(total, SUBMITS)} per request "
                f"({SUBMITS} runs, SQLite file, {len(statements) // SUBMITS} SQL statements each)"
            )
        with app.app_context():
            versions = db.session.scalar(sa.select(sa.func.count(EvaluationScoreVersion.id)))
            assert versions == 2 * SUBMITS + 1, versions  # each attempt graded once
            db.engine.dispose()
    return lines


def run() -> list[str]:
    """Grading and submit figures, one line each."""
    return _bench_pure() + _bench_submit()


if __name__ == "__main__":
    print("\n".join(run()))
