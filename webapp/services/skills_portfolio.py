"""The skills portfolio: a learner's certificates (added on issuance), approved evidence and
own artifacts, the skills their active certificates prove, and an optional public page.

Functions flush, never commit, and raise DomainError subclasses with safe messages.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from webapp import clock, uploads
from webapp.errors import Conflict, NotFound, ValidationFailed
from webapp.extensions import db
from webapp.models import (
    Certificate,
    CertificateStatus,
    Enrolment,
    EvidenceSubmission,
    Portfolio,
    PortfolioItem,
    PortfolioItemKind,
    SubmissionStatus,
    Tenant,
    User,
)
from webapp.services import audit

SLUG_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
LINK_RE = re.compile(r"^https?://[^\s<>\"]+$", re.IGNORECASE)


# --- The portfolio and its items ------------------------------------------------------------


def portfolio_of(user: User) -> Portfolio | None:
    """The user's portfolio, if they have one."""
    return db.session.scalar(
        sa.select(Portfolio).where(
            Portfolio.tenant_id == user.tenant_id, Portfolio.user_id == user.id
        )
    )


def _default_title(user: User) -> str:
    # Not the holder's name: a tenant may show holders by their initials only.
    return "Skills portfolio"


def portfolio_or_blank(user: User) -> Portfolio:
    """The user's portfolio, or an unsaved blank one to show (GET changes nothing)."""
    existing = portfolio_of(user)
    if existing is not None:
        return existing
    return Portfolio(
        tenant_id=user.tenant_id, user_id=user.id, title=_default_title(user), description=""
    )


def ensure_portfolio(user: User) -> Portfolio:
    """The user's portfolio, created on first use (the unique user_id settles races). Flushes."""
    existing = portfolio_of(user)
    if existing is not None:
        return existing
    portfolio = Portfolio(
        tenant_id=user.tenant_id, user_id=user.id, title=_default_title(user), description=""
    )
    try:
        with db.session.begin_nested():
            db.session.add(portfolio)
    except sa.exc.IntegrityError:
        existing = portfolio_of(user)
        if existing is None:
            raise
        return existing
    return portfolio


def _touch(portfolio: Portfolio) -> None:
    portfolio.updated_at = clock.now()


def add_certificate(certificate: Certificate) -> PortfolioItem:
    """Put a newly issued certificate into its holder's portfolio (private until the holder
    makes it public). Idempotent. Flushes."""
    portfolio = ensure_portfolio(certificate.user)
    existing = db.session.scalar(
        sa.select(PortfolioItem).where(
            PortfolioItem.portfolio_id == portfolio.id,
            PortfolioItem.certificate_id == certificate.id,
        )
    )
    if existing is not None:
        return existing
    meta = certificate.meta or {}
    item = PortfolioItem(
        tenant_id=certificate.tenant_id,
        portfolio_id=portfolio.id,
        kind=PortfolioItemKind.CERTIFICATE,
        certificate_id=certificate.id,
        title=str(meta.get("programme_name") or certificate.number)[:200],
        description=f"Certificate {certificate.number}, version {certificate.path_version}",
        sort_order=_next_sort_order(portfolio),
    )
    db.session.add(item)
    _touch(portfolio)
    db.session.flush()
    return item


def _next_sort_order(portfolio: Portfolio) -> int:
    highest = db.session.scalar(
        sa.select(sa.func.max(PortfolioItem.sort_order)).where(
            PortfolioItem.portfolio_id == portfolio.id
        )
    )
    return (highest or 0) + 1


def update_details(portfolio: Portfolio, title: str, description: str) -> None:
    """Change the title and description. Raises ValidationFailed. Flushes."""
    title, description = (title or "").strip(), (description or "").strip()
    problems: dict[str, list[str]] = {}
    if not title:
        problems["title"] = ["Give the portfolio a title."]
    elif len(title) > 160:
        problems["title"] = ["At most 160 characters."]
    if len(description) > 5000:
        problems["description"] = ["At most 5000 characters."]
    if problems:
        raise ValidationFailed("Please correct the marked fields.", problems)
    portfolio.title, portfolio.description = title, description
    _touch(portfolio)
    db.session.flush()


