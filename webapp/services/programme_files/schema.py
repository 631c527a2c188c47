"""The JSON Schema of the programme file (draft 2020-12), published as
docs/programme-file.schema.json: the shape of a document (its keys, which are required, their
types, the known requirement kinds and question types, and the few rules on values that are
the file's own), with each question type's keys taken from the type itself
(`QuestionType.file_schema`). And `schema_problems`, which validates a
document against it with jsonschema and words every error as the importer always has, under
its JSON path. The rules on values (ranges, lengths, references) are the importer's
(`checks`), shared with the admin forms and the quiz editor. Pure: no app, no database."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jsonschema

from webapp.models import Level, RequirementKind
from webapp.services import automated_evaluation, question_types
from webapp.services.programme_files.document import FORMAT, FORMAT_VERSION, _join
from webapp.services.question_types import QuestionType

DIALECT = "https://json-schema.org/draft/2020-12/schema"
REQUIRED = "This key is required."
UNKNOWN = "Unknown key."
# Not blank: the values the importer strips must keep something (JSON Schema patterns match
# anywhere in the text).
_NOT_BLANK = r"\S"

_TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "an object",
    "null": "null",
}
_SETTING_TYPES = {
    "time_limit_min": ["integer", "null"],
    "shuffle_questions": "boolean",
    "shuffle_options": "boolean",
    "draw_count": ["integer", "null"],
    "max_attempts": ["integer", "null"],
    "cooldown_min": ["integer", "null"],
    "feedback": "string",
}


def _names(what: str) -> dict[str, Any]:
    return {
        "type": "array",
        "items": {"type": "string", "pattern": _NOT_BLANK, "description": f"A {what}."},
        "default": [],
    }


def _object(properties: dict[str, Any], required: list[str], **more: Any) -> dict[str, Any]:
    # `additionalProperties` first: unknown keys are reported before the known ones.
    return {
        "type": "object",
        **more,
        "additionalProperties": False,
        **({"required": required} if required else {}),
        "properties": properties,
    }


def _variants(key: str, names: list[str], definition: str) -> dict[str, Any]:
    """An object whose `key` picks one of `names`; each variant's keys are those of the
    definition `<name>-<definition>` (none are checked when `key` is missing or unknown)."""
    return {
        "type": "object",
        "required": [key],
        "properties": {key: {"enum": names}},
        "allOf": [
            {
                "if": {"properties": {key: {"const": name}}, "required": [key]},
                "then": {"$ref": f"#/$defs/{name}-{definition}"},
            }
            for name in names
        ],
    }


def _variant(
    key: str, name: str, properties: dict[str, Any], required: list[str], **more: Any
) -> dict[str, Any]:
    # No "type": the object is checked by _variants; the keys of this variant only.
    return {
        **more,
        "additionalProperties": False,
        "required": [key, *required],
        "properties": {key: {"const": name}, **properties},
    }


def _requirement_definitions() -> dict[str, Any]:
    common = {
        "title": {"type": "string"},
        "is_mandatory": {"type": "boolean", "default": True},
    }
    quiz_fields = {
        "min_score": {"type": ["integer", "null"], "default": None},
        "quiz": {"type": "string", "description": "A key of `quizzes`."},
    }
    settings = {
        RequirementKind.QUIZ: (
            {"requires_peer_validation": {"type": "boolean", "default": False}},
            [],
        ),
        RequirementKind.EVIDENCE: (
            {
                "instructions": {"type": "string"},
                "accepted_types": _names("file type, like pdf"),
                "required_approvals": {"type": "integer", "default": 1},
            },
            ["instructions", "accepted_types"],
        ),
        RequirementKind.CONTENT: (
            {
                "body": {"type": "string", "default": ""},
                "video_url": {"type": ["string", "null"], "default": None},
            },
            [],
        ),
    }
    definitions = {}
    for kind in RequirementKind:
        own = quiz_fields if kind is RequirementKind.QUIZ else {}
        definitions[f"{kind.value}-requirement"] = _variant(
            "kind",
            kind.value,
            {
                **common,
                **own,
                "settings": {"$ref": f"#/$defs/{kind.value}-requirement-settings", "default": {}},
            },
            ["title", *(["quiz"] if own else [])],
        )
        properties, required = settings[kind]
        definitions[f"{kind.value}-requirement-settings"] = _object(properties, required)
    return definitions


def _question_definitions(types: Mapping[str, QuestionType]) -> dict[str, Any]:
    common = {
        "id": {
            "type": "string",
            "maxLength": 40,
            "pattern": _NOT_BLANK,
            "description": "Unique within the quiz; kept on import (attempts refer to it).",
        },
        "prompt": {"type": "string"},
        "points": {"type": ["number", "string"], "description": 'Like 2 or "1.5".'},
        "explanation": {"type": "string"},
    }
    return {
        f"{name}-question": _variant(
            "type",
            name,
            {**common, **copy.deepcopy(qtype.file_schema.get("properties", {}))},
            ["id", "prompt", "points", *qtype.file_schema.get("required", [])],
            title=f"{qtype.label} question",
        )
        for name, qtype in types.items()
    }


def build_schema(types: Mapping[str, QuestionType] | None = None) -> dict[str, Any]:
    """The schema of programme files with the question types of `types` (by default the
    registry). Raises nothing; pure."""
    types = question_types.REGISTRY if types is None else types
    settings = {
        key: {"type": _SETTING_TYPES[key], "default": default}
        for key, default in automated_evaluation.DEFAULT_SETTINGS.items()
    }
    return {
        "$schema": DIALECT,
        "title": "CertifiKation programme file",
        "description": (
            f"The shape of a programme file, format version {FORMAT_VERSION}: its keys, which "
            "are required and their types. Most rules on values (ranges, lengths, references) "
            "are in docs/programme-format.md only; an import checks them too. A whole number "
            "is written without a fraction or an exponent (30, not 30.0)."
        ),
        **_object(
            {
                "format": {"type": "string", "const": FORMAT},
                "format_version": {"type": "integer", "const": FORMAT_VERSION},
                "programme": {"$ref": "#/$defs/programme"},
                "requirements": {
                    "type": "array",
                    "items": {"$ref": "#/$defs/requirement"},
                    "default": [],
                },
                "quizzes": {
                    "type": "object",
                    "description": "The quizzes of quiz requirements, by key.",
                    "propertyNames": {"maxLength": 80, "pattern": _NOT_BLANK},
                    "additionalProperties": {"$ref": "#/$defs/quiz"},
                    "default": {},
                },
            },
            ["format", "format_version", "programme"],
        ),
        "$defs": {
            "programme": _object(
                {
                    "name": {"type": "string"},
                    "slug": {"type": "string"},
                    "description": {"type": "string", "default": ""},
                    "level": {"type": "string", "default": Level.FOUNDATION.value},
                    "validity_days": {"type": ["integer", "null"], "default": None},
                    "renewal_window_days": {"type": "integer", "default": 30},
                    "recert_grace_days": {"type": "integer", "default": 90},
                    "self_enrolment": {"type": "boolean", "default": True},
                    "skills": _names("skill name"),
                    "prerequisites": _names("slug of a programme of the target organisation"),
                },
                ["name", "slug"],
            ),
            "requirement": _variants("kind", [k.value for k in RequirementKind], "requirement"),
            **_requirement_definitions(),
            "quiz": _object(
                {
                    "title": {"type": "string"},
                    "description": {"type": "string", "default": ""},
                    "settings": {"$ref": "#/$defs/quiz-settings", "default": {}},
                    "questions": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": automated_evaluation.MAX_QUESTIONS,
                        "items": {"$ref": "#/$defs/question"},
                    },
                },
                ["title", "questions"],
            ),
            "quiz-settings": _object(settings, [], description="A missing key takes its default."),
            "question": _variants("type", list(types), "question"),
            **_question_definitions(types),
        },
    }


def schema_text() -> str:
    """The published schema as text (docs/programme-file.schema.json): two-space indent, the
    keys in the order above, final newline. Raises nothing; pure."""
    return json.dumps(build_schema(), indent=2, ensure_ascii=False) + "\n"


@cache
def _schema() -> dict[str, Any]:
    return build_schema()


def definition(name: str) -> dict[str, Any]:
    """A definition of the schema (`programme`, `quiz`, `evidence-requirement-settings`,
    ...), or the document's own for "document". Read only."""
    schema = _schema()
    return schema if name == "document" else schema["$defs"][name]


