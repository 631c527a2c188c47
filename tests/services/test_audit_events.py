"""The audit events the services write: before and after values of edits, the person an event
is about, nothing written when nothing changed, and the pure helpers of the log."""

from __future__ import annotations

import sqlalchemy as sa

from tests import quizdata
from tests.factories import (
    PathFactory,
    QuizFactory,
    RequirementFactory,
    TenantFactory,
    UserFactory,
    issued_certificate,
    published_path,
)
from webapp.extensions import db
from webapp.models import AuditEvent, Role
from webapp.services import audit, audit_log, programme_files, skills_portfolio
from webapp.services import automated_evaluation as evaluation
from webapp.services import certification_path_management as paths


def actions(**where) -> list[str]:
    db.session.flush()
    statement = sa.select(AuditEvent.action).order_by(AuditEvent.id)
    for name, value in where.items():
        statement = statement.where(getattr(AuditEvent, name) == value)
    return list(db.session.scalars(statement))


def last(action: str) -> AuditEvent:
    db.session.flush()
    return db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc())
    ).first()


def test_changes_lists_only_what_differs():
    assert audit.changes({"a": 1, "b": [1], "c": None}, {"a": 2, "b": [1], "d": "x"}) == {
        "a": {"before": 1, "after": 2},
        "d": {"before": None, "after": "x"},
    }


def test_an_event_is_dated_when_recorded(app, clock):
    tenant = TenantFactory()
    recorded_at = clock.now()
    event = audit.record(tenant.id, None, "quiz.created", "quiz", 1)
    clock.advance(hours=2)
    db.session.flush()  # the session writes it later: it keeps the time it happened
    assert event.created_at == recorded_at


def test_a_programme_edit_records_its_before_and_after_values(app):
    tenant = TenantFactory()
    admin = UserFactory(tenant=tenant, role=Role.ADMIN)
    prerequisite = published_path(tenant, name="Basics")
    programme = paths.create_programme(
        tenant.id, admin, {"name": "Ladders", "slug": "ladders", "level": "foundation"}
    )
    paths.update_programme(
        programme,
        admin,
        {
            "name": "Ladders",
            "slug": "ladders",
            "level": "advanced",
            "validity_days": 365,
            "prerequisite_ids": [prerequisite.id],
            "skill_names": ["Climbing"],
        },
    )
    assert last("programme.updated").data["changes"] == {
        "level": {"before": "foundation", "after": "advanced"},
        "validity_days": {"before": None, "after": 365},
        "prerequisites": {"before": [], "after": ["Basics"]},
        "skills": {"before": [], "after": ["Climbing"]},
    }


def test_requirement_events_name_their_programme(app):
    tenant = TenantFactory()
    admin = UserFactory(tenant=tenant, role=Role.ADMIN)
    programme = PathFactory(tenant=tenant)
    first, second = RequirementFactory(programme=programme), RequirementFactory(programme=programme)
    db.session.expire(programme, ["requirements"])
    paths.move_requirement(first, "up", admin)  # already first: nothing moves, nothing written
    paths.move_requirement(second, "up", admin)
    moved = last("requirement.moved")
    assert moved.data["changes"] == {"position": {"before": 2, "after": 1}}
    assert moved.data["programme_id"] == programme.id
    paths.update_requirement(
        second, admin, {"title": "Read it all", "body": "New text.", "is_mandatory": True}, ()
    )
    changed = last("requirement.updated").data["changes"]
    assert changed["title"]["after"] == "Read it all"
    assert changed["settings"]["after"] == {"body": "New text.", "video_url": None}
    paths.remove_requirement(first, admin)
    assert actions(object_type="requirement") == [
        "requirement.moved",
        "requirement.updated",
        "requirement.removed",
    ]


