"""People: records, the admin guards, deactivation, deletion, invitations, the directory, a
person's page."""

from __future__ import annotations

from dataclasses import replace

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
from webapp import clock
from webapp.errors import Conflict, ValidationFailed
from webapp.extensions import db
from webapp.models import AuditEvent, OutboxEmail, Role, TenantStatus, User
from webapp.services import audit, orchestration, peer_validation, people
from webapp.services import certification_path_management as paths
from webapp.services.people import PersonFields


@pytest.fixture
def tenant(app):
    return TenantFactory(name="Acme")


@pytest.fixture
def admin(tenant):
    return UserFactory(tenant=tenant, role=Role.ADMIN, full_name="Ada Admin")


def fields(**values) -> PersonFields:
    return PersonFields.clean(
        **{"email": "dana@example.test", "full_name": "Dana Example", **values}
    )


def events(action: str) -> list[AuditEvent]:
    return db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    ).all()


def problems(call) -> dict:
    with pytest.raises(ValidationFailed) as caught:
        call()
    return caught.value.problems


# --- Records -------------------------------------------------------------------------------


def test_a_new_person_has_no_usable_password_and_is_audited(tenant, admin):
    unit = unit_at(tenant, "Operations/North")
    person = people.create_person(
        tenant,
        admin,
        fields(
            email="  Dana@Example.TEST ",
            full_name=" Dana   Example ",
            role="Mentor",
            org_unit_id=unit.id,
            external_id=" E1 ",
        ),
    )
    assert (person.email, person.full_name, person.role) == (
        "dana@example.test",
        "Dana Example",
        Role.MENTOR,
    )
    assert (person.org_unit_id, person.external_id, person.invited_at) == (unit.id, "E1", None)
    assert not person.has_password and not person.check_password("")
    (event,) = events("user.created")
    assert (event.actor_id, event.subject_user_id, event.object_id) == (
        admin.id,
        person.id,
        person.id,
    )
    assert event.data["values"]["org_unit_id"] == "Operations/North"
    assert db.session.scalar(sa.select(sa.func.count(OutboxEmail.id))) == 0


def test_a_new_person_can_be_invited_at_once(tenant, admin):
    person = people.create_person(tenant, admin, fields(), invite=True)
    email = db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.user_id == person.id))
    assert "/auth/invitation/" in email.body
    assert person.invited_at == clock.now()


def test_records_are_checked(tenant, admin):
    other = TenantFactory()
    UserFactory(tenant=other, email="taken@example.test")
    UserFactory(tenant=tenant, external_id="E1")
    foreign_unit = unit_at(other, "Secret")
    found = problems(
        lambda: people.create_person(
            tenant,
            admin,
            fields(
                email="TAKEN@example.test",
                full_name=" ",
                org_unit_id=foreign_unit.id,
                mentor_unit_id=foreign_unit.id,
                external_id="E1",
            ),
        )
    )
    assert set(found) == {"email", "full_name", "org_unit_id", "mentor_unit_id", "external_id"}
    assert "already uses" in found["email"][0]
    for bad in (
        "no-at-sign",
        "a@b",
        "two@@example.test",
        "sp ace@example.test",
        "x" * 250 + "@e.st",
    ):
        with pytest.raises(ValidationFailed) as caught:
            people.create_person(tenant, admin, fields(email=bad))
        assert set(caught.value.problems) == {"email"}


def test_changes_are_audited_as_one_event_with_the_values_before_and_after(tenant, admin):
    north = unit_at(tenant, "Operations/North")
    person = UserFactory(tenant=tenant, full_name="Dana Example", email="dana@example.test")
    changes = people.update_person(
        person,
        admin,
        fields(full_name="Dana Changed", role="mentor", org_unit_id=north.id, external_id="E9"),
    )
    assert set(changes) == {"full_name", "role", "org_unit_id", "external_id"}
    (event,) = events("user.role_changed")
    assert event.subject_user_id == person.id and event.actor_id == admin.id
    assert event.data["changes"] == {
        "external_id": {"before": None, "after": "E9"},
        "full_name": {"before": "Dana Example", "after": "Dana Changed"},
        "org_unit_id": {"before": None, "after": "Operations/North"},
        "role": {"before": "learner", "after": "mentor"},
    }
    assert event.summary == "Dana Changed: name, role, org unit, external id changed"
    people.update_person(person, admin, fields(full_name="Dana Again", role="mentor"))
    (updated,) = events("user.updated")
    assert updated.summary == "Dana Again: name, org unit, external id changed"
    assert people.update_person(person, admin, PersonFields.of(person)) == {}
    assert len(events("user.updated")) == 1


