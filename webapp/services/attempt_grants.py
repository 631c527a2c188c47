"""Extra quiz attempts: a learner who used every attempt of a quiz requirement asks the
tenant's admins for more; an admin grants a number of extra attempts to that person on that
requirement (audited, the learner told). The grants add to the quiz's limit in
`automated_evaluation.QuizState`. Functions flush, never commit.
"""

from __future__ import annotations

import sqlalchemy as sa

from webapp import urls
from webapp.errors import Conflict, ValidationFailed
from webapp.extensions import db
from webapp.models import AttemptGrant, Enrolment, EnrolmentStatus, Role, User
from webapp.services import audit, notifications
from webapp.services import automated_evaluation as evaluation

MAX_EXTRA = 20
MAX_REASON = 500


def admins_of(tenant_id: int) -> list[User]:
    """The active admins of a tenant, by name: the people a learner can ask for help."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.tenant_id == tenant_id, User.role == Role.ADMIN, User.active.is_(True))
            .order_by(User.full_name, User.id)
        )
    )


def _title(enrolment: Enrolment, requirement_id: int) -> str:
    return evaluation.quiz_requirement(enrolment, requirement_id)["title"]


def request_more_attempts(learner: User, enrolment: Enrolment, requirement_id: int) -> int:
    """A learner who used every attempt asks the admins for more: each active admin gets a
    notification (and e-mail) linking to the grant page, once per limit reached. Returns how
    many admins were told now. Raises NotFound (not a quiz of the learner's enrolment),
    Conflict (attempts are left, or the requirement is met). Flushes, never commits."""
    state = evaluation.requirement_state(learner, enrolment, requirement_id)
    if state.is_met or state.attempts_left != 0:
        raise Conflict("You can still take this quiz; no extra attempts are needed.")
    title = _title(enrolment, requirement_id)
    link = urls.public_url(
        "admin.attempt_grant", enrolment_id=enrolment.id, requirement_id=requirement_id
    )
    told = 0
    for admin in admins_of(enrolment.tenant_id):
        note = notifications.notify(
            admin,
            "attempts_requested",
            f"More attempts asked for: {title}",
            f"{learner.full_name} has used all {state.max_attempts} attempts of “{title}” in "
            f"{enrolment.programme.name} without passing and asks for more.",
            link,
            dedupe_key=f"attempts-{enrolment.id}-{requirement_id}-{state.max_attempts}",
        )
        told += note is not None
    if told:
        audit.record(
            enrolment.tenant_id,
            learner,
            "quiz.attempts_requested",
            "enrolment",
            enrolment.id,
            f"{learner.full_name} asked for more attempts at {title}",
            subject=learner,
            requirement_id=requirement_id,
            max_attempts=state.max_attempts,
        )
    return told


def _check(extra: object, reason: str) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    if isinstance(extra, bool) or not isinstance(extra, int) or not 1 <= extra <= MAX_EXTRA:
        problems["extra_attempts"] = [f"Grant between 1 and {MAX_EXTRA} extra attempts."]
    if len(reason) > MAX_REASON:
        problems["reason"] = [f"The reason can be at most {MAX_REASON} characters."]
    return problems


def grant_attempts(
    enrolment: Enrolment, requirement_id: int, actor: User, extra: int, reason: str = ""
) -> AttemptGrant:
    """An admin grants `extra` attempts to the enrolment's learner on one quiz requirement:
    a grant row (history is kept), an audit event and a notification to the learner.
    Raises ValidationFailed (count out of 1..20, reason too long), NotFound (not a quiz
    requirement of the enrolment), Conflict (enrolment not in progress, no attempt limit,
    already met). Flushes, never commits."""
    reason = (reason or "").strip()
    problems = _check(extra, reason)
    if problems:
        raise ValidationFailed("Please correct the highlighted fields.", problems)
    learner = db.session.get(User, enrolment.user_id)
    state = evaluation.requirement_state(learner, enrolment, requirement_id)
    if enrolment.status is not EnrolmentStatus.IN_PROGRESS:
        raise Conflict("This enrolment is no longer in progress.")
    if state.max_attempts is None:
        raise Conflict("This quiz has no attempt limit: there is nothing to grant.")
    if state.is_met:
        raise Conflict("This requirement is already met.")
    grant = AttemptGrant(
        tenant_id=enrolment.tenant_id,
        enrolment_id=enrolment.id,
        requirement_id=requirement_id,
        user_id=learner.id,
        extra_attempts=extra,
        reason=reason,
        granted_by_id=actor.id,
    )
    db.session.add(grant)
    db.session.flush()
    title = _title(enrolment, requirement_id)
    noun = "attempt" if extra == 1 else "attempts"
    audit.record(
        enrolment.tenant_id,
        actor,
        "quiz.attempts_granted",
        "enrolment",
        enrolment.id,
        f"{extra} extra {noun} on {title} for {learner.full_name}",
        subject=learner,
        requirement_id=requirement_id,
        extra_attempts=extra,
        reason=reason,
    )
    notifications.notify(
        learner,
        "attempts_granted",
        f"{extra} more {noun}: {title}",
        f"An administrator granted you {extra} more {noun} at “{title}” in "
        f"{enrolment.programme.name}." + (f" Reason: {reason}" if reason else ""),
        urls.public_url(
            "programmes.requirement", slug=enrolment.programme.slug, requirement_id=requirement_id
        ),
    )
    return grant
