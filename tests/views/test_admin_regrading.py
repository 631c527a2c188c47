"""Admin regrading pages: a published version with its keys, the "Correct question" form (page
and htmx fragment, errors next to the fields), the batch page polling its progress fragment,
roles, and constant query counts."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.factories import TenantFactory, UserFactory, enrolled_learner
from tests.htmx import htmx
from tests.quizdata import RIGHT
from webapp.extensions import db
from webapp.models import (
    Evaluation,
    ProgressStatus,
    QuizVersion,
    RegradeBatch,
    RegradeStatus,
    RequirementProgress,
    Role,
)
from webapp.services import automated_evaluation as evaluation


@pytest.fixture
def tenant(app):
    app.config["REDIS_URL"] = None  # the regrade job runs in-process after the request
    return TenantFactory()


@pytest.fixture
def attempt(tenant):
    learner, enrolment, rid = enrolled_learner(tenant)
    attempt, _ = evaluation.start_attempt(learner, enrolment, rid)
    evaluation.submit_attempt(attempt, learner, {**RIGHT, "q4": ["nope"], "q5": ["1"]})
    return attempt


@pytest.fixture
def admin(tenant, login):
    user = UserFactory(tenant=tenant, role=Role.ADMIN)
    login(user)
    return user


def version_url(version):
    return f"/certs/admin/quizzes/{version.quiz_id}/versions/{version.id}"


def test_the_editor_links_each_published_version_to_its_keys(client, admin, attempt):
    version = attempt.quiz_version
    html = client.get(f"/certs/admin/quizzes/{version.quiz_id}").get_data(as_text=True)
    assert f'href="{version_url(version)}"' in html
    page = client.get(version_url(version)).get_data(as_text=True)
    assert "Answer key: <strong>ZEBRA-ASSEMBLY-POINT</strong>" in page
    assert f'href="{version_url(version)}/questions/q4/correct"' in page
    assert "No key of this version has been corrected." in page


def test_correcting_a_key_regrades_and_shows_the_outcome(client, admin, attempt):
    version = attempt.quiz_version
    url = f"{version_url(version)}/questions/q4/correct"
    form = client.get(url).get_data(as_text=True)
    assert "Correct a question" in form and "ZEBRA-ASSEMBLY-POINT</textarea>" in form
    response = client.post(url, data={"accepted": "ZEBRA-ASSEMBLY-POINT\nnope", "reason": "Both"})
    assert response.status_code == 303
    batch = db.session.scalar(sa.select(RegradeBatch))
    assert response.headers["Location"] == f"/certs/admin/regrades/{batch.id}"
    assert batch.status is RegradeStatus.DONE  # ran in-process after the commit
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 attempt rescored, 1 requirement newly met." in page and "every 2s" not in page
    regraded = db.session.get(Evaluation, attempt.id)
    assert regraded.latest_score_version == 2 and regraded.passed
    row = db.session.scalar(
        sa.select(RequirementProgress).where(
            RequirementProgress.requirement_id == attempt.requirement_id
        )
    )
    assert row.status is ProgressStatus.MET
    listing = client.get(version_url(version)).get_data(as_text=True)
    assert "Both" in listing and "1 of 1" in listing
    # The learner sees the regrade on the result.
    client.post("/auth/logout")
    from tests.conftest import TEST_PASSWORD

    learner = db.session.get(type(admin), attempt.user_id)
    client.post("/auth/login", data={"email": learner.email, "password": TEST_PASSWORD})
    result = client.get(f"/certs/quiz/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "Passed" in result and "Regraded" in result and "Both" in result


def test_a_refused_correction_shows_errors_next_to_the_fields(client, admin, attempt):
    version = attempt.quiz_version
    url = f"{version_url(version)}/questions/q5/correct"
    page = client.post(url, data={"value": "many", "tolerance": "0", "reason": ""})
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and "<html" in html
    assert 'id="correct-value-error"' in html and "must be a number" in html
    assert 'id="correct-reason-error"' in html and 'value="many"' in html
    fragment = client.post(
        url,
        data={"value": "98765", "tolerance": "0.5", "reason": "x"},
        headers=htmx("correct-question"),
    )
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 422 and "<html" not in html
    assert html.lstrip().startswith('<section id="correct-question"')
    assert "This is the key the question already has" in html
    assert db.session.scalar(sa.select(sa.func.count(RegradeBatch.id))) == 0
    assert db.session.get(QuizVersion, version.id).corrections == []


@pytest.mark.parametrize(
    ("question_id", "data", "key"),
    [
        ("q1", {"correct": "b"}, "Collect your belongings"),
        ("q2", {"correct": ["a", "c"], "scoring": "all_or_nothing"}, "Goggles; Coffee mug"),
        ("q3", {"correct": "true"}, "True"),
        ("q5", {"value": "12", "tolerance": "1"}, "12 ± 1"),
    ],
)
def test_every_question_type_can_be_corrected(client, admin, attempt, question_id, data, key):
    version = attempt.quiz_version
    url = f"{version_url(version)}/questions/{question_id}/correct"
    assert client.get(url, headers=htmx("correct-question")).status_code == 200
    response = client.post(url, data={**data, "reason": "Fix"}, headers=htmx("correct-question"))
    assert response.status_code == 204 and response.headers["HX-Location"].startswith(
        "/certs/admin/regrades/"
    )
    question = evaluation.find_version_question(
        db.session.get(QuizVersion, version.id), question_id
    )
    assert evaluation.key_text(question) == key


def test_the_batch_page_polls_its_progress_while_it_runs(client, admin, attempt, tenant):
    batch = RegradeBatch(
        tenant_id=tenant.id,
        quiz_version_id=attempt.quiz_version_id,
        question_id="q4",
        reason="Pending one",
        attempts_total=3,
        attempts_rescored=1,
        status=RegradeStatus.RUNNING,
    )
    db.session.add(batch)
    db.session.commit()
    url = f"/certs/admin/regrades/{batch.id}"
    page = client.get(url).get_data(as_text=True)
    assert "<html" in page and 'hx-trigger="every 2s"' in page
    assert "1 of 3 attempts rescored so far" in page and "Pending one" in page
    fragment = client.get(url, headers=htmx("regrade-progress"))
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and html.lstrip().startswith('<section id="regrade-progress"')
    batch.status, batch.attempts_rescored, batch.error = RegradeStatus.FAILED, 2, "Boom"
    db.session.commit()
    html = client.get(url, headers=htmx("regrade-progress")).get_data(as_text=True)
    assert "every 2s" not in html and "The regrade failed" in html and "Boom" in html


def test_the_version_page_needs_the_same_queries_for_many_batches(
    client, admin, attempt, tenant, count_queries
):
    version = attempt.quiz_version

    def add_batches(n):
        for i in range(n):
            db.session.add(
                RegradeBatch(
                    tenant_id=tenant.id,
                    quiz_version_id=version.id,
                    question_id="q1",
                    reason=f"Reason {i}",
                    status=RegradeStatus.DONE,
                )
            )
        db.session.commit()
        with count_queries() as counter:
            assert client.get(version_url(version)).status_code == 200
        return counter.count

    assert add_batches(1) == add_batches(5)


def test_only_admins_reach_the_regrading_pages(client, login, attempt, tenant):
    version = attempt.quiz_version
    login(UserFactory(tenant=tenant, role=Role.MENTOR))
    assert client.get(version_url(version)).status_code == 403
    assert client.post(f"{version_url(version)}/questions/q1/correct").status_code == 403


def test_unknown_questions_and_versions_of_other_quizzes_answer_404(client, admin, attempt, tenant):
    version = attempt.quiz_version
    assert client.get(f"{version_url(version)}/questions/q9/correct").status_code == 404
    other = enrolled_learner(tenant)[1].program_snapshot["requirements"][0]
    mixed = f"/certs/admin/quizzes/{other['quiz_id']}/versions/{version.id}"
    assert client.get(mixed).status_code == 404
    assert client.get("/certs/admin/regrades/999999").status_code == 404
