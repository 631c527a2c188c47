"""Certificate PDFs: how many one worker renders per second, how big one is, and what the QR
code costs when drawn as one path from segno's matrix versus reportlab's QrCodeWidget."""

from __future__ import annotations

import io
import tempfile
import time
from datetime import date
from pathlib import Path

import segno
from PIL import Image
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.pdfgen.canvas import Canvas

from webapp.services import certificate_pdf

RENDERS = 150
QR_DRAWS = 150
URL = "https://certs.example.com/certs/verify/3q2-7wEVAFqE3uCkLJ2wXyq0zR9pQm1n"


def _badge() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), (34, 90, 160)).save(buffer, "PNG")
    return buffer.getvalue()


def _document(index: int, badge: bytes) -> certificate_pdf.CertificateDocument:
    return certificate_pdf.CertificateDocument(
        holder_name=f"Ana María López {index}",
        programme_name="Working Safely at Height",
        level="intermediate",
        version="2.1",
        number=f"CERT-2026-{index:05d}",
        issued_on=date(2026, 6, 15),
        expires_on=date(2027, 6, 15),
        issuer_name="Acme Safety",
        verification_url=f"{URL}{index}",
        skills=("Harness inspection", "Ladder safety", "Rescue planning"),
        badge=badge,
    )


def _segno_qr(canvas: Canvas) -> None:
    certificate_pdf.draw_qr(canvas, URL, 600, 60, 120)


def _widget_qr(canvas: Canvas) -> None:
    widget = QrCodeWidget(URL, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(120, 120, transform=[120 / (x1 - x0), 0, 0, 120 / (y1 - y0), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, 600, 60)


def _time_qr(draw) -> float:
    started = time.perf_counter()
    for _ in range(QR_DRAWS):
        canvas = Canvas(io.BytesIO(), invariant=1)
        draw(canvas)
        canvas.showPage()
        canvas.save()
    return (time.perf_counter() - started) / QR_DRAWS


def run() -> list[str]:
    badge = _badge()
    certificate_pdf.render(_document(0, badge))  # warm up: font registration, imports
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        for index in range(1, RENDERS + 1):
            data = certificate_pdf.render(_document(index, badge))
            Path(folder, f"{index}.pdf").write_bytes(data)  # stored, as the job does
        elapsed = time.perf_counter() - started
    size = len(certificate_pdf.render(_document(1, badge)))
    empty_page = _time_qr(lambda canvas: None)
    segno_cost, widget_cost = _time_qr(_segno_qr), _time_qr(_widget_qr)
    segno_qr, widget_qr = segno_cost - empty_page, widget_cost - empty_page
    started = time.perf_counter()
    for _ in range(QR_DRAWS):
        segno.make(URL, error="m", micro=False)
    encoding = (time.perf_counter() - started) / QR_DRAWS
    return [
        f"PDFs rendered and stored by one worker: {RENDERS / elapsed:.1f} per second "
        f"({1000 * elapsed / RENDERS:.1f} ms each, {RENDERS} certificates)",
        f"size of one certificate PDF (badge, QR, embedded font subset): {size / 1024:.1f} KiB",
        f"one-page PDF with only a QR code: segno path {1000 * segno_cost:.2f} ms, "
        f"QrCodeWidget {1000 * widget_cost:.2f} ms (empty page {1000 * empty_page:.2f} ms)",
        f"QR cost alone: segno path {1000 * segno_qr:.2f} ms, QrCodeWidget "
        f"{1000 * widget_qr:.2f} ms: the widget is {widget_qr / segno_qr:.1f}x slower",
        f"  of the segno path's cost, encoding (segno.make with its mask choice) is "
        f"{1000 * encoding:.2f} ms and drawing the one path {1000 * (segno_qr - encoding):.2f} ms",
    ]
