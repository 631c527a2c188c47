"""Export: a programme with the quizzes its requirements use, as a document (no database
ids, timestamps or version numbers, so export -> import -> export gives the same document)."""

from __future__ import annotations

import copy
import re
import unicodedata
from typing import Any

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import (
    CertificationPath,
    PathRequirement,
    Quiz,
    QuizVersion,
    RequirementKind,
    User,
)
from webapp.services import audit, automated_evaluation
from webapp.services import certification_path_management as paths
from webapp.services.programme_files.document import FORMAT, FORMAT_VERSION


def export_programme(programme: CertificationPath) -> dict[str, Any]:
    """The programme as a document: fields, skills and prerequisites by name and slug,
    requirements in order, and each quiz they use from its latest published version (the draft
    when never published). Reads only."""
    requirements = list(programme.requirements)
    quiz_ids = list(dict.fromkeys(r.quiz_id for r in requirements if r.quiz_id))
    quizzes = {
        q.id: q
        for q in db.session.scalars(
            sa.select(Quiz).where(Quiz.id.in_(quiz_ids), Quiz.tenant_id == programme.tenant_id)
        )
    }
    versions = paths.latest_quiz_versions(quiz_ids)
    keys = _quiz_keys([quizzes[i] for i in quiz_ids if i in quizzes], versions)
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "programme": {
            "name": programme.name.strip(),
            "slug": programme.slug,
            "description": programme.description or "",
            "level": programme.level.value,
            "validity_days": programme.validity_days,
            "renewal_window_days": programme.renewal_window_days,
            "recert_grace_days": programme.recert_grace_days,
            "self_enrolment": programme.self_enrolment,
            "skills": sorted(s.name for s in programme.skills),
            "prerequisites": sorted(p.slug for p in programme.prerequisites),
        },
        "requirements": [_export_requirement(r, keys) for r in requirements],
        "quizzes": {
            keys[quiz_id]: _export_quiz(quizzes[quiz_id], versions.get(quiz_id))
            for quiz_id in quiz_ids
            if quiz_id in quizzes
        },
    }


def record_export(
    programme: CertificationPath, actor: User | None, document: dict[str, Any]
) -> None:
    """Audit that the programme left the installation as a file (from the admin pages, or the
    command line when `actor` is None). Never commits."""
    audit.record(
        programme.tenant_id,
        actor,
        "programme.exported",
        "programme",
        programme.id,
        f"{programme.name} exported to a file",
        requirements=len(document["requirements"]),
        quizzes=len(document["quizzes"]),
    )


def slugify(text: str) -> str:
    """A quiz key from a title: lowercase ASCII letters and digits joined by hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].strip("-")


def _quiz_keys(quizzes: list[Quiz], versions: dict[int, QuizVersion]) -> dict[int, str]:
    keys: dict[int, str] = {}
    for quiz in quizzes:
        version = versions.get(quiz.id)
        base = slugify(version.title if version else quiz.title) or "quiz"
        key, n = base, 2
        while key in keys.values():
            key, n = f"{base}-{n}", n + 1
        keys[quiz.id] = key
    return keys


def _export_requirement(requirement: PathRequirement, keys: dict[int, str]) -> dict[str, Any]:
    kind = requirement.kind.value
    entry: dict[str, Any] = {
        "kind": kind,
        "title": requirement.title.strip(),
        "is_mandatory": requirement.is_mandatory,
        "settings": paths.requirement_settings(kind, requirement.settings or {}),
    }
    if requirement.kind is RequirementKind.QUIZ:
        entry["min_score"] = requirement.min_score
        entry["quiz"] = keys.get(requirement.quiz_id) if requirement.quiz_id else None
    return entry


def _export_quiz(quiz: Quiz, version: QuizVersion | None) -> dict[str, Any]:
    source = version if version is not None else quiz
    return {
        "title": source.title.strip(),
        "description": (quiz.description or "").strip(),
        "settings": automated_evaluation.effective_settings(source),
        "questions": copy.deepcopy(source.questions or []),
    }