def _whole_number(_checker: Any, instance: Any) -> bool:
    # Stricter than JSON Schema, as the importer always was: 30.0 and 3e1 read as floats and
    # are not whole numbers here (nor are true and false).
    return isinstance(instance, int) and not isinstance(instance, bool)


_Validator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _whole_number),
)


@cache
def _validator() -> Any:
    return _Validator(_schema())


@dataclass(frozen=True)
class _Found:
    at: tuple[Any, ...]
    path: str
    message: str


def _part(at: tuple[Any, ...]) -> tuple[Any, ...]:
    """The part of the document a problem belongs to: a requirement, a quiz, a question of a
    quiz, or one of the document's own keys (the checks go through them in that order)."""
    return at[:4] if len(at) >= 4 and at[0] == "quizzes" and at[2] == "questions" else at[:2]


@dataclass
class SchemaReport:
    """What the schema finds in a document: the problems in the order found, by the part of
    the document they belong to (`_part`: `("requirements", 2)`, `("quizzes", "q", "questions",
    0)`); the problems of quiz settings (`deferred`: the quiz's own rules word those, as in the
    quiz editor); and the paths whose values have the wrong type (the rules after the schema
    leave them alone)."""

    found: dict[tuple[Any, ...], list[_Found]] = field(default_factory=dict)
    deferred: dict[tuple[Any, ...], list[_Found]] = field(default_factory=dict)
    wrong_type: set[str] = field(default_factory=set)

    def take(
        self, *where: Any, depth: int | None = None, deferred: bool = False
    ) -> list[tuple[str, str]]:
        """The problems (path, message) of the part `where` (all of them for a shorter
        `where`, the document's own for none), at most `depth` levels below it; removed from
        the report. A quiz's part leaves out its questions, each a part of its own."""
        entries = self.deferred if deferred else self.found
        if _part(where) == where and len(where) in (2, 4) and depth is None:
            keys = [where] if where in entries else []
        else:
            keys = [k for k in entries if k[: len(where)] == where]
        taken = []
        for key in keys:
            for found in entries.pop(key):
                if depth is None or len(found.at) <= len(where) + depth:
                    taken.append(found)
                else:
                    entries.setdefault(key, []).append(found)
        return [(found.path, found.message) for found in taken]


