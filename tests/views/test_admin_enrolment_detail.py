"""The admin enrolment page (learner, programme and pinned version, dates, the ledger per
requirement; page and fragment; constant queries), cancelling with a reason on a
confirmation page, and recording a requirement as met, labelled wherever the ledger shows."""

import re

import pytest
import sqlalchemy as sa

from tests.factories import (
    TenantFactory,
    UserFactory,
    enrolment_in,
    issued_certificate,
    requirement_ids,
)
from tests.htmx import htmx
from webapp.extensions import db
from webapp.models import (
    AuditEvent,
    Enrolment,
    EnrolmentStatus,
    ProgressStatus,
    RequirementProgress,
    Role,
)
from webapp.services import certificates, enrolment_admin, orchestration


@pytest.fixture
def tenant(app):
    return TenantFactory()


@pytest.fixture
def admin(tenant):
    return UserFactory(tenant=tenant, role=Role.ADMIN, full_name="Ada Admin")


@pytest.fixture
def enrolment(tenant):
    learner = UserFactory(tenant=tenant, full_name="Lea Learner", email="lea@example.test")
    return enrolment_in(tenant, requirements=3, learner=learner, name="Forklift Basics")


def url(enrolment, suffix=""):
    return f"/certs/admin/enrolments/{enrolment.id}{suffix}"


def record_url(enrolment, requirement_id):
    return url(enrolment, f"/requirements/{requirement_id}/record")


def reload(enrolment):
    db.session.expire_all()
    return db.session.get(Enrolment, enrolment.id)


def text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_the_page_shows_the_learner_the_version_and_the_ledger(
    client, login, admin, enrolment, clock
):
    first, second, third = requirement_ids(enrolment)
    orchestration.mark_content_complete(enrolment, first)
    orchestration.record_result(enrolment, third, ProgressStatus.FAILED)
    enrolment_admin.record_requirement_met(enrolment, second, admin, "Observed on site.")
    login(admin)
    response = client.get(url(enrolment))
    page = text(response)
    assert response.status_code == 200
    for fact in ("Lea Learner", "lea@example.test", "Forklift Basics", "pinned to version 1.0"):
        assert fact in page
    assert "<caption>The ledger of version 1.0: 2 of 3 mandatory requirements met</caption>" in page
    assert "marked complete" in page
    assert "recorded by Ada Admin: “Observed on site.”" in page
    assert page.count("Record as met…") == 1  # only the requirement still not met
    assert "Cancel enrolment…" in page
    assert "requirement.recorded" in page  # the history from the audit log


def test_the_ledger_is_a_fragment_for_htmx(client, login, admin, enrolment):
    login(admin)
    fragment = client.get(url(enrolment), headers=htmx("enrolment-ledger")).get_data(as_text=True)
    assert '<section id="enrolment-ledger"' in fragment and "<html" not in fragment
    boosted = client.get(url(enrolment), headers=htmx("enrolment-ledger", HX_Boosted="true"))
    assert "<html" in boosted.get_data(as_text=True)


def test_the_page_reads_in_a_constant_number_of_queries(
    client, login, tenant, admin, count_queries
):
    login(admin)

    def queries_for(requirements):
        enrolment = enrolment_in(tenant, requirements=requirements)
        for requirement_id in requirement_ids(enrolment)[1:]:
            recorder = UserFactory(tenant=tenant, role=Role.ADMIN)
            enrolment_admin.record_requirement_met(enrolment, requirement_id, recorder, "Seen.")
        with count_queries() as counter:
            assert client.get(url(enrolment)).status_code == 200
        return counter.count

    assert queries_for(2) == queries_for(7)


def test_cancelling_asks_for_a_reason_on_a_confirmation_page(client, login, admin, enrolment):
    login(admin)
    confirm = text(client.get(url(enrolment, "/cancel")))
    assert "Cancel the enrolment of Lea Learner" in confirm and "cannot be undone" in confirm
    refused = client.post(url(enrolment, "/cancel"), data={"reason": "  "})
    assert refused.status_code == 422 and 'id="reason-error"' in text(refused)
    assert reload(enrolment).status is EnrolmentStatus.IN_PROGRESS
    too_long = client.post(url(enrolment, "/cancel"), data={"reason": "Keep me " + "x" * 1000})
    assert too_long.status_code == 422 and "Keep me xxx" in text(too_long)  # input kept
    response = client.post(url(enrolment, "/cancel"), data={"reason": "Left the company."})
    assert response.status_code == 303 and response.location.endswith(url(enrolment))
    cancelled = reload(enrolment)
    assert cancelled.status is EnrolmentStatus.CANCELLED
    assert cancelled.cancel_reason == "Left the company."
    page = text(client.get(url(enrolment)))
    assert "Left the company." in page and "Cancel enrolment…" not in page
    assert "Record as met…" not in page
    again = client.get(url(enrolment, "/cancel"))
    assert again.status_code == 200 and "only an open enrolment can be cancelled" in text(again)
    refused = client.post(url(enrolment, "/cancel"), data={"reason": "Twice."})
    assert refused.status_code == 422 and "already cancelled" in text(refused)
    assert reload(enrolment).cancel_reason == "Left the company."


