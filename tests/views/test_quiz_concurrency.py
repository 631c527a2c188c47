"""Real concurrent requests on PostgreSQL: ten learners' tabs starting the same quiz get one
attempt (the partial unique index decides), and ten concurrent submits grade it once (the
conditional UPDATE lets one request win). Committed data, one connection per request thread,
everything emptied afterwards."""

from __future__ import annotations

import os
import threading

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from tests.conftest import TEST_PASSWORD
from tests.factories import TenantFactory, enrolled_learner
from tests.quizdata import RIGHT
from webapp.extensions import db
from webapp.models import (
    Evaluation,
    EvaluationScoreVersion,
    EvaluationStatus,
    ProgressStatus,
    RequirementProgress,
)
from webapp.services import automated_evaluation as evaluation

needs_postgres = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL (PostgreSQL)"
)
REQUESTS = 10


def concurrently(app, learner, method: str, url: str, data: dict | None = None) -> list:
    """`REQUESTS` logged-in clients send the same request at the same moment; their
    responses (or errors)."""
    credentials = {"email": learner.email, "password": TEST_PASSWORD}
    barrier = threading.Barrier(REQUESTS)
    outcomes: list = []

    def send() -> None:
        # A thread starts without the test's app context: each request gets its own.
        try:
            client = FlaskClient(app, app.response_class, use_cookies=True)
            assert client.post("/auth/login", data=credentials).status_code == 303
            barrier.wait()
            response = client.open(url, method=method, data=data or {})
            outcomes.append((response.status_code, response.headers.get("Location")))
        except Exception as error:  # pragma: no cover - reported by the assertion
            outcomes.append(error)

    threads = [threading.Thread(target=send) for _ in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.fixture
def committed(_app, clock):
    """An app context on the session's database whose data is really committed; emptied after."""
    from tests.e2e.conftest import empty_all_tables

    with _app.app_context():
        _app.config["REDIS_URL"] = None
        try:
            yield _app
        finally:
            db.session.rollback()
            empty_all_tables()
            db.session.remove()


@needs_postgres
def test_ten_concurrent_starts_create_one_attempt(committed):
    learner, enrolment, rid = enrolled_learner(TenantFactory())
    db.session.commit()
    url = f"/certs/quiz/enrolments/{enrolment.id}/requirements/{rid}/start"
    outcomes = concurrently(committed, learner, "POST", url)
    attempts = db.session.scalars(sa.select(Evaluation)).all()
    assert len(attempts) == 1
    assert outcomes == [(303, f"/certs/quiz/attempts/{attempts[0].id}")] * REQUESTS


@needs_postgres
def test_ten_concurrent_submits_grade_once_and_record_one_result(committed):
    learner, enrolment, rid = enrolled_learner(TenantFactory())
    attempt, _ = evaluation.start_attempt(learner, enrolment, rid)
    evaluation.save_answers(attempt, learner, RIGHT)
    db.session.commit()
    url = f"/certs/quiz/attempts/{attempt.id}/submit"
    outcomes = concurrently(committed, learner, "POST", url, {"confirmed": "1"})
    assert outcomes == [(303, f"{url.removesuffix('/submit')}/result")] * REQUESTS
    db.session.expire_all()
    graded = db.session.get(Evaluation, attempt.id)
    assert graded.status is EvaluationStatus.GRADED and graded.passed
    versions = db.session.scalars(sa.select(EvaluationScoreVersion)).all()
    assert [(v.evaluation_id, v.version) for v in versions] == [(attempt.id, 1)]
    row = db.session.scalar(
        sa.select(RequirementProgress).where(RequirementProgress.requirement_id == rid)
    )
    assert row.status is ProgressStatus.MET and row.attempt_count == 1
    assert row.satisfied_by_evaluation_id == attempt.id
