"""The programme file as text: its format name and version, the size limit, the canonical
text (`dumps`), reading a file (`parse_document`) and the JSON paths of its parts."""

from __future__ import annotations

import json
import re
from typing import Any, NoReturn

from webapp.errors import ValidationFailed

FORMAT = "certifikation.programme"
FORMAT_VERSION = 1
MAX_DOCUMENT_BYTES = 2 * 1024 * 1024


def dumps(document: dict[str, Any]) -> str:
    """The canonical text of a document: sorted keys, two-space indent, final newline."""
    return json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def parse_document(raw: bytes | str) -> dict[str, Any]:
    """Read the text of a programme file. Raises ValidationFailed (too large, not UTF-8, not
    JSON, not an object), problems under `$`."""
    data = raw.encode() if isinstance(raw, str) else raw
    if len(data) > MAX_DOCUMENT_BYTES:
        _refuse(f"The file is larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        _refuse("The file is not UTF-8 text.")
    try:
        document = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        _refuse(f"The file is not valid JSON (line {error.lineno}, column {error.colno}).")
    except (ValueError, RecursionError):
        _refuse("The file is not valid JSON.")
    if not isinstance(document, dict):
        _refuse("The file must hold one JSON object.")
    return document


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def _refuse(message: str) -> NoReturn:
    raise ValidationFailed(message, {"$": [message]})


def _join(base: str, key: str | int) -> str:
    """The JSON path of `key` (an object key or list index) below `base`."""
    if isinstance(key, int):
        return f"{base}[{key}]"
    if re.fullmatch(r"[A-Za-z0-9_-]+", key):
        return f"{base}.{key}"
    return f"{base}[{json.dumps(key, ensure_ascii=False)}]"