def test_quiz_edits_that_change_nothing_write_nothing(app):
    tenant = TenantFactory()
    admin = UserFactory(tenant=tenant, role=Role.ADMIN)
    quiz = QuizFactory(tenant=tenant, questions=quizdata.canonical())
    db.session.flush()
    evaluation.update_settings(quiz, admin, {})
    evaluation.move_question(quiz, admin, "q1", -1)  # already first
    evaluation.update_question(quiz, admin, "q3", quizdata.EDITOR_INPUT["true_false"])
    evaluation.update_question(quiz, admin, "q3", quizdata.EDITOR_INPUT["true_false"])
    evaluation.update_settings(quiz, admin, {"max_attempts": 3})
    assert actions(object_id=quiz.id) == ["quiz.question_updated", "quiz.settings_updated"]
    assert last("quiz.settings_updated").data["changes"] == {
        "max_attempts": {"before": None, "after": 3}
    }
    assert last("quiz.question_updated").data["question_id"] == "q3"


def test_enrolments_name_the_person(app):
    tenant = TenantFactory()
    admin = UserFactory(tenant=tenant, role=Role.ADMIN)
    programme = published_path(tenant)
    learner = UserFactory(tenant=tenant)
    paths.self_enrol(learner, programme)
    paths.self_enrol(learner, programme)  # already enrolled: nothing new
    assert actions(action="enrolment.self", subject_user_id=learner.id) == ["enrolment.self"]
    one = UserFactory(tenant=tenant)
    paths.enrol_many(programme, [one], admin)
    assert last("enrolment.bulk").subject_user_id == one.id
    paths.enrol_many(programme, [UserFactory(tenant=tenant), UserFactory(tenant=tenant)], admin)
    bulk = last("enrolment.bulk")
    assert bulk.subject_user_id is None and bulk.data["enrolled"] == 2


def test_portfolio_sharing_is_audited_once_per_change(app):
    certificate = issued_certificate()
    holder = certificate.user
    portfolio = skills_portfolio.ensure_portfolio(holder)
    skills_portfolio.unpublish(portfolio)  # not published: nothing to take down
    skills_portfolio.publish(portfolio)
    skills_portfolio.publish(portfolio)  # already published
    skills_portfolio.set_public_items(portfolio, {item.id for item in portfolio.items})
    skills_portfolio.unpublish(portfolio)
    assert actions(subject_user_id=holder.id, actor_id=holder.id) == [
        "portfolio.published",
        "portfolio.visibility_changed",
        "portfolio.unpublished",
    ]
    title = portfolio.items[0].title
    assert last("portfolio.visibility_changed").data["changes"] == {
        "public_items": {"before": [], "after": [title]}
    }


def test_programme_exports_are_audited(app):
    tenant = TenantFactory()
    admin = UserFactory(tenant=tenant, role=Role.ADMIN)
    programme = published_path(tenant, requirements=3)
    document = programme_files.export_programme(programme)
    programme_files.record_export(programme, admin, document)
    event = last("programme.exported")
    assert (event.actor_id, event.object_id, event.data) == (
        admin.id,
        programme.id,
        {"requirements": 3, "quizzes": 0},
    )


def test_events_about_a_certificate_name_its_holder(app):
    certificate = issued_certificate()
    assert last("certificate.issued").subject_user_id == certificate.user_id


def test_details_read_as_a_definition_list():
    lines = audit_log.details(
        {
            "reason": "Typo",
            "public": True,
            "skills": ["A", "B"],
            "changes": {"name": {"before": "Old", "after": "New"}},
            "nested": {"k": [1]},
            "empty": None,
        }
    )
    assert [(d.name, d.value, d.before, d.after, d.changed) for d in lines] == [
        ("Name", "", "Old", "New", True),
        ("Empty", "—", "", "", False),
        ("Nested", '{"k": [1]}', "", "", False),
        ("Public", "yes", "", "", False),
        ("Reason", "Typo", "", "", False),
        ("Skills", "A, B", "", "", False),
    ]


def test_labels_fall_back_to_the_code_name():
    assert audit_log.action_label("review.approved") == "Mentor approved"
    assert audit_log.action_label("people.role_changed") == "People role changed"
    assert audit_log.object_label("org_unit") == "Org unit"
    assert audit_log.object_label("grace_period") == "Grace period"
