"""The admin quiz editor: list, create, questions edited in place (page and htmx fragment),
settings, preview without answer keys, publishing, roles and tenant isolation."""

import re

import pytest
import sqlalchemy as sa

from tests import quizdata
from tests.factories import QuizFactory, TenantFactory, UserFactory
from tests.htmx import htmx
from tests.quizdata import FORM_DATA
from webapp.extensions import db
from webapp.models import Quiz, QuizStatus, QuizVersion, Role
from webapp.services import automated_evaluation as evaluation

BASE = "/certs/admin/quizzes"

# The quiz of these tests: four questions built from the shared quiz data.
DRILL = [
    quizdata.single(
        prompt="Which gas do extinguishers of type CO2 contain?",
        options=[{"id": "a", "text": "Carbon dioxide"}, {"id": "b", "text": "Helium"}],
        explanation="EXPLANATION-ONE",
    ),
    quizdata.short_text(id="q2", explanation="EXPLANATION-TWO"),
    quizdata.numeric(id="q3", points=2, tolerance="0", explanation="EXPLANATION-THREE"),
    quizdata.true_false(
        id="q4", prompt="Lifts may be used during a fire.", explanation="EXPLANATION-FOUR"
    ),
]


@pytest.fixture
def tenant(app):
    return TenantFactory(name="Acme")


@pytest.fixture
def admin(tenant, login):
    user = UserFactory(tenant=tenant, role=Role.ADMIN)
    login(user)
    return user


@pytest.fixture
def quiz(tenant):
    return QuizFactory(
        tenant=tenant,
        title="Fire drill",
        questions=[dict(q) for q in DRILL],
        settings=dict(evaluation.DEFAULT_SETTINGS),
    )


def reload(quiz):
    db.session.expire_all()
    return db.session.get(Quiz, quiz.id)


def prompts(quiz):
    return [q["prompt"] for q in reload(quiz).questions]


# --- List --------------------------------------------------------------------------------


def test_list_shows_only_the_tenants_quizzes_and_searches_by_title(client, admin, tenant):
    QuizFactory(tenant=tenant, title="Fire safety basics")
    QuizFactory(tenant=tenant, title="Forklift driving", status=QuizStatus.PUBLISHED)
    QuizFactory(tenant=TenantFactory(), title="Secret Globex quiz")
    html = client.get(f"{BASE}/").get_data(as_text=True)
    assert "Fire safety basics" in html and "Forklift driving" in html
    assert "Secret Globex quiz" not in html
    html = client.get(f"{BASE}/?q=FIRE").get_data(as_text=True)
    assert "Fire safety basics" in html and "Forklift driving" not in html
    html = client.get(f"{BASE}/?status=published").get_data(as_text=True)
    assert "Forklift driving" in html and "Fire safety basics" not in html
    html = client.get(f"{BASE}/?q=100%25").get_data(as_text=True)
    assert "No quiz matches these filters." in html


def test_list_paginates(client, admin, tenant, app):
    app.config["PAGE_SIZE"] = 5
    for n in range(7):
        QuizFactory(tenant=tenant, title=f"Paged quiz {n}")
    first = client.get(f"{BASE}/").get_data(as_text=True)
    second = client.get(f"{BASE}/?page=2").get_data(as_text=True)
    assert first.count("Paged quiz") == 5 and second.count("Paged quiz") == 2
    assert "Page 1 of 2" in first and 'rel="next"' in first


def test_list_has_an_empty_state_and_a_link_from_admin_home(client, admin):
    assert "No quizzes yet" in client.get(f"{BASE}/").get_data(as_text=True)
    assert f'href="{BASE}/"' in client.get("/certs/admin/").get_data(as_text=True)


def count_list_queries(client):
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get(f"{BASE}/").status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    return len(statements)


def test_list_runs_a_constant_number_of_queries(client, admin, tenant):
    for _ in range(3):
        QuizFactory(tenant=tenant)
    few = count_list_queries(client)
    assert few > 0
    for _ in range(27):
        QuizFactory(tenant=tenant)
    assert count_list_queries(client) == few


# --- Create, details, settings ---------------------------------------------------------------


