"""Checking a document before an import: the field specs, a hand-written checker that
reports every problem under its JSON path (`$.requirements[2].min_score`), and the plan of
what the import will create. Reads only."""

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
from webapp.services.programme_files.document import FORMAT, FORMAT_VERSION, _join


class _Problems(dict):
    """Problems by JSON path, in the order found."""

    def add(self, path: str, message: str) -> None:
        self.setdefault(path, []).append(message)

    def count(self) -> int:
        return sum(len(messages) for messages in self.values())

    def merge(self, base: str, problems: dict[str, list[str]], allowed: set[str]) -> None:
        for field, messages in problems.items():
            if field in allowed:
                for message in messages:
                    self.add(_join(base, field), message)


@dataclass(frozen=True)
class _Field:
    types: tuple[Any, ...]
    required: bool = False
    default: Any = None


_TYPE_WORDS = {
    str: "text",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
    list: "a list",
    dict: "an object",
    None: "null",
}


def _has_type(value: Any, types: tuple[Any, ...]) -> bool:
    for kind in types:
        if kind is None and value is None:
            return True
        if kind is bool and isinstance(value, bool):
            return True
        numeric = isinstance(value, int) or (kind is float and isinstance(value, float))
        if kind in (int, float) and numeric and not isinstance(value, bool):
            return True
        if kind in (str, list, dict) and isinstance(value, kind):
            return True
    return False


def _check_object(
    value: Any, path: str, spec: dict[str, _Field], problems: _Problems
) -> dict[str, Any] | None:
    """The known, well-typed keys of an object (defaults filled in for missing optional keys);
    unknown keys, missing required keys and wrong types become problems. None when `value` is
    not an object."""
    if not isinstance(value, dict):
        problems.add(path, "Expected an object.")
        return None
    for key in value:
        if key not in spec:
            problems.add(_join(path, str(key)), "Unknown key.")
    clean: dict[str, Any] = {}
    for key, field in spec.items():
        if key not in value:
            if field.required:
                problems.add(_join(path, key), "This key is required.")
            else:
                clean[key] = field.default() if callable(field.default) else field.default
        elif _has_type(value[key], field.types):
            clean[key] = value[key]
        else:
            words = " or ".join(_TYPE_WORDS[t] for t in field.types)
            problems.add(_join(path, key), f"Expected {words}.")
    return clean


def _strings(value: list[Any], path: str, problems: _Problems, what: str) -> list[str]:
    """The distinct non-empty strings of a list; anything else is a problem."""
    seen: list[str] = []
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            problems.add(_join(path, index), f"Expected {what} as non-empty text.")
        elif item.strip() in seen:
            problems.add(_join(path, index), f"This {what} is listed twice.")
        else:
            seen.append(item.strip())
    return seen


