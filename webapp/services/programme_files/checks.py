"""Checking a document before an import: the schema first (`schema`, the shape of the file),
then the rules it cannot state, each problem under its JSON path (`$.requirements[2].min_score`):
the same rules as the admin forms and the quiz editor, names and ids that must be unique,
references (a requirement's quiz, prerequisites of the target organisation, quizzes no
requirement uses). And the plan of what the import will create. Reads only."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app

from webapp.extensions import db
from webapp.models import CertificationPath, Level, RequirementKind, Tenant
from webapp.services import automated_evaluation, grading, question_types
from webapp.services import certification_path_management as paths
from webapp.services.programme_files import schema
from webapp.services.programme_files.document import _join
from webapp.services.programme_files.schema import SchemaReport


class _Problems(dict):
    """Problems by JSON path, in the order found."""

    def add(self, path: str, message: str) -> None:
        self.setdefault(path, []).append(message)

    def extend(self, problems: list[tuple[str, str]]) -> None:
        for path, message in problems:
            self.add(path, message)

    def count(self) -> int:
        return sum(len(messages) for messages in self.values())

    def merge(self, base: str, problems: dict[str, list[str]], allowed: set[str]) -> None:
        for field, messages in problems.items():
            if field in allowed:
                for message in messages:
                    self.add(_join(base, field), message)

    def below(self, base: str) -> bool:
        """Whether there is a problem at `base` or anywhere inside it."""
        return any(p == base or p.startswith((f"{base}.", f"{base}[")) for p in self)


def _clean(value: dict[str, Any], name: str, path: str, report: SchemaReport) -> dict[str, Any]:
    """The keys of the schema's definition `name` that `value` has with the right type, and
    the default of each missing optional key (the schema's `default`, else None)."""
    node = schema.definition(name)
    required = set(node.get("required", ()))
    clean: dict[str, Any] = {}
    for key, spec in node["properties"].items():
        if key in value:
            if _join(path, key) not in report.wrong_type:
                clean[key] = value[key]
        elif key not in required:
            clean[key] = copy.deepcopy(spec.get("default"))
    return clean


def _strings(value: list[Any], path: str, problems: _Problems, what: str) -> list[tuple[int, str]]:
    """The distinct texts of a list (stripped) with their positions; a repeated one is a
    problem (the schema reports items that are not text or blank)."""
    distinct: list[tuple[int, str]] = []
    seen: set[str] = set()
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            continue
        if item.strip() in seen:
            problems.add(_join(path, index), f"This {what} is listed twice.")
        else:
            distinct.append((index, item.strip()))
            seen.add(item.strip())
    return distinct


# The key that names a question's answer key in messages: its type's first key field.
_ANSWER_KEYS = {name: qtype.key_fields[0] for name, qtype in question_types.REGISTRY.items()}
# grading.validate_question speaks in messages; this says which key each one is about (an
# unknown message is reported on the question itself).
_QUESTION_MESSAGE_KEYS = {
    "Unknown question type.": "type",
    "Write the question.": "prompt",
    "Points must be more than zero.": "points",
    "Points must be a number.": "points",
    "Give at least two options.": "options",
    "Option ids must be unique.": "options",
    "Every option needs text.": "options",
    "Mark the correct answer.": "correct",
    "Mark at least one correct option.": "correct",
    "A correct answer refers to an option that does not exist.": "correct",
    "A single-choice question has exactly one correct option.": "correct",
    "Scoring must be all-or-nothing or partial credit.": "scoring",
    "Mark whether the statement is true or false.": "correct",
    "Give at least one accepted answer.": "accepted",
    "Give the correct numeric value.": "value",
    "The tolerance cannot be negative.": "tolerance",
    "The tolerance must be a number.": "tolerance",
}


@dataclass
class _Plan:
    """What an import will create, worked out while checking."""

    programme: dict[str, Any]
    skills: list[str]
    prerequisites: list[CertificationPath]
    requirements: list[dict[str, Any]]
    quizzes: dict[str, dict[str, Any]]


def check_document(
    tenant: Tenant, document: dict[str, Any], slug: str | None = None, name: str | None = None
) -> tuple[_Problems, _Plan | None]:
    """Every problem of `document` for an import into `tenant`, by JSON path, and the plan
    of what to create (None when there are problems). Reads only."""
    report = schema.schema_problems(document)
    problems = _Problems()
    problems.extend(report.take(depth=1))  # the document itself and its own keys
    if not isinstance(document, dict):
        return problems, None
    if "$.format" in problems or "$.format_version" in problems:
        # Another kind of file: the rest of its contents means nothing here.
        return _Problems({k: v for k, v in problems.items() if k.startswith("$.format")}), None
    top = _clean(document, "document", "$", report)
    programme, skills, prerequisites = _check_programme(
        tenant, top.get("programme"), slug, name, problems, report
    )
    quizzes = _check_quizzes(top.get("quizzes"), problems, report)
    requirements = _check_requirements(tenant, top.get("requirements"), quizzes, problems, report)
    problems.extend(report.take())  # none expected: each part above takes its own
    if problems:
        return problems, None
    return problems, _Plan(programme, skills, prerequisites, requirements, quizzes)


def _check_programme(
    tenant: Tenant,
    value: Any,
    slug: str | None,
    name: str | None,
    problems: _Problems,
    report: SchemaReport,
) -> tuple[dict[str, Any], list[str], list[CertificationPath]]:
    base = "$.programme"
    problems.extend(report.take("programme"))
    if not isinstance(value, dict):
        return {}, [], []
    clean = _clean(value, "programme", base, report)
    # The importer may give a new slug and a new name (both are unique per tenant).
    for key, replacement in (("slug", slug), ("name", name)):
        if replacement is not None:
            problems.pop(_join(base, key), None)
            clean[key] = replacement
    data = {
        "name": (clean.get("name") or "").strip(),
        "slug": (clean.get("slug") or "").strip(),
        "description": clean.get("description") or "",
        "level": clean.get("level", Level.FOUNDATION.value),
        "validity_days": clean.get("validity_days"),
        "renewal_window_days": clean.get("renewal_window_days", 30),
        "recert_grace_days": clean.get("recert_grace_days", 90),
        "self_enrolment": clean.get("self_enrolment", True),
    }
    problems.merge(base, paths.validate_programme_fields(tenant.id, data), set(clean))
    skills_path = _join(base, "skills")
    skills = _strings(clean.get("skills") or [], skills_path, problems, "skill")
    for index, skill in skills:
        if len(skill) > 120:
            problems.add(_join(skills_path, index), "A skill name is at most 120 long.")
    prerequisites_path = _join(base, "prerequisites")
    wanted = [
        slug
        for _index, slug in _strings(
            clean.get("prerequisites") or [], prerequisites_path, problems, "prerequisite"
        )
    ]
    found = {
        p.slug: p
        for p in db.session.scalars(
            sa.select(CertificationPath).where(
                CertificationPath.tenant_id == tenant.id, CertificationPath.slug.in_(wanted)
            )
        )
    }
    for index, item in enumerate(clean.get("prerequisites") or []):
        if isinstance(item, str) and item.strip() in wanted and item.strip() not in found:
            problems.add(
                _join(prerequisites_path, index),
                f"There is no programme with the slug “{item.strip()}” here.",
            )
    return data, [skill for _index, skill in skills], [found[s] for s in wanted if s in found]


def _check_requirements(
    tenant: Tenant,
    value: Any,
    quizzes: dict[str, dict[str, Any]],
    problems: _Problems,
    report: SchemaReport,
) -> list[dict[str, Any]]:
    allowed_types = tuple(current_app.config["UPLOAD_ALLOWED_TYPES"])
    kinds = {k.value for k in RequirementKind}
    planned = []
    used = {str(item.get("quiz")) for item in value or [] if isinstance(item, dict)}
    for index, item in enumerate(value or []):
        path = _join("$.requirements", index)
        problems.extend(report.take("requirements", index))
        kind = item.get("kind") if isinstance(item, dict) else None
        if not isinstance(kind, str) or kind not in kinds:
            continue  # not an object, or no known kind: the schema said so
        clean = _clean(item, f"{kind}-requirement", path, report)
        settings_path = _join(path, "settings")
        settings = clean.get("settings") if "settings" in item else None
        if not isinstance(settings, dict):
            # Missing (or not an object, which is reported), `settings` is checked as its
            # default, {}: it lacks the required settings of its kind.
            for key in schema.definition(f"{kind}-requirement-settings").get("required", []):
                problems.add(_join(settings_path, key), schema.REQUIRED)
        settings = _clean(settings or {}, f"{kind}-requirement-settings", settings_path, report)
        if "accepted_types" in settings:
            settings["accepted_types"] = [
                text
                for _index, text in _strings(
                    settings["accepted_types"],
                    _join(settings_path, "accepted_types"),
                    problems,
                    "type",
                )
            ]
        data = {"title": clean.get("title") or "", "min_score": clean.get("min_score")}
        data.update(settings)
        found = paths.validate_requirement_fields(tenant.id, kind, data, allowed_types)
        problems.merge(path, found, {"title", "min_score"} & set(clean))
        problems.merge(settings_path, found, set(settings) - {"title", "min_score"})
        key = clean.get("quiz")
        if kind == RequirementKind.QUIZ.value and isinstance(key, str) and key not in quizzes:
            problems.add(_join(path, "quiz"), f"There is no quiz “{key}” in $.quizzes.")
        planned.append(
            {**clean, "kind": kind, "settings": paths.requirement_settings(kind, settings)}
        )
    for key in quizzes:
        if key not in used:
            problems.add(_join("$.quizzes", key), "No requirement uses this quiz.")
    return planned


def _check_quizzes(
    value: Any, problems: _Problems, report: SchemaReport
) -> dict[str, dict[str, Any]]:
    planned = {}
    for key, item in (value or {}).items():
        path = _join("$.quizzes", key)
        problems.extend(report.take("quizzes", key))
        if not isinstance(item, dict):
            continue
        clean = _clean(item, "quiz", path, report)
        title = (clean.get("title") or "").strip()
        if "title" in clean and not title:
            problems.add(_join(path, "title"), "Give the quiz a title.")
        elif len(title) > 160:
            problems.add(_join(path, "title"), "The title can be at most 160 characters.")
        description = (clean.get("description") or "").strip()
        if len(description) > 5000:
            problems.add(
                _join(path, "description"), "The description can be at most 5000 characters."
            )
        questions = clean.get("questions") or []
        ids: set[str] = set()
        for index, question in enumerate(questions):
            problems.extend(report.take("quizzes", key, "questions", index))
            _check_question(question, _join(_join(path, "questions"), index), ids, problems)
        settings_path = _join(path, "settings")
        settings = _check_quiz_settings(
            clean.get("settings") or {},
            settings_path,
            problems,
            report.take("quizzes", key, deferred=True),
        )
        draw = settings.get("draw_count")
        if questions and isinstance(draw, int) and draw > len(questions):
            problems.add(
                _join(settings_path, "draw_count"),
                f"The quiz draws {draw} questions but has only {len(questions)}.",
            )
        planned[key] = {
            "title": title,
            "description": description,
            "settings": settings,
            "questions": copy.deepcopy(questions),
        }
    return planned


def _check_quiz_settings(
    value: dict[str, Any], path: str, problems: _Problems, deferred: list[tuple[str, str]]
) -> dict[str, Any]:
    """The complete settings (defaults for missing keys); problems by setting, worded by the
    quiz's own rules (those the schema found are theirs too: its words only should the two
    ever disagree)."""
    settings = {**automated_evaluation.DEFAULT_SETTINGS, **value}
    found = automated_evaluation.validate_settings(settings)
    problems.merge(path, found, set(found))
    for where, message in deferred:
        if where not in problems:
            problems.add(where, message)
    return {key: settings[key] for key in automated_evaluation.DEFAULT_SETTINGS}


def _check_question(question: Any, path: str, ids: set[str], problems: _Problems) -> None:
    qtype = question.get("type") if isinstance(question, dict) else None
    if not isinstance(qtype, str) or qtype not in question_types.REGISTRY:
        return  # not an object, or no known type: the schema said so
    qid = question.get("id")
    id_path = _join(path, "id")
    if isinstance(qid, str):
        if id_path not in problems and qid in ids:
            problems.add(id_path, "Another question of this quiz has this id.")
        ids.add(qid)
    if problems.below(path):
        return  # the shapes are wrong; the rules below would only repeat it
    # The same rules, in the same order, as publishing a quiz in the editor.
    own = automated_evaluation.question_problems(question)
    if own:
        problems.merge(path, own, set(own))
    elif automated_evaluation.missing_answer_key(question):
        problems.add(_join(path, _ANSWER_KEYS[qtype]), "This question has no correct answer.")
    else:
        for message in grading.validate_question(question):
            key = _QUESTION_MESSAGE_KEYS.get(message)
            problems.add(_join(path, key) if key else path, message)
