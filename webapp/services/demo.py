"""Demo data for a newcomer's machine (`flask seed-demo`); idempotent."""

from __future__ import annotations

import sqlalchemy as sa

from webapp import clock
from webapp.extensions import db
from webapp.models import (
    CertificationPath,
    Level,
    OrgUnit,
    PathRequirement,
    Quiz,
    QuizStatus,
    QuizVersion,
    RequirementKind,
    Role,
    Skill,
    Tenant,
    User,
)
from webapp.services import certification_path_management as paths
from webapp.services import grading
from webapp.services.automated_evaluation import DEFAULT_SETTINGS

DEMO_PASSWORD = "certifikation-demo"  # noqa: S105 (documented demo password, demo data only)

DEMO_USERS = {
    "acme": [
        ("admin@acme.test", "Alex Admin", Role.ADMIN, "Operations"),
        ("mentor@acme.test", "Morgan Mentor", Role.MENTOR, "Operations"),
        ("learner@acme.test", "Lee Learner", Role.LEARNER, "North Site"),
        ("learner2@acme.test", "Robin Learner", Role.LEARNER, "South Site"),
    ],
    "globex": [
        ("admin@globex.test", "Gale Admin", Role.ADMIN, None),
        ("mentor@globex.test", "Glen Mentor", Role.MENTOR, None),
        ("learner@globex.test", "Gus Learner", Role.LEARNER, None),
    ],
}

SAFETY_QUESTIONS = [
    {
        "id": "q1",
        "type": "single",
        "points": 1,
        "prompt": "What is the first thing to do when you discover a fire?",
        "options": [
            {"id": "a", "text": "Raise the alarm"},
            {"id": "b", "text": "Collect your belongings"},
            {"id": "c", "text": "Open the windows"},
        ],
        "correct": ["a"],
        "explanation": "Raising the alarm warns everyone and starts the emergency response.",
    },
    {
        "id": "q2",
        "type": "multiple",
        "scoring": "partial",
        "points": 2,
        "prompt": "Which of these are personal protective equipment?",
        "options": [
            {"id": "a", "text": "Safety goggles"},
            {"id": "b", "text": "Hard hat"},
            {"id": "c", "text": "Coffee mug"},
            {"id": "d", "text": "Hearing protection"},
        ],
        "correct": ["a", "b", "d"],
        "explanation": "Goggles, hard hats and hearing protection protect the wearer.",
    },
    {
        "id": "q3",
        "type": "true_false",
        "points": 1,
        "prompt": "A fire door may be wedged open when the corridor is busy.",
        "correct": False,
        "explanation": "Fire doors must stay closed so they can stop smoke and flames.",
    },
    {
        "id": "q4",
        "type": "short_text",
        "points": 1,
        "prompt": "What does the abbreviation PPE stand for?",
        "accepted": ["personal protective equipment"],
        "explanation": "PPE: personal protective equipment.",
    },
    {
        "id": "q5",
        "type": "numeric",
        "points": 1,
        "prompt": "At most how many kilograms should one person lift alone (guideline)?",
        "value": "25",
        "tolerance": "0",
        "explanation": "The common guideline for a lift close to the body is 25 kg.",
    },
]


