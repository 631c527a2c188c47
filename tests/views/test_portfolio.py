"""The skills portfolio: items (certificates, approved evidence, own artifacts), skills with
the certificates that prove them, public items and the public page /p/<slug>."""

import io
import re

import pytest
import sqlalchemy as sa

from tests.factories import SkillFactory, TenantFactory, UserFactory, issued_certificate
from webapp import clock
from webapp.extensions import db
from webapp.models import (
    EvidenceSubmission,
    HolderNameDisplay,
    Portfolio,
    PortfolioItem,
    PortfolioItemKind,
    Role,
    SubmissionStatus,
)
from webapp.services import certificates, skills_portfolio
from webapp.storage import get_storage


@pytest.fixture
def tenant(app):
    return TenantFactory(name="Acme Safety")


@pytest.fixture
def learner(tenant):
    return UserFactory(tenant=tenant, full_name="Ana Lopez")


def evidence(user, status=SubmissionStatus.APPROVED, text="My risk assessment"):
    """An evidence submission of `user` for their first certificate's enrolment (each in a
    programme of its own: names are unique per tenant)."""
    certificate = issued_certificate(user=user)
    enrolment = certificate.enrolment
    submission = EvidenceSubmission(
        tenant_id=user.tenant_id,
        user_id=user.id,
        enrolment_id=enrolment.id,
        requirement_id=enrolment.program_snapshot["requirements"][0]["requirement_id"],
        text=text,
        link="https://example.test/assessment",
        status=status,
        decided_at=clock.now(),
    )
    db.session.add(submission)
    db.session.flush()
    return submission


def items(user):
    portfolio = skills_portfolio.portfolio_of(user)
    return db.session.scalars(
        sa.select(PortfolioItem).where(PortfolioItem.portfolio_id == portfolio.id)
    ).all()


def test_the_page_works_before_any_portfolio_exists_and_creates_nothing(client, login, learner):
    login(learner)
    page = client.get("/certs/portfolio/").get_data(as_text=True)
    assert "<h1>Skills portfolio</h1>" in page and "Your portfolio is empty" in page
    assert skills_portfolio.portfolio_of(learner) is None


def test_certificates_and_their_skills_appear_automatically(client, login, tenant, learner):
    skills = [
        SkillFactory(tenant=tenant, name="Evacuation"),
        SkillFactory(tenant=tenant, name="PPE"),
    ]
    certificate = issued_certificate(user=learner, name="Fire Safety", skills=skills)
    login(learner)
    page = client.get("/certs/portfolio/").get_data(as_text=True)
    assert "Fire Safety" in page and ">Valid<" in page
    assert re.search(r"<strong>Evacuation</strong>.*" + certificate.number, page)
    assert re.search(r"<strong>PPE</strong>.*" + certificate.number, page)
    admin = UserFactory(tenant=tenant, role=Role.ADMIN)
    certificates.revoke_certificate(certificate, admin, "Mistake")
    page = client.get("/certs/portfolio/").get_data(as_text=True)
    assert ">Revoked<" in page and "<strong>Evacuation</strong>" not in page


def test_details_are_validated_next_to_the_field(client, login, learner):
    login(learner)
    refused = client.post("/certs/portfolio/details", data={"title": "", "description": "x"})
    assert refused.status_code == 422
    assert 'id="title-error"' in refused.get_data(as_text=True)
    response = client.post(
        "/certs/portfolio/details", data={"title": "Ana's work", "description": "Safety lead"}
    )
    assert response.status_code == 303
    portfolio = skills_portfolio.portfolio_of(learner)
    assert (portfolio.title, portfolio.description) == ("Ana's work", "Safety lead")