def schema_problems(document: Any) -> SchemaReport:
    """Validate `document` against the schema (jsonschema); every error as a problem under
    its JSON path, worded as the importer words it. Raises nothing; pure."""
    report = SchemaReport()
    atoms = [atom for error in _validator().iter_errors(document) for atom in _atoms(error)]
    typed = {at for at, keyword, _error in atoms if keyword == "type"}
    seen = set()
    for at, keyword, error in atoms:
        if keyword not in ("type", "propertyNames") and at in typed:
            continue  # a value of the wrong type: its other errors would only repeat it
        where, message = _message(at, keyword, error)
        found = _Found(where, _path(where), message)
        if found in seen:
            continue  # e.g. several answers of a key that are not text
        seen.add(found)
        if keyword == "type":
            report.wrong_type.add(found.path)
        is_setting = len(where) > 3 and where[0] == "quizzes" and where[2] == "settings"
        entries = report.deferred if is_setting else report.found
        entries.setdefault(_part(where), []).append(found)
    return report


def _atoms(error: jsonschema.ValidationError) -> Iterator[tuple[tuple[Any, ...], str, Any]]:
    """(where, keyword, error) for each problem of an error: a missing or unknown key, or a
    quiz key of the wrong form, is reported under that key."""
    at = tuple(error.absolute_path)
    instance = error.instance
    if error.validator == "required":
        for key in error.validator_value:
            if key not in instance:
                yield (*at, key), "required", error
    elif error.validator == "additionalProperties" and error.validator_value is False:
        for key in instance:
            if key not in error.schema.get("properties", {}):
                yield (*at, key), "additionalProperties", error
    elif list(error.absolute_schema_path)[-2:-1] == ["propertyNames"]:  # a quiz key
        yield (*at, instance), "propertyNames", error
    else:
        yield at, str(error.validator), error


