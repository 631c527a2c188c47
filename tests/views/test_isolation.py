"""Tenant isolation: rows of another tenant answer 404 exactly like missing rows."""

import pytest

from tests.factories import TenantFactory, UserFactory, published_path
from webapp.models import Role

# Every URL rule with a parameter must be listed here with a way to build a URL that points
# at another tenant's row (or at a public object); a new route fails
# test_every_parameterised_route_is_covered until it is added.
PUBLIC_PARAMETERISED = {"certificates.verify", "static"}


def foreign_urls(other_tenant):
    path = published_path(other_tenant, slug="acme-secret")
    return {
        "programs.detail": f"/certs/programs/{path.slug}",
    }


def test_every_parameterised_route_is_covered(app):
    other = TenantFactory()
    covered = set(foreign_urls(other)) | PUBLIC_PARAMETERISED
    parameterised = {rule.endpoint for rule in app.url_map.iter_rules() if rule.arguments}
    assert parameterised - covered == set()


@pytest.mark.parametrize("role", [Role.LEARNER, Role.MENTOR, Role.ADMIN])
def test_foreign_rows_answer_404_like_missing_ones(client, login, role):
    acme = TenantFactory(name="Acme")
    globex = TenantFactory(name="Globex")
    urls = foreign_urls(acme)
    login(UserFactory(tenant=globex, role=role))
    for endpoint, url in urls.items():
        foreign = client.get(url)
        missing = client.get(url.rstrip("/") + "-does-not-exist")
        assert foreign.status_code == 404, endpoint
        assert missing.status_code == 404, endpoint
        assert foreign.get_data() == missing.get_data(), endpoint


def test_own_tenant_programme_is_visible(client, login):
    tenant = TenantFactory()
    path = published_path(tenant)
    login(UserFactory(tenant=tenant))
    assert client.get(f"/certs/programs/{path.slug}").status_code == 200


def test_catalogue_lists_only_own_tenant_published_programmes(client, login):
    mine, theirs = TenantFactory(), TenantFactory()
    published_path(mine, name="Forklift Basics")
    published_path(theirs, name="Secret Globex Programme")
    login(UserFactory(tenant=mine))
    html = client.get("/certs/programs/").get_data(as_text=True)
    assert "Forklift Basics" in html
    assert "Secret Globex Programme" not in html
