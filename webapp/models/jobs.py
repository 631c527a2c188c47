"""The job outbox: every background job is a row first, so none is lost when Redis is down."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.errors import InvalidTransition
from webapp.models.base import Base, Timestamped
from webapp.models.types import JSONType, UTCDateTime, enum_column_type, json_default_list


class JobStatus(enum.StrEnum):
    PENDING = "pending"  # written, not yet handed to a queue (or the queue was down)
    ENQUEUED = "enqueued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class JobRecord(Timestamped, Base):
    """A deferred job: its name, id arguments, queue and outcome (system table)."""

    __tablename__ = "job_records"
    __table_args__ = (sa.Index("ix_job_records_status_created_at", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(80))
    args: Mapped[list[Any]] = mapped_column(JSONType, default=json_default_list)
    queue: Mapped[str] = mapped_column(sa.String(40), default="default")
    status: Mapped[JobStatus] = mapped_column(
        enum_column_type(JobStatus), default=JobStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(sa.Text)
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def start(self) -> None:
        """Pending, enqueued, running (a retry after a crash) or failed (an RQ retry) ->
        running, counting the attempt. Raises InvalidTransition for a job already done.
        Enqueued and done/failed are set-based UPDATEs in webapp/outbox.py."""
        if self.status is JobStatus.DONE:
            raise InvalidTransition("This job has already run.")
        self.status = JobStatus.RUNNING
        self.attempts += 1