_ANY = ...
_MESSAGES: list[tuple[tuple[Any, ...], set[str], str]] = [
    (("format",), {"const"}, f"This is not a programme file (expected “{FORMAT}”)."),
    (("programme", "skills", _ANY), {"type", "pattern"}, "Expected skill as non-empty text."),
    (
        ("programme", "prerequisites", _ANY),
        {"type", "pattern"},
        "Expected prerequisite as non-empty text.",
    ),
    (
        ("requirements", _ANY, "settings", "accepted_types", _ANY),
        {"type", "pattern"},
        "Expected type as non-empty text.",
    ),
    (("requirements", _ANY, "kind"), {"required", "enum"}, "Choose quiz, evidence or content."),
    (("quizzes", _ANY), {"propertyNames"}, "A quiz key is 1 to 80 characters."),
    (("quizzes", _ANY, "questions"), {"minItems"}, "A quiz needs at least one question."),
    (
        ("quizzes", _ANY, "questions"),
        {"maxItems"},
        f"A quiz can have at most {automated_evaluation.MAX_QUESTIONS} questions.",
    ),
    (
        ("quizzes", _ANY, "questions", _ANY, "id"),
        {"maxLength", "pattern"},
        "A question id is 1 to 40 characters.",
    ),
    (
        ("quizzes", _ANY, "questions", _ANY, "type"),
        {"required", "enum"},
        f"Unknown question type; use one of: {', '.join(question_types.REGISTRY)}.",
    ),
]


def _message(at: tuple[Any, ...], keyword: str, error: Any) -> tuple[tuple[Any, ...], str]:
    """Where and how a problem is reported."""
    for pattern, keywords, message in _MESSAGES:
        if keyword in keywords and _matches(at, pattern):
            return at, message
    if keyword == "const" and at == ("format_version",):
        return at, (
            f"Format version {error.instance} is not supported; "
            f"this version of CertifiKation reads version {FORMAT_VERSION}."
        )
    answer = _matches(at, ("quizzes", _ANY, "questions", _ANY, _ANY, _ANY))
    if (
        answer
        and keyword == "type"
        and isinstance(at[-1], int)
        and error.schema["type"] == "string"
    ):
        return at[:-1], "Expected a list of text."  # an item of an answer key that is not text
    if keyword == "type":
        kinds = error.validator_value
        words = " or ".join(_TYPE_WORDS[k] for k in ([kinds] if isinstance(kinds, str) else kinds))
        return at, f"Expected {words}."
    if keyword == "required":
        return at, REQUIRED
    if keyword == "additionalProperties":
        return at, UNKNOWN
    return at, "This value is not allowed here."  # the schema has no other keyword


def _matches(at: tuple[Any, ...], pattern: tuple[Any, ...]) -> bool:
    return len(at) == len(pattern) and all(
        p is _ANY or p == a for a, p in zip(at, pattern, strict=True)
    )


def _path(at: tuple[Any, ...]) -> str:
    path = "$"
    for key in at:
        path = _join(path, key if isinstance(key, int) else str(key))
    return path
