"""factory_boy factories; they flush, never commit."""

from __future__ import annotations

from decimal import Decimal

import factory
from factory.alchemy import SQLAlchemyModelFactory
from werkzeug.security import generate_password_hash

from tests import quizdata
from webapp import clock
from webapp.extensions import db
from webapp.models import (
    CertificationPath,
    Enrolment,
    Evaluation,
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


# --- Platform slice (installation operators) ---------------------------------------------------


class PlatformOperatorFactory(Base):
    class Meta:
        model = PlatformOperator

    email = factory.Sequence(lambda n: f"operator{n}@installation.test")
    full_name = factory.Sequence(lambda n: f"Operator Number{n}")
    password_hash = _PASSWORD_HASH
