"""Attempts: questions fixed at start, answers checked and saved, grading once, the ledger,
pass mark, cooldown, maximum attempts, deadline and the overdue job."""

from __future__ import annotations

import dataclasses
import random
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests import quizdata
from tests.factories import TenantFactory, UserFactory, enrolled_learner
from tests.quizdata import QUESTIONS, RIGHT, WRONG
from webapp import outbox
from webapp.errors import Conflict, NotFound, ValidationFailed
from webapp.extensions import db
from webapp.models import (
    EnrolmentStatus,
    Evaluation,
    EvaluationScoreVersion,
    EvaluationStatus,
    ProgressStatus,
    RequirementProgress,
)
from webapp.services import automated_evaluation as evaluation
from webapp.services import orchestration
from webapp.services.automated_evaluation import attempts


@pytest.fixture
def tenant(app):
    return TenantFactory()


def ledger(enrolment, requirement_id) -> RequirementProgress:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(RequirementProgress).where(
            RequirementProgress.enrolment_id == enrolment.id,
            RequirementProgress.requirement_id == requirement_id,
        )
    )


def take(learner, enrolment, requirement_id, answers):
    attempt, created = evaluation.start_attempt(learner, enrolment, requirement_id)
    assert created
    assert evaluation.submit_attempt(attempt, learner, answers)
    return attempt


# --- Start ---------------------------------------------------------------------------------


def test_start_draws_and_orders_the_questions_once_and_keeps_them(tenant):
    settings = {"draw_count": 3, "shuffle_questions": True, "shuffle_options": True}
    learner, enrolment, rid = enrolled_learner(tenant, settings=settings)
    attempt, created = evaluation.start_attempt(learner, enrolment, rid, rng=random.Random(4))
    order = attempt.meta["order"]
    assert created and len(order) == 3 and set(order) <= {q["id"] for q in QUESTIONS}
    for qid, options in attempt.meta["option_order"].items():
        assert qid in order and len(options) == len(options)
    # Starting again (a reload, a second tab) returns the same attempt, set and order.
    again, created = evaluation.start_attempt(learner, enrolment, rid, rng=random.Random(99))
    assert not created and again.id == attempt.id and again.meta["order"] == order
    shown = evaluation.public_questions(again)
    assert [q["id"] for q in shown] == order
    for question in shown:
        assert set(question) <= {"id", "type", "prompt", "points", "options", "scoring"}
        if question["id"] in attempt.meta["option_order"]:
            expected = attempt.meta["option_order"][question["id"]]
            assert [o["id"] for o in question["options"]] == expected


def test_without_settings_every_question_is_asked_in_the_authored_order(tenant):
    learner, enrolment, rid = enrolled_learner(tenant)
    attempt, _ = evaluation.start_attempt(learner, enrolment, rid)
    assert attempt.meta["order"] == [q["id"] for q in QUESTIONS]
    assert attempt.meta["option_order"] == {} and attempt.deadline_at is None
    assert attempt.meta["min_score"] == 80


def test_the_database_decides_between_two_concurrent_starts(tenant, monkeypatch):
    learner, enrolment, rid = enrolled_learner(tenant)
    first, _ = evaluation.start_attempt(learner, enrolment, rid)
    # A second request that read "nothing in progress" before the first committed: its
    # INSERT violates the partial unique index and it returns the first attempt.
    stale = evaluation.requirement_state(learner, enrolment, rid)
    stale = dataclasses.replace(stale, in_progress=None, blocker=None)
    monkeypatch.setattr(attempts, "requirement_state", lambda *a, **k: stale)
    second, created = evaluation.start_attempt(learner, enrolment, rid)
    assert not created and second.id == first.id
    count = db.session.scalar(sa.select(sa.func.count(Evaluation.id)))
    assert count == 1


def test_only_the_learners_own_quiz_requirements_can_be_started(tenant):
    learner, enrolment, rid = enrolled_learner(tenant)
    content_id = next(
        r["requirement_id"]
        for r in enrolment.program_snapshot["requirements"]
        if r["kind"] == "content"
    )
    with pytest.raises(NotFound):
        evaluation.start_attempt(learner, enrolment, content_id)
    with pytest.raises(NotFound):
        evaluation.start_attempt(learner, enrolment, 999_999)
    with pytest.raises(NotFound):
        evaluation.start_attempt(UserFactory(tenant=tenant), enrolment, rid)


