"""factory_boy factories; they flush, never commit."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import factory
import sqlalchemy as sa
from factory.alchemy import SQLAlchemyModelFactory
from werkzeug.security import generate_password_hash

from tests import quizdata
from webapp import clock
from webapp.extensions import db
from webapp.models import (
    CertificationPath,
    Enrolment,
    EnrolmentStatus,
    Evaluation,
    EvaluationScoreVersion,
    EvaluationStatus,
    Level,
    OrgUnit,
    PathRequirement,
    PathStatus,
    PlatformOperator,
    ProgressStatus,
    Quiz,
    QuizVersion,
    RequirementKind,
    Role,
    Skill,
    Tenant,
    User,
)
from webapp.services import certificates, orchestration
from webapp.services import certification_path_management as paths
from webapp.services.automated_evaluation import DEFAULT_SETTINGS

# One cheap hash for every factory user (the real cost factor is for real passwords).
_PASSWORD_HASH = generate_password_hash("correct horse battery staple", method="pbkdf2:sha256:1000")


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class TenantFactory(Base):
    class Meta:
        model = Tenant

    name = factory.Sequence(lambda n: f"Tenant {n}")
    slug = factory.Sequence(lambda n: f"tenant-{n}")


class OrgUnitFactory(Base):
    class Meta:
        model = OrgUnit
        exclude = ("tenant",)

    tenant = factory.SubFactory(TenantFactory)
    tenant_id = factory.SelfAttribute("tenant.id")
    name = factory.Sequence(lambda n: f"Unit {n}")


class UserFactory(Base):
    class Meta:
        model = User
        exclude = ("tenant",)

    tenant = factory.SubFactory(TenantFactory)
    tenant_id = factory.SelfAttribute("tenant.id")
    email = factory.Sequence(lambda n: f"user{n}@example.test")
    full_name = factory.Sequence(lambda n: f"User Number{n}")
    role = Role.LEARNER
    password_hash = _PASSWORD_HASH


class SkillFactory(Base):
    class Meta:
        model = Skill
        exclude = ("tenant",)

    tenant = factory.SubFactory(TenantFactory)
    tenant_id = factory.SelfAttribute("tenant.id")
    name = factory.Sequence(lambda n: f"Skill {n}")


class PathFactory(Base):
    class Meta:
        model = CertificationPath
        exclude = ("tenant",)

    tenant = factory.SubFactory(TenantFactory)
    tenant_id = factory.SelfAttribute("tenant.id")
    name = factory.Sequence(lambda n: f"Programme {n}")
    slug = factory.Sequence(lambda n: f"programme-{n}")
    description = "A programme."
    level = Level.FOUNDATION
    status = PathStatus.DRAFT


class QuizFactory(Base):
    class Meta:
        model = Quiz
        exclude = ("tenant",)

    tenant = factory.SubFactory(TenantFactory)
    tenant_id = factory.SelfAttribute("tenant.id")
    title = factory.Sequence(lambda n: f"Quiz {n}")
    questions = factory.LazyFunction(quizdata.default_questions)
    settings = factory.LazyFunction(dict)


class QuizVersionFactory(Base):
    class Meta:
        model = QuizVersion
        exclude = ("quiz",)

    quiz = factory.SubFactory(QuizFactory)
    tenant_id = factory.SelfAttribute("quiz.tenant_id")
    quiz_id = factory.SelfAttribute("quiz.id")
    number = 1
    title = factory.SelfAttribute("quiz.title")
    questions = factory.SelfAttribute("quiz.questions")
    settings = factory.SelfAttribute("quiz.settings")


class RequirementFactory(Base):
    class Meta:
        model = PathRequirement
        exclude = ("programme",)

    programme = factory.SubFactory(PathFactory)
    tenant_id = factory.SelfAttribute("programme.tenant_id")
    path_id = factory.SelfAttribute("programme.id")
    kind = RequirementKind.CONTENT
    title = factory.Sequence(lambda n: f"Requirement {n}")
    sort_order = factory.Sequence(lambda n: n)
    settings = factory.LazyFunction(lambda: {"body": "Read this."})


def published_path(tenant: Tenant, *, requirements: int = 2, **kwargs) -> CertificationPath:
    """A published programme with `requirements` content requirements (version 1.0)."""

    programme = PathFactory(tenant=tenant, **kwargs)
    for _ in range(requirements):
        RequirementFactory(programme=programme)
    db.session.expire(programme, ["requirements"])
    paths.publish_path(programme, None)
    return programme


def issued_certificate(tenant: Tenant | None = None, user: User | None = None, **programme_kwargs):
    """A certificate issued the real way: a published one-requirement programme, enrolment,
    content marked complete (orchestration issues it in the same transaction)."""

    tenant = tenant or (user.tenant if user is not None else TenantFactory())
    user = user or UserFactory(tenant=tenant)
    programme = published_path(tenant, requirements=1, **programme_kwargs)
    enrolment, _ = paths.enrol(user, programme)
    requirement_id = enrolment.program_snapshot["requirements"][0]["requirement_id"]
    orchestration.mark_content_complete(enrolment, requirement_id)
    return certificates.certificate_of(enrolment.id)


def evidence_path(
    tenant: Tenant,
    *,
    required_approvals: int = 1,
    accepted_types: tuple[str, ...] = ("pdf", "png", "txt"),
    content_requirements: int = 1,
    **kwargs,
) -> CertificationPath:
    """A published programme whose first requirement is evidence, then content requirements."""

    programme = PathFactory(tenant=tenant, **kwargs)
    RequirementFactory(
        programme=programme,
        kind=RequirementKind.EVIDENCE,
        title="Inspection report",
        settings={
            "instructions": "Upload the signed inspection report.",
            "accepted_types": list(accepted_types),
            "required_approvals": required_approvals,
        },
    )
    for _ in range(content_requirements):
        RequirementFactory(programme=programme)
    db.session.expire(programme, ["requirements"])
    paths.publish_path(programme, None)
    return programme


def peer_quiz_path(tenant: Tenant, **kwargs) -> CertificationPath:
    """A published programme: a quiz needing a mentor's validation, then a content requirement."""

    version = QuizVersionFactory(quiz=QuizFactory(tenant=tenant))
    programme = PathFactory(tenant=tenant, **kwargs)
    RequirementFactory(
        programme=programme,
        kind=RequirementKind.QUIZ,
        title="Safety quiz",
        quiz_id=version.quiz_id,
        settings={"requires_peer_validation": True},
    )
    RequirementFactory(programme=programme)
    db.session.expire(programme, ["requirements"])
    paths.publish_path(programme, None)
    return programme


