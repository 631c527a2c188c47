from tests.factories import UserFactory
from webapp.models import Role


def test_navigation_shows_extra_links_by_role(client, login):
    login(UserFactory(role=Role.LEARNER))
    html = client.get("/certs").get_data(as_text=True)
    assert ">Reviews" not in html and ">Admin<" not in html
    client.post("/auth/logout")
    login(UserFactory(role=Role.ADMIN))
    html = client.get("/certs").get_data(as_text=True)
    assert ">Reviews" in html and ">Admin<" in html