# --- Answers ---------------------------------------------------------------------------------


def test_answers_are_normalised_cleared_and_kept(tenant):
    learner, enrolment, rid = enrolled_learner(tenant)
    attempt, _ = evaluation.start_attempt(learner, enrolment, rid)
    evaluation.save_answers(attempt, learner, RIGHT)
    assert attempt.answers == {
        "q1": "a",
        "q2": ["a", "b"],
        "q3": False,
        "q4": "zebra-assembly-point",
        "q5": "98764.6",
    }
    evaluation.save_answers(attempt, learner, {"q4": [""], "q2": [""], "q5": "1,5"})
    assert "q4" not in attempt.answers and "q2" not in attempt.answers
    assert attempt.answers["q5"] == "1.5"


@pytest.mark.parametrize(
    "bad",
    [
        {"q1": ["z"]},
        {"q1": ["a", "b"]},
        {"q2": ["a", "zz"]},
        {"q3": ["perhaps"]},
        {"q4": ["x" * 501]},
        {"q5": ["twelve"]},
        {"q5": ["1e999999999"]},
        {"q5": ["1" * 41]},
        {"q5": ["NaN"]},
        {"q4": ["ok", "two values"]},
    ],
)
def test_malformed_answers_are_refused_and_nothing_changes(tenant, bad):
    learner, enrolment, rid = enrolled_learner(tenant)
    attempt, _ = evaluation.start_attempt(learner, enrolment, rid)
    evaluation.save_answers(attempt, learner, {"q1": ["c"]})
    with pytest.raises(ValidationFailed) as refused:
        evaluation.save_answers(
            attempt, learner, {**bad, "q3": ["true"]} if "q3" not in bad else bad
        )
    assert set(refused.value.problems) == set(bad)
    db.session.expire_all()
    assert db.session.get(Evaluation, attempt.id).answers == {"q1": "c"}


def test_answers_to_other_questions_or_attempts_are_refused(tenant):
    learner, enrolment, rid = enrolled_learner(tenant, settings={"draw_count": 2})
    attempt, _ = evaluation.start_attempt(learner, enrolment, rid)
    left_out = next(q["id"] for q in QUESTIONS if q["id"] not in attempt.meta["order"])
    with pytest.raises(NotFound):
        evaluation.save_answers(attempt, learner, {left_out: ["a"]})
    with pytest.raises(NotFound):
        evaluation.save_answers(attempt, learner, {"not-a-question": ["a"]})
    with pytest.raises(NotFound):
        evaluation.save_answers(attempt, UserFactory(tenant=tenant), {})
    with pytest.raises(NotFound):
        evaluation.submit_attempt(attempt, UserFactory(tenant=TenantFactory()))
    assert attempt.answers == {} and attempt.status is EvaluationStatus.IN_PROGRESS


# --- Submit, grade once, the ledger -------------------------------------------------------


def test_a_pass_meets_the_requirement_once_however_often_it_is_submitted(tenant):
    learner, enrolment, rid = enrolled_learner(tenant)
    attempt = take(learner, enrolment, rid, RIGHT)
    assert attempt.status is EvaluationStatus.GRADED and attempt.passed is True
    assert attempt.percent == 100 and attempt.latest_score_version == 1
    assert attempt.meta["outcomes"]["q2"]["earned"] == "2"
    # A double click, a second tab: nothing more happens.
    assert evaluation.submit_attempt(attempt, learner) is False
    assert evaluation.submit_attempt(attempt, learner, WRONG) is False
    assert attempt.answers["q1"] == "a"
    versions = db.session.scalars(sa.select(EvaluationScoreVersion)).all()
    assert [(v.version, v.reason, v.passed) for v in versions] == [(1, "submitted", True)]
    row = ledger(enrolment, rid)
    assert row.status is ProgressStatus.MET and row.attempt_count == 1
    assert row.satisfied_by_evaluation_id == attempt.id
    state = evaluation.requirement_state(learner, enrolment, rid)
    assert state.is_met and state.blocker == "You have already passed this quiz."
    with pytest.raises(Conflict):
        evaluation.start_attempt(learner, enrolment, rid)


