"""The demo's tenants, org units, users, quiz and programmes, created through the editor
services (the first part of the build)."""

from __future__ import annotations

import functools
from typing import Any

from flask import current_app
from werkzeug.security import generate_password_hash

from webapp.extensions import db
from webapp.models import (
    OrgUnit,
    Tenant,
    User,
)
from webapp.services import automated_evaluation as evaluation
from webapp.services import certification_path_management as paths
from webapp.services.demo.content import (
    DEMO_PASSWORD,
    DEMO_TENANTS,
    DEMO_USERS,
    QUIZ_SETTINGS,
    SAFETY_QUESTIONS,
)


@functools.cache
def _password_hash() -> str:
    # One (slow, real-strength) hash for every demo user: they share the documented password.
    return generate_password_hash(DEMO_PASSWORD)


def _editor_input(question: dict[str, Any]) -> dict[str, Any]:
    """A stored question as the quiz editor sends it (options marked correct, no ids)."""
    data = {k: v for k, v in question.items() if k not in ("id", "options", "correct")}
    if "options" in question:
        data["options"] = [
            {"text": o["text"], "correct": o["id"] in question["correct"]}
            for o in question["options"]
        ]
    else:
        data["correct"] = question.get("correct")
    return data


class Definitions:
    """Creates the tenants and definitions for the builder (a mixin of `DemoBuilder`)."""

    def _create_tenants_and_users(self) -> None:
        for slug, name in DEMO_TENANTS.items():
            tenant = Tenant(name=name, slug=slug)
            db.session.add(tenant)
            db.session.flush()
            self.tenants[slug] = tenant
        acme = self.tenants["acme"]
        operations = self._unit(acme, "Operations", None)
        self._unit(acme, "North Site", operations)
        self._unit(acme, "South Site", operations)
        for slug, users in DEMO_USERS.items():
            for email, name, role, unit in users:
                user = User(
                    tenant_id=self.tenants[slug].id,
                    email=email,
                    full_name=name,
                    role=role,
                    org_unit_id=self.units[unit].id if unit else None,
                    password_hash=_password_hash(),
                )
                db.session.add(user)
                self.users[email] = user
        db.session.flush()

    def _unit(self, tenant: Tenant, name: str, parent: OrgUnit | None) -> OrgUnit:
        unit = OrgUnit(tenant_id=tenant.id, name=name, parent_id=parent.id if parent else None)
        db.session.add(unit)
        db.session.flush()
        self.units[name] = unit
        return unit

    def _create_acme_programmes(self) -> None:
        acme, admin = self.tenants["acme"], self.users["admin@acme.test"]
        allowed = tuple(current_app.config["UPLOAD_ALLOWED_TYPES"])
        quiz = evaluation.create_quiz(
            acme.id,
            admin,
            title="Safety fundamentals quiz",
            description="Fire safety, protective equipment and safe lifting.",
        )
        evaluation.update_settings(quiz, admin, QUIZ_SETTINGS)
        for question in SAFETY_QUESTIONS:
            self.questions[question["id"]] = evaluation.add_question(
                quiz, admin, _editor_input(question)
            )
        self.quiz_version = evaluation.publish_quiz(quiz, admin)

        fundamentals = paths.create_programme(
            acme.id,
            admin,
            {
                "name": "Safety Fundamentals",
                "slug": "safety-fundamentals",
                "description": "The basics every Acme employee needs: fire safety, protective "
                "equipment and safe lifting.",
                "level": "foundation",
                "validity_days": 365,
                "renewal_window_days": 30,
                "self_enrolment": True,
                "skill_names": ["Fire safety", "Manual handling"],
            },
        )
        paths.add_requirement(
            fundamentals,
            admin,
            "content",
            {
                "title": "Read the safety handbook",
                "body": "Read chapters 1 to 3 of the Acme safety handbook: alarms, escape "
                "routes and protective equipment.",
            },
            allowed,
        )
        paths.add_requirement(
            fundamentals,
            admin,
            "quiz",
            {"title": "Safety fundamentals quiz", "quiz_id": quiz.id, "min_score": 80},
            allowed,
        )
        paths.add_requirement(
            fundamentals,
            admin,
            "evidence",
            {
                "title": "Workplace inspection report",
                "instructions": "Inspect your workplace with the checklist and upload the "
                "completed report (PDF or photo).",
                "accepted_types": ["pdf", "png", "jpg"],
                "required_approvals": 1,
            },
            allowed,
        )
        paths.publish_path(fundamentals, admin)

        specialty = paths.create_programme(
            acme.id,
            admin,
            {
                "name": "Confined Space Entry",
                "slug": "confined-space-entry",
                "description": "Specialty certification for work in confined spaces. Requires "
                "an active Safety Fundamentals certificate.",
                "level": "advanced",
                "validity_days": 730,
                "renewal_window_days": 60,
                "self_enrolment": True,
                "prerequisite_ids": [fundamentals.id],
                "skill_names": ["Confined space entry"],
            },
        )
        paths.add_requirement(
            specialty,
            admin,
            "evidence",
            {
                "title": "Supervised entry log",
                "instructions": "Upload the log of a supervised entry signed by your supervisor.",
                "accepted_types": ["pdf"],
                "required_approvals": 1,
            },
            allowed,
        )
        paths.add_requirement(
            specialty,
            admin,
            "content",
            {
                "title": "Gas detection video",
                "body": "Watch the gas detection briefing.",
                "video_url": "https://video.example.org/gas-detection",
            },
            allowed,
        )
        paths.publish_path(specialty, admin)
        self.programmes.update(
            {"safety-fundamentals": fundamentals, "confined-space-entry": specialty}
        )

    def _create_globex_programme(self) -> None:
        admin = self.users["admin@globex.test"]
        onboarding = paths.create_programme(
            self.tenants["globex"].id,
            admin,
            {
                "name": "Globex Onboarding",
                "slug": "globex-onboarding",
                "description": "Company onboarding for new Globex staff.",
                "level": "foundation",
                "validity_days": None,
                "self_enrolment": True,
            },
        )
        paths.add_requirement(
            onboarding,
            admin,
            "content",
            {"title": "Welcome to Globex", "body": "Our history, values and how we work."},
            tuple(current_app.config["UPLOAD_ALLOWED_TYPES"]),
        )
        paths.publish_path(onboarding, admin)
        self.programmes["globex-onboarding"] = onboarding
