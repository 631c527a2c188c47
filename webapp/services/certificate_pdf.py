"""The certificate PDF: one landscape A4 page drawn with reportlab's canvas.

Pure rendering: it takes a `CertificateDocument` (plain values, no database) and returns the
bytes, so the job, the tests and the benchmark call the same code. Every text is drawn with
`drawString` (never `Paragraph`), so a name such as `Ana <b>&` is printed exactly as typed.
The badge and the issuer's logo come as bytes read from storage and the QR code is computed
locally: nothing is fetched from the network. Output is byte-for-byte reproducible
(`invariant`), so two workers rendering the same certificate write the same file.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from datetime import date

import segno
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

log = logging.getLogger(__name__)

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
FONT = "CertifiKation-Sans"
FONT_BOLD = "CertifiKation-Sans-Bold"
INK = (0.11, 0.16, 0.27)
ACCENT = (0.13, 0.35, 0.62)
LOGO = (150, 96)  # the box of the issuer's logo (width, height)


@dataclass(frozen=True)
class CertificateDocument:
    """What the PDF shows; every value is printed literally."""

    holder_name: str
    programme_name: str
    level: str
    version: str
    number: str
    issued_on: date
    expires_on: date | None
    issuer_name: str
    verification_url: str
    skills: tuple[str, ...] = field(default_factory=tuple)
    badge: bytes | None = None
    logo: bytes | None = None  # the issuer's
    signatory_name: str = ""
    signatory_title: str = ""


def _register_fonts() -> None:
    """Bitstream Vera ships with reportlab: a Unicode TrueType font embedded as a subset (the
    14 standard PDF fonts only know Latin-1). Registered on first use, not at import."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    pdfmetrics.registerFont(TTFont(FONT, "Vera.ttf"))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, "VeraBd.ttf"))


MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def format_day(value: date | None) -> str:
    """`15 June 2026` (locale-independent month names)."""
    if value is None:
        return ""
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def _fit(text: str, font: str, size: float, width: float, minimum: float = 9) -> tuple[str, float]:
    """Shrink the font until `text` fits `width`; below `minimum`, cut it with an ellipsis."""
    while size > minimum and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 0.5
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text, size
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…", size


def _centred(canvas: Canvas, text: str, y: float, font: str, size: float, width: float) -> None:
    text, size = _fit(text, font, size, width)
    canvas.setFont(font, size)
    canvas.drawString((PAGE_WIDTH - pdfmetrics.stringWidth(text, font, size)) / 2, y, text)


def draw_qr(canvas: Canvas, data: str, x: float, y: float, size: float) -> None:
    """The QR code of `data` as ONE filled path (one rectangle per run of dark modules), with
    the 4-module quiet zone inside `size`. Far cheaper than reportlab's QrCodeWidget."""
    matrix = segno.make(data, error="m", micro=False).matrix
    count = len(matrix)
    module = size / (count + 8)
    left, top = x + 4 * module, y + size - 4 * module
    path = canvas.beginPath()
    for row_index, row in enumerate(matrix):
        row_y = top - (row_index + 1) * module
        column = 0
        while column < count:
            if not row[column]:
                column += 1
                continue
            start = column
            while column < count and row[column]:
                column += 1
            path.rect(left + start * module, row_y, (column - start) * module, module)
    canvas.drawPath(path, stroke=0, fill=1)


def _draw_image(
    canvas: Canvas,
    what: str,
    data: bytes,
    x: float,
    y: float,
    box: tuple[float, float],
    anchor: str,
) -> None:
    """An image scaled into the `box` (width, height) at x, y, keeping its proportions."""
    try:
        image = ImageReader(io.BytesIO(data))
        canvas.drawImage(image, x, y, *box, preserveAspectRatio=True, anchor=anchor, mask="auto")
    except Exception as exc:  # a broken image must not cost the learner their certificate
        log.warning("certificate %s could not be drawn: %s", what, exc)


