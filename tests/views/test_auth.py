import pytest

from tests.factories import UserFactory
from tests.htmx import htmx
from webapp.models import Role


def test_login_with_valid_credentials_opens_the_center(client, app):
    user = UserFactory(full_name="Dana Example")
    response = client.post(
        "/auth/login", data={"email": user.email, "password": "correct horse battery staple"}
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/certs")
    page = client.get("/certs")
    assert page.status_code == 200
    assert "Dana Example" in page.get_data(as_text=True)


def test_wrong_password_is_refused_with_a_message_and_keeps_the_email(client, app):
    user = UserFactory()
    response = client.post("/auth/login", data={"email": user.email, "password": "nope"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "do not match an active account" in body
    assert f'value="{user.email}"' in body
    assert client.get("/certs").status_code == 302


def test_unknown_email_gets_the_same_message(client, app):
    response = client.post("/auth/login", data={"email": "ghost@example.test", "password": "x"})
    assert response.status_code == 422
    assert "do not match an active account" in response.get_data(as_text=True)


def test_inactive_user_cannot_log_in(client, app):
    user = UserFactory(active=False)
    response = client.post(
        "/auth/login", data={"email": user.email, "password": "correct horse battery staple"}
    )
    assert response.status_code == 422
    assert client.get("/certs").status_code == 302


def test_deactivating_a_user_ends_their_session(client, login, app):
    from webapp.extensions import db

    user = UserFactory()
    login(user)
    user.active = False
    db.session.flush()
    assert client.get("/certs").status_code == 302


def test_anonymous_pages_redirect_to_login_with_next(client, app):
    for url in ("/certs", "/certs/programs/", "/certs/my", "/certs/reviews/", "/certs/admin/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/auth/login?next=" in response.headers["Location"]


def test_login_page_and_health_are_public(client, app):
    assert client.get("/auth/login").status_code == 200
    assert client.get("/api/health").get_json() == {"status": "ok"}


def test_unauthenticated_htmx_request_gets_hx_redirect(client, app):
    response = client.get("/certs/programs/", headers=htmx("x"))
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/auth/login")


def test_logout_is_post_only(client, login, app):
    login(UserFactory())
    assert client.get("/auth/logout").status_code == 405
    assert client.get("/certs").status_code == 200


def test_logout_invalidates_the_session_server_side(client, login, app):
    user = UserFactory()
    login(user)
    stolen = client.get_cookie("session").value
    response = client.post("/auth/logout")
    assert response.status_code == 303
    assert client.get("/certs").status_code == 302
    # Replaying the cookie captured before logout no longer works.
    client.set_cookie("session", stolen)
    assert client.get("/certs").status_code == 302


def test_next_parameter_only_allows_local_paths(client, app):
    user = UserFactory()
    response = client.post(
        "/auth/login?next=https://evil.example/",
        data={"email": user.email, "password": "correct horse battery staple"},
    )
    assert response.headers["Location"].endswith("/certs")
    client.post("/auth/logout")
    response = client.post(
        "/auth/login?next=/certs/my",
        data={"email": user.email, "password": "correct horse battery staple"},
    )
    assert response.headers["Location"].endswith("/certs/my")


@pytest.mark.parametrize("target", ["/\\evil.example/", "//evil.example/"])
def test_next_that_a_browser_reads_as_another_site_is_refused(client, app, target):
    """ "/\\host" is "//host" to a browser: an open redirect before this check."""
    user = UserFactory()
    response = client.post(
        "/auth/login",
        query_string={"next": target},
        data={"email": user.email, "password": "correct horse battery staple"},
    )
    assert response.headers["Location"].endswith("/certs")


def test_passwords_are_hashed(app):
    user = UserFactory(role=Role.LEARNER)
    user.set_password("s3cret-pass")
    assert "s3cret-pass" not in user.password_hash
    assert user.check_password("s3cret-pass")
    assert not user.check_password("other")