def test_create_a_quiz_and_land_in_its_editor(client, admin):
    response = client.post(f"{BASE}/new", data={"title": "Ladder safety", "description": "Short."})
    assert response.status_code == 303
    quiz = db.session.scalar(sa.select(Quiz).where(Quiz.title == "Ladder safety"))
    assert quiz.tenant_id == admin.tenant_id
    assert response.headers["Location"].endswith(f"{BASE}/{quiz.id}")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Quiz created" in html and "No questions yet" in html


def test_create_without_a_title_is_refused_keeping_the_input(client, admin):
    response = client.post(f"{BASE}/new", data={"title": " ", "description": "Kept text"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Give the quiz a title." in html and "Kept text" in html
    assert db.session.scalar(sa.select(sa.func.count(Quiz.id))) == 0


def test_details_are_saved_as_page_and_as_fragment(client, admin, quiz):
    response = client.post(f"{BASE}/{quiz.id}/details", data={"title": "Drill 2"})
    assert response.status_code == 303
    assert reload(quiz).title == "Drill 2"
    response = client.post(
        f"{BASE}/{quiz.id}/details", data={"title": "Drill 3"}, headers=htmx("quiz-details")
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert 'id="quiz-details"' in html and "Details saved." in html
    assert 'id="quiz-header" hx-swap-oob="true"' in html and "Drill 3" in html
    response = client.post(
        f"{BASE}/{quiz.id}/details", data={"title": ""}, headers=htmx("quiz-details")
    )
    assert response.status_code == 422 and "Give the quiz a title." in response.get_data(
        as_text=True
    )
    assert reload(quiz).title == "Drill 3"


def test_settings_are_saved_and_bad_values_refused(client, admin, quiz):
    data = {
        "time_limit_min": "15",
        "shuffle_questions": "y",
        "max_attempts": "",
        "cooldown_min": "0",
    }
    response = client.post(f"{BASE}/{quiz.id}/settings", data={**data, "feedback": "score_only"})
    assert response.status_code == 303
    assert reload(quiz).settings == {
        **evaluation.DEFAULT_SETTINGS,
        "time_limit_min": 15,
        "shuffle_questions": True,
        "cooldown_min": 0,
        "feedback": "score_only",
    }
    saved = reload(quiz).settings
    for bad, message in [
        ({"time_limit_min": "0"}, "The time limit must be between 1 and 600 minutes"),
        ({"max_attempts": "abc"}, "Not a valid integer value."),
        ({"feedback": "everything"}, "Choose score only or per-question feedback."),
    ]:
        response = client.post(
            f"{BASE}/{quiz.id}/settings",
            data={**data, "feedback": "score_only", **bad},
            headers=htmx("quiz-settings"),
        )
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and message in html and "<html" not in html
        assert reload(quiz).settings == saved


# --- Questions ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(FORM_DATA))
def test_add_a_question_of_every_type_with_the_plain_form(client, admin, quiz, kind):
    page = client.get(f"{BASE}/{quiz.id}/questions/new?type={kind}")
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)
    response = client.post(
        f"{BASE}/{quiz.id}/questions/new", data={"type": kind, **FORM_DATA[kind]}
    )
    assert response.status_code == 303
    added = reload(quiz).questions[-1]
    assert response.headers["Location"].endswith(f"{BASE}/{quiz.id}#question-{added['id']}")
    assert added["type"] == kind and added["prompt"] == FORM_DATA[kind]["prompt"]
    assert evaluation.missing_answer_key(added) is False


def test_stored_answer_keys_follow_the_forms(client, admin, quiz):
    for kind in FORM_DATA:
        client.post(f"{BASE}/{quiz.id}/questions/new", data={"type": kind, **FORM_DATA[kind]})
    single, multiple, true_false, short_text, numeric = reload(quiz).questions[len(DRILL) :]
    assert [o["text"] for o in single["options"]] == ["CO2", "Water"]
    assert single["correct"] == [single["options"][0]["id"]] and single["points"] == 2
    assert multiple["scoring"] == "partial" and len(multiple["correct"]) == 2
    assert true_false["correct"] is True
    assert short_text["accepted"] == ["PPE", "Protective kit"]
    assert (numeric["value"], numeric["tolerance"]) == ("25", "0.5")


def test_add_a_question_in_place_with_htmx(client, admin, quiz):
    picker = client.get(
        f"{BASE}/{quiz.id}/questions/new?type=numeric", headers=htmx("new-question")
    )
    html = picker.get_data(as_text=True)
    assert picker.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<div id="new-question"') and 'name="value"' in html
    response = client.post(
        f"{BASE}/{quiz.id}/questions/new",
        data={"type": "numeric", **FORM_DATA["numeric"]},
        headers=htmx("new-question"),
    )
    html = response.get_data(as_text=True)
    added = reload(quiz).questions[-1]
    assert response.status_code == 200 and "<html" not in html
    assert '<ol hx-swap-oob="beforeend:#question-list">' in html
    assert f'<li id="question-{added["id"]}"' in html
    assert 'id="quiz-header" hx-swap-oob="true"' in html


def test_a_boosted_request_gets_the_whole_page(client, admin, quiz):
    headers = htmx("new-question", HX_Boosted="true")
    html = client.get(f"{BASE}/{quiz.id}/questions/new?type=single", headers=headers).get_data(
        as_text=True
    )
    assert "<html" in html


@pytest.mark.parametrize("headers", [{}, htmx("new-question")])
def test_a_bad_new_question_is_422_with_errors_and_nothing_saved(client, admin, quiz, headers):
    data = {"type": "single", **FORM_DATA["single"], "prompt": "Kept?", "options-1-text": ""}
    response = client.post(f"{BASE}/{quiz.id}/questions/new", data=data, headers=headers)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Give at least two options." in html and "Kept?" in html and 'value="CO2"' in html
    assert ("<html" in html) is not bool(headers)
    assert len(reload(quiz).questions) == len(DRILL)


def test_edit_a_question_with_the_plain_form(client, admin, quiz):
    page = client.get(f"{BASE}/{quiz.id}/questions/q1/edit")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert 'value="Carbon dioxide"' in html and 'name="options-0-option_id"' in html
    data = {
        "prompt": "Which gas? (edited)",
        "points": "3",
        "explanation": "",
        "options-0-option_id": "a",
        "options-0-text": "Carbon dioxide",
        "options-1-option_id": "b",
        "options-1-text": "Helium",
        "options-1-correct": "y",
    }
    response = client.post(f"{BASE}/{quiz.id}/questions/q1/edit", data=data)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("#question-q1")
    edited = reload(quiz).questions[0]
    assert edited["id"] == "q1" and edited["prompt"] == "Which gas? (edited)"
    assert [o["id"] for o in edited["options"]] == ["a", "b"] and edited["correct"] == ["b"]


def test_edit_a_question_in_place_with_htmx(client, admin, quiz):
    form = client.get(f"{BASE}/{quiz.id}/questions/q4/edit", headers=htmx("question-q4"))
    html = form.get_data(as_text=True)
    assert form.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<li id="question-q4"') and "<form" in html
    assert re.search(
        r'<input checked id="q-q4-correct-1" name="correct" type="radio" value="false">', html
    )
    response = client.post(
        f"{BASE}/{quiz.id}/questions/q4/edit",
        data={"prompt": "Lifts are safe in a fire.", "points": "1", "correct": "false"},
        headers=htmx("question-q4"),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<li id="question-q4"') and "<textarea" not in html
    assert "Lifts are safe in a fire." in html and 'hx-swap-oob="true"' in html
    assert reload(quiz).questions[3]["prompt"] == "Lifts are safe in a fire."
    cancel = client.get(f"{BASE}/{quiz.id}/questions/q4", headers=htmx("question-q4"))
    assert cancel.get_data(as_text=True).lstrip().startswith('<li id="question-q4"')
    assert client.get(f"{BASE}/{quiz.id}/questions/q4").status_code == 302


@pytest.mark.parametrize("headers", [{}, htmx("question-q3")])
def test_a_bad_edit_is_422_with_errors_next_to_fields_and_nothing_saved(
    client, admin, quiz, headers
):
    data = {"prompt": "", "points": "lots", "value": "many", "tolerance": "-2"}
    response = client.post(f"{BASE}/{quiz.id}/questions/q3/edit", data=data, headers=headers)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in (
        "Write the question.",
        "Points must be a number.",
        "The correct value must be a number",
        "The tolerance cannot be negative.",
    ):
        assert message in html
    assert 'value="lots"' in html and 'value="many"' in html
    assert ("<html" in html) is not bool(headers)
    assert reload(quiz).questions == DRILL


def test_remove_a_question_with_the_confirmation_page(client, admin, quiz):
    editor = client.get(f"{BASE}/{quiz.id}").get_data(as_text=True)
    assert f'href="{BASE}/{quiz.id}/questions/q2/remove"' in editor and "hx-confirm=" in editor
    page = client.get(f"{BASE}/{quiz.id}/questions/q2/remove")
    assert page.status_code == 200 and "Remove this question?" in page.get_data(as_text=True)
    assert prompts(quiz) == [q["prompt"] for q in DRILL]  # GET changes nothing
    response = client.post(f"{BASE}/{quiz.id}/questions/q2/remove")
    assert response.status_code == 303
    assert [q["id"] for q in reload(quiz).questions] == ["q1", "q3", "q4"]


def test_remove_a_question_in_place_with_htmx(client, admin, quiz):
    response = client.post(f"{BASE}/{quiz.id}/questions/q2/remove", headers=htmx("question-q2"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert 'id="question-q2"' not in html and 'id="quiz-header" hx-swap-oob="true"' in html
    assert [q["id"] for q in reload(quiz).questions] == ["q1", "q3", "q4"]


def test_move_a_question_as_page_and_fragment(client, admin, quiz):
    response = client.post(f"{BASE}/{quiz.id}/questions/q3/move", data={"direction": "up"})
    assert response.status_code == 303
    assert [q["id"] for q in reload(quiz).questions] == ["q1", "q3", "q2", "q4"]
    response = client.post(
        f"{BASE}/{quiz.id}/questions/q1/move",
        data={"direction": "down"},
        headers=htmx("question-list"),
    )
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<ol id="question-list"') and "<html" not in html
    assert [q["id"] for q in reload(quiz).questions] == ["q3", "q1", "q2", "q4"]
    bad = client.post(f"{BASE}/{quiz.id}/questions/q1/move", data={"direction": "sideways"})
    assert bad.status_code == 422


def test_unknown_question_ids_answer_404(client, admin, quiz):
    other = QuizFactory(tenant=admin.tenant, questions=[{**DRILL[0], "id": "zz"}])
    for suffix in ("", "/edit", "/remove", "/move"):
        assert client.get(f"{BASE}/{quiz.id}/questions/nope{suffix}").status_code == 404
        # question ids belong to their quiz
        assert client.get(f"{BASE}/{quiz.id}/questions/zz{suffix}").status_code == 404
    assert client.post(f"{BASE}/{quiz.id}/questions/zz/remove").status_code == 404
    assert client.get(f"{BASE}/{other.id}/questions/zz/edit").status_code == 200


# --- Preview and publishing -------------------------------------------------------------


def test_preview_shows_the_questions_without_answer_keys_or_explanations(client, admin, quiz):
    response = client.get(f"{BASE}/{quiz.id}/preview")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for question in DRILL:
        assert question["prompt"] in html
        assert question["explanation"] not in html
    assert "Carbon dioxide" in html and "Helium" in html
    assert "ZEBRA-ASSEMBLY-POINT" not in html and "98765" not in html
    assert "correct" not in html.lower()


def test_publish_from_the_editor_and_see_the_version_history(client, admin, quiz):
    response = client.post(f"{BASE}/{quiz.id}/publish")
    assert response.status_code == 303
    version = db.session.scalar(sa.select(QuizVersion).where(QuizVersion.quiz_id == quiz.id))
    assert version.number == 1 and version.questions == DRILL
    html = client.get(f"{BASE}/{quiz.id}").get_data(as_text=True)
    assert "Version 1 published." in html and "Published versions" in html
    assert "15 Jun 2026" in html  # published date, from the frozen clock
    assert "The draft is the same as version 1." in html
    client.post(f"{BASE}/{quiz.id}/questions/q2/remove")
    html = client.get(f"{BASE}/{quiz.id}").get_data(as_text=True)
    assert "The draft has unpublished changes." in html and "Publish version 2" in html
    assert len(db.session.get(QuizVersion, version.id).questions) == 4


def test_publishing_is_refused_with_the_problems_listed(client, admin, tenant):
    quiz = QuizFactory(
        tenant=tenant,
        questions=[{**DRILL[3], "correct": None, "prompt": "Is this keyed?"}],
    )
    check = client.get(f"{BASE}/{quiz.id}/publish").get_data(as_text=True)
    assert "has no correct answer" in check
    response = client.post(f"{BASE}/{quiz.id}/publish")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Question 1 (“Is this keyed?”) has no correct answer." in html
    assert db.session.scalar(sa.select(sa.func.count(QuizVersion.id))) == 0
    assert reload(quiz).status is QuizStatus.DRAFT
    empty = QuizFactory(tenant=tenant, questions=[])
    response = client.post(f"{BASE}/{empty.id}/publish")
    assert response.status_code == 422 and "Add at least one question." in response.get_data(
        as_text=True
    )


def test_the_editor_warns_about_questions_without_an_answer(client, admin, tenant):
    quiz = QuizFactory(tenant=tenant, questions=[{**DRILL[1], "accepted": []}])
    html = client.get(f"{BASE}/{quiz.id}").get_data(as_text=True)
    assert "No correct answer yet" in html


# --- Access ------------------------------------------------------------------------------


def every_route(quiz_id, question_id="q1"):
    """(method, url, form body) for every quiz route, with valid bodies."""
    q = f"{BASE}/{quiz_id}/questions/{question_id}"
    return [
        ("GET", f"{BASE}/{quiz_id}", {}),
        ("GET", f"{BASE}/{quiz_id}/details", {}),
        ("POST", f"{BASE}/{quiz_id}/details", {"title": "Hijacked"}),
        ("GET", f"{BASE}/{quiz_id}/settings", {}),
        ("POST", f"{BASE}/{quiz_id}/settings", {"time_limit_min": "5", "feedback": "score_only"}),
        ("GET", f"{BASE}/{quiz_id}/preview", {}),
        ("GET", f"{BASE}/{quiz_id}/publish", {}),
        ("POST", f"{BASE}/{quiz_id}/publish", {}),
        ("GET", f"{BASE}/{quiz_id}/questions/new?type=single", {}),
        ("POST", f"{BASE}/{quiz_id}/questions/new", {"type": "single", **FORM_DATA["single"]}),
        ("GET", q, {}),
        ("GET", f"{q}/edit", {}),
        ("POST", f"{q}/edit", {"type": "single", **FORM_DATA["single"]}),
        ("GET", f"{q}/remove", {}),
        ("POST", f"{q}/remove", {}),
        ("GET", f"{q}/move", {}),
        ("POST", f"{q}/move", {"direction": "down"}),
    ]


@pytest.mark.parametrize("role", [Role.LEARNER, Role.MENTOR])
def test_non_admins_get_403_everywhere(client, login, tenant, quiz, role):
    login(UserFactory(tenant=tenant, role=role))
    routes = [
        ("GET", f"{BASE}/", {}),
        ("GET", f"{BASE}/new", {}),
        ("POST", f"{BASE}/new", {"title": "X"}),
        *every_route(quiz.id),
    ]
    for method, url, data in routes:
        assert client.open(url, method=method, data=data).status_code == 403, (method, url)
    assert reload(quiz).questions == DRILL


@pytest.mark.parametrize("headers", [{}, htmx("question-q1")])
def test_a_globex_admin_gets_404_for_an_acme_quiz_on_every_route(client, login, quiz, headers):
    login(UserFactory(tenant=TenantFactory(name="Globex"), role=Role.ADMIN))
    for method, url, data in every_route(quiz.id):
        response = client.open(url, method=method, data=data, headers=headers)
        assert response.status_code == 404, (method, url)
    after = reload(quiz)
    assert (after.title, after.questions, after.settings) == (
        "Fire drill",
        DRILL,
        evaluation.DEFAULT_SETTINGS,
    )
    assert after.latest_version_number == 0
    assert db.session.scalar(sa.select(sa.func.count(QuizVersion.id))) == 0
    assert "Fire drill" not in client.get(f"{BASE}/").get_data(as_text=True)


def test_writes_need_the_csrf_token(client, admin, quiz, csrf_on):
    response = client.post(f"{BASE}/{quiz.id}/questions/q2/remove")
    assert response.status_code == 400
    page = client.get(f"{BASE}/{quiz.id}").get_data(as_text=True)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    response = client.post(
        f"{BASE}/{quiz.id}/questions/q2/remove",
        headers=htmx("question-q2", X_CSRFToken=token),
    )
    assert response.status_code == 200
    assert [q["id"] for q in reload(quiz).questions] == ["q1", "q3", "q4"]
