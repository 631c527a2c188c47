"""Admin people pages: the list, a person's page, adding, editing, invitations, deactivation
and deletion."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.factories import (
    TenantFactory,
    UserFactory,
    evidence_path,
    invited_person,
    issued_certificate,
    published_path,
    unit_at,
)
from tests.htmx import htmx
from webapp.extensions import db
from webapp.models import AuditEvent, OutboxEmail, Role, User
from webapp.services import certification_path_management as paths
from webapp.services import peer_validation


@pytest.fixture
def tenant(app):
    return TenantFactory(name="Acme")


@pytest.fixture
def admin(tenant):
    return UserFactory(tenant=tenant, role=Role.ADMIN, full_name="Ada Admin")


@pytest.fixture
def as_admin(client, login, admin):
    return login(admin)


def main(response) -> str:
    """The page's main content (the header names the logged-in admin and has a form)."""
    html = response.get_data(as_text=True)
    return html[html.index('<main id="main"') : html.index("</main>")]


def person_form(**values) -> dict:
    return {
        "full_name": "Dana Example",
        "email": "dana@example.test",
        "role": "learner",
        "org_unit_id": "",
        "mentor_unit_id": "",
        "external_id": "",
        **values,
    }


# --- The list ------------------------------------------------------------------------------


def test_the_admin_home_links_to_people(as_admin):
    html = as_admin.get("/certs/admin/").get_data(as_text=True)
    assert 'href="/certs/admin/people/"' in html and 'href="/certs/admin/people/import"' in html


def test_the_list_shows_the_tenants_people_with_their_unit_and_state(as_admin, tenant):
    north = unit_at(tenant, "Operations/North")
    UserFactory(tenant=tenant, full_name="Bea Mentor", role=Role.MENTOR, org_unit_id=north.id)
    UserFactory(tenant=tenant, full_name="Cid Gone", active=False)
    invited_person(tenant, full_name="Dee New")
    UserFactory(full_name="Zed Elsewhere")
    page = as_admin.get("/certs/admin/people/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<caption>4 people</caption>" in html
    for text in ("Bea Mentor", "Operations/North", "Deactivated", "Not invited yet", "Mentor"):
        assert text in html
    assert "Zed Elsewhere" not in html
    assert 'aria-sort="ascending"' in html and "<html" in html


def test_the_filters_narrow_the_list_and_keep_their_values(as_admin, tenant):
    north = unit_at(tenant, "Operations/North")
    ops = unit_at(tenant, "Operations")
    UserFactory(tenant=tenant, full_name="Bea Mentor", role=Role.MENTOR, org_unit_id=north.id)
    UserFactory(tenant=tenant, full_name="Cid Learner", org_unit_id=ops.id, active=False)
    html = main(as_admin.get(f"/certs/admin/people/?org_unit_id={ops.id}&status=active"))
    assert "Bea Mentor" in html and "Cid Learner" not in html and "Ada Admin" not in html
    assert f'<option selected value="{ops.id}">' in html
    html = main(as_admin.get("/certs/admin/people/?q=cid&role=learner"))
    assert "Cid Learner" in html and "Bea Mentor" not in html and 'value="cid"' in html
    html = as_admin.get("/certs/admin/people/?role=nonsense&org_unit_id=abc").get_data(as_text=True)
    assert "Bea Mentor" in html and "Cid Learner" in html  # invalid filters are ignored


def test_sorting_by_a_column_and_back(as_admin, tenant):
    UserFactory(tenant=tenant, full_name="Bea Mentor")
    html = main(as_admin.get("/certs/admin/people/?sort=-name"))
    assert html.index("Bea Mentor") < html.index("Ada Admin")
    assert 'aria-sort="descending"' in html
    assert "sort=name" in html  # the name header sorts ascending again


def test_the_list_answers_its_live_filter_with_the_table_only(as_admin, tenant):
    fragment = as_admin.get("/certs/admin/people/?q=ada", headers=htmx("people-results"))
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200
    assert html.lstrip().startswith("{#") is False and 'id="people-results"' in html
    assert "<html" not in html and "Ada Admin" in html
    boosted = as_admin.get(
        "/certs/admin/people/", headers=htmx("people-results", HX_Boosted="true")
    )
    assert "<html" in boosted.get_data(as_text=True)


def test_the_list_is_paginated_with_a_constant_number_of_queries(
    app, as_admin, tenant, count_queries
):
    app.config["PAGE_SIZE"] = 50
    north = unit_at(tenant, "Operations/North")

    def queries_for(n: int) -> int:
        for i in range(n):
            UserFactory(tenant=tenant, org_unit_id=north.id if i % 2 else None)
        with count_queries() as counter:
            assert as_admin.get("/certs/admin/people/?sort=unit").status_code == 200
        return counter.count

    assert queries_for(3) == queries_for(30)
    app.config["PAGE_SIZE"] = 10
    html = as_admin.get("/certs/admin/people/?page=2&sort=-name").get_data(as_text=True)
    assert "Page 2 of 4" in html and "sort=-name" in html


# --- A person's page -----------------------------------------------------------------------


def history(tenant, person, mentor, n: int) -> None:
    """`n` enrolments of `person`, each with a certificate and a decided evidence submission."""
    for _ in range(n):
        issued_certificate(tenant, person)
        enrolment, _ = paths.enrol(person, evidence_path(tenant))
        rid = enrolment.program_snapshot["requirements"][0]["requirement_id"]
        submission = peer_validation.submit_evidence(enrolment, rid, person, "Done.", None, [])
        peer_validation.decide(submission, mentor, "rejected", "Sign it.")


def test_a_persons_page_shows_their_history(as_admin, tenant):
    person = UserFactory(tenant=tenant, full_name="Lou Learner")
    mentor = UserFactory(tenant=tenant, role=Role.MENTOR, full_name="Meg Mentor")
    history(tenant, person, mentor, 1)
    html = as_admin.get(f"/certs/admin/people/{person.id}").get_data(as_text=True)
    for text in (
        "Lou Learner",
        "Enrolments",
        "1 of 1 requirements met",
        "0 of 2 requirements met",
        "CERT-",
        "Meg Mentor",
        "Sign it.",
        "Audit events about Lou Learner",
    ):
        assert text in html, text
    mentor_page = as_admin.get(f"/certs/admin/people/{mentor.id}").get_data(as_text=True)
    assert "Decisions they made as a mentor" in mentor_page and "Lou Learner" in mentor_page


def test_a_persons_page_runs_a_constant_number_of_queries(as_admin, tenant, count_queries):
    mentor = UserFactory(tenant=tenant, role=Role.MENTOR)

    def queries_for(n: int) -> int:
        person = UserFactory(tenant=tenant)
        history(tenant, person, mentor, n)
        with count_queries() as counter:
            assert as_admin.get(f"/certs/admin/people/{person.id}").status_code == 200
        return counter.count

    assert queries_for(1) == queries_for(4)


# --- Adding and editing --------------------------------------------------------------------


def test_adding_a_person_invites_them(as_admin, tenant):
    north = unit_at(tenant, "Operations/North")
    response = as_admin.post(
        "/certs/admin/people/new",
        data=person_form(org_unit_id=north.id, role="mentor", send_invitation="y"),
    )
    person = db.session.scalar(sa.select(User).where(User.email == "dana@example.test"))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/certs/admin/people/{person.id}")
    assert (person.tenant_id, person.role, person.org_unit_id) == (tenant.id, Role.MENTOR, north.id)
    email = db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.user_id == person.id))
    assert "/auth/invitation/" in email.body
    page = as_admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "added and invited" in page and "Invited" in page


