"""Quiz taking through the pages: the requirement page's quiz actions, starting, the attempt
page (as a page and as htmx fragments), answers saved at once, plain-form navigation,
submitting once, results per feedback mode, deadlines, bad input, and that no key, flag or
explanation reaches the browser before submission."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from tests import quizdata
from tests.factories import TenantFactory, UserFactory, enrolled_learner
from tests.htmx import htmx
from tests.quizdata import RIGHT, SECRETS, WRONG
from webapp.extensions import db
from webapp.models import (
    Evaluation,
    EvaluationScoreVersion,
    EvaluationStatus,
    ProgressStatus,
    Role,
)
from webapp.services import automated_evaluation as evaluation


def form(answers):
    return {f"answer-{qid}": values for qid, values in answers.items()}


@pytest.fixture
def tenant(app):
    return TenantFactory()


@pytest.fixture
def setup(tenant, login):
    learner, enrolment, rid = enrolled_learner(tenant)
    login(learner)
    return learner, enrolment, rid


def requirement_url(enrolment, rid):
    return f"/certs/programs/{enrolment.programme.slug}/requirements/{rid}"


def start_url(enrolment, rid):
    return f"/certs/quiz/enrolments/{enrolment.id}/requirements/{rid}/start"


def start(client, enrolment, rid) -> str:
    response = client.post(start_url(enrolment, rid))
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return response.headers["Location"]


def attempt_of(url) -> Evaluation:
    db.session.expire_all()
    return db.session.get(Evaluation, int(url.rstrip("/").split("/")[-1].split("?")[0]))


# --- Requirement page ------------------------------------------------------------------------


def test_the_requirement_page_offers_to_start_then_to_continue(client, setup):
    _, enrolment, rid = setup
    html = client.get(requirement_url(enrolment, rid)).get_data(as_text=True)
    assert "5 questions" in html and ">Start quiz</button>" in html
    assert f'action="{start_url(enrolment, rid)}"' in html
    url = start(client, enrolment, rid)
    html = client.get(requirement_url(enrolment, rid)).get_data(as_text=True)
    assert "Continue the quiz" in html and f'href="{url}"' in html and "Start quiz" not in html


def test_starting_twice_returns_the_same_attempt(client, setup):
    _, enrolment, rid = setup
    first = start(client, enrolment, rid)
    assert start(client, enrolment, rid) == first
    htmx_start = client.post(start_url(enrolment, rid), headers=htmx())
    assert htmx_start.status_code == 204 and htmx_start.headers["HX-Location"] == first
    assert db.session.scalar(sa.select(sa.func.count(Evaluation.id))) == 1


def test_a_fail_shows_the_cooldown_with_the_exact_time_then_allows_a_retry(client, setup, clock):
    _, enrolment, rid = setup
    url = start(client, enrolment, rid)
    assert client.post(f"{url}/submit", data=form(WRONG)).status_code == 303
    clock.advance(minutes=29, seconds=59)
    html = client.get(requirement_url(enrolment, rid)).get_data(as_text=True)
    assert "You can start your next attempt at" in html
    assert '<time datetime="2026-06-15T10:30:00+00:00">15 Jun 2026, 10:30:00 UTC</time>' in html
    assert "Start quiz" not in html and "Not passed" in html
    refused = client.post(start_url(enrolment, rid))
    assert refused.status_code == 303 and refused.headers["Location"] == requirement_url(
        enrolment, rid
    )
    assert "15 Jun 2026, 10:30:00 UTC" in client.get(refused.headers["Location"]).get_data(
        as_text=True
    )
    assert db.session.scalar(sa.select(sa.func.count(Evaluation.id))) == 1
    clock.advance(seconds=1)
    assert "Start quiz" in client.get(requirement_url(enrolment, rid)).get_data(as_text=True)
    assert start(client, enrolment, rid) != url


def test_attempts_left_awaiting_a_mentor_and_met_are_shown(client, tenant, login, clock):
    learner, enrolment, rid = enrolled_learner(tenant, settings={"max_attempts": 2})
    login(learner)
    url = start(client, enrolment, rid)
    client.post(f"{url}/submit", data=form(WRONG))
    html = client.get(requirement_url(enrolment, rid)).get_data(as_text=True)
    assert "Attempts left: 1 of 2" in html and "at most 2 attempts" in html
    clock.advance(minutes=30)
    url = start(client, enrolment, rid)
    client.post(f"{url}/submit", data=form(RIGHT))
    html = client.get(requirement_url(enrolment, rid)).get_data(as_text=True)
    assert "Requirement met." in html and "with 100%" in html and "Start quiz" not in html

    client.post("/auth/logout")
    other, enrolment2, rid2 = enrolled_learner(tenant, requires_peer_validation=True)
    login(other)
    url = start(client, enrolment2, rid2)
    client.post(f"{url}/submit", data=form(RIGHT))
    html = client.get(requirement_url(enrolment2, rid2)).get_data(as_text=True)
    assert "Waiting for a mentor." in html and "Start quiz" not in html
    assert "Passed, waiting for a mentor" in html


def test_the_requirement_page_says_one_question_minute_and_attempt_in_the_singular(
    client, tenant, login
):
    learner, enrolment, rid = enrolled_learner(
        tenant, questions=[quizdata.single()], settings={"time_limit_min": 1, "max_attempts": 1}
    )
    login(learner)
    html = client.get(requirement_url(enrolment, rid)).get_data(as_text=True)
    assert "1 question · time limit 1 minute · at most 1 attempt." in html
    page = client.get(start(client, enrolment, rid)).get_data(as_text=True)
    assert "(1 point)" in page


def test_the_requirement_page_needs_the_same_queries_for_many_attempts(
    client, tenant, login, clock, count_queries
):
    learner, enrolment, rid = enrolled_learner(tenant, settings={"cooldown_min": 0})
    login(learner)

    def attempts(n):
        for _ in range(n):
            attempt, _ = evaluation.start_attempt(learner, enrolment, rid)
            evaluation.submit_attempt(attempt, learner, WRONG)
        db.session.commit()
        with count_queries() as counter:
            assert client.get(requirement_url(enrolment, rid)).status_code == 200
        return counter.count

    assert attempts(1) == attempts(6)


# --- The attempt page --------------------------------------------------------------------------


def test_the_attempt_page_and_its_fragment(client, tenant, login):
    questions = quizdata.pool("", "b")
    learner, enrolment, rid = enrolled_learner(tenant, questions=questions)
    login(learner)
    url = start(client, enrolment, rid)
    page = client.get(url).get_data(as_text=True)
    assert "<html" in page and "Page 1 of 2" in page and 'id="question-nav"' in page
    assert page.count('class="card attempt-question"') == 5
    assert "0 of 10 answered" in page and page.count("not answered") == 10
    assert 'hx-confirm="Submit your answers now?' in page and "data-confirm=" in page
    assert f'action="{url}/save"' in page and f'formaction="{url}/submit"' in page
    fragment = client.get(f"{url}?page=2", headers=htmx("attempt-page"))
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<div id="attempt-page"')
    assert "Page 2 of 2" in html and 'id="q-q1b"' in html and 'id="q-q1"' not in html
    assert '<nav id="question-nav"' in html and 'hx-swap-oob="true"' in html
    assert "Vary" in fragment.headers and "HX-Target" in fragment.headers["Vary"]
    # A boosted navigation or another target gets the whole page.
    assert "<html" in client.get(url, headers=htmx("main")).get_data(as_text=True)
    # A page out of range is clamped.
    assert "Page 2 of 2" in client.get(f"{url}?page=99").get_data(as_text=True)


def test_a_timed_attempt_shows_the_time_left(client, tenant, login, clock):
    learner, enrolment, rid = enrolled_learner(tenant, settings={"time_limit_min": 90})
    login(learner)
    url = start(client, enrolment, rid)
    clock.advance(minutes=15, seconds=30)
    html = client.get(url).get_data(as_text=True)
    assert 'data-seconds-left="4470"' in html and ">1:14:30</strong>" in html
    assert "15 Jun 2026, 11:30:00 UTC" in html and "js/quiz.js" in html


def test_an_answer_is_saved_at_once_and_marked_in_the_question_list(client, setup):
    _, enrolment, rid = setup
    url = start(client, enrolment, rid)
    response = client.post(
        f"{url}/answers/q2", data=form({"q2": ["", "a", "b"]}), headers=htmx("saved-q2")
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Saved" in html
    assert '<li id="nav-q2" class="answered" hx-swap-oob="true">' in html
    assert '<p id="answered-count" hx-swap-oob="true">1 of 5 answered</p>' in html
    assert attempt_of(url).answers == {"q2": ["a", "b"]}
    # Unticking every box clears the answer (the hidden empty value still arrives).
    client.post(f"{url}/answers/q2", data=form({"q2": [""]}), headers=htmx("saved-q2"))
    assert attempt_of(url).answers == {}
    # Without htmx the same endpoint redirects back to the question.
    plain = client.post(f"{url}/answers/q3", data=form({"q3": ["false"]}))
    assert plain.status_code == 303 and plain.headers["Location"].endswith("?page=1#q-q3")
    page = client.get(url).get_data(as_text=True)
    assert 'value="false" checked' in page and "1 of 5 answered" in page


def test_a_malformed_answer_is_refused_next_to_the_question(client, setup):
    _, enrolment, rid = setup
    url = start(client, enrolment, rid)
    client.post(f"{url}/answers/q5", data=form({"q5": ["12"]}), headers=htmx("saved-q5"))
    refused = client.post(
        f"{url}/answers/q5", data=form({"q5": ["lots"]}), headers=htmx("saved-q5")
    )
    assert refused.status_code == 422
    assert "Enter a number, like 25 or 2.5." in refused.get_data(as_text=True)
    assert attempt_of(url).answers == {"q5": "12"}
    plain = client.post(f"{url}/answers/q5", data=form({"q5": ["lots"]}))
    assert plain.status_code == 422 and "<html" in plain.get_data(as_text=True)
    assert 'value="lots"' in plain.get_data(as_text=True)  # the input is kept


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("answers/q9", {"answer-q9": "a"}),
        ("answers/..%2Fq1", {"answer-q1": "a"}),
        ("save", {"answer-q9": "a", "answer-q1": "a"}),
        ("submit", {"answer-nope": "x"}),
    ],
)
def test_answers_to_questions_not_in_the_attempt_answer_404(client, setup, path, data):
    _, enrolment, rid = setup
    url = start(client, enrolment, rid)
    assert client.post(f"{url}/{path}", data=data).status_code == 404
    attempt = attempt_of(url)
    assert attempt.answers == {} and attempt.status is EvaluationStatus.IN_PROGRESS


def test_too_many_fields_are_a_bad_request(client, setup):
    _, enrolment, rid = setup
    url = start(client, enrolment, rid)
    data = {f"answer-x{n}": "a" for n in range(501)}
    assert client.post(f"{url}/save", data=data).status_code == 400


def test_the_plain_form_saves_the_page_and_moves_between_pages(client, tenant, login):
    questions = quizdata.pool("", "b")
    learner, enrolment, rid = enrolled_learner(tenant, questions=questions)
    login(learner)
    url = start(client, enrolment, rid)
    moved = client.post(f"{url}/save", data={"page": "1", "go": "2", **form(RIGHT)})
    assert moved.status_code == 303 and moved.headers["Location"] == f"{url}?page=2"
    page2 = client.get(moved.headers["Location"]).get_data(as_text=True)
    assert "Page 2 of 2" in page2 and "5 of 10 answered" in page2
    back = client.post(f"{url}/save", data={"page": "2", "go": "1", "answer-q3b": "true"})
    page1 = client.get(back.headers["Location"]).get_data(as_text=True)
    assert 'value="zebra-assembly-point"' in page1 and "6 of 10 answered" in page1
    # With htmx the next page is loaded into the attempt-page element.
    nav = client.post(f"{url}/save", data={"page": "1", "go": "2"}, headers=htmx("attempt-page"))
    assert nav.status_code == 204
    assert json.loads(nav.headers["HX-Location"]) == {
        "path": f"{url}?page=2",
        "target": "#attempt-page",
        "swap": "outerHTML",
    }


def test_without_javascript_the_attempt_page_offers_save_answers_and_says_when_they_are_saved(
    client, setup
):
    _, enrolment, rid = setup
    url = start(client, enrolment, rid)
    html = client.get(url).get_data(as_text=True)  # one page: no Previous / Next buttons
    assert "Page 1 of 1" in html and "Next page" not in html
    noscript = re.findall(r"<noscript>(.*?)</noscript>", html, re.DOTALL)
    assert any(
        re.search(r'<button type="submit"[^>]* name="go" value="1"[^>]*>Save answers</button>', n)
        for n in noscript
    )
    assert any(
        "your answers are saved when you press Save answers or Submit answers." in n
        for n in noscript
    )
    # The autosave sentence is only for pages where app.js runs (it marks <html> as "js").
    assert '<span class="js-only"> · your answers are saved as you go.</span>' in html
    assert html.count("saved as you go") == 1
    with client.get("/static/js/app.js") as script:
        assert 'classList.add("js")' in script.get_data(as_text=True)


def test_without_javascript_a_multi_page_attempt_names_the_buttons_that_save(client, tenant, login):
    questions = quizdata.pool("", "b")
    learner, enrolment, rid = enrolled_learner(tenant, questions=questions)
    login(learner)
    url = start(client, enrolment, rid)
    html = client.get(f"{url}?page=2").get_data(as_text=True)
    noscript = "".join(re.findall(r"<noscript>(.*?)</noscript>", html, re.DOTALL))
    assert 'name="go" value="2"' in noscript and ">Save answers</button>" in noscript
    assert "saved when you press Save answers, Previous page, Next page or Submit" in noscript


def test_save_answers_without_javascript_saves_the_page_and_comes_back_to_it(client, setup):
    _, enrolment, rid = setup
    url = start(client, enrolment, rid)
    saved = client.post(f"{url}/save", data={"page": "1", "go": "1", **form(RIGHT)})
    assert saved.status_code == 303 and saved.headers["Location"] == f"{url}?page=1"
    assert attempt_of(url).answers == {
        "q1": "a",
        "q2": ["a", "b"],
        "q3": False,
        "q4": "zebra-assembly-point",
        "q5": "98764.6",
    }
    html = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Your answers on this page are saved." in html
    assert "5 of 5 answered" in html and 'value="zebra-assembly-point"' in html
    # The confirmation is shown once, not again on the next visit.
    assert "Your answers on this page are saved." not in client.get(url).get_data(as_text=True)


def test_saving_with_htmx_flashes_nothing(client, setup):
    _, enrolment, rid = setup
    url = start(client, enrolment, rid)
    saved = client.post(
        f"{url}/save", data={"page": "1", "go": "1", **form(RIGHT)}, headers=htmx("attempt-page")
    )
    assert saved.status_code == 204 and attempt_of(url).answers["q1"] == "a"
    with client.session_transaction() as session:
        assert not session.get("_flashes")
    assert "Your answers on this page are saved." not in client.get(url).get_data(as_text=True)


def test_a_malformed_page_is_refused_whole_with_the_input_kept(client, setup):
    _, enrolment, rid = setup
    url = start(client, enrolment, rid)
    data = {"page": "1", "go": "2", **form({**RIGHT, "q5": ["many"], "q1": ["zz"]})}
    refused = client.post(f"{url}/save", data=data)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "nothing was saved" in html
    assert "Choose one of the options." in html and "Enter a number" in html
    assert 'value="many"' in html and 'aria-invalid="true"' in html
    fragment = client.post(f"{url}/save", data=data, headers=htmx("attempt-page"))
    assert fragment.status_code == 422 and "<html" not in fragment.get_data(as_text=True)
    assert attempt_of(url).answers == {}


# --- Submitting and results ------------------------------------------------------------------


def test_submitting_grades_once_and_shows_the_result(client, setup):
    _, enrolment, rid = setup
    url = start(client, enrolment, rid)
    first = client.post(f"{url}/submit", data={"confirmed": "1", **form(RIGHT)})
    assert first.status_code == 303 and first.headers["Location"] == f"{url}/result"
    again = client.post(f"{url}/submit", data=form(WRONG), headers=htmx())
    assert again.status_code == 204 and again.headers["HX-Location"] == f"{url}/result"
    assert db.session.scalar(sa.select(sa.func.count(EvaluationScoreVersion.id))) == 1
    attempt = attempt_of(url)
    assert attempt.passed and attempt.answers["q1"] == "a"
    html = client.get(f"{url}/result").get_data(as_text=True)
    assert "Passed" in html and "6 of 6" in html and "100%" in html and "pass mark is 80%" in html
    assert "Requirement met." in html
    # The attempt page of a submitted attempt leads to the result.
    assert client.get(url).headers["Location"] == f"{url}/result"
    late = client.post(f"{url}/answers/q1", data=form({"q1": ["b"]}), headers=htmx("saved-q1"))
    assert late.status_code == 204 and late.headers["HX-Location"] == f"{url}/result"
    assert attempt_of(url).answers["q1"] == "a"
    row = enrolment.progress[0]
    db.session.refresh(row)
    assert row.status is ProgressStatus.MET and row.attempt_count == 1


def test_results_show_per_question_feedback_when_the_quiz_allows(client, setup):
    _, enrolment, rid = setup
    url = start(client, enrolment, rid)
    client.post(f"{url}/submit", data=form({**RIGHT, "q2": ["a"], "q5": ["1"]}))
    html = client.get(f"{url}/result").get_data(as_text=True)
    assert "Not passed" in html and "4 of 6" in html and "66.67%" in html
    assert "partly correct" in html and "(1 of 2 points)" in html
    assert "Correct answer: 98765 ± 0.5" in html and "EXPLANATION-EXITS" in html
    assert "You can start your next attempt at" in html


def test_results_show_the_score_only_when_the_quiz_says_so(client, tenant, login):
    learner, enrolment, rid = enrolled_learner(tenant, settings={"feedback": "score_only"})
    login(learner)
    url = start(client, enrolment, rid)
    client.post(f"{url}/submit", data=form(WRONG))
    html = client.get(f"{url}/result").get_data(as_text=True)
    assert "0 of 6" in html and "shows your score only" in html
    for secret in ("EXPLANATION-", "ZEBRA-ASSEMBLY-POINT", "98765", "Correct answer"):
        assert secret not in html


def test_a_fail_just_under_the_pass_mark_is_shown_rounded_half_up(client, tenant, login):
    questions = [
        quizdata.true_false(id="a", points="80"),
        quizdata.true_false(id="b", points="20.01"),
    ]
    learner, enrolment, rid = enrolled_learner(tenant, questions=questions)
    login(learner)
    url = start(client, enrolment, rid)
    client.post(f"{url}/submit", data={"answer-a": "false", "answer-b": "true"})
    html = client.get(f"{url}/result").get_data(as_text=True)
    assert "Not passed" in html and "79.99%" in html and "80%</strong>" not in html


def eleven_thirds_of_four_points() -> list[dict]:
    """Two questions: 3 points, then 1 point where two of three correct options earn 2/3."""
    partial = quizdata.multiple(
        id="b",
        scoring="partial",
        prompt="Pick the three primary colours.",
        points=1,
        options=[{"id": o, "text": f"Colour {o}"} for o in "abcd"],
        correct=["a", "b", "c"],
    )
    return [quizdata.single(id="a", points=3), partial]


ELEVEN_THIRDS = {"answer-a": "a", "answer-b": ["a", "b"]}  # 11/3 of 4 points: 91.666… %


def test_scores_points_and_percentages_are_rounded_half_up(client, tenant, login):
    learner, enrolment, rid = enrolled_learner(tenant, questions=eleven_thirds_of_four_points())
    login(learner)
    url = start(client, enrolment, rid)
    client.post(f"{url}/submit", data=ELEVEN_THIRDS)
    html = client.get(f"{url}/result").get_data(as_text=True)
    assert "<strong>3.67 of 4 points</strong>" in html and "<strong>91.67%</strong>" in html
    assert "(3 of 3 points)" in html and "(0.67 of 1 point)" in html
    assert "3.66" not in html and "91.66" not in html
    page = client.get(requirement_url(enrolment, rid)).get_data(as_text=True)
    assert "<td>91.67%</td>" in page and "with 91.67%" in page


def test_the_mentor_review_of_an_attempt_rounds_the_same_way(client, tenant, login):
    learner, enrolment, rid = enrolled_learner(
        tenant, questions=eleven_thirds_of_four_points(), requires_peer_validation=True
    )
    login(learner)
    url = start(client, enrolment, rid)
    client.post(f"{url}/submit", data=ELEVEN_THIRDS)
    assert attempt_of(url).status is EvaluationStatus.AWAITING_VALIDATION
    client.post("/auth/logout")
    login(UserFactory(tenant=tenant, role=Role.MENTOR))
    html = client.get(f"/certs/reviews/attempts/{attempt_of(url).id}").get_data(as_text=True)
    assert "91.67% (3.67 of 4 points)" in html
    assert "3 of 3 points" in html and "0.67 of 1 point ·" in html
    assert "2/3" not in html and "point(s)" not in html


# --- Security ----------------------------------------------------------------------------------


def test_no_key_flag_or_explanation_reaches_the_browser_before_submission(
    client, tenant, login, app
):
    """Every response of the attempt phase, pages and fragments, refused and accepted."""
    questions = quizdata.pool("", "b")
    learner, enrolment, rid = enrolled_learner(
        tenant, questions=questions, settings={"time_limit_min": 30, "shuffle_options": True}
    )
    login(learner)
    seen = []

    def keep(response):
        seen.append(response)
        return response

    keep(client.get(requirement_url(enrolment, rid)))
    keep(client.get(f"/certs/programs/{enrolment.programme.slug}"))
    started = keep(client.post(start_url(enrolment, rid)))
    url = started.headers["Location"]
    keep(client.post(start_url(enrolment, rid), headers=htmx()))
    keep(client.get(url))
    keep(client.get(f"{url}?page=2"))
    keep(client.get(f"{url}?page=2", headers=htmx("attempt-page")))
    for qid, values in {**RIGHT, **{k + "b": v for k, v in WRONG.items()}}.items():
        keep(
            client.post(
                f"{url}/answers/{qid}", data=form({qid: values}), headers=htmx(f"saved-{qid}")
            )
        )
        keep(client.post(f"{url}/answers/{qid}", data=form({qid: values})))
    keep(client.post(f"{url}/answers/q5", data=form({"q5": ["x"]}), headers=htmx("saved-q5")))
    keep(client.post(f"{url}/answers/q5", data=form({"q5": ["x"]})))
    keep(client.post(f"{url}/save", data={"page": "1", "go": "2", **form(RIGHT)}))
    keep(
        client.post(
            f"{url}/save", data={"page": "1", **form({"q1": ["zz"]})}, headers=htmx("attempt-page")
        )
    )
    keep(client.post(f"{url}/save", data={"page": "2", **form({"q1": ["zz"]})}))
    keep(client.post(f"{url}/submit", data=form({"q1": ["zz"]})))
    keep(client.get(f"{url}/result"))  # not submitted yet: back to the attempt
    keep(client.get(requirement_url(enrolment, rid)))
    assert len(seen) == 35
    for response in seen:
        body = response.get_data(as_text=True) + json.dumps(dict(response.headers))
        for secret in SECRETS:
            assert secret not in body, (response.request.path, secret)
        assert not re.search(r"\bcorrect\b", body, re.IGNORECASE), response.request.path
    # After submitting, the per-question feedback may show them.
    client.post(f"{url}/submit", data={"confirmed": "1"})
    assert "EXPLANATION-ASSEMBLY" in client.get(f"{url}/result").get_data(as_text=True)


def test_other_learners_attempts_answer_404_and_stay_unchanged(client, setup, tenant, login):
    learner, enrolment, rid = setup
    url = start(client, enrolment, rid)
    client.post("/auth/logout")
    login(UserFactory(tenant=tenant))
    for method, path in [
        ("GET", url),
        ("GET", f"{url}/result"),
        ("POST", f"{url}/save"),
        ("POST", f"{url}/answers/q1"),
        ("POST", f"{url}/submit"),
        ("POST", start_url(enrolment, rid)),
    ]:
        assert client.open(path, method=method, data={"answer-q1": "a"}).status_code == 404
    attempt = attempt_of(url)
    assert attempt.answers == {} and attempt.status is EvaluationStatus.IN_PROGRESS
    assert db.session.scalar(sa.select(sa.func.count(Evaluation.id))) == 1


def test_a_missing_requirement_or_a_content_requirement_answers_404(client, setup):
    _, enrolment, _ = setup
    content = enrolment.program_snapshot["requirements"][1]["requirement_id"]
    assert client.post(start_url(enrolment, content)).status_code == 404
    assert client.post(start_url(enrolment, 999_999)).status_code == 404


def test_writes_need_the_csrf_token(client, setup, csrf_on):
    _, enrolment, rid = setup
    assert client.post(start_url(enrolment, rid)).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Evaluation.id))) == 0


def test_the_attempt_page_needs_the_same_queries_for_many_questions(
    client, tenant, login, count_queries
):
    def queries(copies):
        questions = quizdata.pool(*(f"x{n}" for n in range(copies)))
        learner, enrolment, rid = enrolled_learner(tenant, questions=questions)
        attempt, _ = evaluation.start_attempt(learner, enrolment, rid)
        evaluation.save_answers(attempt, learner, {"q1x0": ["a"]})
        db.session.commit()
        client.post("/auth/logout")
        login(learner)
        with count_queries() as counter:
            assert client.get(f"/certs/quiz/attempts/{attempt.id}").status_code == 200
        return counter.count

    assert queries(1) == queries(10)
