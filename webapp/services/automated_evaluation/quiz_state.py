"""Where a learner stands with a quiz requirement (`QuizState`): the attempt in progress,
attempts used and left (the quiz's maximum plus the extra attempts an admin granted), the
cooldown after a failed attempt, the deadline, and why a new attempt cannot start now.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from webapp import clock
from webapp.errors import NotFound
from webapp.extensions import db
from webapp.models import (
    AttemptGrant,
    Enrolment,
    EnrolmentStatus,
    Evaluation,
    EvaluationStatus,
    ProgressStatus,
    QuizVersion,
    RequirementProgress,
    User,
)
from webapp.services import orchestration
from webapp.services.automated_evaluation._common import _grace
from webapp.services.automated_evaluation.authoring import effective_settings

FINISHED_STATUSES = (
    EvaluationStatus.SUBMITTED,
    EvaluationStatus.AWAITING_VALIDATION,
    EvaluationStatus.GRADED,
)


def format_moment(moment: datetime) -> str:
    """A moment to the second, as shown to learners ("15 Jun 2026, 10:30:00 UTC")."""
    return moment.strftime("%d %b %Y, %H:%M:%S UTC")


def quiz_requirement(enrolment: Enrolment, requirement_id: int) -> dict[str, Any]:
    """The frozen definition of a quiz requirement of the enrolment.
    Raises NotFound (not a quiz requirement of the snapshot). Reads only, never commits."""
    definition = orchestration.snapshot_requirement(enrolment, requirement_id)
    if definition is None or definition.get("kind") != "quiz":
        raise NotFound("This is not a quiz of your enrolment.")
    if not definition.get("quiz_version_id"):
        raise NotFound("This quiz has no published version.")
    return definition


def _version_of(tenant_id: int, version_id: int) -> QuizVersion:
    version = db.session.get(QuizVersion, version_id)
    if version is None or version.tenant_id != tenant_id:
        raise NotFound("This quiz does not exist.")
    return version


def _cooldown(settings: dict[str, Any]) -> timedelta:
    minutes = settings.get("cooldown_min")
    if minutes is None:
        minutes = current_app.config["QUIZ_RETRY_COOLDOWN_MIN"]
    return timedelta(minutes=minutes)


def is_overdue(attempt: Evaluation, now: datetime | None = None) -> bool:
    """Whether an attempt in progress is past its deadline plus the grace period.
    Raises nothing; reads only, never commits."""
    if attempt.status is not EvaluationStatus.IN_PROGRESS or attempt.deadline_at is None:
        return False
    return (now or clock.now()) > attempt.deadline_at + _grace()


@dataclass(frozen=True)
class QuizState:
    """Where a learner stands with a quiz requirement: what they may do now and why not."""

    definition: dict[str, Any]
    version: QuizVersion
    settings: dict[str, Any]
    progress: RequirementProgress | None
    in_progress: Evaluation | None  # this requirement's attempt in progress
    finished: list[Evaluation]  # this requirement's submitted attempts, newest first
    retry_at: datetime | None  # the cooldown after a failed attempt ends then
    blocker: str | None  # why no new attempt can start now
    now: datetime
    grants: tuple[AttemptGrant, ...] = ()  # extra attempts an admin granted, oldest first

    @property
    def question_count(self) -> int:
        draw = self.settings.get("draw_count")
        total = len(self.version.questions or [])
        return min(draw, total) if draw else total

    @property
    def max_attempts(self) -> int | None:
        """The quiz's limit plus the extra attempts granted to this learner (None: no limit)."""
        limit = self.settings.get("max_attempts")
        if limit is None:
            return None
        return limit + self.extra_attempts

    @property
    def extra_attempts(self) -> int:
        return sum(grant.extra_attempts for grant in self.grants)

    @property
    def attempts_used(self) -> int:
        return len(self.finished)

    @property
    def attempts_left(self) -> int | None:
        if self.max_attempts is None:
            return None
        return max(0, self.max_attempts - self.attempts_used)

    @property
    def overdue(self) -> bool:
        return self.in_progress is not None and is_overdue(self.in_progress, self.now)

    @property
    def can_start(self) -> bool:
        return self.in_progress is None and self.blocker is None

    @property
    def is_met(self) -> bool:
        return self.progress is not None and self.progress.status is ProgressStatus.MET

    @property
    def awaiting_validation(self) -> bool:
        return (
            self.progress is not None and self.progress.status is ProgressStatus.AWAITING_VALIDATION
        )

    @property
    def satisfied_by(self) -> Evaluation | None:
        wanted = self.progress.satisfied_by_evaluation_id if self.progress else None
        return next((a for a in self.finished if a.id == wanted), None)