def awaiting_evaluation(enrolment: Enrolment, requirement_id: int, **kwargs) -> Evaluation:
    """A submitted, passing attempt waiting for a mentor, recorded in the ledger as the quiz
    flow records it (the attempt counted, the requirement awaiting validation)."""

    definition = orchestration.snapshot_requirement(enrolment, requirement_id)
    version = db.session.get(QuizVersion, definition["quiz_version_id"])
    now = clock.now()
    values = {
        "tenant_id": enrolment.tenant_id,
        "user_id": enrolment.user_id,
        "quiz_id": version.quiz_id,
        "quiz_version_id": version.id,
        "enrolment_id": enrolment.id,
        "requirement_id": requirement_id,
        "status": EvaluationStatus.AWAITING_VALIDATION,
        "started_at": now,
        "submitted_at": now,
        "answers": {"q1": True},
        "raw_score": Decimal(1),
        "max_score": Decimal(1),
        "percent": Decimal(100),
        "passed": True,
        "meta": {"order": ["q1"]},
        **kwargs,
    }
    evaluation = Evaluation(**values)
    db.session.add(evaluation)
    db.session.flush()
    orchestration.record_result(
        enrolment, requirement_id, ProgressStatus.AWAITING_VALIDATION, evaluation_id=evaluation.id
    )
    return evaluation


