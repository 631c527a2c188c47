"""certification_path_management and orchestration: authoring, publishing, snapshots, ledger."""

import pytest
import sqlalchemy as sa

from tests.factories import (
    OrgUnitFactory,
    PathFactory,
    QuizFactory,
    QuizVersionFactory,
    RequirementFactory,
    TenantFactory,
    UserFactory,
    published_path,
)
from webapp.errors import Conflict, NotAllowed, ValidationFailed
from webapp.extensions import db
from webapp.models import (
    CertificationPath,
    EnrolmentStatus,
    LearnerTask,
    PathStatus,
    ProgressStatus,
    RequirementKind,
    RequirementProgress,
    Role,
    TaskStatus,
)
from webapp.services import certification_path_management as paths
from webapp.services import orchestration
from webapp.services.certification_path_management import authoring

ALLOWED = ("pdf", "png", "jpg")


def fields(**overrides):
    data = {
        "name": "Forklift Operator",
        "slug": "forklift-operator",
        "description": "Drive safely.",
        "level": "foundation",
        "validity_days": 365,
        "renewal_window_days": 30,
        "recert_grace_days": 90,
        "self_enrolment": True,
        "prerequisite_ids": [],
        "skill_names": ["Driving", "Loading"],
        "org_unit_id": None,
    }
    data.update(overrides)
    return data


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def admin(app):
    return UserFactory(role=Role.ADMIN)


def test_create_programme_with_skills(admin):
    programme = paths.create_programme(admin.tenant_id, admin, fields())
    assert programme.status is PathStatus.DRAFT
    assert [s.name for s in programme.skills] == ["Driving", "Loading"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": "  "}, "name"),
        ({"slug": "Not A Slug"}, "slug"),
        ({"validity_days": -5}, "validity_days"),
        ({"validity_days": 0}, "validity_days"),
        ({"renewal_window_days": 400}, "renewal_window_days"),
        ({"level": "expert"}, "level"),
    ],
)
def test_bad_programme_fields_are_refused_and_nothing_is_saved(admin, overrides, field):
    before = count(CertificationPath)
    with pytest.raises(ValidationFailed) as caught:
        paths.create_programme(admin.tenant_id, admin, fields(**overrides))
    assert field in caught.value.problems
    assert count(CertificationPath) == before


def test_slug_is_unique_per_tenant_only(admin):
    paths.create_programme(admin.tenant_id, admin, fields())
    with pytest.raises(ValidationFailed) as caught:
        paths.create_programme(admin.tenant_id, admin, fields(name="Other"))
    assert "already uses this slug" in caught.value.problems["slug"][0]
    other_admin = UserFactory(role=Role.ADMIN)
    paths.create_programme(other_admin.tenant_id, other_admin, fields())


def test_name_is_unique_per_tenant_ignoring_case(admin):
    paths.create_programme(admin.tenant_id, admin, fields())
    with pytest.raises(ValidationFailed) as caught:
        paths.create_programme(
            admin.tenant_id, admin, fields(slug="other", name="  FORKLIFT operator ")
        )
    assert caught.value.problems["name"] == ["Another programme already has this name."]
    other = paths.create_programme(admin.tenant_id, admin, fields(slug="other", name="Other"))
    with pytest.raises(ValidationFailed):
        paths.update_programme(other, admin, fields(slug="other"))
    paths.update_programme(other, admin, fields(slug="other", name="Other"))  # its own name
    other_admin = UserFactory(role=Role.ADMIN)
    paths.create_programme(other_admin.tenant_id, other_admin, fields())


def test_a_name_taken_after_the_check_is_refused_by_the_database(admin, monkeypatch):
    """A concurrent request that took the name between the check and the insert: the unique
    constraint decides and the form gets a message, not a 500."""
    paths.create_programme(admin.tenant_id, admin, fields())
    monkeypatch.setattr(authoring, "name_taken", lambda *args: False)
    before = count(CertificationPath)
    with pytest.raises(ValidationFailed) as caught:
        paths.create_programme(admin.tenant_id, admin, fields(slug="other"))
    assert "already has this name" in caught.value.problems["name"][0]
    assert count(CertificationPath) == before


def test_org_unit_of_another_tenant_is_refused(admin):
    foreign_unit = OrgUnitFactory()
    with pytest.raises(ValidationFailed) as caught:
        paths.create_programme(admin.tenant_id, admin, fields(org_unit_id=foreign_unit.id))
    assert "org_unit_id" in caught.value.problems


