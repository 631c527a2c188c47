"""Tenant isolation: rows of another tenant answer 404 exactly like missing rows."""

import re

import pytest

from tests.factories import QuizFactory, TenantFactory, UserFactory, published_path
from webapp.models import Role

# Every URL rule with a parameter must be listed here with a way to build a URL that points
# at another tenant's row (or at a public object); a new route fails
# test_every_parameterised_route_is_covered until it is added.
PUBLIC_PARAMETERISED = {"certificates.verify", "static"}


def foreign_urls(other_tenant):
    """endpoint -> URL (GET) or (method, URL) pointing at `other_tenant`'s rows."""
    path = published_path(other_tenant, slug="acme-secret")
    requirement = path.requirements[0]
    req = f"/certs/admin/programs/{path.id}/requirements/{requirement.id}"
    quiz = f"/certs/admin/quizzes/{QuizFactory(tenant=other_tenant).id}"
    return {
        "programs.detail": f"/certs/programs/{path.slug}",
        "programs.enrol": ("POST", f"/certs/programs/{path.slug}/enrol"),
        "programs.requirement": f"/certs/programs/{path.slug}/requirements/{requirement.id}",
        "programs.complete_content": (
            "POST",
            f"/certs/programs/{path.slug}/requirements/{requirement.id}/complete",
        ),
        "programs.badge": f"/certs/programs/{path.slug}/badge",
        "admin.programme": f"/certs/admin/programs/{path.id}",
        "admin.programme_edit": f"/certs/admin/programs/{path.id}/edit",
        "admin.programme_publish": ("POST", f"/certs/admin/programs/{path.id}/publish"),
        "admin.programme_archive": ("POST", f"/certs/admin/programs/{path.id}/archive"),
        "admin.programme_delete": ("POST", f"/certs/admin/programs/{path.id}/delete"),
        "admin.programme_enrol": ("POST", f"/certs/admin/programs/{path.id}/enrol"),
        "admin.programme_export": f"/certs/admin/programs/{path.id}/export",
        "admin.requirement_add": ("POST", f"/certs/admin/programs/{path.id}/requirements"),
        "admin.requirement_order": ("POST", f"/certs/admin/programs/{path.id}/requirements/order"),
        "admin.requirement_edit": f"{req}/edit",
        "admin.requirement_remove": ("POST", f"{req}/remove"),
        "admin.requirement_move": ("POST", f"{req}/move"),
        "admin.quiz_editor": quiz,
        "admin.quiz_details": ("POST", f"{quiz}/details"),
        "admin.quiz_settings": ("POST", f"{quiz}/settings"),
        "admin.quiz_preview": f"{quiz}/preview",
        "admin.quiz_publish": ("POST", f"{quiz}/publish"),
        "admin.quiz_question_new": ("POST", f"{quiz}/questions/new"),
        "admin.quiz_question": f"{quiz}/questions/q1",
        "admin.quiz_question_edit": ("POST", f"{quiz}/questions/q1/edit"),
        "admin.quiz_question_remove": ("POST", f"{quiz}/questions/q1/remove"),
        "admin.quiz_question_move": ("POST", f"{quiz}/questions/q1/move"),
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
    for endpoint, target in urls.items():
        method, url = target if isinstance(target, tuple) else ("GET", target)
        foreign = client.open(url, method=method, data={"direction": "up"})
        missing = client.open(missing_url(url), method=method, data={"direction": "up"})
        expected = 403 if endpoint.startswith("admin.") and role is not Role.ADMIN else 404
        assert foreign.status_code == expected, endpoint
        assert missing.status_code == expected, endpoint
        assert without_tokens(foreign) == without_tokens(missing), endpoint


def without_tokens(response) -> str:
    """The body without CSRF tokens (signed with a timestamp, so they differ by the second)."""
    body = re.sub(r'"X-CSRFToken": "[^"]+"', "", response.get_data(as_text=True))
    return re.sub(r'name="csrf_token" value="[^"]+"', "", body)


def missing_url(url: str) -> str:
    """The same URL pointing at rows that do not exist at all."""
    parts = url.split("/")
    replaced = ["999999" if p.isdigit() else p for p in parts]
    replaced = [p + "-does-not-exist" if p == "acme-secret" else p for p in replaced]
    return "/".join(replaced)


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