def test_a_role_change_alone_says_so(tenant, admin):
    person = UserFactory(tenant=tenant, full_name="Lee", email="lee@example.test")
    people.set_role(person, admin, Role.MENTOR)
    (event,) = events("user.role_changed")
    assert event.summary == "Lee: role learner → mentor"


def test_only_mentors_and_admins_get_a_review_scope(tenant, admin):
    unit = unit_at(tenant, "Operations")
    found = problems(lambda: people.create_person(tenant, admin, fields(mentor_unit_id=unit.id)))
    assert "Only mentors and admins review work" in found["mentor_unit_id"][0]
    mentor = people.create_person(
        tenant, admin, fields(role="mentor", mentor_unit_id=unit.id, email="m@example.test")
    )
    changes = people.update_person(
        mentor, admin, replace(PersonFields.of(mentor), role=Role.LEARNER)
    )
    assert mentor.mentor_unit_id is None  # a learner reviews nothing
    assert changes["mentor_unit_id"] == {"before": "Operations", "after": None}


def test_an_admin_cannot_remove_their_own_admin_role(tenant, admin):
    UserFactory(tenant=tenant, role=Role.ADMIN)
    found = problems(lambda: people.set_role(admin, admin, Role.MENTOR))
    assert "your own admin role" in found["role"][0]
    assert admin.role is Role.ADMIN


def test_the_last_active_admin_keeps_the_role(tenant, admin):
    UserFactory(tenant=tenant, role=Role.ADMIN, active=False)
    UserFactory(role=Role.ADMIN)  # another tenant's admin does not count
    found = problems(lambda: people.set_role(admin, None, Role.LEARNER))
    assert "last admin of Acme" in found["role"][0]
    second = UserFactory(tenant=tenant, role=Role.ADMIN)
    assert people.set_role(admin, second, Role.LEARNER) is True
    assert problems(lambda: people.set_role(second, None, Role.MENTOR))


# --- Deactivation and deletion -------------------------------------------------------------


def test_deactivation_ends_every_session_and_keeps_history(tenant, admin):
    person = UserFactory(tenant=tenant)
    certificate = issued_certificate(tenant, person)
    token = person.session_token
    assert people.deactivate(person, admin) is True
    assert not person.active and person.session_token != token
    assert people.deactivate(person, admin) is False
    assert [e.subject_user_id for e in events("user.deactivated")] == [person.id]
    assert db.session.get(type(certificate), certificate.id) is not None
    assert people.reactivate(person, admin) is True and person.active
    assert people.reactivate(person, admin) is False
    assert len(events("user.reactivated")) == 1


def test_admins_cannot_deactivate_themselves_nor_the_last_admin(tenant, admin):
    with pytest.raises(Conflict, match="your own account"):
        people.deactivate(admin, admin)
    with pytest.raises(Conflict, match="last admin"):
        people.deactivate(admin, None)
    assert admin.active


def test_a_record_nobody_used_can_be_deleted_and_the_log_keeps_it(tenant, admin):
    person = people.create_person(tenant, admin, fields(), invite=True)
    people.update_person(person, admin, fields(full_name="Dana Renamed"))
    people.deactivate(person, admin)  # the bookkeeping of the record is not history
    person_id = person.id
    assert people.deletion_refusal(person, admin) is None
    people.delete_person(person, admin)
    assert db.session.get(User, person_id) is None
    (deleted,) = events("user.deleted")
    assert deleted.object_id == person_id and deleted.data["email"] == "dana@example.test"
    db.session.expire_all()
    assert {e.subject_user_id for e in events("user.created")} == {None}