def test_prerequisite_cycle_is_refused(admin):
    a = paths.create_programme(admin.tenant_id, admin, fields(slug="a", name="A"))
    b = paths.create_programme(
        admin.tenant_id, admin, fields(slug="b", name="B", prerequisite_ids=[a.id])
    )
    c = paths.create_programme(
        admin.tenant_id, admin, fields(slug="c", name="C", prerequisite_ids=[b.id])
    )
    with pytest.raises(ValidationFailed) as caught:
        paths.update_programme(a, admin, fields(slug="a", name="A", prerequisite_ids=[c.id]))
    assert "cycle" in caught.value.problems["prerequisite_ids"][0]
    with pytest.raises(ValidationFailed):
        paths.update_programme(a, admin, fields(slug="a", name="A", prerequisite_ids=[a.id]))


def test_prerequisites_of_another_tenant_are_refused(admin):
    foreign = PathFactory()
    with pytest.raises(ValidationFailed) as caught:
        paths.create_programme(admin.tenant_id, admin, fields(prerequisite_ids=[foreign.id]))
    assert "prerequisite_ids" in caught.value.problems


def test_requirement_validation(admin):
    programme = paths.create_programme(admin.tenant_id, admin, fields())
    foreign_quiz = QuizFactory()
    with pytest.raises(ValidationFailed) as caught:
        paths.add_requirement(
            programme,
            admin,
            "quiz",
            {"title": "Q", "quiz_id": foreign_quiz.id, "min_score": 101},
            ALLOWED,
        )
    assert set(caught.value.problems) == {"quiz_id", "min_score"}
    with pytest.raises(ValidationFailed) as caught:
        paths.add_requirement(
            programme,
            admin,
            "evidence",
            {"title": "E", "instructions": "", "accepted_types": ["exe"]},
            ALLOWED,
        )
    assert set(caught.value.problems) == {"instructions", "accepted_types"}
    with pytest.raises(ValidationFailed) as caught:
        paths.add_requirement(
            programme, admin, "content", {"title": "C", "video_url": "ftp://x"}, ALLOWED
        )
    assert "video_url" in caught.value.problems
    assert programme.requirements == []


def test_quiz_requirement_min_score_defaults_to_the_configured_pass_mark(admin):
    version = QuizVersionFactory(quiz=QuizFactory(tenant_id=admin.tenant_id))
    programme = paths.create_programme(admin.tenant_id, admin, fields())
    paths.add_requirement(
        programme, admin, "quiz", {"title": "Q", "quiz_id": version.quiz_id}, ALLOWED
    )
    definition = paths.current_definition(programme)
    assert definition["requirements"][0]["min_score"] == 80
    assert definition["requirements"][0]["quiz_version_id"] == version.id


def _draft_with(admin, *kinds):
    programme = paths.create_programme(admin.tenant_id, admin, fields())
    for kind in kinds:
        paths.add_requirement(
            programme, admin, "content", {"title": kind, "body": "Read."}, ALLOWED
        )
    return programme


def test_publish_needs_a_mandatory_requirement_and_published_quizzes(admin):
    programme = paths.create_programme(admin.tenant_id, admin, fields())
    with pytest.raises(ValidationFailed, match="cannot be published"):
        paths.publish_path(programme, admin)
    paths.add_requirement(
        programme, admin, "content", {"title": "Opt", "body": "x", "is_mandatory": False}, ALLOWED
    )
    with pytest.raises(ValidationFailed):
        paths.publish_path(programme, admin)
    draft_quiz = QuizFactory(tenant_id=admin.tenant_id)
    paths.add_requirement(
        programme, admin, "quiz", {"title": "Quiz", "quiz_id": draft_quiz.id}, ALLOWED
    )
    with pytest.raises(ValidationFailed) as caught:
        paths.publish_path(programme, admin)
    assert "has not been published" in " ".join(caught.value.problems["publish"])
    assert programme.status is PathStatus.DRAFT


def test_versions_major_when_requirements_change_minor_otherwise(admin):
    programme = _draft_with(admin, "One")
    assert paths.publish_path(programme, admin).version == "1.0"
    programme.description = "Reworded."
    assert paths.publish_path(programme, admin).version == "1.1"
    paths.move_requirement(programme.requirements[0], "down")  # order alone is not a new set
    assert paths.publish_path(programme, admin).version == "1.2"
    paths.add_requirement(programme, admin, "content", {"title": "Two", "body": "x"}, ALLOWED)
    assert paths.publish_path(programme, admin).version == "2.0"


