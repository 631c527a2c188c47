"""Enrolment: into the pinned snapshot of the latest published version, with its ledger
and to-do items; one user, a learner themselves, or several users at once.

Functions flush but never commit; they raise DomainError subclasses with safe messages.
"""

from __future__ import annotations

import sqlalchemy as sa

from webapp import clock
from webapp.errors import Conflict, NotAllowed
from webapp.extensions import db
from webapp.models import (
    OPEN_ENROLMENT_STATUSES,
    CertificationPath,
    Enrolment,
    LearnerTask,
    PathStatus,
    RequirementProgress,
    User,
)
from webapp.services import audit
from webapp.services.certification_path_management.eligibility import (
    active_certificate,
    certified_blocker,
    enrolment_blockers,
)
from webapp.services.certification_path_management.versions import latest_version, snapshot_of


def open_enrolment(user: User, programme: CertificationPath) -> Enrolment | None:
    return db.session.scalar(
        sa.select(Enrolment).where(
            Enrolment.user_id == user.id,
            Enrolment.path_id == programme.id,
            Enrolment.status.in_(OPEN_ENROLMENT_STATUSES),
        )
    )


def enrol(
    user: User,
    programme: CertificationPath,
    actor: User | None = None,
    *,
    renewal_of: Enrolment | None = None,
) -> tuple[Enrolment, bool]:
    """Enrol `user` into the latest published definition of `programme` with the latest published
    version of each quiz: freeze the snapshot, create one pending ledger row and one to-do
    item per requirement. Idempotent: an open enrolment is returned as is (created=False); the
    partial unique index settles races. While the user holds an active certificate of the
    programme a new enrolment is refused, except inside its renewal window, where it becomes
    the renewal of the certified enrolment. Flushes.
    Raises Conflict (not published, certified), NotAllowed (other tenant)."""
    if user.tenant_id != programme.tenant_id:
        raise NotAllowed("This user cannot be enrolled in this programme.")
    if programme.status is not PathStatus.PUBLISHED:
        raise Conflict("Only published programmes accept enrolments.")
    existing = open_enrolment(user, programme)
    if existing is not None:
        return existing, False
    if renewal_of is None:
        certificate = active_certificate(user, programme)
        if certificate is not None:
            blocker = certified_blocker(certificate, programme)
            if blocker is not None:
                raise Conflict(f"{user.full_name} already holds {blocker}")
            renewal_of = db.session.get(Enrolment, certificate.enrolment_id)
    version = latest_version(programme)
    if version is None:
        raise Conflict("This programme has not been published.")
    snapshot = snapshot_of(version)
    now = clock.now()
    enrolment = Enrolment(
        tenant_id=programme.tenant_id,
        org_unit_id=user.org_unit_id,
        user_id=user.id,
        path_id=programme.id,
        program_snapshot=snapshot,
        path_version=snapshot.get("version", programme.version),
        started_at=now,
        renewal_of_enrolment_id=renewal_of.id if renewal_of else None,
        enrolled_by_id=actor.id if actor else user.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(enrolment)
    except sa.exc.IntegrityError:
        existing = open_enrolment(user, programme)
        if existing is None:
            raise
        return existing, False
    initialise_ledger(enrolment)
    return enrolment, True


def initialise_ledger(enrolment: Enrolment) -> int:
    """Create the missing ledger rows and to-do items of an enrolment (idempotent: existing
    rows are kept). Returns how many ledger rows were created. Flushes."""
    have = set(
        db.session.scalars(
            sa.select(RequirementProgress.requirement_id).where(
                RequirementProgress.enrolment_id == enrolment.id
            )
        )
    )
    have_tasks = set(
        db.session.scalars(
            sa.select(LearnerTask.requirement_id).where(LearnerTask.enrolment_id == enrolment.id)
        )
    )
    created = 0
    now = clock.now()
    for r in enrolment.program_snapshot["requirements"]:
        requirement_id = r["requirement_id"]
        if requirement_id not in have:
            db.session.add(
                RequirementProgress(
                    tenant_id=enrolment.tenant_id,
                    org_unit_id=enrolment.org_unit_id,
                    enrolment_id=enrolment.id,
                    requirement_id=requirement_id,
                    sort_order=r["sort_order"],
                    is_mandatory=r["is_mandatory"],
                    last_updated_at=now,
                )
            )
            created += 1
        if requirement_id not in have_tasks:
            db.session.add(
                LearnerTask(
                    tenant_id=enrolment.tenant_id,
                    user_id=enrolment.user_id,
                    enrolment_id=enrolment.id,
                    requirement_id=requirement_id,
                    title=r["title"],
                )
            )
    db.session.flush()
    return created


def self_enrol(user: User, programme: CertificationPath) -> tuple[Enrolment, bool]:
    """A learner enrols themselves. Raises NotAllowed with the reason when they may not.
    Idempotent (an open enrolment is returned). Flushes, never commits."""
    existing = open_enrolment(user, programme)
    if existing is not None:
        return existing, False
    blockers = enrolment_blockers(user, programme)
    if blockers:
        raise NotAllowed(" ".join(blockers))
    enrolment, created = enrol(user, programme, user)
    if created:
        audit.record(
            programme.tenant_id,
            user,
            "enrolment.self",
            "enrolment",
            enrolment.id,
            f"{user.full_name} enrolled in {programme.name}",
            subject=user,
            programme_id=programme.id,
            version=enrolment.path_version,
            renewal=enrolment.renewal_of_enrolment_id is not None,
        )
    return enrolment, created


def enrol_many(
    programme: CertificationPath, users: list[User], actor: User
) -> dict[str, list[str]]:
    """An admin enrols several users (e.g. a whole org unit): idempotent; returns the names of
    those newly enrolled, already enrolled, and refused (with reasons). Flushes."""
    summary: dict[str, list[str]] = {"enrolled": [], "already": [], "refused": []}
    newly: list[User] = []
    for user in users:
        if not user.active:
            summary["refused"].append(f"{user.full_name}: the account is inactive")
            continue
        try:
            _, created = enrol(user, programme, actor)
        except (Conflict, NotAllowed) as error:
            summary["refused"].append(f"{user.full_name}: {error.message}")
            continue
        summary["enrolled" if created else "already"].append(user.full_name)
        if created:
            newly.append(user)
    if summary["enrolled"]:
        audit.record(
            programme.tenant_id,
            actor,
            "enrolment.bulk",
            "programme",
            programme.id,
            f"{len(summary['enrolled'])} enrolled in {programme.name}",
            subject=newly[0] if len(newly) == 1 else None,
            enrolled=len(newly),
        )
    return summary
