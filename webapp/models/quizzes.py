"""Quizzes (edited as drafts, published as immutable versions), attempts ("evaluations"),
their score versions and regrade batches."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp import clock
from webapp.errors import InvalidTransition
from webapp.models.base import Base, TenantScoped, Timestamped
from webapp.models.types import (
    JSONType,
    UTCDateTime,
    enum_column_type,
    json_default_dict,
    json_default_list,
)


class QuizStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class Quiz(TenantScoped, Timestamped, Base):
    """An auto-graded quiz; `questions` and `settings` hold the editable draft."""

    __tablename__ = "quizzes"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(160))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=json_default_list)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType, default=json_default_dict)
    status: Mapped[QuizStatus] = mapped_column(
        enum_column_type(QuizStatus), default=QuizStatus.DRAFT
    )
    # True while the draft differs from the latest published version.
    has_draft_changes: Mapped[bool] = mapped_column(default=True)
    latest_version_number: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    versions: Mapped[list[QuizVersion]] = relationship(
        back_populates="quiz", order_by="QuizVersion.number"
    )

    def publish(self) -> None:
        """Draft or published (a new version) -> published. Raises InvalidTransition for an
        archived quiz."""
        if self.status is QuizStatus.ARCHIVED:
            raise InvalidTransition("An archived quiz cannot be published.")
        self.status = QuizStatus.PUBLISHED


class QuizVersion(TenantScoped, Base):
    """An immutable published version of a quiz: questions with their keys, and settings."""

    __tablename__ = "quiz_versions"
    __table_args__ = (sa.UniqueConstraint("quiz_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(sa.ForeignKey("quizzes.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(160))
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    published_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # Corrections of keys after publication (regrading); the questions above are updated
    # and each correction is recorded here with its reason.
    corrections: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=json_default_list)

    quiz: Mapped[Quiz] = relationship(back_populates="versions")


class EvaluationStatus(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    AWAITING_VALIDATION = "awaiting_validation"
    GRADED = "graded"


_IN_PROGRESS_SQL = sa.text("status = 'in_progress'")


class Evaluation(TenantScoped, Base):
    """One quiz attempt of a user; graded results live in score versions."""

    __tablename__ = "evaluations"
    __table_args__ = (
        # At most one attempt in progress per user and quiz.
        sa.Index(
            "uq_evaluations_in_progress_user_quiz",
            "user_id",
            "quiz_id",
            unique=True,
            sqlite_where=_IN_PROGRESS_SQL,
            postgresql_where=_IN_PROGRESS_SQL,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    quiz_id: Mapped[int] = mapped_column(sa.ForeignKey("quizzes.id", ondelete="CASCADE"))
    quiz_version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("quiz_versions.id", ondelete="RESTRICT"), index=True
    )
    enrolment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("program_enrolments.id", ondelete="CASCADE"), index=True
    )
    requirement_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("path_requirements.id", ondelete="RESTRICT")
    )
    status: Mapped[EvaluationStatus] = mapped_column(
        enum_column_type(EvaluationStatus), default=EvaluationStatus.IN_PROGRESS
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType, default=json_default_dict)
    raw_score: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 4))
    max_score: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 4))
    percent: Mapped[Decimal | None] = mapped_column(sa.Numeric(7, 4))
    passed: Mapped[bool | None] = mapped_column()
    latest_score_version: Mapped[int] = mapped_column(default=0)
    # The question ids in the order shown, option orders, per-question outcomes.
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=json_default_dict)

    quiz_version: Mapped[QuizVersion] = relationship()
    score_versions: Mapped[list[EvaluationScoreVersion]] = relationship(
        back_populates="evaluation", order_by="EvaluationScoreVersion.version"
    )

    def finish(self, at: datetime, *, awaiting_validation: bool) -> None:
        """In progress (or `submitted`: claimed for grading by a conditional UPDATE) -> graded
        or awaiting validation. Raises InvalidTransition otherwise."""
        if self.status not in (EvaluationStatus.IN_PROGRESS, EvaluationStatus.SUBMITTED):
            raise InvalidTransition("This attempt has already been submitted.")
        self.status = (
            EvaluationStatus.AWAITING_VALIDATION if awaiting_validation else EvaluationStatus.GRADED
        )
        self.submitted_at = at

    def finalize_validation(self) -> None:
        if self.status is not EvaluationStatus.AWAITING_VALIDATION:
            raise InvalidTransition("This attempt is not waiting for a mentor's decision.")
        self.status = EvaluationStatus.GRADED

    def await_validation(self) -> None:
        """Graded -> awaiting validation: a regrade made a failed attempt pass on a requirement
        that needs a mentor. Raises InvalidTransition otherwise."""
        if self.status is not EvaluationStatus.GRADED:
            raise InvalidTransition("Only a graded attempt can be sent to a mentor.")
        self.status = EvaluationStatus.AWAITING_VALIDATION


class EvaluationScoreVersion(TenantScoped, Base):
    """One grading of an attempt; regrading adds a version and keeps the old ones."""

    __tablename__ = "evaluation_score_versions"
    __table_args__ = (sa.UniqueConstraint("evaluation_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("evaluations.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column()
    raw_score: Mapped[Decimal] = mapped_column(sa.Numeric(12, 4))
    max_score: Mapped[Decimal] = mapped_column(sa.Numeric(12, 4))
    percent: Mapped[Decimal] = mapped_column(sa.Numeric(7, 4))
    passed: Mapped[bool] = mapped_column()
    outcomes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=json_default_dict)
    reason: Mapped[str] = mapped_column(sa.String(255), default="submitted")
    regrade_batch_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("regrade_batches.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    evaluation: Mapped[Evaluation] = relationship(back_populates="score_versions")


class RegradeStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class RegradeBatch(TenantScoped, Timestamped, Base):
    """A correction of a published question's key, rescoring every affected attempt."""

    __tablename__ = "regrade_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("quiz_versions.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[str] = mapped_column(sa.String(40))
    reason: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[RegradeStatus] = mapped_column(
        enum_column_type(RegradeStatus), default=RegradeStatus.PENDING
    )
    attempts_total: Mapped[int] = mapped_column(default=0)
    attempts_rescored: Mapped[int] = mapped_column(default=0)
    requirements_newly_met: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def start(self) -> None:
        """Pending, failed (a retry) or running (a worker died mid-batch, RQ runs it again) ->
        running. Raises InvalidTransition for a batch already done."""
        if self.status is RegradeStatus.DONE:
            raise InvalidTransition("This regrade batch is already done.")
        self.status = RegradeStatus.RUNNING
        self.error = None

    def finish(self, at: datetime) -> None:
        """Running -> done. Raises InvalidTransition otherwise."""
        if self.status is not RegradeStatus.RUNNING:
            raise InvalidTransition("Only a running regrade batch can finish.")
        self.status = RegradeStatus.DONE
        self.finished_at = at

    def fail(self, error: str) -> None:
        """Pending, running or failed -> failed, with the error admins see. Raises
        InvalidTransition for a batch already done."""
        if self.status is RegradeStatus.DONE:
            raise InvalidTransition("A finished regrade batch cannot fail.")
        self.status = RegradeStatus.FAILED
        self.error = error[:2000]


class AttemptGrant(TenantScoped, Timestamped, Base):
    """Extra quiz attempts an admin granted one learner on one requirement of an enrolment
    (added to the quiz's maximum; kept as history, never edited)."""

    __tablename__ = "attempt_grants"
    __table_args__ = (sa.CheckConstraint("extra_attempts BETWEEN 1 AND 20", name="extra_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("program_enrolments.id", ondelete="CASCADE"), index=True
    )
    requirement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("path_requirements.id", ondelete="RESTRICT")
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    extra_attempts: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    granted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    granted_by: Mapped[User | None] = relationship(foreign_keys=[granted_by_id])  # noqa: F821