def test_enrol_freezes_a_snapshot_and_creates_ledger_and_tasks_once(app):
    tenant = TenantFactory()
    programme = published_path(tenant, requirements=3)
    learner = UserFactory(tenant=tenant)
    enrolment, created = paths.enrol(learner, programme)
    assert created
    assert enrolment.status is EnrolmentStatus.IN_PROGRESS
    assert enrolment.path_version == "1.0"
    assert [r["title"] for r in enrolment.program_snapshot["requirements"]] == [
        r.title for r in programme.requirements
    ]
    again, created_again = paths.enrol(learner, programme)
    assert again.id == enrolment.id and not created_again
    assert paths.initialise_ledger(enrolment) == 0
    rows = db.session.scalars(
        sa.select(RequirementProgress).where(RequirementProgress.enrolment_id == enrolment.id)
    ).all()
    assert [r.status for r in rows] == [ProgressStatus.PENDING] * 3
    tasks = db.session.scalars(
        sa.select(LearnerTask).where(LearnerTask.enrolment_id == enrolment.id)
    ).all()
    assert len(tasks) == 3


def test_existing_enrolments_stay_pinned_new_ones_take_the_latest(app):
    tenant = TenantFactory()
    admin = UserFactory(tenant=tenant, role=Role.ADMIN)
    quiz = QuizFactory(tenant_id=tenant.id)
    v1 = QuizVersionFactory(quiz=quiz, number=1)
    programme = PathFactory(tenant=tenant)
    RequirementFactory(programme=programme, kind=RequirementKind.QUIZ, quiz_id=quiz.id, settings={})
    db.session.expire(programme, ["requirements"])
    paths.publish_path(programme, admin)
    first, _ = paths.enrol(UserFactory(tenant=tenant), programme)
    snapshot_before = dict(first.program_snapshot)

    v2 = QuizVersionFactory(quiz=quiz, number=2)
    paths.add_requirement(programme, admin, "content", {"title": "New step", "body": "x"}, ALLOWED)
    paths.publish_path(programme, admin)
    second, _ = paths.enrol(UserFactory(tenant=tenant), programme)

    db.session.expire_all()
    assert first.program_snapshot == snapshot_before
    assert first.program_snapshot["requirements"][0]["quiz_version_id"] == v1.id
    assert len(first.progress) == 1
    assert second.program_snapshot["requirements"][0]["quiz_version_id"] == v2.id
    assert len(second.progress) == 2
    assert (first.path_version, second.path_version) == ("1.0", "2.0")


def test_enrolment_rules(app):
    tenant = TenantFactory()
    draft = PathFactory(tenant=tenant)
    learner = UserFactory(tenant=tenant)
    with pytest.raises(Conflict):
        paths.enrol(learner, draft)
    with pytest.raises(NotAllowed):
        paths.enrol(UserFactory(), published_path(tenant))


def test_self_enrolment_needs_permission_and_prerequisites(app):
    tenant = TenantFactory()
    basics = published_path(tenant, name="Basics")
    special = published_path(tenant, name="Special")
    special.prerequisites = [basics]
    closed = published_path(tenant, self_enrolment=False)
    learner = UserFactory(tenant=tenant)
    with pytest.raises(NotAllowed, match="Basics"):
        paths.self_enrol(learner, special)
    with pytest.raises(NotAllowed, match="administrator"):
        paths.self_enrol(learner, closed)
    enrolment, created = paths.self_enrol(learner, basics)
    assert created