def test_the_last_mandatory_requirement_completes_the_enrolment(tenant):
    learner, enrolment, rid = enrolled_learner(tenant)
    content = next(
        r["requirement_id"]
        for r in enrolment.program_snapshot["requirements"]
        if r["kind"] == "content"
    )
    orchestration.mark_content_complete(enrolment, content)
    take(learner, enrolment, rid, RIGHT)
    db.session.expire_all()
    assert enrolment.status in (EnrolmentStatus.COMPLETED, EnrolmentStatus.CERTIFIED)


def test_a_fail_is_recorded_and_met_never_reverts(tenant, clock):
    learner, enrolment, rid = enrolled_learner(tenant)
    failed = take(learner, enrolment, rid, WRONG)
    assert failed.passed is False and failed.percent == 0
    row = ledger(enrolment, rid)
    assert row.status is ProgressStatus.FAILED and row.attempt_count == 1
    clock.advance(minutes=30)
    passed = take(learner, enrolment, rid, RIGHT)
    row = ledger(enrolment, rid)
    assert row.status is ProgressStatus.MET and row.attempt_count == 2
    assert row.satisfied_by_evaluation_id == passed.id
    # A later failing result (e.g. a late job) never downgrades it.
    orchestration.record_result(enrolment, rid, ProgressStatus.FAILED, evaluation_id=failed.id)
    assert ledger(enrolment, rid).status is ProgressStatus.MET


def test_partial_credit_below_the_pass_mark_fails_with_the_exact_percentage(tenant):
    learner, enrolment, rid = enrolled_learner(tenant)
    # 1 + 1 (half of q2) + 1 + 1 + 0 = 4 of 6 points.
    attempt = take(learner, enrolment, rid, {**RIGHT, "q2": ["a"], "q5": ["1"]})
    result = evaluation.attempt_result(attempt)
    assert result.score == "4 of 6" and result.percent == "66.67" and not result.passed


@pytest.mark.parametrize(
    ("points", "passes", "shown"),
    [
        (("79.99", "20.01"), False, "79.99"),
        (("80", "20"), True, "80"),
        (("80", "20.01"), False, "79.99"),
    ],
)
def test_the_pass_mark_is_decided_exactly(tenant, points, passes, shown):
    questions = [
        quizdata.true_false(id="a", points=points[0]),
        quizdata.true_false(id="b", points=points[1]),
    ]
    learner, enrolment, rid = enrolled_learner(tenant, questions=questions)
    attempt = take(learner, enrolment, rid, {"a": ["false"], "b": ["true"]})
    result = evaluation.attempt_result(attempt)
    assert attempt.passed is passes and result.passed is passes
    assert result.percent == shown
    assert ledger(enrolment, rid).status is (
        ProgressStatus.MET if passes else ProgressStatus.FAILED
    )


def test_the_requirements_own_minimum_score_applies(tenant):
    learner, enrolment, rid = enrolled_learner(tenant, min_score=50)
    attempt = take(learner, enrolment, rid, {**RIGHT, "q2": ["c"], "q5": ["1"]})  # 3 of 6
    assert attempt.passed is True and attempt.meta["min_score"] == 50


def test_a_pass_needing_a_mentor_waits_for_validation(tenant):
    learner, enrolment, rid = enrolled_learner(tenant, requires_peer_validation=True)
    attempt = take(learner, enrolment, rid, RIGHT)
    assert attempt.status is EvaluationStatus.AWAITING_VALIDATION and attempt.passed
    row = ledger(enrolment, rid)
    assert row.status is ProgressStatus.AWAITING_VALIDATION and row.attempt_count == 1
    assert row.satisfied_by_evaluation_id is None
    with pytest.raises(Conflict, match="waiting for a mentor"):
        evaluation.start_attempt(learner, enrolment, rid)


