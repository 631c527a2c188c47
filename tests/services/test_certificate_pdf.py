"""The certificate PDF: literal text, dates, badge, and a QR code that decodes to the
verification URL (page rendered to an image and decoded with zxing-cpp)."""

import io
import socket
from datetime import date

import pypdf
import pypdfium2
import pytest
import zxingcpp
from PIL import Image

from tests.factories import SkillFactory, TenantFactory, UserFactory, issued_certificate
from webapp.services import certificate_pdf, certificates
from webapp.storage import get_storage


def png(color=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), color).save(buffer, "PNG")
    return buffer.getvalue()


def page_text(data: bytes) -> str:
    return pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text()


def decoded_qr_codes(data: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(data)
    try:
        image = document[0].render(scale=2).to_pil()
    finally:
        document.close()
    return [barcode.text for barcode in zxingcpp.read_barcodes(image)]


@pytest.fixture
def badged_certificate(app):
    tenant = TenantFactory(name="Acme Safety")
    user = UserFactory(tenant=tenant, full_name="Ana <b>&")
    storage = get_storage()
    badge_key = storage.new_key("badges", "png")
    storage.save(badge_key, png())
    return issued_certificate(
        tenant,
        user,
        name="Fire Safety",
        validity_days=365,
        badge_image_key=badge_key,
        skills=[SkillFactory(tenant=tenant, name="Evacuation")],
    )


def test_pdf_prints_the_certificate_literally(badged_certificate):
    certificates.store_certificate_pdf(badged_certificate.id)
    data = certificates.stored_pdf(badged_certificate).read_bytes()
    text = page_text(data)
    assert "Ana <b>&" in text  # printed as typed: no markup interpreted
    for expected in (
        "CERT-2026-00001",
        "Issued: 15 June 2026",
        "Expires: 15 June 2027",
        "Fire Safety",
        "Level: Foundation · Version 1.0",
        "Skills: Evacuation",
        "For Acme Safety",
    ):
        assert expected in text
    page = pypdf.PdfReader(io.BytesIO(data)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (842, 595)
    assert len(page.images) == 1  # the badge


def test_pdf_qr_code_decodes_to_the_verification_url(badged_certificate):
    certificates.store_certificate_pdf(badged_certificate.id)
    data = certificates.stored_pdf(badged_certificate).read_bytes()
    url = f"http://certifikation.test/certs/verify/{badged_certificate.public_token}"
    assert certificates.verification_url(badged_certificate) == url
    assert decoded_qr_codes(data) == [url]


def document(**changes) -> certificate_pdf.CertificateDocument:
    values = {
        "holder_name": "Lee Learner",
        "programme_name": "Safety Fundamentals",
        "level": "foundation",
        "version": "2.1",
        "number": "CERT-2026-00007",
        "issued_on": date(2026, 6, 15),
        "expires_on": None,
        "issuer_name": "Acme Safety",
        "verification_url": "http://certifikation.test/certs/verify/" + "A" * 32,
    }
    return certificate_pdf.CertificateDocument(**{**values, **changes})


def test_rendering_fetches_nothing_from_the_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the PDF renderer opened a socket")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    data = certificate_pdf.render(document(badge=png()))
    assert data.startswith(b"%PDF")


def test_rendering_is_reproducible_and_survives_a_broken_badge():
    first = certificate_pdf.render(document(badge=b"not an image"))
    assert first == certificate_pdf.render(document(badge=b"not an image"))
    assert "Expires: never" in page_text(first)


def test_long_names_are_shrunk_to_fit_and_unicode_is_kept():
    name = "Zoë Łukasiewicz-Ødegård " * 6
    text = page_text(certificate_pdf.render(document(holder_name=name.strip())))
    assert "Zoë" in text and "Ødegård" in text


def test_qr_is_drawn_as_one_path():
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.setPageCompression(0)
    certificate_pdf.draw_qr(canvas, "http://certifikation.test/x", 0, 0, 100)
    canvas.showPage()
    canvas.save()
    content = pypdf.PdfReader(io.BytesIO(buffer.getvalue())).pages[0].get_contents().get_data()
    # Many rectangles (runs of dark modules), one path, filled once.
    assert content.count(b" re") > 20
    assert content.count(b"\nn ") == 1 and content.count(b"\nf*\n") == 1


def test_the_issuers_logo_and_signatory_are_printed_as_at_issuance(app):
    tenant = TenantFactory(
        name="Acme Safety", signatory_name="Dana <i>Example", signatory_title="CEO"
    )
    storage = get_storage()
    tenant.logo_key = storage.new_key("logos", "png")
    storage.save(tenant.logo_key, png(color=(10, 120, 40)))
    certificate = issued_certificate(tenant, name="Fire Safety")
    # Changed after issuance: the certificate keeps what it was issued with.
    tenant.signatory_name, tenant.logo_key = "Someone Else", None
    certificates.store_certificate_pdf(certificate.id)
    data = certificates.stored_pdf(certificate).read_bytes()
    text = page_text(data)
    assert "Dana <i>Example" in text and "CEO" in text and "For Acme Safety" in text
    assert "Someone Else" not in text
    [logo] = pypdf.PdfReader(io.BytesIO(data)).pages[0].images  # no badge: the logo
    assert logo.image.getpixel((0, 0))[:3] == (10, 120, 40)


def test_without_a_signatory_the_issuer_signs():
    text = page_text(certificate_pdf.render(document()))
    assert "For Acme Safety" in text and "Issuer" in text


def test_a_broken_logo_costs_nothing_but_the_logo():
    data = certificate_pdf.render(document(logo=b"\x89PNG\r\n\x1a\nbroken"))
    assert "Safety Fundamentals" in page_text(data)
    assert len(pypdf.PdfReader(io.BytesIO(data)).pages[0].images) == 0