DOCUMENT_SPEC = {
    "format": _Field((str,), required=True),
    "format_version": _Field((int,), required=True),
    "programme": _Field((dict,), required=True),
    "requirements": _Field((list,), default=list),
    "quizzes": _Field((dict,), default=dict),
}
PROGRAMME_SPEC = {
    "name": _Field((str,), required=True),
    "slug": _Field((str,), required=True),
    "description": _Field((str,), default=""),
    "level": _Field((str,), default=Level.FOUNDATION.value),
    "validity_days": _Field((int, None)),
    "renewal_window_days": _Field((int,), default=30),
    "recert_grace_days": _Field((int,), default=90),
    "self_enrolment": _Field((bool,), default=True),
    "skills": _Field((list,), default=list),
    "prerequisites": _Field((list,), default=list),
}
REQUIREMENT_SPEC = {
    "kind": _Field((str,), required=True),
    "title": _Field((str,), required=True),
    "is_mandatory": _Field((bool,), default=True),
    "settings": _Field((dict,), default=dict),
}
QUIZ_REQUIREMENT_SPEC = {
    **REQUIREMENT_SPEC,
    "min_score": _Field((int, None)),
    "quiz": _Field((str,), required=True),
}
REQUIREMENT_SETTINGS_SPEC = {
    RequirementKind.QUIZ.value: {"requires_peer_validation": _Field((bool,), default=False)},
    RequirementKind.EVIDENCE.value: {
        "instructions": _Field((str,), required=True),
        "accepted_types": _Field((list,), required=True),
        "required_approvals": _Field((int,), default=1),
    },
    RequirementKind.CONTENT.value: {
        "body": _Field((str,), default=""),
        "video_url": _Field((str, None)),
    },
}
QUIZ_SPEC = {
    "title": _Field((str,), required=True),
    "description": _Field((str,), default=""),
    "settings": _Field((dict,), default=dict),
    "questions": _Field((list,), required=True),
}
_NUMBER = (float, str)  # float accepts whole numbers too
_COMMON_QUESTION_SPEC = {
    "id": _Field((str,), required=True),
    "type": _Field((str,), required=True),
    "prompt": _Field((str,), required=True),
    "points": _Field(_NUMBER, required=True),
    "explanation": _Field((str,)),
}
QUESTION_SPECS = {
    "single": {
        "options": _Field((list,), required=True),
        "correct": _Field((list,), required=True),
    },
    "multiple": {
        "options": _Field((list,), required=True),
        "correct": _Field((list,), required=True),
        "scoring": _Field((str,), required=True),
    },
    "true_false": {"correct": _Field((bool, None), required=True)},
    "short_text": {"accepted": _Field((list,), required=True)},
    "numeric": {
        "value": _Field((*_NUMBER, None), required=True),
        "tolerance": _Field(_NUMBER),
    },
}
OPTION_SPEC = {"id": _Field((str,), required=True), "text": _Field((str,), required=True)}

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
    problems = _Problems()
    top = _check_object(document, "$", DOCUMENT_SPEC, problems)
    if top is None:
        return problems, None
    if "format" in top and top["format"] != FORMAT:
        problems.add("$.format", f"This is not a programme file (expected “{FORMAT}”).")
    if "format_version" in top and top["format_version"] != FORMAT_VERSION:
        problems.add(
            "$.format_version",
            f"Format version {top['format_version']} is not supported; "
            f"this version of CertifiKation reads version {FORMAT_VERSION}.",
        )
    if "$.format" in problems or "$.format_version" in problems:
        # Another kind of file: the rest of its contents means nothing here.
        return _Problems({k: v for k, v in problems.items() if k.startswith("$.format")}), None
    programme, skills, prerequisites = _check_programme(
        tenant, top.get("programme"), slug, name, problems
    )
    quizzes = _check_quizzes(top.get("quizzes"), problems)
    requirements = _check_requirements(tenant, top.get("requirements"), quizzes, problems)
    if problems:
        return problems, None
    return problems, _Plan(programme, skills, prerequisites, requirements, quizzes)


def _check_programme(
    tenant: Tenant, value: Any, slug: str | None, name: str | None, problems: _Problems
) -> tuple[dict[str, Any], list[str], list[CertificationPath]]:
    base = "$.programme"
    if value is None:
        return {}, [], []
    clean = _check_object(value, base, PROGRAMME_SPEC, problems) or {}
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
    skills = _strings(clean.get("skills", []), _join(base, "skills"), problems, "skill")
    for index, name in enumerate(skills):
        if len(name) > 120:
            problems.add(_join(_join(base, "skills"), index), "A skill name is at most 120 long.")
    wanted = _strings(
        clean.get("prerequisites", []), _join(base, "prerequisites"), problems, "prerequisite"
    )
    found = {
        p.slug: p
        for p in db.session.scalars(
            sa.select(CertificationPath).where(
                CertificationPath.tenant_id == tenant.id, CertificationPath.slug.in_(wanted)
            )
        )
    }
    for index, item in enumerate(clean.get("prerequisites", [])):
        if isinstance(item, str) and item.strip() in wanted and item.strip() not in found:
            problems.add(
                _join(_join(base, "prerequisites"), index),
                f"There is no programme with the slug “{item.strip()}” here.",
            )
    return data, skills, [found[s] for s in wanted if s in found]


