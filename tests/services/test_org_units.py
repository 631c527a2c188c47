"""Org units: the tree's rules (names unique among siblings as the database decides, moves
that refuse cycles, deleting only empty units), its read models and mentor scopes set per
unit, each change audited."""

import pytest
import sqlalchemy as sa

from tests.factories import (
    OrgUnitFactory,
    PathFactory,
    TenantFactory,
    UserFactory,
    unit_at,
)
from webapp.errors import Conflict, NotAllowed, ValidationFailed
from webapp.extensions import db
from webapp.models import AuditEvent, OrgUnit, Role
from webapp.services import certification_path_management as paths
from webapp.services import org_units as units


@pytest.fixture
def tenant(app):
    return TenantFactory()


@pytest.fixture
def admin(tenant):
    return UserFactory(tenant=tenant, role=Role.ADMIN, full_name="Ada Admin")


def events(action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def test_ancestors_and_subtree_are_pure_and_survive_a_broken_tree():
    parents = {1: None, 2: 1, 3: 2, 4: 1, 5: 6, 6: 5}  # 5 and 6 form a cycle
    assert units.ancestors(parents, 3) == [3, 2, 1]
    assert units.ancestors(parents, None) == []
    assert units.ancestors(parents, 5) == [5, 6]
    assert units.subtree(parents, 1) == {1, 2, 3, 4}
    assert units.subtree(parents, 5) == {5, 6}


def test_unit_scope_and_subtree_read_the_tenants_tree(tenant):
    yard = unit_at(tenant, "Operations/North/Yard")
    north, operations = yard.parent, yard.parent.parent
    unit_at(TenantFactory(), "Operations/North")  # another tenant's tree changes nothing
    person = UserFactory(tenant=tenant, org_unit_id=north.id)
    assert units.unit_scope(person) == {north.id, operations.id}
    assert units.unit_scope(UserFactory(tenant=tenant)) == set()
    assert units.unit_subtree(tenant.id, north.id) == {north.id, yard.id}
    # The programme catalogue reads the same helpers.
    assert paths.unit_scope is units.unit_scope and paths.unit_subtree is units.unit_subtree


def test_create_at_the_top_and_inside_a_parent_with_audit(tenant, admin):
    operations = units.create_unit(tenant.id, admin, "  Operations  ")
    north = units.create_unit(tenant.id, admin, "North   Site", operations)
    assert (operations.name, operations.parent_id) == ("Operations", None)
    assert (north.name, north.parent_id) == ("North Site", operations.id)
    created = events("org_unit.created")
    assert [e.object_id for e in created] == [operations.id, north.id]
    assert created[1].summary == "Org unit “North Site” created inside “Operations”"
    assert created[1].actor_id == admin.id


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("   ", "Give the unit a name."),
        ("x" * 121, "Use at most 120 characters."),
        ("North/South", "cannot contain “/”"),
    ],
)
def test_names_are_checked(tenant, admin, name, problem):
    with pytest.raises(ValidationFailed) as refused:
        units.create_unit(tenant.id, admin, name)
    assert problem in refused.value.problems["name"][0]


def test_a_siblings_name_is_a_field_error_from_the_database(tenant, admin):
    operations = units.create_unit(tenant.id, admin, "Operations")
    units.create_unit(tenant.id, admin, "North", operations)
    with pytest.raises(ValidationFailed) as refused:
        units.create_unit(tenant.id, admin, "North", operations)
    assert refused.value.problems == {
        "name": ["There is already a unit named “North” inside “Operations”."]
    }
    # The refused insert was rolled back to its savepoint: the session goes on.
    assert units.create_unit(tenant.id, admin, "South", operations).id
    # The same name elsewhere in the tree, or in another tenant, is fine.
    assert units.create_unit(tenant.id, admin, "North").parent_id is None
    other = TenantFactory()
    assert units.create_unit(other.id, None, "Operations").tenant_id == other.id


def test_a_top_level_name_is_unique_too(tenant, admin):
    units.create_unit(tenant.id, admin, "Operations")
    with pytest.raises(ValidationFailed, match="at the top of the tree"):
        units.create_unit(tenant.id, admin, "Operations")


def test_a_parent_of_another_tenant_is_refused(tenant, admin):
    with pytest.raises(NotAllowed):
        units.create_unit(tenant.id, admin, "North", OrgUnitFactory())


def test_rename_keeps_names_unique_among_siblings(tenant, admin):
    north = unit_at(tenant, "Operations/North")
    south = unit_at(tenant, "Operations/South")
    assert units.rename_unit(north, admin, "North") is False  # nothing to change
    with pytest.raises(ValidationFailed, match="already a unit named “South”"):
        units.rename_unit(north, admin, "South")
    db.session.refresh(north)
    assert north.name == "North"
    assert units.rename_unit(south, admin, "South Yard") is True
    [renamed] = events("org_unit.renamed")
    assert (renamed.data["before"], renamed.data["after"]) == (
        {"name": "South"},
        {"name": "South Yard"},
    )


def test_move_refuses_the_unit_itself_and_its_descendants(tenant, admin):
    yard = unit_at(tenant, "Operations/North/Yard")
    north, operations = yard.parent, yard.parent.parent
    with pytest.raises(ValidationFailed) as itself:
        units.move_unit(north, admin, north)
    assert itself.value.problems == {"parent_id": ["“North” cannot be moved under itself."]}
    with pytest.raises(ValidationFailed) as below:
        units.move_unit(operations, admin, yard)
    assert below.value.problems == {
        "parent_id": ["“Operations” cannot be moved under “Yard”, which is inside it."]
    }
    assert events("org_unit.moved") == []
    db.session.refresh(operations)
    assert operations.parent_id is None


