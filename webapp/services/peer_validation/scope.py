"""Mentor scope: whose work a mentor reviews, who reviews a learner, and loading only what a
user may see.

A mentor reviews the learners of their tenant in the subtree of their scope unit: the unit
they were assigned to review (`User.mentor_unit_id`), else their own org unit; with neither,
the whole tenant."""

from __future__ import annotations

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import (
    Evaluation,
    EvaluationStatus,
    EvidenceFile,
    EvidenceSubmission,
    OrgUnit,
    PeerValidation,
    Role,
    User,
)
from webapp.services import org_units

# SQL: a users row's scope unit, as `scope_unit` reads it from a mentor.
SCOPE_UNIT = sa.func.coalesce(User.mentor_unit_id, User.org_unit_id)


def scope_unit(mentor: User) -> int | None:
    """The unit whose subtree the mentor reviews: the one assigned to them, else their own
    (None: the whole tenant)."""
    return mentor.mentor_unit_id if mentor.mentor_unit_id is not None else mentor.org_unit_id


def scope_units(mentor: User) -> set[int] | None:
    """The org units whose learners the mentor reviews (None: the whole tenant)."""
    unit = scope_unit(mentor)
    if unit is None:
        return None
    return org_units.unit_subtree(mentor.tenant_id, unit)


def _learner_condition(mentor: User, learner_id_column, units: set[int] | None):
    """SQL: the learner (a users row joined as `User`) is in the mentor's scope, not the mentor."""
    condition = sa.and_(
        User.id == learner_id_column,
        User.tenant_id == mentor.tenant_id,
        User.id != mentor.id,
    )
    if units is not None:
        condition = sa.and_(condition, User.org_unit_id.in_(units or {-1}))
    return condition


def in_scope(mentor: User, learner: User) -> bool:
    """Whether the mentor may review the learner's work (own work included: see decide)."""
    if not mentor.is_mentor or not mentor.active or mentor.tenant_id != learner.tenant_id:
        return False
    units = scope_units(mentor)
    return units is None or learner.org_unit_id in units


def reviewers_of(learner: User) -> list[User]:
    """Active mentors whose scope includes the learner (not the learner themselves)."""
    return _mentors_covering(learner.tenant_id, org_units.unit_scope(learner), learner.id)


def reviewers_of_unit(unit: OrgUnit) -> list[User]:
    """Active mentors whose scope includes the learners of `unit`, by name."""
    ancestors = set(org_units.ancestors(org_units.parents_of(unit.tenant_id), unit.id))
    return sorted(_mentors_covering(unit.tenant_id, ancestors), key=lambda m: (m.full_name, m.id))


def _mentors_covering(tenant_id: int, ancestors: set[int], except_id: int | None = None):
    """Active mentors of the tenant whose scope unit is one of `ancestors` (a unit and those
    above it) or who review the whole tenant."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(
                User.tenant_id == tenant_id,
                User.role == Role.MENTOR,
                User.active.is_(True),
                User.id != (except_id or -1),
                sa.or_(SCOPE_UNIT.is_(None), SCOPE_UNIT.in_(ancestors or {-1})),
            )
            .order_by(User.id)
        )
    )


# --- Loading what a user may see -----------------------------------------------------------


def reviewable_submission(mentor: User, submission_id: int) -> EvidenceSubmission | None:
    """A submission the mentor may review (in scope, not their own), else None."""
    if not mentor.is_mentor:
        return None
    return db.session.scalar(
        sa.select(EvidenceSubmission)
        .join(User, _learner_condition(mentor, EvidenceSubmission.user_id, scope_units(mentor)))
        .where(
            EvidenceSubmission.id == submission_id,
            EvidenceSubmission.tenant_id == mentor.tenant_id,
        )
    )


def reviewable_evaluation(mentor: User, evaluation_id: int) -> Evaluation | None:
    """A quiz attempt the mentor may review: in scope, not their own, of an enrolment, and
    awaiting validation or already validated. Else None."""
    if not mentor.is_mentor:
        return None
    validated = sa.select(PeerValidation.id).where(PeerValidation.evaluation_id == Evaluation.id)
    return db.session.scalar(
        sa.select(Evaluation)
        .join(User, _learner_condition(mentor, Evaluation.user_id, scope_units(mentor)))
        .where(
            Evaluation.id == evaluation_id,
            Evaluation.tenant_id == mentor.tenant_id,
            Evaluation.enrolment_id.is_not(None),
            Evaluation.requirement_id.is_not(None),
            sa.or_(Evaluation.status == EvaluationStatus.AWAITING_VALIDATION, validated.exists()),
        )
    )


def downloadable_file(user: User, file_id: int) -> EvidenceFile | None:
    """An evidence file the user may download: their own, a learner's in their review scope,
    or any of the tenant when they are an admin. Else None."""
    evidence_file = db.session.scalar(
        sa.select(EvidenceFile).where(
            EvidenceFile.id == file_id, EvidenceFile.tenant_id == user.tenant_id
        )
    )
    if evidence_file is None:
        return None
    owner = db.session.get(User, evidence_file.submission.user_id)
    if owner.id == user.id or user.is_admin or in_scope(user, owner):
        return evidence_file
    return None