def test_cancelling_with_htmx_answers_with_the_location(client, login, admin, enrolment):
    login(admin)
    response = client.post(
        url(enrolment, "/cancel"), data={"reason": "Wrong programme."}, headers=htmx()
    )
    assert response.status_code == 204 and response.headers["HX-Location"] == url(enrolment)


def test_a_certified_enrolment_is_not_cancelled(client, login, tenant, admin):
    certified = issued_certificate(tenant).enrolment
    login(admin)
    page = text(client.get(url(certified, "/cancel")))
    assert "revoke its certificate" in page and "<textarea" not in page
    refused = client.post(url(certified, "/cancel"), data={"reason": "No."})
    assert refused.status_code == 422 and "Revoke its certificate instead." in text(refused)


def test_recording_a_requirement_shows_everywhere_the_ledger_does(client, login, admin, enrolment):
    first = requirement_ids(enrolment)[0]
    login(admin)
    confirm = text(client.get(record_url(enrolment, first)))
    assert "recorded by Ada Admin" in confirm and "cannot be undone" in confirm
    refused = client.post(record_url(enrolment, first), data={"reason": ""})
    assert refused.status_code == 422 and 'id="reason-error"' in text(refused)
    response = client.post(record_url(enrolment, first), data={"reason": "Paper form 7."})
    assert response.status_code == 303 and response.location.endswith(url(enrolment))
    row = db.session.scalar(
        sa.select(RequirementProgress).where(
            RequirementProgress.enrolment_id == enrolment.id,
            RequirementProgress.requirement_id == first,
        )
    )
    assert row.status is ProgressStatus.MET and row.recorded_by_id == admin.id
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "requirement.recorded")
    )
    assert event.subject_user_id == enrolment.user_id
    client.post("/auth/logout")
    login(enrolment.user)
    slug = enrolment.programme.slug
    assert "recorded by Ada Admin" in text(client.get(f"/certs/programs/{slug}"))
    requirement_page = text(client.get(f"/certs/programs/{slug}/requirements/{first}"))
    assert "recorded by Ada Admin: “Paper form 7.”" in requirement_page


def test_recording_the_last_requirement_issues_the_certificate(client, login, tenant, admin):
    enrolment = enrolment_in(tenant, requirements=1, validity_days=365)
    only = requirement_ids(enrolment)[0]
    login(admin)
    response = client.post(
        record_url(enrolment, only), data={"reason": "Assessed in person."}, follow_redirects=True
    )
    assert "its certificate issued" in text(response)
    assert reload(enrolment).status is EnrolmentStatus.CERTIFIED
    certificate = certificates.certificate_of(enrolment.id)
    assert certificate.number in text(response)


def test_recording_is_refused_for_a_met_requirement_or_a_closed_enrolment(
    client, login, admin, enrolment
):
    first, second, _ = requirement_ids(enrolment)
    orchestration.mark_content_complete(enrolment, first)
    login(admin)
    page = text(client.get(record_url(enrolment, first)))
    assert "already met" in page and "marked complete" in page and "<textarea" not in page
    refused = client.post(record_url(enrolment, first), data={"reason": "Again."})
    assert refused.status_code == 422 and "already met" in text(refused)
    enrolment_admin.cancel_enrolment(enrolment, admin, "Stopped.")
    refused = client.post(record_url(enrolment, second), data={"reason": "Late."})
    assert refused.status_code == 422 and "cancelled" in text(refused)
    assert client.get(record_url(enrolment, 999_999)).status_code == 404


def test_the_actions_need_a_csrf_token(client, login, app, admin, enrolment):
    login(admin)
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(url(enrolment, "/cancel"), data={"reason": "No token"}).status_code == 400
    first = requirement_ids(enrolment)[0]
    assert client.post(record_url(enrolment, first), data={"reason": "No token"}).status_code == 400
    assert reload(enrolment).status is EnrolmentStatus.IN_PROGRESS