def test_move_takes_the_subtree_along_and_is_audited(tenant, admin):
    yard = unit_at(tenant, "Operations/North/Yard")
    north = yard.parent
    sales = unit_at(tenant, "Sales")
    assert units.move_unit(north, admin, sales) is True
    assert units.unit_labels(tenant.id)[yard.id] == "Sales/North/Yard"
    assert units.move_unit(north, admin, sales) is False  # already there
    assert units.move_unit(yard, admin, None) is True  # to the top
    assert yard.parent_id is None
    first, second = events("org_unit.moved")
    assert first.data["before"]["parent"] == "Operations"
    assert first.data["after"] == {"parent_id": sales.id, "parent": "Sales"}
    assert second.summary == "Org unit “Yard” moved to the top of the tree"


def test_move_refuses_a_name_already_used_where_it_goes(tenant, admin):
    north = unit_at(tenant, "Operations/North")
    unit_at(tenant, "Sales/North")
    with pytest.raises(ValidationFailed, match="inside “Sales”"):
        units.move_unit(north, admin, unit_at(tenant, "Sales"))
    unit_at(tenant, "North")
    with pytest.raises(ValidationFailed, match="at the top of the tree"):
        units.move_unit(north, admin, None)


def test_delete_only_an_empty_unit_and_say_what_is_in_it(tenant, admin):
    yard = unit_at(tenant, "Operations/North/Yard")
    north = yard.parent
    UserFactory(tenant=tenant, org_unit_id=north.id)
    UserFactory(tenant=tenant, org_unit_id=north.id)
    PathFactory(tenant=tenant, org_unit_id=north.id)
    UserFactory(tenant=tenant, role=Role.MENTOR, mentor_unit_id=north.id)
    found = units.contents(north)
    assert (found.people, found.programmes, found.units, found.mentors) == (2, 1, 1, 1)
    assert found.lines() == [
        "2 people belong to it",
        "1 programme is scoped to it",
        "1 unit is inside it",
        "1 mentor reviews its subtree",
    ]
    with pytest.raises(Conflict) as refused:
        units.delete_unit(north, admin)
    assert refused.value.message.startswith("“North” cannot be deleted while 2 people belong")
    assert db.session.get(OrgUnit, north.id) is not None
    assert units.contents(yard).is_empty
    units.delete_unit(yard, admin)
    assert db.session.get(OrgUnit, yard.id) is None
    [deleted] = events("org_unit.deleted")
    assert (deleted.object_id, deleted.data["name"]) == (yard.id, "Yard")


def test_the_tree_with_counts_in_one_query(tenant, count_queries):
    yard = unit_at(tenant, "Operations/North/Yard")
    unit_at(tenant, "Operations/Alpha")
    unit_at(tenant, "Sales")
    UserFactory(tenant=tenant, org_unit_id=yard.id)
    PathFactory(tenant=tenant, org_unit_id=yard.parent_id)
    unit_at(TenantFactory(), "Foreign")
    with count_queries() as counter:
        roots = units.tree(tenant.id)
    assert counter.count == 1
    assert [r.name for r in roots] == ["Operations", "Sales"]
    assert [c.name for c in roots[0].children] == ["Alpha", "North"]
    north = roots[0].children[1]
    assert (north.people, north.programmes) == (0, 1)
    assert (north.children[0].name, north.children[0].people) == ("Yard", 1)


def test_choices_are_paths_and_leave_out_a_subtree(tenant):
    yard = unit_at(tenant, "Operations/North/Yard")
    north = yard.parent
    sales = unit_at(tenant, "Sales")
    choices = units.unit_choices(tenant.id)
    assert [label for _, label in choices] == [
        "Operations",
        "Operations/North",
        "Operations/North/Yard",
        "Sales",
    ]
    assert units.unit_choices(tenant.id, excluding_subtree_of=north.id) == [
        (north.parent_id, "Operations"),
        (sales.id, "Sales"),
    ]
    assert [u.name for u in units.unit_path(yard)] == ["Operations", "North"]


def test_mentor_scope_set_per_unit_is_audited_with_the_mentor_as_subject(tenant, admin):
    north = unit_at(tenant, "Operations/North")
    mentor = UserFactory(tenant=tenant, role=Role.MENTOR, full_name="Morgan Mentor")
    learner = UserFactory(tenant=tenant)
    UserFactory(tenant=tenant, role=Role.MENTOR, active=False)
    assert units.assignable_mentors(north) == [admin, mentor]  # by name; active ones only
    assert units.set_mentor_unit(mentor, north, admin) is True
    assert units.set_mentor_unit(mentor, north, admin) is False
    assert units.assigned_mentors(north) == [mentor]
    assert mentor not in units.assignable_mentors(north)
    with pytest.raises(ValidationFailed) as refused:
        units.set_mentor_unit(learner, north, admin)
    assert "is not a mentor" in refused.value.problems["mentor_id"][0]
    with pytest.raises(NotAllowed):
        units.set_mentor_unit(mentor, OrgUnitFactory(), admin)
    assert units.set_mentor_unit(mentor, None, admin) is True
    assigned, removed = events("user.mentor_scope_changed")
    assert assigned.subject_user_id == mentor.id
    assert assigned.data["after"] == {"mentor_unit_id": north.id, "mentor_unit": "Operations/North"}
    assert assigned.summary == "Morgan Mentor reviews the work in “Operations/North”"
    assert removed.data["before"]["mentor_unit"] == "Operations/North"
    assert removed.summary == "Morgan Mentor reviews the work of their own org unit again"
