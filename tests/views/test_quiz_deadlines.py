"""Quiz deadlines through the pages: answers refused after the deadline plus grace, and an
overdue attempt, which no GET grades: the pages say it is being graded until the periodic job
or the learner's next POST grades it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.factories import TenantFactory, enrolled_learner
from tests.htmx import htmx
from tests.quizdata import RIGHT
from tests.views.test_quiz_taking import attempt_of, form, requirement_url, start
from webapp import worker
from webapp.extensions import db
from webapp.models import Evaluation, EvaluationScoreVersion, EvaluationStatus


@pytest.fixture
def tenant(app):
    return TenantFactory()


def test_after_the_deadline_answers_are_refused_and_the_visit_grades_the_attempt(
    client, tenant, login, clock, app
):
    app.config["QUIZ_DEADLINE_GRACE_SECONDS"] = 5
    learner, enrolment, rid = enrolled_learner(tenant, settings={"time_limit_min": 10})
    login(learner)
    url = start(client, enrolment, rid)
    client.post(f"{url}/answers/q1", data=form({"q1": ["a"]}), headers=htmx("saved-q1"))
    clock.advance(minutes=10, seconds=5)
    ok = client.post(f"{url}/answers/q3", data=form({"q3": ["false"]}), headers=htmx("saved-q3"))
    assert ok.status_code == 200
    clock.advance(seconds=1)
    late = client.post(f"{url}/answers/q4", data=form({"q4": ["x"]}), headers=htmx("saved-q4"))
    assert late.status_code == 204 and late.headers["HX-Location"] == f"{url}/result"
    attempt = attempt_of(url)
    assert attempt.status is EvaluationStatus.GRADED and attempt.answers == {"q1": "a", "q3": False}
    html = client.get(f"{url}/result").get_data(as_text=True)
    assert "when the time ran out" in html and "2 of 6" in html


def test_a_visit_after_the_deadline_says_grading_until_the_job_grades_the_attempt(
    client, tenant, login, clock
):
    learner, enrolment, rid = enrolled_learner(tenant, settings={"time_limit_min": 5})
    login(learner)
    url = start(client, enrolment, rid)
    client.post(f"{url}/save", data={"page": "1", **form(RIGHT)})
    clock.advance(hours=2)
    html = client.get(requirement_url(enrolment, rid)).get_data(as_text=True)
    assert "Time is up" in html and f'href="{url}/result"' in html
    visit = client.get(url)
    assert visit.status_code == 303 and visit.headers["Location"] == f"{url}/result"
    assert attempt_of(url).status is EvaluationStatus.IN_PROGRESS  # a GET grades nothing
    page = client.get(f"{url}/result")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Time is up: your attempt is being graded on the answers saved in time" in html
    assert f'href="{url}/result"' in html and "Score:" not in html
    assert worker.finalize_overdue_attempts() == 1
    attempt = attempt_of(url)
    assert attempt.passed and attempt.submitted_at == attempt.deadline_at
    assert "Requirement met." in client.get(requirement_url(enrolment, rid)).get_data(as_text=True)


def _row(attempt_id):
    db.session.expire_all()
    table = Evaluation.__table__
    return db.session.execute(sa.select(table).where(table.c.id == attempt_id)).one()._asdict()


@pytest.mark.parametrize("suffix", ["", "/result"])
def test_a_get_of_an_overdue_attempt_changes_nothing_and_the_next_post_grades_it(
    client, tenant, login, clock, suffix
):
    learner, enrolment, rid = enrolled_learner(tenant, settings={"time_limit_min": 5})
    login(learner)
    url = start(client, enrolment, rid)
    client.post(f"{url}/save", data={"page": "1", **form(RIGHT)})
    clock.advance(hours=2)
    attempt_id = attempt_of(url).id
    before = _row(attempt_id)
    counts_before = [
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Evaluation, EvaluationScoreVersion)
    ]
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement.lstrip().split(None, 1)[0].upper())

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        for _ in range(2):
            assert client.get(f"{url}{suffix}").status_code in (200, 303)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert statements and not {"INSERT", "UPDATE", "DELETE"} & set(statements)
    assert _row(attempt_id) == before
    assert counts_before == [
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Evaluation, EvaluationScoreVersion)
    ]
    late = client.post(f"{url}/save", data={"page": "1", **form(RIGHT)})
    assert late.status_code == 303 and late.headers["Location"] == f"{url}/result"
    attempt = attempt_of(url)
    assert attempt.status is EvaluationStatus.GRADED and attempt.passed
    assert "Score:" in client.get(f"{url}/result").get_data(as_text=True)
