"""File storage outside static/: uploads, badges and certificate PDFs under generated keys."""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

_KEY_RE = re.compile(r"^[a-z]+/[0-9a-f]{2}/[0-9a-f]{32}(\.[a-z0-9]{1,8})?$")


class LocalStorage:
    """Files on local disk below one root; keys look like `evidence/ab/<32 hex>.pdf`."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def new_key(self, category: str, extension: str = "") -> str:
        if not category.isalpha():
            raise ValueError("storage category must be letters only")
        token = secrets.token_hex(16)
        ext = f".{extension.lower().lstrip('.')}" if extension else ""
        return f"{category}/{token[:2]}/{token}{ext}"

    def path(self, key: str) -> Path:
        if not _KEY_RE.match(key):
            raise ValueError("invalid storage key")
        return self.root / key

    def save(self, key: str, data: bytes) -> None:
        """Write atomically (temp file + rename), so readers never see half a file."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def read(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def exists(self, key: str) -> bool:
        try:
            return self.path(key).is_file()
        except ValueError:
            return False

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)


def init_app(app: Flask) -> None:
    app.extensions["storage"] = LocalStorage(app.config["STORAGE_PATH"])


def get_storage() -> LocalStorage:
    return current_app.extensions["storage"]


# Files written during a database transaction, deleted again unless that transaction commits
# (an upload whose rows were rolled back must not leave orphan files behind).
_WRITTEN = "storage_written_in_transaction"


def save_in_transaction(session: Session, key: str, data: bytes) -> None:
    """Write a file that belongs to rows of the session's current transaction: it is deleted
    again when the transaction ends without a commit."""
    storage = get_storage()
    storage.save(key, data)
    session.info.setdefault(_WRITTEN, []).append((storage, key))


@event.listens_for(Session, "after_commit")
def _keep_written_files(session: Session) -> None:
    # A savepoint release also fires after_commit; only the outermost commit keeps the files.
    if not session.in_nested_transaction():
        session.info.pop(_WRITTEN, None)


@event.listens_for(Session, "after_transaction_end")
def _delete_uncommitted_files(session: Session, transaction) -> None:
    if transaction.parent is not None:
        return
    for storage, key in session.info.pop(_WRITTEN, []):
        storage.delete(key)
