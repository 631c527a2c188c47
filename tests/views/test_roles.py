import pytest

from tests.factories import UserFactory
from webapp.models import Role


@pytest.mark.parametrize(
    ("role", "reviews", "admin"),
    [(Role.LEARNER, 403, 403), (Role.MENTOR, 200, 403), (Role.ADMIN, 200, 200)],
)
def test_role_gating(client, login, role, reviews, admin):
    login(UserFactory(role=role))
    assert client.get("/certs/reviews/").status_code == reviews
    assert client.get("/certs/admin/").status_code == admin
    assert client.get("/certs").status_code == 200


def test_navigation_shows_extra_links_by_role(client, login):
    login(UserFactory(role=Role.LEARNER))
    html = client.get("/certs").get_data(as_text=True)
    assert ">Reviews" not in html and ">Admin<" not in html
    client.post("/auth/logout")
    login(UserFactory(role=Role.ADMIN))
    html = client.get("/certs").get_data(as_text=True)
    assert ">Reviews" in html and ">Admin<" in html