def test_record_result_is_monotonic_and_completes_the_enrolment(app):
    tenant = TenantFactory()
    programme = published_path(tenant, requirements=2)
    enrolment, _ = paths.enrol(UserFactory(tenant=tenant), programme)
    first, second = (r["requirement_id"] for r in enrolment.program_snapshot["requirements"])
    completed = []
    hook = orchestration.on_completion(completed.append)
    try:
        orchestration.record_result(enrolment, first, ProgressStatus.FAILED)
        row = orchestration.record_result(enrolment, first, ProgressStatus.MET, evaluation_id=None)
        assert row.status is ProgressStatus.MET and row.attempt_count == 2
        met_at = row.completed_at
        row = orchestration.record_result(enrolment, first, ProgressStatus.FAILED)
        assert row.status is ProgressStatus.MET and row.completed_at == met_at
        assert row.attempt_count == 3
        assert enrolment.status is EnrolmentStatus.IN_PROGRESS
        orchestration.record_result(enrolment, second, ProgressStatus.MET)
    finally:
        orchestration.COMPLETION_HOOKS.remove(hook)
    # Completed, then certified by the issuance hook in the same transaction.
    assert enrolment.status is EnrolmentStatus.CERTIFIED and enrolment.completed_at
    assert completed == [enrolment]
    tasks = db.session.scalars(
        sa.select(LearnerTask.status).where(LearnerTask.enrolment_id == enrolment.id)
    ).all()
    assert set(tasks) == {TaskStatus.DONE}


def test_optional_requirements_do_not_block_completion(app):
    tenant = TenantFactory()
    programme = PathFactory(tenant=tenant)
    mandatory = RequirementFactory(programme=programme)
    RequirementFactory(programme=programme, is_mandatory=False)
    db.session.expire(programme, ["requirements"])
    paths.publish_path(programme, None)
    enrolment, _ = paths.enrol(UserFactory(tenant=tenant), programme)
    orchestration.mark_content_complete(enrolment, mandatory.id)
    assert enrolment.status is EnrolmentStatus.CERTIFIED


def test_record_result_for_an_unknown_requirement(app):
    tenant = TenantFactory()
    enrolment, _ = paths.enrol(UserFactory(tenant=tenant), published_path(tenant))
    with pytest.raises(Exception, match="not part of the enrolment"):
        orchestration.record_result(enrolment, 999_999, ProgressStatus.MET)


def test_bulk_enrolment_is_idempotent_with_a_summary(app):
    tenant = TenantFactory()
    admin = UserFactory(tenant=tenant, role=Role.ADMIN)
    programme = published_path(tenant)
    people = [UserFactory(tenant=tenant) for _ in range(3)] + [
        UserFactory(tenant=tenant, active=False)
    ]
    first = paths.enrol_many(programme, people, admin)
    assert (len(first["enrolled"]), len(first["already"]), len(first["refused"])) == (3, 0, 1)
    second = paths.enrol_many(programme, people, admin)
    assert (len(second["enrolled"]), len(second["already"])) == (0, 3)


def test_unit_scope_and_subtree(app):
    tenant = TenantFactory()
    root = OrgUnitFactory(tenant=tenant)
    child = OrgUnitFactory(tenant=tenant, parent_id=root.id)
    grandchild = OrgUnitFactory(tenant=tenant, parent_id=child.id)
    user = UserFactory(tenant=tenant, org_unit_id=child.id)
    assert paths.unit_scope(user) == {root.id, child.id}
    assert paths.unit_subtree(tenant.id, child.id) == {child.id, grandchild.id}


def test_archive_and_delete_rules(admin):
    draft = _draft_with(admin, "One")
    paths.delete_programme(draft, admin)
    published = _draft_with(admin, "One")
    published.slug = "another"
    paths.publish_path(published, admin)
    with pytest.raises(Conflict):
        paths.delete_programme(published, admin)
    paths.archive_programme(published, admin)
    assert published.status is PathStatus.ARCHIVED
    with pytest.raises(Conflict):
        paths.add_requirement(published, admin, "content", {"title": "x", "body": "y"}, ALLOWED)


def test_removing_a_requirement_keeps_it_for_existing_enrolments(app):
    tenant = TenantFactory()
    programme = published_path(tenant, requirements=2)
    enrolment, _ = paths.enrol(UserFactory(tenant=tenant), programme)
    removed = programme.requirements[0]
    paths.remove_requirement(removed, None)
    assert removed.removed_at is not None
    assert len(programme.requirements) == 1 and removed not in programme.requirements
    assert len(enrolment.program_snapshot["requirements"]) == 2


def test_reorder_requires_every_requirement_once(app):
    tenant = TenantFactory()
    programme = published_path(tenant, requirements=3)
    ids = [r.id for r in programme.requirements]
    with pytest.raises(ValidationFailed):
        paths.reorder_requirements(programme, ids[:2])
    paths.reorder_requirements(programme, list(reversed(ids)))
    assert [r.id for r in programme.requirements] == list(reversed(ids))