@dataclass(frozen=True)
class EvidenceChoice:
    """Approved evidence the owner may add."""

    submission_id: int
    title: str


def _evidence_title(submission: EvidenceSubmission, enrolment: Enrolment) -> str:
    snapshot = enrolment.program_snapshot or {}
    requirement = next(
        (
            r
            for r in snapshot.get("requirements", [])
            if r.get("requirement_id") == submission.requirement_id
        ),
        {},
    )
    title = requirement.get("title", "Evidence")
    return f"{title} ({snapshot.get('name', '')})"[:200]


def evidence_choices(portfolio: Portfolio) -> list[EvidenceChoice]:
    """The owner's approved evidence that is not in the portfolio yet. One query."""
    in_portfolio = sa.select(PortfolioItem.submission_id).where(
        PortfolioItem.portfolio_id == portfolio.id, PortfolioItem.submission_id.is_not(None)
    )
    rows = db.session.execute(
        sa.select(EvidenceSubmission, Enrolment)
        .join(Enrolment, Enrolment.id == EvidenceSubmission.enrolment_id)
        .where(
            EvidenceSubmission.tenant_id == portfolio.tenant_id,
            EvidenceSubmission.user_id == portfolio.user_id,
            EvidenceSubmission.status == SubmissionStatus.APPROVED,
            EvidenceSubmission.id.not_in(in_portfolio),
        )
        .order_by(EvidenceSubmission.decided_at.desc(), EvidenceSubmission.id.desc())
    ).all()
    return [EvidenceChoice(s.id, _evidence_title(s, e)) for s, e in rows]


def add_evidence(portfolio: Portfolio, submission_id: int) -> PortfolioItem:
    """Add one of the owner's approved evidence submissions. Raises NotFound (not an approved
    submission of the owner), Conflict (already in the portfolio). Flushes."""
    row = db.session.execute(
        sa.select(EvidenceSubmission, Enrolment)
        .join(Enrolment, Enrolment.id == EvidenceSubmission.enrolment_id)
        .where(
            EvidenceSubmission.id == submission_id,
            EvidenceSubmission.tenant_id == portfolio.tenant_id,
            EvidenceSubmission.user_id == portfolio.user_id,
            EvidenceSubmission.status == SubmissionStatus.APPROVED,
        )
    ).first()
    if row is None:
        raise NotFound("This is not approved evidence of yours.")
    submission, enrolment = row
    item = PortfolioItem(
        tenant_id=portfolio.tenant_id,
        portfolio_id=portfolio.id,
        kind=PortfolioItemKind.EVIDENCE,
        submission_id=submission.id,
        title=_evidence_title(submission, enrolment),
        description=(submission.text or "")[:2000],
        link=submission.link,
        sort_order=_next_sort_order(portfolio),
    )
    try:
        with db.session.begin_nested():
            db.session.add(item)
    except sa.exc.IntegrityError as error:
        raise Conflict("This evidence is already in your portfolio.") from error
    _touch(portfolio)
    return item


