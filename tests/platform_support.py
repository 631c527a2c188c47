"""Helpers of the tenant-settings and platform tests: images made with Pillow, and a stand-in
for the invitation page where it is missing."""

from __future__ import annotations

import io

from PIL import Image

from webapp.services import account_links
from webapp.services.account_links import LinkPurpose


def image_bytes(kind: str = "PNG", size: tuple[int, int] = (120, 60), color=(30, 90, 200)) -> bytes:
    """A small image of `kind` (PNG, JPEG, GIF)."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, kind)
    return buffer.getvalue()


def stand_in_invitation_page(app, monkeypatch) -> None:
    """Invitation links are built for the endpoint `auth.accept_invitation` (the People
    slice's page); where the app has none yet they point at another page taking a token."""
    if "auth.accept_invitation" not in app.view_functions:
        monkeypatch.setitem(account_links.ENDPOINTS, LinkPurpose.INVITE, "certificates.verify")
