"""The org unit pages: the tree, a new unit, a unit's page (rename, move, mentors in place
with htmx) and deleting an empty unit after a confirmation page."""

import re

import pytest
import sqlalchemy as sa

from tests.factories import OrgUnitFactory, PathFactory, TenantFactory, UserFactory, unit_at
from tests.htmx import htmx
from webapp.extensions import db
from webapp.models import AuditEvent, OrgUnit, Role

BASE = "/certs/admin/org-units"
MENTORS = htmx("unit-mentors")


@pytest.fixture
def admin(app):
    return UserFactory(role=Role.ADMIN, full_name="Ada Admin")


@pytest.fixture
def tenant(admin):
    return admin.tenant


@pytest.fixture
def admin_client(client, login, admin):
    login(admin)
    return client


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_tree_is_a_nested_list_with_counts(admin_client, tenant, count_queries):
    yard = unit_at(tenant, "Operations/North/Yard")
    UserFactory(tenant=tenant, org_unit_id=yard.id)
    PathFactory(tenant=tenant, org_unit_id=yard.id)
    unit_at(TenantFactory(), "Foreign Unit")
    page = text(admin_client.get(f"{BASE}/"))
    assert '<ul aria-label="Inside North">' in page
    assert f'href="{BASE}/{yard.id}">Yard</a>' in page
    assert "1 person, 1 programme" in page
    assert "Foreign Unit" not in page

    def queries(extra: int) -> int:
        for n in range(extra):
            unit_at(tenant, f"Sales/Team {n}")
        with count_queries() as counter:
            assert admin_client.get(f"{BASE}/").status_code == 200
        return counter.count

    assert queries(1) == queries(15)


def test_the_tree_says_when_there_is_none(admin_client):
    assert "No org units yet" in text(admin_client.get(f"{BASE}/"))


def test_create_inside_a_parent_then_refuse_a_siblings_name(admin_client, tenant):
    operations = unit_at(tenant, "Operations")
    form = text(admin_client.get(f"{BASE}/new?parent={operations.id}"))
    assert f'<option selected value="{operations.id}">Operations</option>' in form
    created = admin_client.post(f"{BASE}/new", data={"name": "North", "parent_id": operations.id})
    assert created.status_code == 303
    north = db.session.scalar(sa.select(OrgUnit).where(OrgUnit.name == "North"))
    assert created.headers["Location"].endswith(f"{BASE}/#unit-{north.id}")
    assert north.parent_id == operations.id
    again = admin_client.post(f"{BASE}/new", data={"name": "North", "parent_id": operations.id})
    assert again.status_code == 422
    assert "There is already a unit named “North” inside “Operations”." in text(again)
    assert 'value="North"' in text(again)  # the input is kept
    top = admin_client.post(f"{BASE}/new", data={"name": "Sales", "parent_id": ""}, headers=htmx())
    assert top.status_code == 204 and top.headers["HX-Location"].startswith(f"{BASE}/#unit-")


def test_a_foreign_parent_answers_404(admin_client):
    foreign = OrgUnitFactory()
    response = admin_client.post(f"{BASE}/new", data={"name": "X", "parent_id": foreign.id})
    assert response.status_code == 404
    assert db.session.scalar(sa.select(OrgUnit).where(OrgUnit.name == "X")) is None


def test_the_unit_page_has_its_path_children_and_forms(admin_client, tenant):
    yard = unit_at(tenant, "Operations/North/Yard")
    north = yard.parent
    page = text(admin_client.get(f"{BASE}/{north.id}"))
    assert f'<a href="{BASE}/{north.parent_id}">Operations</a>' in page
    assert '<span aria-current="page">North</span>' in page
    assert f'href="{BASE}/{yard.id}">Yard</a>' in page
    assert f'href="{BASE}/new?parent={north.id}"' in page
    assert 'id="name" maxlength="120" name="name" required type="text" value="North"' in page
    # Where North may move: not inside itself nor Yard; Operations is chosen now.
    move = page[page.index('id="move"') :]
    assert f'<option selected value="{north.parent_id}">Operations</option>' in move
    assert f'value="{north.id}"' not in move.split("</select>")[0]
    assert f'value="{yard.id}"' not in move.split("</select>")[0]


def test_rename_and_a_refused_rename_keeps_the_input(admin_client, tenant):
    north = unit_at(tenant, "Operations/North")
    unit_at(tenant, "Operations/South")
    refused = admin_client.post(f"{BASE}/{north.id}/rename", data={"name": "South"})
    assert refused.status_code == 422
    assert "There is already a unit named “South” inside “Operations”." in text(refused)
    assert 'value="South"' in text(refused)
    assert "<h1>North</h1>" in text(refused)
    renamed = admin_client.post(f"{BASE}/{north.id}/rename", data={"name": "North Yard"})
    assert renamed.status_code == 303
    db.session.refresh(north)
    assert north.name == "North Yard"


