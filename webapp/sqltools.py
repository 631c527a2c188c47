"""SQL helpers that differ by database."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from webapp.extensions import db


def insert(table: sa.Table):
    """An INSERT for the session's database that offers ON CONFLICT (DO NOTHING / DO UPDATE)
    and RETURNING, on PostgreSQL and SQLite alike."""
    module = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return module.insert(table)
