"""Evidence submissions, their files, and mentors' decisions (peer validations)."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp import clock
from webapp.models.base import Base, TenantScoped, Timestamped
from webapp.models.types import UTCDateTime, enum_column_type


class SubmissionStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class EvidenceSubmission(TenantScoped, Base):
    """Evidence a learner submits for an evidence requirement of an enrolment."""

    __tablename__ = "evidence_submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("org_units.id", ondelete="SET NULL"), index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    enrolment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("program_enrolments.id", ondelete="CASCADE"), index=True
    )
    requirement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("path_requirements.id", ondelete="RESTRICT")
    )
    text: Mapped[str] = mapped_column(sa.Text, default="")
    link: Mapped[str | None] = mapped_column(sa.String(500))
    status: Mapped[SubmissionStatus] = mapped_column(
        enum_column_type(SubmissionStatus), default=SubmissionStatus.PENDING, index=True
    )
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    files: Mapped[list[EvidenceFile]] = relationship(
        back_populates="submission", order_by="EvidenceFile.id"
    )
    validations: Mapped[list[PeerValidation]] = relationship(
        back_populates="submission", order_by="PeerValidation.id"
    )

    # Pending -> approved / rejected / withdrawn are conditional UPDATEs (`WHERE status =
    # 'pending'`) in services/peer_validation: they settle a mentor racing another mentor or
    # the learner's withdrawal, so there is no method here.


class EvidenceFile(TenantScoped, Timestamped, Base):
    """A file of a submission, stored under a generated key outside static/."""

    __tablename__ = "evidence_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        sa.ForeignKey("evidence_submissions.id", ondelete="CASCADE"), index=True
    )
    storage_key: Mapped[str] = mapped_column(sa.String(255), unique=True)
    original_name: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(120))
    size_bytes: Mapped[int] = mapped_column()

    submission: Mapped[EvidenceSubmission] = relationship(back_populates="files")


class Decision(enum.StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


class PeerValidation(TenantScoped, Base):
    """A mentor's final decision on a submission or on a quiz attempt needing validation."""

    __tablename__ = "peer_validations"
    __table_args__ = (
        sa.UniqueConstraint("submission_id", "mentor_id"),
        sa.UniqueConstraint("evaluation_id", "mentor_id"),
        sa.CheckConstraint(
            "(submission_id IS NULL) <> (evaluation_id IS NULL)", name="one_subject"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mentor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    submission_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("evidence_submissions.id", ondelete="CASCADE"), index=True
    )
    evaluation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("evaluations.id", ondelete="CASCADE"), index=True
    )
    decision: Mapped[Decision] = mapped_column(enum_column_type(Decision))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    submission: Mapped[EvidenceSubmission | None] = relationship(back_populates="validations")
    mentor: Mapped[User] = relationship()  # noqa: F821
