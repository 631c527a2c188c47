"""The CertifiKation Center blueprint: the dashboard (`views`) and notifications pages."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("center", __name__)
