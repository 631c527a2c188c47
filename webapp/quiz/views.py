"""Quiz taking (built out by the quiz work)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("quiz", __name__, url_prefix="/certs/quiz")