def render(document: CertificateDocument) -> bytes:
    """The certificate as PDF bytes (landscape A4, one page)."""
    _register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=1, pageCompression=1)
    canvas.setTitle(f"Certificate {document.number}")
    canvas.setAuthor(document.issuer_name)
    canvas.setSubject(document.programme_name)
    canvas.setCreator("CertifiKation")

    canvas.setStrokeColorRGB(*ACCENT)
    canvas.setLineWidth(3)
    canvas.rect(24, 24, PAGE_WIDTH - 48, PAGE_HEIGHT - 48)
    canvas.setLineWidth(0.8)
    canvas.rect(32, 32, PAGE_WIDTH - 64, PAGE_HEIGHT - 64)
    if document.badge:
        _draw_image(canvas, "badge", document.badge, 56, PAGE_HEIGHT - 152, (96, 96), "c")
    if document.logo:  # top right, as high as the badge, at most 150 wide
        _draw_image(canvas, "logo", document.logo, PAGE_WIDTH - 206, PAGE_HEIGHT - 152, LOGO, "ne")

    text_width = PAGE_WIDTH - 2 * 180
    canvas.setFillColorRGB(*ACCENT)
    _centred(canvas, "Certificate of Achievement", PAGE_HEIGHT - 105, FONT_BOLD, 30, text_width)
    canvas.setFillColorRGB(*INK)
    _centred(canvas, "This certifies that", PAGE_HEIGHT - 150, FONT, 14, text_width)
    _centred(canvas, document.holder_name, PAGE_HEIGHT - 195, FONT_BOLD, 30, text_width)
    _centred(canvas, "has successfully completed", PAGE_HEIGHT - 232, FONT, 14, text_width)
    _centred(canvas, document.programme_name, PAGE_HEIGHT - 272, FONT_BOLD, 22, text_width)
    level = document.level.replace("_", " ").capitalize()
    _centred(
        canvas, f"Level: {level} · Version {document.version}", PAGE_HEIGHT - 298, FONT, 12, 500
    )
    if document.skills:
        lines = simpleSplit("Skills: " + ", ".join(document.skills), FONT, 11, text_width)
        if len(lines) > 3:
            lines = [*lines[:2], _fit(lines[2] + " …", FONT, 11, text_width)[0]]
        for index, line in enumerate(lines):
            _centred(canvas, line, PAGE_HEIGHT - 330 - 15 * index, FONT, 11, text_width)

    canvas.setFont(FONT, 11)
    facts = [
        f"Certificate number: {document.number}",
        f"Issued: {format_day(document.issued_on)}",
        "Expires: " + (format_day(document.expires_on) if document.expires_on else "never"),
    ]
    for index, fact in enumerate(facts):
        canvas.drawString(60, 140 - 17 * index, _fit(fact, FONT, 11, 230)[0])

    canvas.setLineWidth(0.8)
    canvas.setStrokeColorRGB(*INK)
    canvas.line(PAGE_WIDTH / 2 - 120, 110, PAGE_WIDTH / 2 + 120, 110)
    if document.signatory_name:
        lines = [(document.signatory_name, FONT_BOLD, 11)]
        if document.signatory_title:
            lines.append((document.signatory_title, FONT, 9))
        lines.append((f"For {document.issuer_name}", FONT, 9))
    else:
        lines = [(f"For {document.issuer_name}", FONT_BOLD, 11), ("Issuer", FONT, 9)]
    for index, (text, font, size) in enumerate(lines):
        _centred(canvas, text, 94 - 14 * index, font, size, 240)

    qr_size = 120
    qr_x, qr_y = PAGE_WIDTH - 56 - qr_size, 64
    canvas.setFillColorRGB(0, 0, 0)
    draw_qr(canvas, document.verification_url, qr_x, qr_y, qr_size)
    canvas.setFillColorRGB(*INK)
    canvas.setFont(FONT, 8)
    canvas.drawRightString(qr_x + qr_size, qr_y + qr_size + 4, "Verify this certificate:")
    caption, size = _fit(document.verification_url, FONT, 7, 250, minimum=5)
    canvas.setFont(FONT, size)
    canvas.drawRightString(qr_x + qr_size, qr_y - 6, caption)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