def quiz_path(
    tenant: Tenant,
    *,
    questions: list[dict] | None = None,
    settings: dict | None = None,
    min_score: int | None = None,
    requires_peer_validation: bool = False,
    content_requirements: int = 1,
    **kwargs,
) -> CertificationPath:
    """A published programme: a quiz requirement (its quiz published as version 1 with
    `questions` and `settings` over the defaults), then `content_requirements` content ones."""

    quiz_kwargs = {"questions": questions} if questions is not None else {}
    quiz = QuizFactory(
        tenant=tenant, settings={**DEFAULT_SETTINGS, **(settings or {})}, **quiz_kwargs
    )
    QuizVersionFactory(quiz=quiz)
    programme = PathFactory(tenant=tenant, **kwargs)
    RequirementFactory(
        programme=programme,
        kind=RequirementKind.QUIZ,
        title="Safety quiz",
        quiz_id=quiz.id,
        min_score=min_score,
        settings={"requires_peer_validation": requires_peer_validation},
    )
    for _ in range(content_requirements):
        RequirementFactory(programme=programme)
    db.session.expire(programme, ["requirements"])
    paths.publish_path(programme, None)
    return programme


def enrolled_learner(tenant: Tenant, *, questions: list[dict] | None = None, **quiz_kwargs):
    """(learner, enrolment, quiz requirement id) in a fresh `quiz_path` of `tenant` whose quiz
    has `questions` (by default the canonical set of tests/quizdata.py)."""

    programme = quiz_path(tenant, questions=questions or quizdata.canonical(), **quiz_kwargs)
    learner = UserFactory(tenant=tenant)
    enrolment, _ = paths.enrol(learner, programme)
    requirement_id = next(
        r["requirement_id"]
        for r in enrolment.program_snapshot["requirements"]
        if r["kind"] == "quiz"
    )
    return learner, enrolment, requirement_id


# --- Org units and programme enrolments (issue 12) ------------------------------------------


def unit_at(tenant: Tenant, path: str) -> OrgUnit:
    """The org unit at `path` ("Operations/North"), creating the missing units on the way."""

    parent = None
    for name in path.split("/"):
        unit = db.session.scalar(
            sa.select(OrgUnit).where(
                OrgUnit.tenant_id == tenant.id,
                OrgUnit.name == name,
                OrgUnit.parent_id.is_(None) if parent is None else OrgUnit.parent_id == parent.id,
            )
        )
        parent = unit or OrgUnitFactory(
            tenant=tenant, name=name, parent_id=parent.id if parent else None
        )
    return parent


def enrolment_with(programme: CertificationPath, user: User, *, met: int = 0) -> Enrolment:
    """`user` enrolled in `programme` with its first `met` requirements marked complete
    through the ledger (content requirements: see `published_path`)."""

    enrolment, _ = paths.enrol(user, programme)
    for requirement in enrolment.program_snapshot["requirements"][:met]:
        orchestration.mark_content_complete(enrolment, requirement["requirement_id"])
    return enrolment


# --- Audit log and reports (issue 12) -------------------------------------------------------


def enrolment_row(
    programme: CertificationPath,
    user: User,
    status: EnrolmentStatus,
    *,
    started_at,
    certified_at=None,
    completed_at=None,
    org_unit: OrgUnit | None = None,
) -> Enrolment:
    """An enrolment written as it stands at one moment of its life (no ledger): for the
    reports, whose figures come from statuses and dates."""
    enrolment = Enrolment(
        tenant_id=programme.tenant_id,
        user_id=user.id,
        path_id=programme.id,
        org_unit_id=org_unit.id if org_unit else None,
        status=status,
        program_snapshot={"requirements": []},
        path_version="1.0",
        started_at=started_at,
        completed_at=completed_at or certified_at,
        certified_at=certified_at,
    )
    db.session.add(enrolment)
    db.session.flush()
    return enrolment


