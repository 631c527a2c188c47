"""The invitation and reset pages, and "Forgot your password?" (no account enumeration,
rate-limited)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.factories import TenantFactory, UserFactory, invited_person
from tests.html import without_tokens
from webapp import outbox
from webapp.extensions import db
from webapp.models import AuditEvent, JobRecord, OutboxEmail
from webapp.services import account_links
from webapp.services.account_links import LinkPurpose

GOOD = "a perfectly long password"
PAGES = {LinkPurpose.INVITE: "/auth/invitation/", LinkPurpose.RESET: "/auth/reset/"}


def link(user, purpose: LinkPurpose) -> str:
    return PAGES[purpose] + account_links.make_token(user, purpose)


def set_password(client, url: str, password: str = GOOD, confirm: str | None = None):
    return client.post(url, data={"password": password, "confirm": confirm or password})


@pytest.fixture
def jobs_not_run(monkeypatch) -> list[int]:
    """Job records committed by a request are not run in it (as with Redis, where the request
    only enqueues them); returns the ids that would have been handed on."""
    handed: list[int] = []
    monkeypatch.setattr(outbox, "dispatch", handed.append)
    return handed


# --- Invitation and reset links ------------------------------------------------------------


def test_an_invitation_sets_the_password_and_logs_the_person_in(client, app):
    person = invited_person(TenantFactory(name="Acme"), full_name="Dana Example")
    url = link(person, LinkPurpose.INVITE)
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Welcome, Dana Example" in html and "Acme" in html and 'type="password"' in html
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    response = set_password(client, url)
    assert response.status_code == 303 and response.headers["Location"].endswith("/certs")
    assert "Dana Example" in client.get("/certs").get_data(as_text=True)
    assert person.check_password(GOOD) and person.last_login_at is not None


@pytest.mark.parametrize("purpose", list(LinkPurpose))
def test_a_used_link_says_so_and_shows_no_form(client, app, purpose):
    person = invited_person(TenantFactory()) if purpose is LinkPurpose.INVITE else UserFactory()
    url = link(person, purpose)
    assert set_password(client, url).status_code == 303
    for response in (client.get(url), set_password(client, url, "another long password")):
        html = response.get_data(as_text=True)
        assert response.status_code == 410
        assert "already been used" in html and 'type="password"' not in html
        assert "/auth/login" in html and "/auth/forgot" in html
    assert person.check_password(GOOD)


@pytest.mark.parametrize("purpose", list(LinkPurpose))
def test_an_expired_link_says_so_and_shows_no_form(client, app, clock, purpose):
    url = link(invited_person(TenantFactory()), purpose)
    clock.advance(hours=app.config["ACCOUNT_LINK_HOURS"] + 1)
    for response in (client.get(url), set_password(client, url)):
        html = response.get_data(as_text=True)
        assert response.status_code == 410
        assert "has expired" in html and 'type="password"' not in html
    hint = "administrator" if purpose is LinkPurpose.INVITE else "Ask for a new reset link"
    assert hint in client.get(url).get_data(as_text=True)


def test_an_invalid_link_answers_400_with_a_way_forward(client, app):
    for url in ("/auth/reset/not-a-token", "/auth/invitation/not-a-token"):
        response = client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "not valid" in html and 'type="password"' not in html and "/auth/forgot" in html


def test_a_deactivated_persons_link_is_refused(client, app):
    person = UserFactory(active=False)
    response = client.get(link(person, LinkPurpose.RESET))
    assert response.status_code == 400


def test_a_weak_password_is_refused_and_the_link_still_works(client, app):
    person = UserFactory()
    url = link(person, LinkPurpose.RESET)
    response = set_password(client, url, "short")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "at least 10 characters" in html
    mismatch = set_password(client, url, GOOD, GOOD + "?")
    assert mismatch.status_code == 422 and "differ" in mismatch.get_data(as_text=True)
    assert set_password(client, url).status_code == 303


def test_a_password_reset_ends_the_persons_other_sessions(client, login, app):
    person = UserFactory()
    login(person)
    assert client.get("/certs").status_code == 200
    other_browser = app.test_client()
    assert set_password(other_browser, link(person, LinkPurpose.RESET)).status_code == 303
    assert other_browser.get("/certs").status_code == 200
    assert client.get("/certs").status_code == 302  # the first session ended
    assert (
        client.post("/auth/login", data={"email": person.email, "password": GOOD}).status_code
        == 303
    )


def test_the_reset_page_and_the_password_change_are_audited(client, app):
    person = UserFactory()
    set_password(client, link(person, LinkPurpose.RESET))
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "user.password_reset")
    )
    assert event.subject_user_id == person.id


# --- Forgot password -----------------------------------------------------------------------


def test_the_login_page_links_to_forgot_password(client, app):
    html = client.get("/auth/login").get_data(as_text=True)
    assert 'href="/auth/forgot"' in html
    page = client.get("/auth/forgot")
    assert page.status_code == 200 and 'name="email"' in page.get_data(as_text=True)


def test_forgot_password_answers_known_and_unknown_addresses_alike(
    client, app, count_queries, jobs_not_run
):
    UserFactory(email="known@example.test")
    UserFactory(email="gone@example.test", active=False)
    answers = {}
    for address in ("known@example.test", "nobody@example.test", "gone@example.test"):
        with count_queries() as counter:
            response = client.post("/auth/forgot", data={"email": address})
        answers[address] = (
            response.status_code,
            response.headers["Location"],
            response.get_data(as_text=True),
            counter.count,
        )
    assert len(set(answers.values())) == 1, answers
    status, location, _body, _queries = answers["known@example.test"]
    assert status == 303 and location.endswith("/auth/forgot?sent=1")
    records = db.session.scalars(sa.select(JobRecord).order_by(JobRecord.id)).all()
    assert [(r.name, r.args, r.tenant_id) for r in records] == [
        ("send_password_reset", [address], None) for address in answers
    ]
    assert jobs_not_run == [r.id for r in records]
    sent = client.get(location)
    assert "If the address you gave belongs to an active account" in sent.get_data(as_text=True)


def test_the_reset_job_emails_only_an_active_account(client, app, jobs_not_run):
    person = UserFactory(email="Known@Example.test")
    UserFactory(email="gone@example.test", active=False)
    for address in (" KNOWN@example.test ", "nobody@example.test", "gone@example.test"):
        client.post("/auth/forgot", data={"email": address})
    for record_id in list(jobs_not_run):
        outbox.run_record(record_id)
    emails = db.session.scalars(sa.select(OutboxEmail)).all()
    assert [e.to_address for e in emails] == [person.email]
    assert "/auth/reset/" in emails[0].body
    asked = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "user.password_reset_requested")
    ).all()
    assert [e.subject_user_id for e in asked] == [person.id]


def test_the_reset_email_link_works_end_to_end(client, app):
    app.config["REDIS_URL"] = None  # the job runs in-process, also in the run with Redis
    person = UserFactory()
    client.post("/auth/forgot", data={"email": person.email})  # the job runs in-process
    email = db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.user_id == person.id))
    url = next(w for w in email.body.split() if "/auth/reset/" in w)
    path = url.removeprefix("http://certifikation.test")
    assert client.get(path).status_code == 200
    assert set_password(client, path).status_code == 303


def test_forgot_password_pages_are_alike_with_csrf(client, app, csrf_on):
    UserFactory(email="known@example.test")
    pages = []
    for address in ("known@example.test", "nobody@example.test"):
        form = client.get("/auth/forgot").get_data(as_text=True)
        token = form.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        response = client.post(
            "/auth/forgot", data={"email": address, "csrf_token": token}, follow_redirects=True
        )
        pages.append((response.status_code, without_tokens(response)))
    assert pages[0] == pages[1] and pages[0][0] == 200


def test_an_empty_address_is_asked_for_again(client, app):
    response = client.post("/auth/forgot", data={"email": ""})
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(JobRecord.id))) == 0


@pytest.fixture
def two_an_hour(app):
    app.config["PASSWORD_RESET_RATE_LIMIT"] = "2 per hour"


def ask(client, address: str, ip: str = "10.0.0.1"):
    return client.post("/auth/forgot", data={"email": address}, environ_base={"REMOTE_ADDR": ip})


def test_forgot_password_is_limited_per_address(client, app, two_an_hour, jobs_not_run):
    for ip in ("10.0.0.1", "10.0.0.2"):
        assert ask(client, "dana@example.test", ip).status_code == 303
    limited = ask(client, "DANA@example.test ", "10.0.0.3")
    html = limited.get_data(as_text=True)
    assert limited.status_code == 429
    assert "Please wait a little" in html and int(limited.headers["Retry-After"]) > 0
    assert "/auth/login" in html
    assert ask(client, "lee@example.test", "10.0.0.3").status_code == 303
    assert len(jobs_not_run) == 3


def test_forgot_password_is_limited_per_address_of_the_client(client, app, two_an_hour):
    assert ask(client, "a@example.test").status_code == 303
    assert ask(client, "b@example.test").status_code == 303
    assert ask(client, "c@example.test").status_code == 429
    assert ask(client, "c@example.test", "10.0.0.9").status_code == 303
    assert client.get("/auth/forgot", environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 200


def test_the_limit_answers_alike_for_known_and_unknown_addresses(client, app, two_an_hour):
    UserFactory(email="known@example.test")
    statuses = {}
    for address in ("known@example.test", "nobody@example.test"):
        statuses[address] = [ask(client, address, f"10.1.0.{i}").status_code for i in range(3)]
    assert statuses["known@example.test"] == statuses["nobody@example.test"] == [303, 303, 429]