def add_artifact(
    portfolio: Portfolio,
    title: str,
    description: str,
    link: str,
    upload: tuple[str, bytes] | None,
) -> PortfolioItem:
    """Add an own artifact: title, description, and a link and/or a file (stored outside
    static/ under a generated key). Raises ValidationFailed. Flushes."""
    title, description, link = (
        (title or "").strip(),
        (description or "").strip(),
        (link or "").strip(),
    )
    problems: dict[str, list[str]] = {}
    if not title:
        problems["title"] = ["Give the item a title."]
    elif len(title) > 200:
        problems["title"] = ["At most 200 characters."]
    if len(description) > 5000:
        problems["description"] = ["At most 5000 characters."]
    if link and (len(link) > 500 or not LINK_RE.match(link)):
        problems["link"] = ["Enter a web address starting with http:// or https://."]
    extension = None
    if upload is not None:
        extension, problem = uploads.check_artifact(*upload)
        if problem:
            problems["file"] = [problem]
    if not link and upload is None and "link" not in problems:
        problems["link"] = ["Give a link or upload a file."]
    if problems:
        raise ValidationFailed("Please correct the marked fields.", problems)
    file_key = file_name = None
    if upload is not None:
        file_key = uploads.store(db.session(), "portfolio", extension or "", upload[1])
        file_name = uploads.clean_download_name(upload[0])
    item = PortfolioItem(
        tenant_id=portfolio.tenant_id,
        portfolio_id=portfolio.id,
        kind=PortfolioItemKind.ARTIFACT,
        title=title,
        description=description,
        link=link or None,
        file_key=file_key,
        file_name=file_name,
        sort_order=_next_sort_order(portfolio),
    )
    db.session.add(item)
    _touch(portfolio)
    db.session.flush()
    return item


def item_of(portfolio: Portfolio, item_id: Any) -> PortfolioItem:
    """One item of this portfolio. Raises NotFound."""
    try:
        item_id = int(item_id)
    except (TypeError, ValueError) as error:
        raise NotFound("This item does not exist.") from error
    item = db.session.scalar(
        sa.select(PortfolioItem).where(
            PortfolioItem.id == item_id, PortfolioItem.portfolio_id == portfolio.id
        )
    )
    if item is None:
        raise NotFound("This item does not exist.")
    return item


def remove_item(item: PortfolioItem) -> str | None:
    """Remove evidence or an artifact; returns the stored file key that the caller deletes
    after the commit. Certificates stay (make them private instead): raises Conflict."""
    if item.kind is PortfolioItemKind.CERTIFICATE:
        raise Conflict("Certificates stay in the portfolio; make them private instead.")
    file_key = item.file_key
    _touch(item.portfolio)
    db.session.delete(item)
    db.session.flush()
    return file_key


def set_public_items(portfolio: Portfolio, public_ids: set[int]) -> None:
    """Make exactly the items in `public_ids` public (ids of other portfolios are ignored);
    audited (what the public page shows). Flushes."""
    before = _public_titles(portfolio)
    db.session.execute(
        sa.update(PortfolioItem)
        .where(PortfolioItem.portfolio_id == portfolio.id)
        .values(is_public=PortfolioItem.id.in_(public_ids or {-1}))
        .execution_options(synchronize_session=False)
    )
    _touch(portfolio)
    db.session.flush()
    db.session.expire(portfolio, ["items"])
    after = _public_titles(portfolio)
    _audit_sharing(
        portfolio,
        "portfolio.visibility_changed",
        f"{len(after)} portfolio items public",
        changes=audit.changes({"public_items": before}, {"public_items": after}),
    )


def _public_titles(portfolio: Portfolio) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(PortfolioItem.title)
            .where(PortfolioItem.portfolio_id == portfolio.id, PortfolioItem.is_public.is_(True))
            .order_by(PortfolioItem.title)
        )
    )


def _audit_sharing(portfolio: Portfolio, action: str, summary: str, **data: Any) -> None:
    """What the owner shares publicly is audited, the owner being actor and subject."""
    owner = db.session.get(User, portfolio.user_id)
    audit.record(
        portfolio.tenant_id,
        owner,
        action,
        "portfolio",
        portfolio.id,
        summary,
        subject=owner,
        **data,
    )


def publish(portfolio: Portfolio) -> str:
    """Publish at a new unguessable slug (128 random bits); returns it; audited. Flushes."""
    if not portfolio.is_published or not portfolio.public_slug:
        portfolio.public_slug = secrets.token_urlsafe(16)
        portfolio.is_published = True
        _touch(portfolio)
        db.session.flush()
        _audit_sharing(portfolio, "portfolio.published", "Portfolio published on a new link")
    return portfolio.public_slug