def test_artifacts_with_a_link_or_a_checked_file(client, login, learner):
    login(learner)
    response = client.post(
        "/certs/portfolio/artifacts",
        data={"title": "Talk", "description": "", "link": "https://example.test/talk"},
    )
    assert response.status_code == 303
    fake_pdf = (io.BytesIO(b"<html><script>alert(1)</script>"), "report.pdf")
    refused = client.post(
        "/certs/portfolio/artifacts",
        data={"title": "Report", "link": "", "file": fake_pdf},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    assert "is not PDF" in refused.get_data(as_text=True)
    nothing = client.post("/certs/portfolio/artifacts", data={"title": "Empty", "link": ""})
    assert nothing.status_code == 422 and "Give a link or upload a file" in nothing.get_data(
        as_text=True
    )
    bad_link = client.post(
        "/certs/portfolio/artifacts", data={"title": "X", "link": "javascript:alert(1)"}
    )
    assert bad_link.status_code == 422
    notes = (io.BytesIO(b"Lessons learnt\n"), "../../etc/notes.txt")
    response = client.post(
        "/certs/portfolio/artifacts",
        data={"title": "Notes", "link": "", "file": notes},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    stored = next(i for i in items(learner) if i.title == "Notes")
    assert stored.file_name == "notes.txt" and stored.file_key.startswith("portfolio/")
    with client.get(f"/certs/portfolio/items/{stored.id}/file") as download:
        assert download.data == b"Lessons learnt\n"
        assert download.headers["Content-Disposition"] == "attachment; filename=notes.txt"
        assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert [i.title for i in items(learner)] == ["Talk", "Notes"]


def test_only_own_approved_evidence_can_be_added(client, login, tenant, learner):
    approved = evidence(learner)
    pending = evidence(learner, status=SubmissionStatus.PENDING, text="Not yet")
    someone_elses = evidence(UserFactory(tenant=tenant))
    login(learner)
    page = client.get("/certs/portfolio/").get_data(as_text=True)
    assert "Add approved evidence" in page and f'<option value="{approved.id}"' in page
    assert f'<option value="{pending.id}"' not in page
    for other in (pending, someone_elses):
        response = client.post("/certs/portfolio/evidence", data={"submission_id": other.id})
        assert response.status_code == 404
    response = client.post("/certs/portfolio/evidence", data={"submission_id": approved.id})
    assert response.status_code == 303
    item = next(i for i in items(learner) if i.kind is PortfolioItemKind.EVIDENCE)
    assert item.description == "My risk assessment" and item.link == approved.link
    again = client.post("/certs/portfolio/evidence", data={"submission_id": approved.id})
    assert again.status_code == 303  # flashed: already in the portfolio
    assert sum(1 for i in items(learner) if i.kind is PortfolioItemKind.EVIDENCE) == 1


def test_removing_items_but_never_certificates(client, login, learner):
    certificate = issued_certificate(user=learner)
    portfolio = skills_portfolio.ensure_portfolio(learner)
    artifact = skills_portfolio.add_artifact(portfolio, "Old", "", "", ("a.txt", b"old"))
    key = artifact.file_key
    login(learner)
    assert client.post(f"/certs/portfolio/items/{artifact.id}/remove").status_code == 303
    assert not get_storage().exists(key)
    cert_item = items(learner)[0]
    assert cert_item.certificate_id == certificate.id
    client.post(f"/certs/portfolio/items/{cert_item.id}/remove")
    assert [i.id for i in items(learner)] == [cert_item.id]


def test_publish_shows_only_public_items_and_live_statuses(client, login, tenant, learner):
    skills = [SkillFactory(tenant=tenant, name="Evacuation")]
    shown = issued_certificate(user=learner, name="Fire Safety", skills=skills)
    hidden = issued_certificate(user=learner, name="Secret Programme")
    portfolio = skills_portfolio.ensure_portfolio(learner)
    skills_portfolio.add_artifact(portfolio, "Public talk", "", "https://example.test/t", None)
    skills_portfolio.add_artifact(portfolio, "Private diary", "", "", ("d.txt", b"secret"))
    login(learner)
    by_title = {i.title: i.id for i in items(learner)}
    client.post(
        "/certs/portfolio/items/visibility",
        data={"public": [by_title["Fire Safety"], by_title["Public talk"]]},
    )
    assert client.post("/certs/portfolio/publish").status_code == 303
    portfolio = db.session.get(Portfolio, portfolio.id)
    slug = portfolio.public_slug
    assert portfolio.is_published and len(slug) >= 22  # 16 random bytes
    anonymous = client.application.test_client()
    page = anonymous.get(f"/p/{slug}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    assert "Fire Safety" in html and "Public talk" in html and shown.number in html
    assert "Secret Programme" not in html and hidden.number not in html
    assert "Private diary" not in html
    assert "<strong>Evacuation</strong>" in html and ">Valid<" in html
    admin = UserFactory(tenant=tenant, role=Role.ADMIN)
    certificates.revoke_certificate(shown, admin, "Mistake")
    html = anonymous.get(f"/p/{slug}").get_data(as_text=True)
    assert ">Revoked<" in html and "<strong>Evacuation</strong>" not in html
    assert client.post("/certs/portfolio/unpublish").status_code == 303
    assert anonymous.get(f"/p/{slug}").status_code == 404


def test_public_files_only_of_public_items(client, login, tenant, learner):
    portfolio = skills_portfolio.ensure_portfolio(learner)
    public = skills_portfolio.add_artifact(portfolio, "Slides", "", "", ("s.txt", b"slides"))
    private = skills_portfolio.add_artifact(portfolio, "Diary", "", "", ("d.txt", b"secret"))
    skills_portfolio.set_public_items(portfolio, {public.id})
    slug = skills_portfolio.publish(portfolio)
    anonymous = client.application.test_client()
    with anonymous.get(f"/p/{slug}/items/{public.id}/file") as response:
        assert response.status_code == 200 and response.data == b"slides"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Disposition"].startswith("attachment;")
    assert anonymous.get(f"/p/{slug}/items/{private.id}/file").status_code == 404
    other = skills_portfolio.ensure_portfolio(UserFactory(tenant=tenant))
    foreign = skills_portfolio.add_artifact(other, "Theirs", "", "", ("t.txt", b"theirs"))
    skills_portfolio.set_public_items(other, {foreign.id})
    assert anonymous.get(f"/p/{slug}/items/{foreign.id}/file").status_code == 404


def test_unknown_malformed_and_unpublished_slugs_are_404(client, learner):
    portfolio = skills_portfolio.ensure_portfolio(learner)
    assert portfolio.public_slug is None
    for slug in ("A" * 22, "x", "not a slug at all!"):
        assert client.get(f"/p/{slug}").status_code == 404


def test_public_page_respects_the_initials_setting(client, tenant, learner):
    tenant.holder_name_display = HolderNameDisplay.INITIALS
    slug = skills_portfolio.publish(skills_portfolio.ensure_portfolio(learner))
    html = client.get(f"/p/{slug}").get_data(as_text=True)
    assert "Portfolio of A.L." in html and "Ana Lopez" not in html


def test_portfolio_page_runs_a_constant_number_of_queries(client, login, learner, count_queries):
    login(learner)

    def queries_for(n):
        for _ in range(n):
            issued_certificate(user=learner)
        with count_queries() as counter:
            assert client.get("/certs/portfolio/").status_code == 200
        return counter.count

    assert queries_for(2) == queries_for(12)
