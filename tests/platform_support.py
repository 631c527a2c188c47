"""Helpers of the tenant-settings and platform tests: images made with Pillow, and a stand-in
for the invitation page where it is missing."""

from __future__ import annotations

import io

from PIL import Image


def image_bytes(kind: str = "PNG", size: tuple[int, int] = (120, 60), color=(30, 90, 200)) -> bytes:
    """A small image of `kind` (PNG, JPEG, GIF)."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, kind)
    return buffer.getvalue()