def _check_requirements(
    tenant: Tenant, value: Any, quizzes: dict[str, dict[str, Any]], problems: _Problems
) -> list[dict[str, Any]]:
    allowed_types = tuple(current_app.config["UPLOAD_ALLOWED_TYPES"])
    planned = []
    used = {str(item.get("quiz")) for item in value or [] if isinstance(item, dict)}
    for index, item in enumerate(value or []):
        path = _join("$.requirements", index)
        kind = str(item.get("kind")) if isinstance(item, dict) else None
        if isinstance(item, dict) and kind not in REQUIREMENT_SETTINGS_SPEC:
            problems.add(_join(path, "kind"), "Choose quiz, evidence or content.")
            continue
        spec = QUIZ_REQUIREMENT_SPEC if kind == RequirementKind.QUIZ.value else REQUIREMENT_SPEC
        clean = _check_object(item, path, spec, problems)
        if clean is None:
            continue
        settings_path = _join(path, "settings")
        settings = _check_object(
            clean.get("settings", {}), settings_path, REQUIREMENT_SETTINGS_SPEC[kind], problems
        )
        settings = settings or {}
        if "accepted_types" in settings:
            settings["accepted_types"] = _strings(
                settings["accepted_types"], _join(settings_path, "accepted_types"), problems, "type"
            )
        data = {"title": clean.get("title") or "", "min_score": clean.get("min_score")}
        data.update(settings)
        found = paths.validate_requirement_fields(tenant.id, kind, data, allowed_types)
        problems.merge(path, found, {"title", "min_score"} & set(clean))
        problems.merge(settings_path, found, set(settings) - {"title", "min_score"})
        key = clean.get("quiz")
        if kind == RequirementKind.QUIZ.value and isinstance(key, str) and key not in quizzes:
            problems.add(_join(path, "quiz"), f"There is no quiz “{key}” in $.quizzes.")
        planned.append({**clean, "kind": kind, "meta": paths.requirement_meta(kind, settings)})
    for key in quizzes:
        if key not in used:
            problems.add(_join("$.quizzes", key), "No requirement uses this quiz.")
    return planned


def _check_quizzes(value: Any, problems: _Problems) -> dict[str, dict[str, Any]]:
    planned = {}
    for key, item in (value or {}).items():
        path = _join("$.quizzes", key)
        if not key.strip() or len(key) > 80:
            problems.add(path, "A quiz key is 1 to 80 characters.")
        clean = _check_object(item, path, QUIZ_SPEC, problems)
        if clean is None:
            continue
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
        questions = clean.get("questions", [])
        if "questions" in clean and not questions:
            problems.add(_join(path, "questions"), "A quiz needs at least one question.")
        elif len(questions) > automated_evaluation.MAX_QUESTIONS:
            problems.add(
                _join(path, "questions"),
                f"A quiz can have at most {automated_evaluation.MAX_QUESTIONS} questions.",
            )
        ids: set[str] = set()
        for index, question in enumerate(questions):
            _check_question(question, _join(_join(path, "questions"), index), ids, problems)
        settings_path = _join(path, "settings")
        settings = _check_quiz_settings(clean.get("settings", {}), settings_path, problems)
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


def _check_quiz_settings(value: dict[str, Any], path: str, problems: _Problems) -> dict[str, Any]:
    """The complete settings (defaults for missing keys); problems by setting."""
    settings = {**automated_evaluation.DEFAULT_SETTINGS, **value}
    found = automated_evaluation.validate_settings(settings)
    problems.merge(path, found, set(found))
    return {key: settings[key] for key in automated_evaluation.DEFAULT_SETTINGS}


def _check_question(question: Any, path: str, ids: set[str], problems: _Problems) -> None:
    qtype = str(question.get("type")) if isinstance(question, dict) else None
    if isinstance(question, dict) and qtype not in QUESTION_SPECS:
        problems.add(
            _join(path, "type"), f"Unknown question type; use one of: {', '.join(QUESTION_SPECS)}."
        )
        return
    spec = {**_COMMON_QUESTION_SPEC, **QUESTION_SPECS.get(qtype, {})}
    before = problems.count()
    clean = _check_object(question, path, spec, problems)
    if clean is None:
        return
    qid = clean.get("id")
    if isinstance(qid, str):
        if not qid.strip() or len(qid) > 40:
            problems.add(_join(path, "id"), "A question id is 1 to 40 characters.")
        elif qid in ids:
            problems.add(_join(path, "id"), "Another question of this quiz has this id.")
        ids.add(qid)
    for index, option in enumerate(clean.get("options") or []):
        _check_object(option, _join(_join(path, "options"), index), OPTION_SPEC, problems)
    for key in ("correct", "accepted"):
        if isinstance(clean.get(key), list) and not all(isinstance(v, str) for v in clean[key]):
            problems.add(_join(path, key), "Expected a list of text.")
    if problems.count() > before:
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