@pytest.mark.parametrize("history", ["enrolment", "certificate", "login", "acted", "evidence"])
def test_people_with_any_history_are_deactivated_not_deleted(tenant, admin, history):
    person = UserFactory(tenant=tenant, role=Role.MENTOR)
    if history == "enrolment":
        paths.enrol(person, published_path(tenant))
    elif history == "certificate":
        issued_certificate(tenant, person)
    elif history == "login":
        person.last_login_at = clock.now()
    elif history == "acted":
        audit.record(tenant.id, person, "anything.done", "thing", 1)
    else:
        learner = UserFactory(tenant=tenant)
        enrolment, _ = paths.enrol(learner, evidence_path(tenant))
        rid = enrolment.program_snapshot["requirements"][0]["requirement_id"]
        submission = peer_validation.submit_evidence(enrolment, rid, learner, "Done.", None, [])
        peer_validation.decide(submission, person, "approved", "Fine.")
    db.session.flush()
    refusal = people.deletion_refusal(person, admin)
    assert refusal and "deactivate them instead" in refusal
    with pytest.raises(Conflict):
        people.delete_person(person, admin)
    assert db.session.get(User, person.id) is not None


def test_history_counts_each_kind(tenant, admin):
    person = UserFactory(tenant=tenant)
    issued_certificate(tenant, person)
    found = people.history(person)
    assert (found.enrolments, found.certificates, found.logged_in) == (1, 1, False)
    assert "1 enrolment" in found.reasons() and "1 certificate" in found.reasons()


def test_admins_cannot_delete_themselves(tenant, admin):
    with pytest.raises(Conflict, match="your own account"):
        people.delete_person(admin, admin)


# --- Invitations and resets ----------------------------------------------------------------


def test_invitations_only_for_active_people_without_a_password(tenant, admin):
    pending = invited_person(tenant)
    people.invite(pending, admin)
    assert pending.invited_at is not None
    with pytest.raises(Conflict, match="already set a password"):
        people.invite(UserFactory(tenant=tenant), admin)
    with pytest.raises(Conflict, match="reactivate"):
        people.invite(invited_person(tenant, active=False), admin)


def test_a_reset_is_sent_only_to_an_active_account_of_an_active_tenant(tenant):
    person = UserFactory(tenant=tenant, email="dana@example.test")
    assert people.send_password_reset(" DANA@example.test") == person
    assert people.send_password_reset("nobody@example.test") is None
    tenant.status = TenantStatus.SUSPENDED
    db.session.flush()
    assert people.send_password_reset("dana@example.test") is None


# --- Directory -----------------------------------------------------------------------------


def test_the_unit_tree_is_depth_first_with_paths(tenant):
    unit_at(tenant, "Sales")
    unit_at(tenant, "Operations/South")
    unit_at(tenant, "Operations/North/Depot")
    unit_at(TenantFactory(), "Other")
    tree = people.unit_tree(tenant.id)
    assert [n.path for n in tree] == [
        "Operations",
        "Operations/North",
        "Operations/North/Depot",
        "Operations/South",
        "Sales",
    ]
    assert [n.depth for n in tree] == [0, 1, 2, 1, 0]
    assert tree[2].label == "\u00a0" * 6 + "Depot"
    north = tree[1].id
    assert people.subtree_ids(tree, north) == {north, tree[2].id}


def names(page) -> list[str]:
    return [p.full_name for p in page.items]