def test_a_pass_needing_a_mentor_notifies_the_mentors_in_scope(tenant):
    from tests.factories import UserFactory
    from webapp.models import Notification, Role

    mentor = UserFactory(tenant=tenant, role=Role.MENTOR)
    learner, enrolment, rid = enrolled_learner(tenant, requires_peer_validation=True)
    attempt = take(learner, enrolment, rid, RIGHT)
    notes = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == mentor.id)
    ).all()
    assert len(notes) == 1 and notes[0].link.endswith(f"/certs/reviews/attempts/{attempt.id}")
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(Notification.user_id == learner.id)
        )
        == 0
    )


def test_a_fail_needing_a_mentor_is_simply_failed(tenant):
    learner, enrolment, rid = enrolled_learner(tenant, requires_peer_validation=True)
    attempt = take(learner, enrolment, rid, WRONG)
    assert attempt.status is EvaluationStatus.GRADED
    assert ledger(enrolment, rid).status is ProgressStatus.FAILED


# --- Cooldown and maximum attempts --------------------------------------------------------


def test_after_a_fail_the_cooldown_refuses_at_29_59_and_allows_at_30_00(tenant, clock):
    learner, enrolment, rid = enrolled_learner(tenant)
    take(learner, enrolment, rid, WRONG)
    clock.advance(minutes=29, seconds=59)
    with pytest.raises(Conflict) as refused:
        evaluation.start_attempt(learner, enrolment, rid)
    assert "15 Jun 2026, 10:30:00 UTC" in refused.value.message
    state = evaluation.requirement_state(learner, enrolment, rid)
    assert not state.can_start and state.retry_at.isoformat() == "2026-06-15T10:30:00+00:00"
    assert db.session.scalar(sa.select(sa.func.count(Evaluation.id))) == 1
    clock.advance(seconds=1)
    attempt, created = evaluation.start_attempt(learner, enrolment, rid)
    assert created and attempt.status is EvaluationStatus.IN_PROGRESS


def test_the_cooldown_comes_from_the_quiz_or_the_configuration(tenant, clock, app):
    learner, enrolment, rid = enrolled_learner(tenant, settings={"cooldown_min": 5})
    take(learner, enrolment, rid, WRONG)
    clock.advance(minutes=4, seconds=59)
    with pytest.raises(Conflict, match="10:05:00"):
        evaluation.start_attempt(learner, enrolment, rid)
    clock.advance(seconds=1)
    evaluation.start_attempt(learner, enrolment, rid)

    app.config["QUIZ_RETRY_COOLDOWN_MIN"] = 90
    other, enrolment2, rid2 = enrolled_learner(tenant)
    take(other, enrolment2, rid2, WRONG)
    clock.advance(minutes=89)
    with pytest.raises(Conflict):
        evaluation.start_attempt(other, enrolment2, rid2)
    clock.advance(minutes=1)
    assert evaluation.start_attempt(other, enrolment2, rid2)[1] is True


def test_no_cooldown_with_zero_minutes(tenant):
    learner, enrolment, rid = enrolled_learner(tenant, settings={"cooldown_min": 0})
    take(learner, enrolment, rid, WRONG)
    assert evaluation.start_attempt(learner, enrolment, rid)[1] is True


def test_maximum_attempts_are_enforced(tenant, clock):
    learner, enrolment, rid = enrolled_learner(tenant, settings={"max_attempts": 2})
    take(learner, enrolment, rid, WRONG)
    state = evaluation.requirement_state(learner, enrolment, rid)
    assert (state.attempts_used, state.attempts_left) == (1, 1)
    clock.advance(minutes=30)
    take(learner, enrolment, rid, WRONG)
    clock.advance(minutes=30)
    with pytest.raises(Conflict, match="used all 2 attempts"):
        evaluation.start_attempt(learner, enrolment, rid)
    assert evaluation.requirement_state(learner, enrolment, rid).attempts_left == 0


