"""factory_boy factories; they flush, never commit."""

from __future__ import annotations

import factory
from factory.alchemy import SQLAlchemyModelFactory
from werkzeug.security import generate_password_hash

from webapp.extensions import db
from webapp.models import (
    CertificationPath,
    Level,
    OrgUnit,
    PathRequirement,
    PathStatus,
    Quiz,
    QuizVersion,
    RequirementKind,
    Role,
    Skill,
    Tenant,
    User,
)

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
    questions = factory.LazyFunction(
        lambda: [
            {
                "id": "q1",
                "type": "true_false",
                "prompt": "Water is wet.",
                "points": 1,
                "correct": True,
                "explanation": "It is.",
            },
        ]
    )
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
        exclude = ("path",)

    path = factory.SubFactory(PathFactory)
    tenant_id = factory.SelfAttribute("path.tenant_id")
    path_id = factory.SelfAttribute("path.id")
    kind = RequirementKind.CONTENT
    title = factory.Sequence(lambda n: f"Requirement {n}")
    sort_order = factory.Sequence(lambda n: n)
    meta = factory.LazyFunction(lambda: {"body": "Read this."})


def published_path(tenant: Tenant, *, requirements: int = 2, **kwargs) -> CertificationPath:
    """A published programme with `requirements` content requirements (version 1.0)."""
    from webapp.services import certification_path_management as paths

    path = PathFactory(tenant=tenant, **kwargs)
    for _ in range(requirements):
        RequirementFactory(path=path)
    db.session.expire(path, ["requirements"])
    paths.publish_path(path, None)
    return path
