"""Uploads, one way for every kind (evidence files, portfolio artifacts, programme badges):
size and type checks by content, the cleaned display name, the generated storage key, and
the write that belongs to the database transaction (kept on commit, removed on rollback).

Services may import this module; it imports no service.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import filetype
from flask import current_app
from sqlalchemy.orm import Session

from webapp.errors import ValidationFailed
from webapp.storage import get_storage, save_in_transaction

MB = 1024 * 1024
MAX_FILES = 10
# File name extensions that name the same type as filetype's canonical extension.
EXTENSION_ALIASES = {"jpeg": "jpg", "jpe": "jpg", "tiff": "tif"}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "gif": "image/gif",
    "txt": "text/plain",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "gif": "image/gif"}


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed the checks: cleaned name, type found in its content, bytes."""

    name: str
    extension: str
    content_type: str
    data: bytes


# --- Names -----------------------------------------------------------------------------------


def clean_file_name(name: str) -> str:
    """The original name without directories or control characters, at most 255 long."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()
    if len(base) > 255:
        stem, dot, ext = base.rpartition(".")
        base = f"{stem[: 250 - len(ext)]}.{ext}" if dot and len(ext) <= 8 else base[:255]
    return base


def clean_download_name(name: str) -> str:
    """The uploaded name without directories, unprintable characters or quotes (shown and
    used as a download name, never as a path); "file" when nothing is left."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '"')
    return cleaned[:255] or "file"


def _claimed_extension(name: str) -> str | None:
    """The extension the name claims, with aliases mapped to filetype's canonical one."""
    if "." not in name:
        return None
    claimed = name.rpartition(".")[2].lower()
    return EXTENSION_ALIASES.get(claimed, claimed) if claimed else None


# --- Type by content -------------------------------------------------------------------------


def is_utf8_text(data: bytes) -> bool:
    """The text rule: UTF-8 without NUL bytes."""
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def sniff(name: str, data: bytes) -> tuple[str | None, str | None]:
    """(extension, mime type) found in the content; plain text (no magic number) only for a
    .txt name whose bytes are UTF-8 without NUL."""
    kind = filetype.guess(data)
    if kind is not None:
        return kind.extension, kind.mime
    if name.lower().endswith(".txt") and is_utf8_text(data):
        return "txt", "text/plain"
    return None, None


# --- The checks of each kind of upload -------------------------------------------------------


def check_files(files: list[tuple[str, bytes]], accepted: list[str]) -> list[CheckedFile]:
    """Check evidence uploads against the size limits and the accepted types, by content (the
    name's extension must agree with it). Raises ValidationFailed (problems under "files")."""
    max_file = current_app.config["UPLOAD_MAX_FILE_MB"] * MB
    max_total = current_app.config["UPLOAD_MAX_SUBMISSION_MB"] * MB
    accepted_label = ", ".join(t.upper() for t in accepted)
    problems: list[str] = []
    checked: list[CheckedFile] = []
    if len(files) > MAX_FILES:
        problems.append(f"Attach at most {MAX_FILES} files.")
    for raw_name, data in files:
        name = clean_file_name(raw_name) or "file"
        if not data:
            problems.append(f"“{name}” is empty.")
            continue
        if len(data) > max_file:
            problems.append(
                f"“{name}” is larger than {current_app.config['UPLOAD_MAX_FILE_MB']} MB."
            )
            continue
        extension, mime = sniff(name, data)
        claimed = _claimed_extension(name)
        if extension is None:
            problems.append(
                f"“{name}” is not a file type we recognise. Accepted: {accepted_label}."
            )
        elif extension not in accepted:
            problems.append(
                f"“{name}” contains {extension.upper()}, which is not accepted here. "
                f"Accepted: {accepted_label}."
            )
        elif claimed is not None and claimed != extension:
            problems.append(
                f"“{name}” is named like a {claimed.upper()} file but contains {extension.upper()}."
            )
        else:
            checked.append(CheckedFile(name, extension, mime or "application/octet-stream", data))
    if len(files) > 1 and sum(len(data) for _, data in files) > max_total:
        problems.append(
            "The files together are larger than "
            f"{current_app.config['UPLOAD_MAX_SUBMISSION_MB']} MB."
        )
    if problems:
        raise ValidationFailed("Some files cannot be accepted.", {"files": problems})
    return checked


def check_artifact(filename: str, data: bytes) -> tuple[str | None, str | None]:
    """(extension, problem) of an uploaded portfolio artifact: size limit, allowed type, and
    the content must really be of that type (sniffed, not trusted from the name)."""
    max_bytes = current_app.config["UPLOAD_MAX_FILE_MB"] * MB
    if len(data) > max_bytes:
        return None, f"The file is larger than {current_app.config['UPLOAD_MAX_FILE_MB']} MB."
    if not data:
        return None, "The file is empty."
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    extension = "jpg" if extension == "jpeg" else extension
    allowed = current_app.config["UPLOAD_ALLOWED_TYPES"]
    if extension not in allowed or extension not in CONTENT_TYPES:
        return None, "Upload a file of one of these types: " + ", ".join(allowed) + "."
    if extension == "txt":
        return ("txt", None) if is_utf8_text(data) else (None, "A text file must be UTF-8 text.")
    kind = filetype.guess(data)
    found = kind.extension if kind else None
    found = "jpg" if found == "jpeg" else found
    # Office files are zip archives; older filetype versions only say "zip".
    if found != extension and not (extension in ("docx", "xlsx") and found == "zip"):
        return None, f"The file's content is not {extension.upper()}."
    return extension, None


IMAGE_LABELS = {"png": "PNG", "jpg": "JPEG", "gif": "GIF"}


def check_image(
    data: bytes, max_bytes: int, accepted: tuple[str, ...] = tuple(IMAGE_TYPES)
) -> tuple[str | None, str | None]:
    """(extension, problem): the image type found in the content (one of `accepted`, by
    default PNG, JPEG and GIF), or why it is refused."""
    if len(data) > max_bytes:
        return None, f"The image is larger than {max_bytes // 1024} KB."
    kind = filetype.guess(data)
    if kind is None or kind.extension not in accepted or kind.extension not in IMAGE_TYPES:
        labels = [IMAGE_LABELS[t] for t in accepted]
        named = " or ".join([", ".join(labels[:-1]), labels[-1]] if len(labels) > 1 else labels)
        return None, f"Upload a {named} image."
    return kind.extension, None


def content_type_of(extension: str) -> str:
    """The MIME type of a stored file from its (sniffed) extension."""
    return CONTENT_TYPES.get(extension, "application/octet-stream")


# --- The write -------------------------------------------------------------------------------


def store(session: Session, category: str, extension: str, data: bytes) -> str:
    """Write checked bytes under a new generated key (`<category>/ab/<32 hex>.<ext>`) as part
    of the session's transaction: kept when it commits, removed when it does not. Returns
    the key."""
    key = get_storage().new_key(category, extension)
    save_in_transaction(session, key, data)
    return key