def seed() -> dict[str, int]:
    """Create the demo tenants, users, programmes and quiz unless they exist. Flushes."""
    created = {"tenants": 0, "users": 0, "programmes": 0}
    acme = _tenant("Acme Safety", "acme", created)
    globex = _tenant("Globex", "globex", created)
    units = {
        "Operations": _unit(acme, "Operations", None),
    }
    units["North Site"] = _unit(acme, "North Site", units["Operations"])
    units["South Site"] = _unit(acme, "South Site", units["Operations"])
    for tenant in (acme, globex):
        for email, name, role, unit in DEMO_USERS[tenant.slug]:
            _user(tenant, email, name, role, units.get(unit) if unit else None, created)
    admin = db.session.scalar(sa.select(User).where(User.email == "admin@acme.test"))

    if _path(acme, "safety-fundamentals") is None:
        skills = [_skill(acme, "Fire safety"), _skill(acme, "Manual handling")]
        quiz = _quiz(acme, "Safety fundamentals quiz", SAFETY_QUESTIONS, admin)
        fundamentals = CertificationPath(
            tenant_id=acme.id,
            name="Safety Fundamentals",
            slug="safety-fundamentals",
            description="The basics every Acme employee needs: fire safety, protective "
            "equipment and safe lifting.",
            level=Level.FOUNDATION,
            validity_days=365,
            renewal_window_days=30,
            self_enrolment=True,
        )
        fundamentals.skills = skills
        db.session.add(fundamentals)
        db.session.flush()
        _requirement(
            fundamentals,
            1,
            RequirementKind.CONTENT,
            "Read the safety handbook",
            meta={
                "body": "Read chapters 1 to 3 of the Acme safety handbook: alarms, "
                "escape routes and protective equipment.",
                "video_url": None,
            },
        )
        _requirement(
            fundamentals,
            2,
            RequirementKind.QUIZ,
            "Safety fundamentals quiz",
            quiz=quiz,
            min_score=80,
        )
        _requirement(
            fundamentals,
            3,
            RequirementKind.EVIDENCE,
            "Workplace inspection report",
            meta={
                "instructions": "Inspect your workplace with the checklist and upload "
                "the completed report (PDF or photo).",
                "accepted_types": ["pdf", "png", "jpg"],
                "required_approvals": 1,
            },
        )
        paths.publish_path(fundamentals, admin)

        specialty = CertificationPath(
            tenant_id=acme.id,
            name="Confined Space Entry",
            slug="confined-space-entry",
            description="Specialty certification for work in confined spaces. Requires an "
            "active Safety Fundamentals certificate.",
            level=Level.ADVANCED,
            validity_days=730,
            renewal_window_days=60,
            self_enrolment=True,
        )
        specialty.prerequisites = [fundamentals]
        specialty.skills = [_skill(acme, "Confined space entry")]
        db.session.add(specialty)
        db.session.flush()
        _requirement(
            specialty,
            1,
            RequirementKind.EVIDENCE,
            "Supervised entry log",
            meta={
                "instructions": "Upload the log of a supervised entry signed by your supervisor.",
                "accepted_types": ["pdf"],
                "required_approvals": 1,
            },
        )
        _requirement(
            specialty,
            2,
            RequirementKind.CONTENT,
            "Gas detection video",
            meta={
                "body": "Watch the gas detection briefing.",
                "video_url": "https://video.example.org/gas-detection",
            },
        )
        paths.publish_path(specialty, admin)
        created["programmes"] += 2

    if _path(globex, "globex-onboarding") is None:
        gadmin = db.session.scalar(sa.select(User).where(User.email == "admin@globex.test"))
        onboarding = CertificationPath(
            tenant_id=globex.id,
            name="Globex Onboarding",
            slug="globex-onboarding",
            description="Company onboarding for new Globex staff.",
            level=Level.FOUNDATION,
            validity_days=None,
            self_enrolment=True,
        )
        db.session.add(onboarding)
        db.session.flush()
        _requirement(
            onboarding,
            1,
            RequirementKind.CONTENT,
            "Welcome to Globex",
            meta={"body": "Our history, values and how we work.", "video_url": None},
        )
        paths.publish_path(onboarding, gadmin)
        created["programmes"] += 1
    db.session.flush()
    return created


def _tenant(name: str, slug: str, created: dict[str, int]) -> Tenant:
    tenant = db.session.scalar(sa.select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        tenant = Tenant(name=name, slug=slug)
        db.session.add(tenant)
        db.session.flush()
        created["tenants"] += 1
    return tenant


def _unit(tenant: Tenant, name: str, parent: OrgUnit | None) -> OrgUnit:
    unit = db.session.scalar(
        sa.select(OrgUnit).where(OrgUnit.tenant_id == tenant.id, OrgUnit.name == name)
    )
    if unit is None:
        unit = OrgUnit(tenant_id=tenant.id, name=name, parent_id=parent.id if parent else None)
        db.session.add(unit)
        db.session.flush()
    return unit


def _user(tenant, email, name, role, unit, created) -> User:
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        user = User(
            tenant_id=tenant.id,
            email=email,
            full_name=name,
            role=role,
            org_unit_id=unit.id if unit else None,
        )
        user.set_password(DEMO_PASSWORD)
        db.session.add(user)
        db.session.flush()
        created["users"] += 1
    return user


def _skill(tenant: Tenant, name: str) -> Skill:
    skill = db.session.scalar(
        sa.select(Skill).where(Skill.tenant_id == tenant.id, Skill.name == name)
    )
    if skill is None:
        skill = Skill(tenant_id=tenant.id, name=name)
        db.session.add(skill)
        db.session.flush()
    return skill


def _path(tenant: Tenant, slug: str) -> CertificationPath | None:
    return db.session.scalar(
        sa.select(CertificationPath).where(
            CertificationPath.tenant_id == tenant.id, CertificationPath.slug == slug
        )
    )


def _quiz(tenant: Tenant, title: str, questions: list[dict], actor: User) -> Quiz:
    for question in questions:
        problems = grading.validate_question(question)
        if problems:
            raise ValueError(f"demo question {question['id']}: {problems}")
    quiz = Quiz(
        tenant_id=tenant.id,
        title=title,
        questions=questions,
        settings=dict(DEFAULT_SETTINGS),
        status=QuizStatus.PUBLISHED,
        has_draft_changes=False,
        latest_version_number=1,
    )
    db.session.add(quiz)
    db.session.flush()
    db.session.add(
        QuizVersion(
            tenant_id=tenant.id,
            quiz_id=quiz.id,
            number=1,
            title=title,
            questions=questions,
            settings=dict(DEFAULT_SETTINGS),
            published_by_id=actor.id,
            published_at=clock.now(),
        )
    )
    db.session.flush()
    return quiz


def _requirement(path, order, kind, title, *, quiz=None, min_score=None, meta=None):
    requirement = PathRequirement(
        tenant_id=path.tenant_id,
        path_id=path.id,
        kind=kind,
        title=title,
        sort_order=order,
        quiz_id=quiz.id if quiz else None,
        min_score=min_score,
        meta=meta or {},
    )
    db.session.add(requirement)
    db.session.flush()
    db.session.expire(path, ["requirements"])
    return requirement
