"""Programmes (certification paths), their requirements and versions, enrolments and the
progress ledger."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp import clock
from webapp.errors import InvalidTransition
from webapp.models.base import Base, TenantScoped, Timestamped
from webapp.models.types import JSONType, UTCDateTime, enum_column_type, json_default_dict


class Skill(TenantScoped, Timestamped, Base):
    """A named competence that programmes validate."""

    __tablename__ = "skills"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="")


class Level(enum.StrEnum):
    FOUNDATION = "foundation"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"


class PathStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


path_skills = sa.Table(
    "path_skills",
    Base.metadata,
    sa.Column(
        "path_id",
        sa.ForeignKey("certification_paths.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("skill_id", sa.ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True),
)

path_prerequisites = sa.Table(
    "path_prerequisites",
    Base.metadata,
    sa.Column(
        "path_id",
        sa.ForeignKey("certification_paths.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "required_path_id",
        sa.ForeignKey("certification_paths.id", ondelete="RESTRICT"),
        primary_key=True,
    ),
    sa.CheckConstraint("path_id <> required_path_id", name="not_self"),
)


class CertificationPath(TenantScoped, Timestamped, Base):
    """A programme ("Program" in the UI): requirements that together earn a certificate."""

    __tablename__ = "certification_paths"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "slug"),
        sa.UniqueConstraint("tenant_id", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("org_units.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(160))
    slug: Mapped[str] = mapped_column(sa.String(80))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    level: Mapped[Level] = mapped_column(enum_column_type(Level), default=Level.FOUNDATION)
    badge_image_key: Mapped[str | None] = mapped_column(sa.String(255))
    validity_days: Mapped[int | None] = mapped_column()
    renewal_window_days: Mapped[int] = mapped_column(default=30)
    # Days after a major version before holders of earlier versions are asked to renew.
    recert_grace_days: Mapped[int] = mapped_column(default=90)
    self_enrolment: Mapped[bool] = mapped_column(default=True)
    status: Mapped[PathStatus] = mapped_column(
        enum_column_type(PathStatus), default=PathStatus.DRAFT, index=True
    )
    version_major: Mapped[int] = mapped_column(default=0)
    version_minor: Mapped[int] = mapped_column(default=0)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    requirements: Mapped[list[PathRequirement]] = relationship(
        back_populates="programme",
        order_by="PathRequirement.sort_order",
        primaryjoin="and_(CertificationPath.id == PathRequirement.path_id, "
        "PathRequirement.removed_at.is_(None))",
        viewonly=True,
    )
    skills: Mapped[list[Skill]] = relationship(secondary=path_skills, order_by=Skill.name)
    prerequisites: Mapped[list[CertificationPath]] = relationship(
        secondary=path_prerequisites,
        primaryjoin=lambda: CertificationPath.id == path_prerequisites.c.path_id,
        secondaryjoin=lambda: CertificationPath.id == path_prerequisites.c.required_path_id,
        order_by=lambda: CertificationPath.name,
    )

    @property
    def version(self) -> str:
        return f"{self.version_major}.{self.version_minor}"

    def publish(self) -> None:
        if self.status is PathStatus.ARCHIVED:
            raise InvalidTransition("An archived programme cannot be published.")
        self.status = PathStatus.PUBLISHED
        self.published_at = clock.now()

    def archive(self) -> None:
        if self.status is PathStatus.ARCHIVED:
            raise InvalidTransition("This programme is already archived.")
        self.status = PathStatus.ARCHIVED

    def __repr__(self) -> str:
        return f"<CertificationPath {self.slug}>"


class RequirementKind(enum.StrEnum):
    QUIZ = "quiz"
    EVIDENCE = "evidence"
    CONTENT = "content"


class PathRequirement(TenantScoped, Timestamped, Base):
    """One step of a programme; its kind-specific settings live in `settings`."""

    __tablename__ = "path_requirements"

    id: Mapped[int] = mapped_column(primary_key=True)
    path_id: Mapped[int] = mapped_column(
        sa.ForeignKey("certification_paths.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[RequirementKind] = mapped_column(enum_column_type(RequirementKind))
    title: Mapped[str] = mapped_column(sa.String(160))
    sort_order: Mapped[int] = mapped_column(default=0)
    is_mandatory: Mapped[bool] = mapped_column(default=True)
    quiz_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("quizzes.id", ondelete="RESTRICT"), index=True
    )
    min_score: Mapped[int | None] = mapped_column()
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType, default=json_default_dict)
    # Requirements referenced by enrolments are never deleted, only taken out of the programme.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    programme: Mapped[CertificationPath] = relationship(
        foreign_keys=[path_id], back_populates="requirements"
    )
    quiz: Mapped[Quiz | None] = relationship()  # noqa: F821


class PathVersion(TenantScoped, Base):
    """The definition of a programme as published at one version."""

    __tablename__ = "path_versions"
    __table_args__ = (sa.UniqueConstraint("path_id", "major", "minor"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    path_id: Mapped[int] = mapped_column(
        sa.ForeignKey("certification_paths.id", ondelete="CASCADE"), index=True
    )
    major: Mapped[int] = mapped_column()
    minor: Mapped[int] = mapped_column()
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType)
    requirements_fingerprint: Mapped[str] = mapped_column(sa.String(64))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    published_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    @property
    def version(self) -> str:
        return f"{self.major}.{self.minor}"


class EnrolmentStatus(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CERTIFIED = "certified"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


OPEN_ENROLMENT_STATUSES = (EnrolmentStatus.IN_PROGRESS, EnrolmentStatus.COMPLETED)
_OPEN_SQL = sa.text("status IN ('in_progress', 'completed')")


class Enrolment(TenantScoped, Base):
    """A learner's enrolment in a programme, pinned to a snapshot of its definition."""

    __tablename__ = "program_enrolments"
    __table_args__ = (
        # At most one open enrolment per user and programme.
        sa.Index(
            "uq_program_enrolments_open_user_path",
            "user_id",
            "path_id",
            unique=True,
            sqlite_where=_OPEN_SQL,
            postgresql_where=_OPEN_SQL,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("org_units.id", ondelete="SET NULL"), index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    path_id: Mapped[int] = mapped_column(
        sa.ForeignKey("certification_paths.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[EnrolmentStatus] = mapped_column(
        enum_column_type(EnrolmentStatus), default=EnrolmentStatus.IN_PROGRESS, index=True
    )
    program_snapshot: Mapped[dict[str, Any]] = mapped_column(JSONType)
    path_version: Mapped[str] = mapped_column(sa.String(20))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    certified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str | None] = mapped_column(sa.Text)
    renewal_of_enrolment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("program_enrolments.id", ondelete="SET NULL"), index=True
    )
    enrolled_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=json_default_dict)

    user: Mapped[User] = relationship(foreign_keys=[user_id])  # noqa: F821
    programme: Mapped[CertificationPath] = relationship()
    progress: Mapped[list[RequirementProgress]] = relationship(
        back_populates="enrolment", order_by="RequirementProgress.sort_order"
    )
    renewal_of: Mapped[Enrolment | None] = relationship(remote_side=[id])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ENROLMENT_STATUSES

    def _move(self, allowed_from: tuple[EnrolmentStatus, ...], to: EnrolmentStatus) -> None:
        if self.status not in allowed_from:
            raise InvalidTransition(
                f"An enrolment that is {self.status.value.replace('_', ' ')} "
                f"cannot become {to.value.replace('_', ' ')}."
            )
        self.status = to

    def complete(self, at: datetime) -> None:
        self._move((EnrolmentStatus.IN_PROGRESS,), EnrolmentStatus.COMPLETED)
        self.completed_at = at

    def certify(self, at: datetime, expires_at: datetime | None) -> None:
        self._move((EnrolmentStatus.COMPLETED,), EnrolmentStatus.CERTIFIED)
        self.certified_at = at
        self.expires_at = expires_at

    def cancel(self, at: datetime, reason: str) -> None:
        """An admin ends an open enrolment; its ledger rows stay as they are."""
        self._move(OPEN_ENROLMENT_STATUSES, EnrolmentStatus.CANCELLED)
        self.cancelled_at = at
        self.cancel_reason = reason

    # Certified -> expired is the daily expiry job's set-based UPDATE
    # (services/recertification/expiry.py), not a method here.

    def resume_certified(self) -> None:
        """Expired -> certified: a grace period was granted to its just-expired certificate,
        which counts as valid again (the expiry job expires both when the grace period ends)."""
        self._move((EnrolmentStatus.EXPIRED,), EnrolmentStatus.CERTIFIED)