def test_the_new_person_form_invites_by_default(as_admin):
    html = as_admin.get("/certs/admin/people/new").get_data(as_text=True)
    checkbox = re.search(r'<input[^>]*id="send_invitation"[^>]*>', html).group(0)
    assert "checked" in checkbox


def test_adding_without_an_invitation_and_sending_it_later(as_admin, tenant):
    as_admin.post("/certs/admin/people/new", data=person_form())
    person = db.session.scalar(sa.select(User).where(User.email == "dana@example.test"))
    assert db.session.scalar(sa.select(sa.func.count(OutboxEmail.id))) == 0
    page = as_admin.get(f"/certs/admin/people/{person.id}").get_data(as_text=True)
    assert "Send an invitation" in page
    response = as_admin.post(f"/certs/admin/people/{person.id}/invite")
    assert response.status_code == 303
    assert db.session.scalar(sa.select(sa.func.count(OutboxEmail.id))) == 1
    assert "Send the invitation again" in as_admin.get(f"/certs/admin/people/{person.id}").get_data(
        as_text=True
    )


def test_an_invitation_to_someone_with_a_password_is_refused(as_admin, tenant):
    person = UserFactory(tenant=tenant)
    response = as_admin.post(f"/certs/admin/people/{person.id}/invite", follow_redirects=True)
    assert "already set a password" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(OutboxEmail.id))) == 0