def test_one_attempt_in_progress_per_quiz_across_programmes(tenant):
    learner, enrolment, rid = enrolled_learner(tenant)
    evaluation.start_attempt(learner, enrolment, rid)
    # The same quiz required by a second programme.
    from tests.factories import PathFactory, RequirementFactory
    from webapp.models import RequirementKind
    from webapp.services import certification_path_management as paths

    quiz_id = enrolment.program_snapshot["requirements"][0]["quiz_id"]
    programme = PathFactory(tenant=tenant)
    RequirementFactory(programme=programme, kind=RequirementKind.QUIZ, quiz_id=quiz_id, settings={})
    db.session.expire(programme, ["requirements"])
    paths.publish_path(programme, None)
    second, _ = paths.enrol(learner, programme)
    rid2 = second.program_snapshot["requirements"][0]["requirement_id"]
    with pytest.raises(Conflict, match="in progress in another programme"):
        evaluation.start_attempt(learner, second, rid2)


# --- Deadline -------------------------------------------------------------------------------


def test_answers_after_the_deadline_and_grace_are_refused(tenant, clock, app):
    app.config["QUIZ_DEADLINE_GRACE_SECONDS"] = 10
    learner, enrolment, rid = enrolled_learner(tenant, settings={"time_limit_min": 15})
    attempt, _ = evaluation.start_attempt(learner, enrolment, rid)
    assert attempt.deadline_at == attempt.started_at + timedelta(minutes=15)
    evaluation.save_answers(attempt, learner, {"q1": ["a"]})
    clock.advance(minutes=15, seconds=10)  # still inside the grace
    evaluation.save_answers(attempt, learner, {"q3": ["false"]})
    clock.advance(seconds=1)
    with pytest.raises(evaluation.DeadlinePassed):
        evaluation.save_answers(attempt, learner, {"q4": ["ZEBRA-ASSEMBLY-POINT"]})
    assert evaluation.is_overdue(attempt)
    # Submitting now grades what was saved in time and ignores the late answers.
    assert evaluation.submit_attempt(attempt, learner, {"q5": ["98765"]})
    assert attempt.answers == {"q1": "a", "q3": False}
    assert attempt.submitted_at == attempt.deadline_at
    assert attempt.raw_score == 2 and attempt.meta["finished_by"] == "deadline"


def test_an_overdue_attempt_is_graded_by_the_periodic_job(tenant, clock, app):
    learner, enrolment, rid = enrolled_learner(tenant, settings={"time_limit_min": 10})
    attempt, _ = evaluation.start_attempt(learner, enrolment, rid)
    evaluation.save_answers(attempt, learner, RIGHT)
    other_learner, other_enrolment, other_rid = enrolled_learner(tenant)
    untimed, _ = evaluation.start_attempt(other_learner, other_enrolment, other_rid)
    clock.advance(minutes=10)
    assert outbox.REGISTRY["finalize_overdue_attempts"]() == 0  # grace not over yet
    clock.advance(seconds=app.config["QUIZ_DEADLINE_GRACE_SECONDS"] + 1)
    assert outbox.REGISTRY["finalize_overdue_attempts"]() == 1
    assert outbox.REGISTRY["finalize_overdue_attempts"]() == 0  # twice: nothing more
    db.session.expire_all()
    graded = db.session.get(Evaluation, attempt.id)
    assert graded.status is EvaluationStatus.GRADED and graded.passed
    assert graded.submitted_at == graded.deadline_at
    assert db.session.get(Evaluation, untimed.id).status is EvaluationStatus.IN_PROGRESS
    assert ledger(enrolment, rid).status is ProgressStatus.MET


def test_starting_again_after_the_time_ran_out_grades_the_old_attempt_first(tenant, clock):
    learner, enrolment, rid = enrolled_learner(tenant, settings={"time_limit_min": 5})
    attempt, _ = evaluation.start_attempt(learner, enrolment, rid)
    evaluation.save_answers(attempt, learner, WRONG)
    clock.advance(minutes=6)
    with pytest.raises(Conflict, match="10:35:00"):  # cooldown from the deadline at 10:05
        evaluation.start_attempt(learner, enrolment, rid)
    assert attempt.status is EvaluationStatus.GRADED
    assert ledger(enrolment, rid).status is ProgressStatus.FAILED
    clock.advance(minutes=29)
    assert evaluation.start_attempt(learner, enrolment, rid)[1] is True
