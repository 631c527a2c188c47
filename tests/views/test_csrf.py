import re

from tests.factories import UserFactory
from tests.htmx import htmx


def _token_any(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    return match.group(1)


def test_login_without_csrf_token_is_refused(client, csrf_on):
    user = UserFactory()
    response = client.post(
        "/auth/login", data={"email": user.email, "password": "correct horse battery staple"}
    )
    assert response.status_code == 400
    assert client.get("/certs").status_code == 302


def test_login_with_csrf_token_works(client, csrf_on):
    user = UserFactory()
    token = _token_any(client.get("/auth/login").get_data(as_text=True))
    response = client.post(
        "/auth/login",
        data={"email": user.email, "password": "correct horse battery staple", "csrf_token": token},
    )
    assert response.status_code == 303


def test_logout_without_token_is_refused_and_changes_nothing(client, csrf_on):
    user = UserFactory()
    token = _token_any(client.get("/auth/login").get_data(as_text=True))
    client.post(
        "/auth/login",
        data={"email": user.email, "password": "correct horse battery staple", "csrf_token": token},
    )
    assert client.post("/auth/logout").status_code == 400
    assert client.get("/certs").status_code == 200


def test_htmx_requests_send_the_token_in_a_header(client, csrf_on):
    user = UserFactory()
    token = _token_any(client.get("/auth/login").get_data(as_text=True))
    client.post(
        "/auth/login",
        data={"email": user.email, "password": "correct horse battery staple", "csrf_token": token},
    )
    page = client.get("/certs").get_data(as_text=True)
    header_token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    response = client.post("/auth/logout", headers=htmx(X_CSRFToken=header_token))
    assert response.status_code == 303
    assert client.get("/certs").status_code == 302
