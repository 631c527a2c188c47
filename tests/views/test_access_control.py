"""Role gating, generated from the URL map so that a new route is covered without being
listed: every admin route answers 403 to learners and mentors, and every admin page (GET)
answers the tenant's admins 2xx or 3xx; the mentor's review area answers learners 403 (the
queue) or 404 (a review: a learner holds none) and works for mentors and admins. Each route
is asked for with the tenant's own rows (test_isolation asks with foreign ones)."""

from __future__ import annotations

import pytest

from tests.factories import PlatformOperatorFactory, TenantFactory, UserFactory
from tests.views.test_isolation import foreign_urls
from webapp.models import Role

ADMIN_PREFIX = "/certs/admin"
PLATFORM_PREFIX = "/platform"
MENTOR_PREFIX = "/certs/reviews"
# What a working review route answers a mentor or admin asking with an empty form: the page,
# the redirect after a write, or the form refused (422).
WORKS = {200, 303, 422}


def routes(app, prefix: str, own_urls: dict, only: str | None = None) -> list[tuple[str, str, str]]:
    """(endpoint, method, URL) for every method (or only the method `only`) of every rule
    under `prefix`; a parameterised rule gets its URL from `own_urls` (test_isolation's table,
    built for the own tenant)."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(prefix):
            continue
        url = own_urls[rule.endpoint] if rule.arguments else rule.rule
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if only in (None, method):
                found.append((rule.endpoint, method, url))
    assert found, prefix
    return found


def answers(
    client, app, prefix: str, own_urls: dict, only: str | None = None
) -> dict[tuple[str, str], int]:
    """(endpoint, method) -> status of an empty request to every route under `prefix`."""
    statuses = {}
    for endpoint, method, url in routes(app, prefix, own_urls, only):
        with client.open(url, method=method) as response:  # closes a served file
            statuses[endpoint, method] = response.status_code
    return statuses


@pytest.fixture
def tenant(app):
    return TenantFactory()


@pytest.fixture
def own_urls(tenant):
    return foreign_urls(tenant)


@pytest.mark.parametrize("role", [Role.LEARNER, Role.MENTOR])
def test_every_admin_route_answers_403_to_non_admins(client, login, app, tenant, own_urls, role):
    login(UserFactory(tenant=tenant, role=role))
    statuses = answers(client, app, ADMIN_PREFIX, own_urls)
    assert {route: s for route, s in statuses.items() if s != 403} == {}


def test_admins_open_the_admin_home(client, login, tenant):
    login(UserFactory(tenant=tenant, role=Role.ADMIN))
    assert client.get("/certs/admin/").status_code == 200


def test_every_admin_page_works_for_the_tenants_admins(client, login, app, tenant, own_urls):
    """Only GETs: an empty POST may remove the row that a later route points at. Foreign ids
    answer admins 404 on every method: test_isolation."""
    login(UserFactory(tenant=tenant, role=Role.ADMIN))
    statuses = answers(client, app, ADMIN_PREFIX, own_urls, only="GET")
    assert {route: s for route, s in statuses.items() if not 200 <= s < 400} == {}


@pytest.mark.parametrize("role", [Role.LEARNER, Role.MENTOR, Role.ADMIN])
def test_every_review_route_is_for_mentors_and_admins(client, login, app, tenant, own_urls, role):
    login(UserFactory(tenant=tenant, role=role))
    statuses = answers(client, app, MENTOR_PREFIX, own_urls)
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}

    def expected(endpoint: str) -> set[int]:
        if role is not Role.LEARNER:
            return WORKS
        return {404} if rules[endpoint].arguments else {403}

    assert {(e, m): s for (e, m), s in statuses.items() if s not in expected(e)} == {}


@pytest.mark.parametrize("role", [Role.LEARNER, Role.MENTOR, Role.ADMIN])
def test_the_dashboard_is_for_every_role(client, login, role):
    login(UserFactory(role=role))
    assert client.get("/certs").status_code == 200


@pytest.mark.parametrize("role", [Role.LEARNER, Role.MENTOR, Role.ADMIN])
def test_every_platform_route_answers_403_to_tenant_users(client, login, app, own_urls, role):
    login(UserFactory(role=role))
    statuses = answers(client, app, PLATFORM_PREFIX, own_urls)
    assert {route: s for route, s in statuses.items() if s != 403} == {}


def test_every_platform_page_works_for_operators(client, login, app, own_urls):
    login(PlatformOperatorFactory())
    statuses = answers(client, app, PLATFORM_PREFIX, own_urls, only="GET")
    assert {route: s for route, s in statuses.items() if not 200 <= s < 400} == {}


def test_every_tenant_route_answers_403_to_operators(client, login, app, own_urls):
    """Operators never see a tenant's pages: every route that needs a login, but the platform
    console's, logging out and the site's root (a redirect to the console), answers 403 on
    every method (with a tenant's real ids)."""
    login(PlatformOperatorFactory())
    found = {}
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if rule.endpoint.startswith("platform.") or getattr(view, "_public", False):
            continue
        if rule.endpoint in ("auth.logout", "center.index", "static"):
            continue
        url = own_urls[rule.endpoint] if rule.arguments else rule.rule
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            with client.open(url, method=method) as response:
                found[rule.endpoint, method] = response.status_code
    assert any(endpoint.startswith("admin.") for endpoint, _ in found)
    assert {route: s for route, s in found.items() if s != 403} == {}