def graded_attempt(
    version: QuizVersion,
    user: User,
    outcomes: dict[str, tuple[str, str, bool]],
    *,
    percent: str = "0",
    status: EvaluationStatus = EvaluationStatus.GRADED,
    earlier: dict[str, tuple[str, str, bool]] | None = None,
) -> Evaluation:
    """A graded attempt of `version` whose latest score version has `outcomes` (question id ->
    earned, points as grading stores them ("3/2"), correct); `earlier` adds a first score
    version before it (as a regrade leaves)."""

    def stored(values: dict[str, tuple[str, str, bool]]) -> dict:
        return {
            qid: {"earned": e, "points": p, "correct": c, "answered": True}
            for qid, (e, p, c) in values.items()
        }

    now = clock.now()
    attempt = Evaluation(
        tenant_id=version.tenant_id,
        user_id=user.id,
        quiz_id=version.quiz_id,
        quiz_version_id=version.id,
        status=status,
        started_at=now,
        submitted_at=now,
        answers={},
        percent=Decimal(percent),
        passed=False,
        latest_score_version=2 if earlier else 1,
        meta={"order": list(outcomes), "outcomes": stored(outcomes)},
    )
    db.session.add(attempt)
    db.session.flush()
    for number, values in enumerate([v for v in (earlier, outcomes) if v], start=1):
        db.session.add(
            EvaluationScoreVersion(
                tenant_id=version.tenant_id,
                evaluation_id=attempt.id,
                version=number,
                raw_score=Decimal(0),
                max_score=Decimal(0),
                percent=Decimal(percent),
                passed=False,
                outcomes=stored(values),
            )
        )
    db.session.flush()
    return attempt


def report_day(month: int, d: int, year: int = 2026, hour: int = 0) -> datetime:
    return datetime(year, month, d, hour, tzinfo=UTC)


def completion_data() -> dict:
    """Known data for the completion report: programmes Alpha and Beta, org units Operations
    and Operations / North, enrolments in every status with known dates, and another tenant's
    enrolment that must never count. The expected figures are worked out in
    tests/services/test_reports.py."""
    tenant = TenantFactory()
    operations = OrgUnitFactory(tenant=tenant, name="Operations")
    north = OrgUnitFactory(tenant=tenant, name="North", parent_id=operations.id)
    alpha = PathFactory(tenant=tenant, name="Alpha")
    beta = PathFactory(tenant=tenant, name="Beta")
    day, status = report_day, EnrolmentStatus

    def enrol(programme, state, unit=None, **dates):
        return enrolment_row(programme, UserFactory(tenant=tenant), state, org_unit=unit, **dates)

    # Alpha: certified after 10 and 20 days, expired (certified after 30 days), one in
    # progress, one cancelled, one completed whose certificate is not issued yet.
    a1 = enrol(alpha, status.CERTIFIED, north, started_at=day(1, 1), certified_at=day(1, 11))
    a2 = enrol(alpha, status.CERTIFIED, north, started_at=day(1, 1), certified_at=day(1, 21))
    enrol(
        alpha,
        status.EXPIRED,
        operations,
        started_at=day(1, 1, 2025),
        certified_at=day(1, 31, 2025),
    )
    enrol(alpha, status.IN_PROGRESS, north, started_at=day(5, 1))
    enrol(alpha, status.CANCELLED, started_at=day(5, 1))
    a6 = enrol(alpha, status.COMPLETED, started_at=day(5, 1), completed_at=day(5, 3))
    # Beta: certified after 4 days and after 7 days 12 hours, one in progress.
    enrol(beta, status.CERTIFIED, operations, started_at=day(3, 1), certified_at=day(3, 5))
    enrol(beta, status.CERTIFIED, started_at=day(3, 1), certified_at=day(3, 8, hour=12))
    enrol(beta, status.IN_PROGRESS, operations, started_at=day(4, 1))
    other = TenantFactory()
    enrolment_row(
        PathFactory(tenant=other, name="Alpha"),
        UserFactory(tenant=other),
        status.CERTIFIED,
        started_at=day(1, 1),
        certified_at=day(1, 2),
    )
    return {
        "tenant": tenant,
        "alpha": alpha,
        "beta": beta,
        "operations": operations,
        "north": north,
        "a1": a1,
        "a2": a2,
        "a6": a6,
    }


