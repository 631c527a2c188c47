"""Regrading: correcting a published key, the batch job rescoring every affected attempt into
a new score version, the ledger re-evaluated (newly met, met stays met), audit events, and a
second run that changes nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.factories import TenantFactory, UserFactory, enrolled_learner
from tests.quizdata import RIGHT, WRONG
from webapp import outbox
from webapp.errors import NotFound, ValidationFailed
from webapp.extensions import db
from webapp.models import (
    AuditEvent,
    EnrolmentStatus,
    Evaluation,
    EvaluationScoreVersion,
    EvaluationStatus,
    JobRecord,
    ProgressStatus,
    Quiz,
    QuizVersion,
    RegradeBatch,
    RegradeStatus,
    RequirementProgress,
    Role,
)
from webapp.services import automated_evaluation as evaluation
from webapp.services import orchestration
from webapp.services.automated_evaluation import regrading

# 4 of 6: q4 answered "nope" (a key that should have been accepted) and q5 wrong -> 66.66 %.
# Accepting "nope" for q4 makes it 5 of 6 = 83.33 %: a pass.
ALMOST = {**RIGHT, "q4": ["nope"], "q5": ["1"]}


@pytest.fixture
def tenant(app):
    app.config["REDIS_URL"] = None  # jobs run in-process
    return TenantFactory()


@pytest.fixture
def admin(tenant):
    return UserFactory(tenant=tenant, role=Role.ADMIN)


def take(tenant, answers, *, enrolled=None, **kwargs):
    learner, enrolment, rid = enrolled or enrolled_learner(tenant, **kwargs)
    attempt, _ = evaluation.start_attempt(learner, enrolment, rid)
    evaluation.submit_attempt(attempt, learner, answers)
    return learner, enrolment, rid, attempt


def row(enrolment, rid) -> RequirementProgress:
    return db.session.scalar(
        sa.select(RequirementProgress).where(
            RequirementProgress.enrolment_id == enrolment.id,
            RequirementProgress.requirement_id == rid,
        )
    )


def run_job(batch_id):
    outbox.REGISTRY["regrade_batch"](batch_id)
    db.session.expire_all()


def snapshot():
    """Everything a regrade can change, to compare two runs."""
    db.session.expire_all()
    return (
        db.session.execute(
            sa.select(
                EvaluationScoreVersion.evaluation_id,
                EvaluationScoreVersion.version,
                EvaluationScoreVersion.percent,
            ).order_by(EvaluationScoreVersion.id)
        ).all(),
        db.session.execute(
            sa.select(
                RequirementProgress.id,
                RequirementProgress.status,
                RequirementProgress.attempt_count,
                RequirementProgress.satisfied_by_evaluation_id,
            ).order_by(RequirementProgress.id)
        ).all(),
        db.session.scalar(sa.select(sa.func.count(AuditEvent.id))),
        db.session.execute(
            sa.select(
                RegradeBatch.status,
                RegradeBatch.attempts_rescored,
                RegradeBatch.requirements_newly_met,
            )
        ).all(),
    )


def test_correcting_a_key_regrades_every_affected_attempt(tenant, admin, clock):
    learner, enrolment, rid, attempt = take(tenant, ALMOST)
    content = next(
        r["requirement_id"]
        for r in enrolment.program_snapshot["requirements"]
        if r["kind"] == "content"
    )
    orchestration.mark_content_complete(enrolment, content)
    version = attempt.quiz_version
    # A second learner of the same version who already passed stays passed.
    passed_learner = take(tenant, RIGHT, enrolled=_same_version(tenant, version))[3]
    assert attempt.passed is False and row(enrolment, rid).status is ProgressStatus.FAILED

    clock.advance(minutes=5)
    batch = evaluation.correct_question(
        version, admin, "q4", {"accepted": ["ZEBRA-ASSEMBLY-POINT", "Nope"]}, "Both are right"
    )
    assert batch.status is RegradeStatus.PENDING and batch.attempts_total == 2
    assert version.questions[3]["accepted"] == ["ZEBRA-ASSEMBLY-POINT", "Nope"]
    assert version.corrections[0]["before"] == {"accepted": ["ZEBRA-ASSEMBLY-POINT"]}
    assert version.corrections[0]["reason"] == "Both are right"
    record = db.session.scalar(sa.select(JobRecord).where(JobRecord.name == "regrade_batch"))
    assert record.args == [batch.id]

    run_job(batch.id)
    batch = db.session.get(RegradeBatch, batch.id)
    assert batch.status is RegradeStatus.DONE and batch.finished_at is not None
    assert (batch.attempts_rescored, batch.requirements_newly_met) == (2, 1)
    regraded = db.session.get(Evaluation, attempt.id)
    assert [(v.version, v.passed) for v in regraded.score_versions] == [(1, False), (2, True)]
    assert regraded.score_versions[0].percent < 80  # the old version is kept
    assert regraded.score_versions[1].regrade_batch_id == batch.id
    assert regraded.latest_score_version == 2 and regraded.passed is True
    assert str(regraded.percent) == "83.3333"
    assert evaluation.attempt_result(regraded).percent == "83.33"
    ledger = row(enrolment, rid)
    assert ledger.status is ProgressStatus.MET and ledger.satisfied_by_evaluation_id == attempt.id
    assert ledger.attempt_count == 1  # a regrade is not a new attempt
    assert db.session.get(type(enrolment), enrolment.id).status in (
        EnrolmentStatus.COMPLETED,
        EnrolmentStatus.CERTIFIED,
    )
    other = db.session.get(Evaluation, passed_learner.id)
    assert other.latest_score_version == 2 and other.passed is True

    actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions.count("quiz.question_corrected") == 1
    assert actions.count("evaluation.regraded") == 1  # only the attempt whose score changed
    assert actions.count("quiz.regraded") == 1

    # Running the job again (a retry, a duplicate) changes nothing.
    before = snapshot()
    run_job(batch.id)
    assert snapshot() == before
    # A retry after a crash before the final commit skips the attempts already rescored.
    db.session.get(RegradeBatch, batch.id).status = RegradeStatus.RUNNING
    db.session.flush()
    before = snapshot()
    run_job(batch.id)
    after = snapshot()
    assert after[:2] == before[:2] and after[3] == [(RegradeStatus.DONE, 2, 1)]


def _same_version(tenant, version):
    """A learner of another programme pinned to the same quiz version."""
    from tests.factories import PathFactory, RequirementFactory
    from webapp.models import RequirementKind
    from webapp.services import certification_path_management as paths

    programme = PathFactory(tenant=tenant)
    RequirementFactory(
        programme=programme, kind=RequirementKind.QUIZ, quiz_id=version.quiz_id, settings={}
    )
    db.session.expire(programme, ["requirements"])
    paths.publish_path(programme, None)
    learner = UserFactory(tenant=tenant)
    enrolment, _ = paths.enrol(learner, programme)
    return learner, enrolment, enrolment.program_snapshot["requirements"][0]["requirement_id"]


def test_a_met_requirement_stays_met_when_its_attempt_now_fails(tenant, admin):
    learner, enrolment, rid, attempt = take(tenant, RIGHT)
    batch = evaluation.correct_question(
        attempt.quiz_version, admin, "q1", {"correct": ["b"]}, "The key was swapped"
    )
    batch2 = evaluation.correct_question(
        attempt.quiz_version, admin, "q2", {"correct": ["c"], "scoring": "partial"}, "Also"
    )
    run_job(batch.id)
    run_job(batch2.id)
    regraded = db.session.get(Evaluation, attempt.id)
    assert [v.version for v in regraded.score_versions] == [1, 2, 3]
    assert regraded.passed is False and str(regraded.percent) == "50.0000"
    assert row(enrolment, rid).status is ProgressStatus.MET
    assert db.session.get(RegradeBatch, batch.id).requirements_newly_met == 0


def test_a_newly_passing_attempt_that_needs_a_mentor_waits_for_one(tenant, admin):
    learner, enrolment, rid, attempt = take(tenant, ALMOST, requires_peer_validation=True)
    assert attempt.status is EvaluationStatus.GRADED
    batch = evaluation.correct_question(
        attempt.quiz_version, admin, "q4", {"accepted": ["nope"]}, "Renamed assembly point"
    )
    run_job(batch.id)
    regraded = db.session.get(Evaluation, attempt.id)
    assert regraded.status is EvaluationStatus.AWAITING_VALIDATION and regraded.passed
    assert row(enrolment, rid).status is ProgressStatus.AWAITING_VALIDATION
    assert db.session.get(RegradeBatch, batch.id).requirements_newly_met == 0


def test_an_attempt_awaiting_a_mentor_that_now_fails_needs_no_mentor(tenant, admin):
    learner, enrolment, rid, attempt = take(tenant, RIGHT, requires_peer_validation=True)
    assert attempt.status is EvaluationStatus.AWAITING_VALIDATION
    batch = evaluation.correct_question(
        attempt.quiz_version, admin, "q2", {"correct": ["c"], "scoring": "partial"}, "Wrong key"
    )
    run_job(batch.id)
    regraded = db.session.get(Evaluation, attempt.id)
    assert regraded.status is EvaluationStatus.GRADED and regraded.passed is False
    assert row(enrolment, rid).status is ProgressStatus.FAILED


def test_attempts_without_the_question_or_in_progress_are_not_rescored(tenant, admin):
    learner, enrolment, rid, drawn = take(tenant, {}, settings={"draw_count": 2})
    version = drawn.quiz_version
    missing = next(q["id"] for q in version.questions if q["id"] not in drawn.meta["order"])
    other = _same_version(tenant, version)
    running, _ = evaluation.start_attempt(*other)
    batch = evaluation.correct_question(
        version, admin, missing, _changed_key(version, missing), "Correction"
    )
    assert batch.attempts_total == 0
    run_job(batch.id)
    assert db.session.get(RegradeBatch, batch.id).attempts_rescored == 0
    assert db.session.get(Evaluation, drawn.id).latest_score_version == 1
    assert db.session.get(Evaluation, running.id).latest_score_version == 0


def _changed_key(version, question_id):
    question = evaluation.find_version_question(version, question_id)
    return {
        "single": {"correct": ["c"]},
        "multiple": {"correct": ["c"], "scoring": "partial"},
        "true_false": {"correct": True},
        "short_text": {"accepted": ["other"]},
        "numeric": {"value": "1", "tolerance": "0"},
    }[question["type"]]


def test_the_draft_gets_the_correction_when_it_still_has_the_old_key(tenant, admin):
    _, _, _, attempt = take(tenant, WRONG)
    version = attempt.quiz_version
    quiz = db.session.get(Quiz, version.quiz_id)
    quiz.questions = [
        *[dict(q) for q in quiz.questions[:4]],
        {**quiz.questions[4], "value": "3"},  # already changed in the draft
    ]
    db.session.flush()
    evaluation.correct_question(version, admin, "q3", {"correct": True}, "Doors may, here")
    evaluation.correct_question(version, admin, "q5", {"value": "4", "tolerance": "0"}, "Count")
    db.session.expire_all()
    quiz = db.session.get(Quiz, version.quiz_id)
    assert quiz.questions[2]["correct"] is True
    assert quiz.questions[4]["value"] == "3"


@pytest.mark.parametrize(
    ("question_id", "data", "reason", "fields"),
    [
        ("q4", {"accepted": ["ZEBRA-ASSEMBLY-POINT"]}, "same", {"key"}),
        ("q4", {"accepted": ["other"]}, "  ", {"reason"}),
        ("q4", {"accepted": ["other"]}, "x" * 1001, {"reason"}),
        ("q4", {"accepted": []}, "why", {"key"}),
        ("q1", {"correct": ["zz"]}, "why", {"key"}),
        ("q1", {"correct": ["a", "b"]}, "why", {"correct"}),
        ("q1", {"correct": []}, "why", {"key"}),
        ("q2", {"correct": ["a"], "scoring": "sometimes"}, "why", {"scoring"}),
        ("q3", {"correct": None}, "why", {"key"}),
        ("q5", {"value": "many", "tolerance": "0"}, "why", {"value"}),
        ("q5", {"value": "1", "tolerance": "-1"}, "why", {"tolerance"}),
    ],
)
def test_a_bad_correction_is_refused_and_changes_nothing(
    tenant, admin, question_id, data, reason, fields
):
    _, _, _, attempt = take(tenant, WRONG)
    version = attempt.quiz_version
    before = [dict(q) for q in version.questions]
    with pytest.raises(ValidationFailed) as refused:
        evaluation.correct_question(version, admin, question_id, data, reason)
    assert set(refused.value.problems) == fields
    db.session.expire_all()
    assert db.session.get(QuizVersion, version.id).questions == before
    assert db.session.scalar(sa.select(sa.func.count(RegradeBatch.id))) == 0


def test_unknown_questions_and_other_tenants_are_not_found(tenant, admin):
    _, _, _, attempt = take(tenant, WRONG)
    with pytest.raises(NotFound):
        evaluation.correct_question(attempt.quiz_version, admin, "q9", {}, "why")
    stranger = UserFactory(tenant=TenantFactory(), role=Role.ADMIN)
    with pytest.raises(NotFound):
        evaluation.correct_question(
            attempt.quiz_version, stranger, "q4", {"accepted": ["x"]}, "why"
        )


def test_a_failing_job_marks_the_batch_failed_and_a_retry_finishes_it(tenant, admin, monkeypatch):
    _, _, _, attempt = take(tenant, ALMOST)
    batch = evaluation.correct_question(
        attempt.quiz_version, admin, "q4", {"accepted": ["nope"]}, "Renamed"
    )
    original = regrading.regrade_attempt

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(regrading, "regrade_attempt", broken)
    with pytest.raises(RuntimeError):
        outbox.REGISTRY["regrade_batch"](batch.id)
    db.session.expire_all()
    failed = db.session.get(RegradeBatch, batch.id)
    assert failed.status is RegradeStatus.FAILED and "database went away" in failed.error
    monkeypatch.setattr(regrading, "regrade_attempt", original)
    run_job(batch.id)
    done = db.session.get(RegradeBatch, batch.id)
    assert done.status is RegradeStatus.DONE and done.attempts_rescored == 1 and not done.error