class ProgressStatus(enum.StrEnum):
    PENDING = "pending"
    AWAITING_VALIDATION = "awaiting_validation"
    MET = "met"
    FAILED = "failed"


class RequirementProgress(TenantScoped, Base):
    """The ledger: one row per enrolment and snapshot requirement. `met` never reverts."""

    __tablename__ = "program_progress"
    __table_args__ = (sa.UniqueConstraint("enrolment_id", "requirement_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("org_units.id", ondelete="SET NULL")
    )
    enrolment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("program_enrolments.id", ondelete="CASCADE"), index=True
    )
    requirement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("path_requirements.id", ondelete="RESTRICT"), index=True
    )
    sort_order: Mapped[int] = mapped_column(default=0)
    is_mandatory: Mapped[bool] = mapped_column(default=True)
    status: Mapped[ProgressStatus] = mapped_column(
        enum_column_type(ProgressStatus), default=ProgressStatus.PENDING
    )
    satisfied_by_evaluation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("evaluations.id", ondelete="SET NULL")
    )
    satisfied_by_submission_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("evidence_submissions.id", ondelete="SET NULL")
    )
    # Met because an admin recorded it (e.g. an observation done on paper), with why.
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    recorded_reason: Mapped[str | None] = mapped_column(sa.Text)
    attempt_count: Mapped[int] = mapped_column(default=0)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    enrolment: Mapped[Enrolment] = relationship(back_populates="progress")
    requirement: Mapped[PathRequirement] = relationship()
    recorded_by: Mapped[User | None] = relationship()  # noqa: F821

    @property
    def is_met(self) -> bool:
        return self.status is ProgressStatus.MET

    @property
    def is_recorded(self) -> bool:
        """Met because an admin recorded it (the reason stays when the admin is deleted)."""
        return self.is_met and self.recorded_reason is not None

    @property
    def met_how(self) -> str | None:
        """How a met requirement was met, as every ledger view labels it ("quiz attempt #12",
        "evidence submission #3", "recorded by <admin>", "marked complete"); None until met.
        Loads `recorded_by` when recorded (load it with the rows on lists)."""
        if not self.is_met:
            return None
        if self.is_recorded:
            name = self.recorded_by.full_name if self.recorded_by else "an administrator"
            return f"recorded by {name}"
        if self.satisfied_by_evaluation_id:
            return f"quiz attempt #{self.satisfied_by_evaluation_id}"
        if self.satisfied_by_submission_id:
            return f"evidence submission #{self.satisfied_by_submission_id}"
        return "marked complete"

    def mark(self, status: ProgressStatus, at: datetime) -> bool:
        """Move to `status` unless already met; returns whether anything changed."""
        if self.status is ProgressStatus.MET:
            return False
        changed = self.status is not status
        self.status = status
        self.last_updated_at = at
        if status in (ProgressStatus.MET, ProgressStatus.FAILED) and changed:
            self.completed_at = at
        return changed


class TaskStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"


class LearnerTask(TenantScoped, Timestamped, Base):
    """A learner's to-do item for one requirement of an enrolment (created once)."""

    __tablename__ = "learner_tasks"
    __table_args__ = (sa.UniqueConstraint("enrolment_id", "requirement_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    enrolment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("program_enrolments.id", ondelete="CASCADE"), index=True
    )
    requirement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("path_requirements.id", ondelete="RESTRICT")
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[TaskStatus] = mapped_column(
        enum_column_type(TaskStatus), default=TaskStatus.OPEN
    )
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