def item_version(tenant: Tenant) -> QuizVersion:
    """A published version of five true/false questions q1..q5 (q2 worth 2 points)."""
    questions = [
        {"id": qid, "type": "true_false", "prompt": f"Question {qid}", "points": points}
        for qid, points in (("q1", 1), ("q2", 2), ("q3", 1), ("q4", 1), ("q5", 1))
    ]
    return QuizVersionFactory(quiz=QuizFactory(tenant=tenant, questions=questions))


def analysed_version() -> QuizVersion:
    """Known data for the item analysis: four graded attempts A-D of `item_version` (q2 partly
    right in C); q4 right in every attempt, q5 in none. Left out by the analysis: an attempt
    in progress, an attempt of another version, and B's first score version (replaced by a
    regrade). The expected figures are worked out in tests/services/test_reports.py."""
    tenant = TenantFactory()
    version = item_version(tenant)
    attempts = {
        # question: (earned, points, fully right) per attempt
        "A": {"q1": ("1", "1", True), "q2": ("2", "2", True), "q3": ("1", "1", True)},
        "B": {"q1": ("1", "1", True), "q2": ("1", "2", False), "q3": ("0", "1", False)},
        "C": {"q1": ("0", "1", False), "q2": ("3/2", "2", False), "q3": ("1", "1", True)},
        "D": {"q1": ("0", "1", False), "q2": ("0", "2", False), "q3": ("0", "1", False)},
    }
    percents = {"A": "83.3333", "B": "50", "C": "58.3333", "D": "16.6666"}
    for name, outcomes in attempts.items():
        graded_attempt(
            version,
            UserFactory(tenant=tenant),
            {**outcomes, "q4": ("1", "1", True), "q5": ("0", "1", False)},
            percent=percents[name],
            earlier={"q1": ("0", "1", False), "q2": ("0", "2", False)} if name == "B" else None,
        )
    graded_attempt(
        version,
        UserFactory(tenant=tenant),
        {"q1": ("1", "1", True)},
        status=EvaluationStatus.IN_PROGRESS,
    )
    graded_attempt(
        QuizVersionFactory(quiz=version.quiz, number=2),
        UserFactory(tenant=tenant),
        {"q1": ("0", "1", False)},
    )
    return version


# --- Enrolment ledger, cancellation and grace periods (issue 12, enrolments) ---------------


def enrolment_in(
    tenant: Tenant, *, requirements: int = 2, learner: User | None = None, **programme_kwargs
) -> Enrolment:
    """A learner's fresh enrolment in a published programme of `requirements` content
    requirements (every ledger row pending)."""

    learner = learner or UserFactory(tenant=tenant)
    programme = published_path(tenant, requirements=requirements, **programme_kwargs)
    enrolment, _ = paths.enrol(learner, programme)
    return enrolment


def requirement_ids(enrolment: Enrolment) -> list[int]:
    """The enrolment's snapshot requirement ids in their order."""

    ordered = sorted(enrolment.program_snapshot["requirements"], key=lambda r: r["sort_order"])
    return [r["requirement_id"] for r in ordered]


# --- Platform slice (installation operators) ---------------------------------------------------


class PlatformOperatorFactory(Base):
    class Meta:
        model = PlatformOperator

    email = factory.Sequence(lambda n: f"operator{n}@installation.test")
    full_name = factory.Sequence(lambda n: f"Operator Number{n}")
    password_hash = _PASSWORD_HASH


# --- People (issue 12, people slice) ---------------------------------------------------------


def invited_person(tenant: Tenant, **kwargs) -> User:
    """A person added by an admin who has not set a password yet."""

    person = UserFactory(tenant=tenant, **kwargs)
    person.clear_password()
    db.session.flush()
    return person