def requirement_state(
    user: User, enrolment: Enrolment, requirement_id: int, now: datetime | None = None
) -> QuizState:
    """The learner's state for one quiz requirement of their enrolment: attempt in progress,
    attempts used and left (with any extra attempts an admin granted), cooldown end, and the
    reason a new attempt cannot start (four queries whatever the number of attempts). Raises
    NotFound (not the user's enrolment or not a quiz requirement). Reads only, never commits."""
    if enrolment.user_id != user.id or enrolment.tenant_id != user.tenant_id:
        raise NotFound("There is no such enrolment.")
    now = now or clock.now()
    definition = quiz_requirement(enrolment, requirement_id)
    version = _version_of(enrolment.tenant_id, definition["quiz_version_id"])
    settings = effective_settings(version)
    attempts = list(
        db.session.scalars(
            sa.select(Evaluation)
            .where(
                Evaluation.tenant_id == user.tenant_id,
                Evaluation.user_id == user.id,
                Evaluation.quiz_id == version.quiz_id,
            )
            .order_by(Evaluation.started_at.desc(), Evaluation.id.desc())
        )
    )
    progress = db.session.scalar(
        sa.select(RequirementProgress).where(
            RequirementProgress.enrolment_id == enrolment.id,
            RequirementProgress.requirement_id == requirement_id,
        )
    )
    grants = tuple(attempt_grants(enrolment.id, requirement_id))

    def mine(attempt: Evaluation) -> bool:
        return attempt.enrolment_id == enrolment.id and attempt.requirement_id == requirement_id

    running = next((a for a in attempts if a.status is EvaluationStatus.IN_PROGRESS), None)
    finished = [a for a in attempts if mine(a) and a.status in FINISHED_STATUSES]
    retry_at = _retry_at(attempts, progress, settings, now)
    state = QuizState(
        definition=definition,
        version=version,
        settings=settings,
        progress=progress,
        in_progress=running if running is not None and mine(running) else None,
        finished=finished,
        retry_at=retry_at,
        blocker=None,
        now=now,
        grants=grants,
    )
    blocker = _start_blocker(state, enrolment, running)
    return dataclasses.replace(state, blocker=blocker)


def _retry_at(
    attempts: list[Evaluation],
    progress: RequirementProgress | None,
    settings: dict[str, Any],
    now: datetime,
) -> datetime | None:
    """End of the cooldown after the user's last submitted attempt of this quiz, if it failed
    and the cooldown is still running."""
    submitted = [a for a in attempts if a.submitted_at is not None]
    if not submitted:
        return None
    last = max(submitted, key=lambda a: (a.submitted_at, a.id))
    failed = last.passed is False or (
        progress is not None
        and progress.status is ProgressStatus.FAILED
        and last.enrolment_id == progress.enrolment_id
    )
    if not failed:
        return None
    available = last.submitted_at + _cooldown(settings)
    return available if now < available else None


def _start_blocker(
    state: QuizState, enrolment: Enrolment, running: Evaluation | None
) -> str | None:
    if enrolment.status is not EnrolmentStatus.IN_PROGRESS:
        return "This enrolment is no longer in progress."
    if state.is_met:
        return "You have already passed this quiz."
    if state.awaiting_validation:
        return "Your passing attempt is waiting for a mentor's decision."
    if running is not None and state.in_progress is None and not is_overdue(running, state.now):
        return "You have an attempt of this quiz in progress in another programme; finish it first."
    if state.attempts_left == 0:
        if state.max_attempts == 1:
            return "You have used your only attempt of this quiz."
        return f"You have used all {state.max_attempts} attempts of this quiz."
    if state.retry_at is not None:
        return f"You can start your next attempt at {format_moment(state.retry_at)}."
    return None


def attempt_grants(enrolment_id: int, requirement_id: int) -> list[AttemptGrant]:
    """The extra attempts granted on one requirement of an enrolment, oldest first."""
    return list(
        db.session.scalars(
            sa.select(AttemptGrant)
            .where(
                AttemptGrant.enrolment_id == enrolment_id,
                AttemptGrant.requirement_id == requirement_id,
            )
            .order_by(AttemptGrant.created_at, AttemptGrant.id)
        )
    )
