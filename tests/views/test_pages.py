"""Every page renders for every demo user (no 500), and shows real data."""

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import User
from webapp.services import demo

PAGES = [
    "/certs",
    "/certs/programs/",
    "/certs/programs/safety-fundamentals",
    "/certs/my",
    "/certs/portfolio/",
    "/certs/reviews/",
    "/certs/admin/",
]


@pytest.fixture
def demo_data(app):
    demo.seed()
    db.session.flush()


@pytest.mark.parametrize("email", [u[0] for users in demo.DEMO_USERS.values() for u in users])
def test_no_page_fails_for_any_demo_user(client, demo_data, email):
    client.post("/auth/login", data={"email": email, "password": demo.DEMO_PASSWORD})
    for url in PAGES:
        response = client.get(url)
        assert response.status_code in (200, 403, 404), (url, response.status_code)
        if "acme" in email and url != "/certs/admin/" and url != "/certs/reviews/":
            assert response.status_code == 200, url


def test_globex_admin_gets_404_for_every_acme_programme(client, demo_data):
    client.post("/auth/login", data={"email": "admin@globex.test", "password": demo.DEMO_PASSWORD})
    for slug in ("safety-fundamentals", "confined-space-entry"):
        assert client.get(f"/certs/programs/{slug}").status_code == 404
    assert client.get("/certs/programs/globex-onboarding").status_code == 200


def test_catalogue_lists_the_seeded_programmes(client, demo_data):
    client.post("/auth/login", data={"email": "learner@acme.test", "password": demo.DEMO_PASSWORD})
    html = client.get("/certs/programs/").get_data(as_text=True)
    assert "Safety Fundamentals" in html and "Confined Space Entry" in html
    assert "Globex Onboarding" not in html


def test_seed_demo_is_idempotent(app, demo_data):
    before = db.session.scalar(sa.select(sa.func.count(User.id)))
    again = demo.seed()
    assert again == {"tenants": 0, "users": 0, "programmes": 0}
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == before


def test_fragment_requests_vary_on_htmx_headers(client, demo_data):
    client.post("/auth/login", data={"email": "learner@acme.test", "password": demo.DEMO_PASSWORD})
    response = client.get("/certs")
    assert "HX-Request" in response.headers["Vary"] and "HX-Target" in response.headers["Vary"]