def test_the_directory_searches_filters_and_sorts(tenant, admin):
    north = unit_at(tenant, "Operations/North")
    ops = unit_at(tenant, "Operations")
    UserFactory(
        tenant=tenant,
        full_name="Bea Mentor",
        role=Role.MENTOR,
        org_unit_id=north.id,
        email="bea@example.test",
    )
    UserFactory(
        tenant=tenant,
        full_name="Cid Learner",
        org_unit_id=ops.id,
        active=False,
        email="cid_100%@example.test",
    )
    UserFactory(full_name="Zed Elsewhere")
    everyone = people.directory_page(tenant.id)
    assert names(everyone) == ["Ada Admin", "Bea Mentor", "Cid Learner"] and everyone.total == 3
    assert names(people.directory_page(tenant.id, search="BEA@")) == ["Bea Mentor"]
    assert names(people.directory_page(tenant.id, search="100%")) == ["Cid Learner"]
    assert names(people.directory_page(tenant.id, search="0%@", role=Role.MENTOR)) == []
    assert names(people.directory_page(tenant.id, role=Role.MENTOR)) == ["Bea Mentor"]
    tree = people.unit_tree(tenant.id)
    assert names(people.directory_page(tenant.id, unit_ids=people.subtree_ids(tree, ops.id))) == [
        "Bea Mentor",
        "Cid Learner",
    ]
    assert names(people.directory_page(tenant.id, status="inactive")) == ["Cid Learner"]
    assert names(people.directory_page(tenant.id, status="active", sort="-name")) == [
        "Bea Mentor",
        "Ada Admin",
    ]
    assert names(people.directory_page(tenant.id, sort="-role")) == [
        "Ada Admin",
        "Bea Mentor",
        "Cid Learner",
    ]
    assert names(people.directory_page(tenant.id, sort="unit")) == [
        "Bea Mentor",
        "Cid Learner",
        "Ada Admin",
    ]
    assert names(people.directory_page(tenant.id, sort="bogus")) == names(everyone)


def test_the_directory_pages(tenant, admin):
    for n in range(4):
        UserFactory(tenant=tenant, full_name=f"Person {n}")
    second = people.directory_page(tenant.id, page=2, per_page=2, args={"q": "", "role": "mentor"})
    assert names(second) == ["Person 1", "Person 2"]
    assert (second.pages, second.has_next, second.query_args) == (3, True, {"role": "mentor"})
    assert names(people.directory_page(tenant.id, page=99, per_page=2)) == ["Person 3"]


# --- A person's page -----------------------------------------------------------------------


def test_the_profile_reads_progress_from_the_ledger(tenant, admin):
    person = UserFactory(tenant=tenant)
    enrolment, _ = paths.enrol(person, published_path(tenant, requirements=3, name="Forklift"))
    first = enrolment.program_snapshot["requirements"][0]["requirement_id"]
    orchestration.mark_content_complete(enrolment, first)
    certificate = issued_certificate(tenant, person, name="Ladders")
    profile = people.person_profile(person)
    by_name = {line.programme_name: line for line in profile.enrolments}
    assert (by_name["Forklift"].met, by_name["Forklift"].total, by_name["Forklift"].percent) == (
        1,
        3,
        33,
    )
    assert (by_name["Ladders"].met, by_name["Ladders"].total) == (1, 1)
    assert profile.certificates == [certificate]


def test_the_profile_shows_decisions_both_ways_and_events_about_the_person(tenant, admin):
    learner = UserFactory(tenant=tenant, full_name="Lou Learner")
    mentor = UserFactory(tenant=tenant, role=Role.MENTOR, full_name="Meg Mentor")
    enrolment, _ = paths.enrol(learner, evidence_path(tenant, name="Scaffolds"))
    rid = enrolment.program_snapshot["requirements"][0]["requirement_id"]
    submission = peer_validation.submit_evidence(enrolment, rid, learner, "Done.", None, [])
    peer_validation.decide(submission, mentor, "rejected", "Sign it first.")
    people.update_person(learner, admin, fields(email=learner.email, full_name="Lou Renamed"))
    audit.record(tenant.id, admin, "thing.done", "user", learner.id, "About Lou")  # no subject
    audit.record(tenant.id, admin, "thing.done", "user", mentor.id, "About Meg")
    received = people.person_profile(learner).decisions_received
    assert [
        (d.mentor_name, d.decision.value, d.comment, d.requirement_title, d.programme_name)
        for d in received
    ] == [("Meg Mentor", "rejected", "Sign it first.", "Inspection report", "Scaffolds")]
    made = people.person_profile(mentor).decisions_made
    assert [(d.learner_id, d.kind) for d in made] == [(learner.id, "submission")]
    assert people.person_profile(mentor).decisions_received == []
    summaries = [e.summary for e in people.person_profile(learner).events]
    assert "About Lou" in summaries and "About Meg" not in summaries
    assert any("name changed" in s for s in summaries)