def unpublish(portfolio: Portfolio) -> None:
    """Take the public page down: its URL answers 404 (a later publish gets a new URL);
    audited when it was up. Flushes."""
    was_published = portfolio.is_published
    portfolio.is_published = False
    portfolio.public_slug = None
    _touch(portfolio)
    db.session.flush()
    if was_published:
        _audit_sharing(portfolio, "portfolio.unpublished", "Public portfolio page taken down")


def published(slug: str) -> Portfolio | None:
    """The published portfolio with this slug (None for unknown, malformed or unpublished)."""
    if not SLUG_RE.match(slug or ""):
        return None
    return db.session.scalar(
        sa.select(Portfolio).where(Portfolio.public_slug == slug, Portfolio.is_published.is_(True))
    )


# --- Reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemView:
    """An item with its certificate (if any) and that certificate's live status."""

    item: PortfolioItem
    certificate: Certificate | None
    status: str | None  # valid / expired / revoked for certificates, live


@dataclass(frozen=True)
class SkillView:
    """A skill and the active certificate that proves it."""

    name: str
    certificate: Certificate


@dataclass(frozen=True)
class PortfolioView:
    """What a portfolio page shows."""

    portfolio: Portfolio
    holder: str
    items: list[ItemView]
    skills: list[SkillView]


_VERIFY_STATUS = {
    CertificateStatus.ACTIVE: "valid",
    CertificateStatus.EXPIRED: "expired",
    CertificateStatus.REVOKED: "revoked",
}


def portfolio_view(portfolio: Portfolio, now: datetime, *, public_only: bool) -> PortfolioView:
    """The portfolio's items (all, or the public ones) with live certificate statuses, and the
    skills proven by those certificates that are active as of `now`, each with its proving
    certificate. A constant number of queries."""
    statement = (
        sa.select(PortfolioItem)
        .where(PortfolioItem.portfolio_id == portfolio.id)
        .order_by(PortfolioItem.sort_order, PortfolioItem.id)
    )
    if public_only:
        statement = statement.where(PortfolioItem.is_public.is_(True))
    items = db.session.scalars(statement).all()
    certificate_ids = [i.certificate_id for i in items if i.certificate_id]
    certificates = {
        c.id: c
        for c in db.session.scalars(
            sa.select(Certificate).where(
                Certificate.id.in_(certificate_ids or [-1]),
                Certificate.tenant_id == portfolio.tenant_id,
            )
        )
    }
    views, skills, seen = [], [], set()
    for item in items:
        certificate = certificates.get(item.certificate_id) if item.certificate_id else None
        status = _VERIFY_STATUS[certificate.status_at(now)] if certificate else None
        views.append(ItemView(item, certificate, status))
        if certificate is not None and status == "valid":
            for name in (certificate.meta or {}).get("skills") or []:
                if name.lower() not in seen:
                    seen.add(name.lower())
                    skills.append(SkillView(name, certificate))
    holder = db.session.get(User, portfolio.user_id)
    tenant = db.session.get(Tenant, portfolio.tenant_id)
    display = holder.initials if tenant.holder_name_display == "initials" else holder.full_name
    return PortfolioView(portfolio, display, views, sorted(skills, key=lambda s: s.name.lower()))


def public_file(portfolio: Portfolio, item_id: Any) -> PortfolioItem:
    """A public item with a stored file, of a published portfolio. Raises NotFound."""
    item = item_of(portfolio, item_id)
    if not portfolio.is_published or not item.is_public or not item.file_key:
        raise NotFound("This file does not exist.")
    return item


def content_type(item: PortfolioItem) -> str:
    """The MIME type of an item's stored file (from the sniffed extension of its key)."""
    extension = (item.file_key or "").rsplit(".", 1)[-1]
    return uploads.content_type_of(extension)