def test_move_refuses_cycles_with_a_field_error(admin_client, tenant):
    yard = unit_at(tenant, "Operations/North/Yard")
    operations = yard.parent.parent
    refused = admin_client.post(f"{BASE}/{operations.id}/move", data={"parent_id": yard.id})
    assert refused.status_code == 422
    assert re.search(
        r'<p class="field-error">“Operations” cannot be moved under “Yard”, which is inside it.',
        text(refused),
    )
    itself = admin_client.post(f"{BASE}/{operations.id}/move", data={"parent_id": operations.id})
    assert "cannot be moved under itself" in text(itself)
    sales = unit_at(tenant, "Sales")
    moved = admin_client.post(f"{BASE}/{yard.id}/move", data={"parent_id": sales.id})
    assert moved.status_code == 303
    db.session.refresh(yard)
    assert yard.parent_id == sales.id
    to_top = admin_client.post(f"{BASE}/{yard.id}/move", data={"parent_id": ""})
    assert to_top.status_code == 303
    db.session.refresh(yard)
    assert yard.parent_id is None
    foreign = admin_client.post(f"{BASE}/{yard.id}/move", data={"parent_id": OrgUnitFactory().id})
    assert foreign.status_code == 404


def test_mentors_are_assigned_and_removed_in_place(admin_client, tenant):
    north = unit_at(tenant, "Operations/North")
    mentor = UserFactory(tenant=tenant, role=Role.MENTOR, full_name="Morgan Mentor")
    page = text(admin_client.get(f"{BASE}/{north.id}"))
    assert f'<option value="{mentor.id}">Morgan Mentor ({mentor.email})</option>' in page
    fragment = admin_client.post(
        f"{BASE}/{north.id}/mentors", data={"mentor_id": mentor.id}, headers=MENTORS
    )
    assert fragment.status_code == 200
    html = text(fragment)
    assert html.lstrip().startswith('<section id="unit-mentors"')
    assert "<h1>" not in html  # the section only
    assert "Morgan Mentor now reviews the work in “North”." in html
    assert f'/mentors/{mentor.id}/remove"' in html
    db.session.refresh(mentor)
    assert mentor.mentor_unit_id == north.id
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "user.mentor_scope_changed")
    )
    assert event.subject_user_id == mentor.id
    removed = admin_client.post(f"{BASE}/{north.id}/mentors/{mentor.id}/remove")
    assert removed.status_code == 303
    assert removed.headers["Location"].endswith(f"{BASE}/{north.id}#unit-mentors")
    db.session.refresh(mentor)
    assert mentor.mentor_unit_id is None
    # Not assigned here (any more): nothing to remove.
    assert admin_client.post(f"{BASE}/{north.id}/mentors/{mentor.id}/remove").status_code == 404


def test_assigning_someone_who_is_not_a_mentor_is_refused(admin_client, tenant):
    north = unit_at(tenant, "North")
    learner = UserFactory(tenant=tenant, full_name="Lee Learner")
    refused = admin_client.post(
        f"{BASE}/{north.id}/mentors", data={"mentor_id": learner.id}, headers=MENTORS
    )
    assert refused.status_code == 422
    assert "Lee Learner is not a mentor" in text(refused)
    empty = admin_client.post(f"{BASE}/{north.id}/mentors", data={}, headers=MENTORS)
    assert empty.status_code == 422 and "Choose a mentor." in text(empty)
    foreign = admin_client.post(f"{BASE}/{north.id}/mentors", data={"mentor_id": UserFactory().id})
    assert foreign.status_code == 404


def test_delete_says_what_is_still_in_the_unit(admin_client, tenant):
    yard = unit_at(tenant, "Operations/Yard")
    operations = yard.parent
    UserFactory(tenant=tenant, org_unit_id=operations.id)
    page = text(admin_client.get(f"{BASE}/{operations.id}/delete"))
    assert "1 person belongs to it" in page and "1 unit is inside it" in page
    assert 'type="submit" class="danger"' not in page
    refused = admin_client.post(f"{BASE}/{operations.id}/delete")
    assert refused.status_code == 409
    assert db.session.get(OrgUnit, operations.id) is not None
    confirm = text(admin_client.get(f"{BASE}/{yard.id}/delete"))
    assert "This cannot be undone" in confirm and 'class="danger"' in confirm
    yard_id = yard.id
    deleted = admin_client.post(f"{BASE}/{yard_id}/delete")
    assert deleted.status_code == 303 and deleted.headers["Location"].endswith(f"{BASE}/")
    assert db.session.get(OrgUnit, yard_id) is None


def test_changes_need_the_csrf_token(app, admin_client, tenant):
    north = unit_at(tenant, "North")
    app.config["WTF_CSRF_ENABLED"] = True  # after logging in (the app fixture restores it)
    assert admin_client.post(f"{BASE}/{north.id}/rename", data={"name": "South"}).status_code == 400
    assert admin_client.post(f"{BASE}/{north.id}/delete").status_code == 400
    db.session.refresh(north)
    assert north.name == "North"


def test_the_admin_home_links_the_tree(admin_client):
    assert f'href="{BASE}/"' in text(admin_client.get("/certs/admin/"))
