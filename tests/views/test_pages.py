"""Every page renders for every demo user (no 500), and shows the demo's data: the pages of
each learner's enrolments and attempts, each mentor's reviews, each admin's certificates,
outbox, regrade and reports, and the public verification page of every certificate."""

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import (
    Certificate,
    Enrolment,
    Evaluation,
    OutboxEmail,
    QuizVersion,
    RegradeBatch,
    User,
)
from webapp.services import demo, peer_validation

PAGES = [
    "/certs",
    "/certs/notifications",
    "/certs/programs/",
    "/certs/programs/safety-fundamentals",
    "/certs/programs/confined-space-entry",
    "/certs/my",
    "/certs/portfolio/",
    "/certs/reviews/",
    "/certs/admin/",
    "/certs/admin/certificates/",
    "/certs/admin/outbox/",
    "/certs/admin/quizzes/",
    "/certs/admin/programs/",
    "/certs/admin/reports/expiring",
]
RESTRICTED = ("/certs/admin/", "/certs/reviews/")
EMAILS = [u[0] for users in demo.DEMO_USERS.values() for u in users]


@pytest.fixture
def demo_data(app):
    report = demo.seed()
    db.session.flush()
    return report


def log_in(client, email: str) -> User:
    response = client.post("/auth/login", data={"email": email, "password": demo.DEMO_PASSWORD})
    assert response.status_code == 303, email
    return db.session.scalar(sa.select(User).where(User.email == email))


def own_pages(user: User) -> list[str]:
    """The pages of the user's own data, which must all answer 200."""
    pages = []
    for enrolment in db.session.scalars(sa.select(Enrolment).where(Enrolment.user_id == user.id)):
        for requirement in enrolment.program_snapshot["requirements"]:
            pages.append(
                f"/certs/programs/{enrolment.programme.slug}/requirements/"
                f"{requirement['requirement_id']}"
            )
    for attempt in db.session.scalars(
        sa.select(Evaluation).where(
            Evaluation.user_id == user.id, Evaluation.submitted_at.is_not(None)
        )
    ):
        pages.append(f"/certs/quiz/attempts/{attempt.id}/result")
    if user.is_mentor:
        for item in peer_validation.review_queue(user).items:
            pages.append(f"/certs/reviews/submissions/{item.id}")
    if user.is_admin:
        tenant = user.tenant_id
        for model, url in (
            (Certificate, "/certs/admin/certificates/{}"),
            (OutboxEmail, "/certs/admin/outbox/{}"),
            (RegradeBatch, "/certs/admin/regrades/{}"),
        ):
            ids = db.session.scalars(sa.select(model.id).where(model.tenant_id == tenant))
            pages.extend(url.format(i) for i in ids)
        for version in db.session.scalars(
            sa.select(QuizVersion).where(QuizVersion.tenant_id == tenant)
        ):
            pages.append(f"/certs/admin/quizzes/{version.quiz_id}/versions/{version.id}")
    return pages


@pytest.mark.parametrize("email", EMAILS)
def test_no_page_fails_for_any_demo_user(client, demo_data, email):
    user = log_in(client, email)
    for url in PAGES:
        response = client.get(url)
        assert response.status_code in (200, 403, 404), (url, response.status_code)
        if "acme" in email and not url.startswith(RESTRICTED):
            assert response.status_code == 200, url
        if user.is_admin and url.startswith("/certs/admin/"):
            assert response.status_code == 200, url
    for url in own_pages(user):
        assert client.get(url).status_code == 200, url


def test_every_certificate_verifies_publicly(client, demo_data):
    labels = {"active": "valid", "expiring": "valid", "expired": "expired", "revoked": "revoked"}
    for certificate in db.session.scalars(sa.select(Certificate)):
        page = client.get(f"/certs/verify/{certificate.public_token}")
        assert page.status_code == 200
        record = client.get(f"/certs/verify/{certificate.public_token}.json").get_json()
        assert record["number"] == certificate.number
        assert record["status"] in labels.values()
    renewed = db.session.scalar(
        sa.select(Certificate).where(Certificate.renews_certificate_id.is_not(None))
    )
    new_page = client.get(f"/certs/verify/{renewed.public_token}").get_data(as_text=True)
    old_page = client.get(f"/certs/verify/{renewed.renews.public_token}").get_data(as_text=True)
    assert "Renews" in new_page and renewed.renews.number in new_page
    assert "Renewed by" in old_page and renewed.number in old_page


def test_the_states_show_on_the_learners_pages(client, demo_data):
    log_in(client, "learner2@acme.test")
    assert "Expiring soon" in client.get("/certs/my").get_data(as_text=True)
    client.post("/auth/logout")
    log_in(client, "learner4@acme.test")
    assert "Revoked" in client.get("/certs/my").get_data(as_text=True)
    kim = db.session.scalar(sa.select(User).where(User.email == "learner4@acme.test"))
    quiz_pages = [url for url in own_pages(kim) if "/requirements/" in url]
    shown = "".join(client.get(url).get_data(as_text=True) for url in quiz_pages)
    assert "You can start your next attempt at" in shown


def test_the_mentor_sees_the_waiting_evidence(client, demo_data):
    log_in(client, "mentor@acme.test")
    html = client.get("/certs/reviews/").get_data(as_text=True)
    assert "Lee Learner" in html and "Drew Learner" in html


def test_globex_admin_gets_404_for_every_acme_programme(client, demo_data):
    log_in(client, "admin@globex.test")
    for slug in ("safety-fundamentals", "confined-space-entry"):
        assert client.get(f"/certs/programs/{slug}").status_code == 404
    assert client.get("/certs/programs/globex-onboarding").status_code == 200
    acme_certificate = db.session.scalar(
        sa.select(Certificate.id)
        .join(User, User.id == Certificate.user_id)
        .where(User.email == "learner@acme.test")
    )
    assert client.get(f"/certs/admin/certificates/{acme_certificate}").status_code == 404


def test_catalogue_lists_the_seeded_programmes(client, demo_data):
    log_in(client, "learner@acme.test")
    html = client.get("/certs/programs/").get_data(as_text=True)
    assert "Safety Fundamentals" in html and "Confined Space Entry" in html
    assert "Globex Onboarding" not in html


def test_seeding_again_leaves_one_copy_of_the_demo(app, demo_data):
    before = db.session.scalar(sa.select(sa.func.count(User.id)))
    again = demo.seed()
    assert again.tenants_replaced == 2 and again.users == demo_data.users == len(EMAILS)
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == before


def test_fragment_requests_vary_on_htmx_headers(client, demo_data):
    log_in(client, "learner@acme.test")
    response = client.get("/certs")
    assert "HX-Request" in response.headers["Vary"] and "HX-Target" in response.headers["Vary"]