def test_an_invalid_person_is_shown_again_with_errors_and_input(as_admin, tenant):
    UserFactory(email="taken@example.test")
    response = as_admin.post(
        "/certs/admin/people/new",
        data=person_form(email="taken@example.test", full_name="Keep This Name"),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Another account already uses this e-mail address." in html
    assert 'value="Keep This Name"' in html and 'value="taken@example.test"' in html
    foreign = unit_at(TenantFactory(), "Secret")
    refused = as_admin.post("/certs/admin/people/new", data=person_form(org_unit_id=foreign.id))
    assert refused.status_code == 422
    assert db.session.scalar(sa.select(User).where(User.email == "dana@example.test")) is None


def test_adding_by_htmx_answers_204_with_the_new_page(as_admin):
    response = as_admin.post("/certs/admin/people/new", data=person_form(), headers=htmx("main"))
    assert response.status_code == 204 and "/certs/admin/people/" in response.headers["HX-Location"]


def test_editing_a_person(as_admin, tenant):
    person = UserFactory(tenant=tenant, full_name="Dana Example", email="dana@example.test")
    form = as_admin.get(f"/certs/admin/people/{person.id}/edit").get_data(as_text=True)
    assert 'value="Dana Example"' in form and 'value="dana@example.test"' in form
    response = as_admin.post(
        f"/certs/admin/people/{person.id}/edit",
        data=person_form(full_name="Dana Renamed", role="mentor", external_id="E7"),
    )
    assert response.status_code == 303
    assert (person.full_name, person.role, person.external_id) == (
        "Dana Renamed",
        Role.MENTOR,
        "E7",
    )
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.subject_user_id == person.id)
    ).all()
    assert actions == ["user.role_changed"]  # one event for the whole edit


def test_an_admin_cannot_remove_their_own_admin_role(as_admin, admin, tenant):
    UserFactory(tenant=tenant, role=Role.ADMIN)
    response = as_admin.post(
        f"/certs/admin/people/{admin.id}/edit",
        data=person_form(full_name=admin.full_name, email=admin.email, role="learner"),
    )
    assert response.status_code == 422
    assert "You cannot remove your own admin role" in response.get_data(as_text=True)
    assert admin.role is Role.ADMIN


def test_the_last_admin_keeps_the_role(as_admin, tenant):
    other_admin = UserFactory(tenant=tenant, role=Role.ADMIN, full_name="Oda Other")
    response = as_admin.post(
        f"/certs/admin/people/{other_admin.id}/edit",
        data=person_form(full_name="Oda Other", email=other_admin.email, role="mentor"),
    )
    assert response.status_code == 303  # the acting admin remains
    assert other_admin.role is Role.MENTOR


# --- Deactivation and deletion -------------------------------------------------------------


def test_deactivation_asks_first_then_ends_the_persons_sessions(as_admin, app, tenant):
    person = UserFactory(tenant=tenant, full_name="Lou Learner")
    their_browser = app.test_client()
    their_browser.post(
        "/auth/login", data={"email": person.email, "password": "correct horse battery staple"}
    )
    assert their_browser.get("/certs").status_code == 200
    page = as_admin.get(f"/certs/admin/people/{person.id}/deactivate").get_data(as_text=True)
    assert "will be logged out at once" in page and 'method="post"' in page
    response = as_admin.post(f"/certs/admin/people/{person.id}/deactivate")
    assert response.status_code == 303 and not person.active
    assert their_browser.get("/certs").status_code == 302
    page = as_admin.get(f"/certs/admin/people/{person.id}").get_data(as_text=True)
    assert "Deactivated" in page and "Reactivate" in page
    assert as_admin.post(f"/certs/admin/people/{person.id}/reactivate").status_code == 303
    assert person.active


def test_an_admin_cannot_deactivate_themselves(as_admin, admin):
    response = as_admin.post(f"/certs/admin/people/{admin.id}/deactivate")
    assert response.status_code == 409
    assert "cannot deactivate your own account" in response.get_data(as_text=True)
    assert admin.active and as_admin.get("/certs/admin/").status_code == 200


def test_people_with_history_are_not_deleted(as_admin, tenant):
    person = UserFactory(tenant=tenant)
    paths.enrol(person, published_path(tenant))
    page = as_admin.get(f"/certs/admin/people/{person.id}/delete")
    html = main(page)
    assert page.status_code == 200
    assert "1 enrolment" in html and "Deactivate instead" in html and 'method="post"' not in html
    refused = as_admin.post(f"/certs/admin/people/{person.id}/delete")
    assert refused.status_code == 409
    assert db.session.get(User, person.id) is not None


def test_a_record_nobody_used_is_deleted_after_confirmation(as_admin, tenant):
    person = invited_person(tenant, full_name="Typo Person")
    person_id = person.id
    page = as_admin.get(f"/certs/admin/people/{person_id}/delete").get_data(as_text=True)
    assert "has no history" in page and "data-confirm" in page
    response = as_admin.post(f"/certs/admin/people/{person_id}/delete")
    assert response.status_code == 303 and response.headers["Location"].endswith("/people/")
    db.session.expunge(person)
    assert db.session.get(User, person_id) is None
    assert "Typo Person was deleted" in as_admin.get("/certs/admin/people/").get_data(as_text=True)


def test_people_pages_are_for_admins_only(client, login, tenant):
    person = UserFactory(tenant=tenant)
    login(UserFactory(tenant=tenant, role=Role.MENTOR))
    for url in ("/certs/admin/people/", f"/certs/admin/people/{person.id}"):
        assert client.get(url).status_code == 403
    assert client.post(f"/certs/admin/people/{person.id}/deactivate").status_code == 403
    assert person.active
