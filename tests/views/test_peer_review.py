"""Peer review pages: the learner's evidence on the requirement page, the mentor's queue and
review page (page and htmx fragment), downloads, notifications and the admin outbox."""

import io

import pytest
import sqlalchemy as sa

from tests.factories import (
    OrgUnitFactory,
    TenantFactory,
    UserFactory,
    awaiting_evaluation,
    evidence_path,
    peer_quiz_path,
)
from tests.htmx import htmx
from webapp.extensions import db
from webapp.models import (
    EvidenceFile,
    EvidenceSubmission,
    Notification,
    OutboxEmail,
    PeerValidation,
    ProgressStatus,
    Role,
    SubmissionStatus,
)
from webapp.services import certification_path_management as paths
from webapp.services import peer_validation as reviews

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64


@pytest.fixture
def tenant(app):
    return TenantFactory()


@pytest.fixture
def learner(tenant):
    return UserFactory(tenant=tenant, full_name="Lee Learner")


@pytest.fixture
def mentor(tenant):
    return UserFactory(tenant=tenant, role=Role.MENTOR, full_name="Morgan Mentor")


@pytest.fixture
def programme(tenant):
    return evidence_path(tenant, name="Safety Basics", slug="safety-basics")


@pytest.fixture
def enrolment(programme, learner):
    return paths.enrol(learner, programme)[0]


def req_id(enrolment) -> int:
    return enrolment.program_snapshot["requirements"][0]["requirement_id"]


def requirement_url(enrolment) -> str:
    return f"/certs/programs/{enrolment.programme.slug}/requirements/{req_id(enrolment)}"


def submit(enrolment, learner, text="I inspected the site.", files=()):
    return reviews.submit_evidence(enrolment, req_id(enrolment), learner, text, None, list(files))


def switch(client, login, user):
    client.post("/auth/logout")
    return login(user)


# --- Learners ------------------------------------------------------------------------------


def test_learner_submits_evidence_with_a_file_and_sees_it_waiting(
    client, login, enrolment, learner
):
    login(learner)
    page = client.get(requirement_url(enrolment)).get_data(as_text=True)
    assert "Upload the signed inspection report." in page
    assert 'id="evidence"' in page and ">Submit evidence</button>" in page
    response = client.post(
        requirement_url(enrolment) + "/evidence",
        data={
            "text": "Inspection done on Monday.",
            "link": "https://example.org/photos",
            "files": [(io.BytesIO(PDF), "report.pdf")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(requirement_url(enrolment))
    page = client.get(requirement_url(enrolment)).get_data(as_text=True)
    assert "Waiting for review" in page and "Inspection done on Monday." in page
    assert "report.pdf" in page and "Withdraw this submission" in page
    assert ">Submit evidence</button>" not in page
    assert "Awaiting validation" in page  # the ledger row's status in the heading


def test_htmx_submission_answers_204_with_hx_location(client, login, enrolment, learner):
    login(learner)
    response = client.post(
        requirement_url(enrolment) + "/evidence",
        data={"text": "Done.", "files": [(io.BytesIO(PDF), "report.pdf")]},
        content_type="multipart/form-data",
        headers=htmx("evidence"),
    )
    assert response.status_code == 204
    assert response.headers["HX-Location"].endswith(requirement_url(enrolment))


def test_refused_upload_re_renders_with_errors_and_stores_nothing(
    client, login, enrolment, learner
):
    login(learner)
    data = {"text": "My description stays.", "files": [(io.BytesIO(EXE), "report.pdf")]}
    response = client.post(
        requirement_url(enrolment) + "/evidence", data=data, content_type="multipart/form-data"
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<html" in html and "contains EXE, which is not accepted here" in html
    assert "My description stays." in html and 'aria-invalid="true"' in html
    data["files"] = [(io.BytesIO(EXE), "report.pdf")]
    response = client.post(
        requirement_url(enrolment) + "/evidence",
        data=data,
        content_type="multipart/form-data",
        headers=htmx("evidence"),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<html" not in html and html.lstrip().startswith('<section id="evidence"')
    assert "contains EXE" in html and "My description stays." in html
    assert db.session.scalar(sa.select(sa.func.count(EvidenceSubmission.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(EvidenceFile.id))) == 0


def test_learner_sees_rejection_comment_resubmits_and_sees_met(
    client, login, enrolment, learner, mentor
):
    first = submit(enrolment, learner)
    reviews.decide(first, mentor, "rejected", "Please add the <signature> page.")
    login(learner)
    page = client.get(requirement_url(enrolment)).get_data(as_text=True)
    assert "Rejected" in page and "Please add the &lt;signature&gt; page." in page
    assert "Comment from Morgan Mentor" in page and ">Submit evidence</button>" in page
    client.post(
        requirement_url(enrolment) + "/evidence",
        data={"text": "Signed now."},
        content_type="multipart/form-data",
    )
    second = db.session.scalar(
        sa.select(EvidenceSubmission).where(EvidenceSubmission.id != first.id)
    )
    reviews.decide(second, mentor, "approved", "")
    db.session.flush()
    page = client.get(requirement_url(enrolment)).get_data(as_text=True)
    assert "this requirement is met" in page and ">Submit evidence</button>" not in page


def test_learner_withdraws_a_pending_submission(client, login, enrolment, learner):
    submission = submit(enrolment, learner)
    login(learner)
    response = client.post(f"/certs/evidence/{submission.id}/withdraw")
    assert response.status_code == 303
    assert submission.status is SubmissionStatus.WITHDRAWN
    page = client.get(requirement_url(enrolment)).get_data(as_text=True)
    assert "Withdrawn" in page and ">Submit evidence</button>" in page
    # A second withdrawal changes nothing and says why.
    response = client.post(f"/certs/evidence/{submission.id}/withdraw", follow_redirects=True)
    assert "already been decided" in response.get_data(as_text=True)


def test_others_cannot_withdraw_or_submit_for_a_learner(
    client, login, enrolment, learner, tenant, mentor
):
    submission = submit(enrolment, learner)
    for user in (UserFactory(tenant=tenant), mentor, UserFactory(tenant=tenant, role=Role.ADMIN)):
        switch(client, login, user)
        assert client.post(f"/certs/evidence/{submission.id}/withdraw").status_code == 404
        response = client.post(
            requirement_url(enrolment) + "/evidence",
            data={"text": "Not mine."},
            content_type="multipart/form-data",
        )
        assert response.status_code == 404
    assert submission.status is SubmissionStatus.PENDING


# --- Mentors: queue ------------------------------------------------------------------------


def test_queue_lists_items_in_scope_with_programme_requirement_learner_and_age(
    client, login, clock, enrolment, learner, mentor, tenant
):
    submit(enrolment, learner)
    clock.advance(days=2, hours=3)
    login(mentor)
    html = client.get("/certs/reviews/").get_data(as_text=True)
    assert "Safety Basics" in html and "Inspection report" in html and "Lee Learner" in html
    assert "2 days" in html
    assert '<span class="badge" aria-label="1 pending">1</span>' in html
    response = client.get("/certs/reviews/", headers=htmx("review-queue"))
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body and body.lstrip().startswith('<section id="review-queue"')
    assert "Lee Learner" in body


def test_queue_filters_by_programme_and_age(client, login, clock, enrolment, learner, mentor):
    other = evidence_path(mentor.tenant, name="Forklift")
    second = UserFactory(tenant=mentor.tenant, full_name="Robin Second")
    submit(enrolment, learner)
    clock.advance(days=4)
    submit(paths.enrol(second, other)[0], second)
    login(mentor)
    html = client.get(f"/certs/reviews/?programme={other.id}").get_data(as_text=True)
    assert "Robin Second" in html and "Lee Learner" not in html
    html = client.get("/certs/reviews/?age=3").get_data(as_text=True)
    assert "Lee Learner" in html and "Robin Second" not in html
    foreign = evidence_path(TenantFactory())
    assert client.get(f"/certs/reviews/?programme={foreign.id}").status_code == 404


def test_queue_paginates(client, login, app, tenant, mentor, programme):
    app.config["PAGE_SIZE"] = 2
    for i in range(3):
        user = UserFactory(tenant=tenant, full_name=f"Learner {i}")
        submit(paths.enrol(user, programme)[0], user)
    login(mentor)
    html = client.get("/certs/reviews/").get_data(as_text=True)
    assert "Learner 0" in html and "Learner 1" in html and "Learner 2" not in html
    assert "Page 1 of 2" in html
    html = client.get("/certs/reviews/?page=2").get_data(as_text=True)
    assert "Learner 2" in html and "Learner 0" not in html


def test_queue_runs_a_constant_number_of_queries(client, login, count_queries, tenant, mentor):
    quiz = peer_quiz_path(tenant)
    programme = evidence_path(tenant)

    def add(n):
        for _ in range(n):
            user = UserFactory(tenant=tenant)
            submit(paths.enrol(user, programme)[0], user)
            quiz_enrolment = paths.enrol(user, quiz)[0]
            awaiting_evaluation(quiz_enrolment, req_id(quiz_enrolment))

    login(mentor)
    add(3)
    with count_queries() as few:
        assert client.get("/certs/reviews/").status_code == 200
    add(27)
    with count_queries() as many:
        html = client.get("/certs/reviews/").get_data(as_text=True)
    assert "(60)" in html
    assert few.count == many.count


def test_nav_count_matches_the_queue_scope(client, login, tenant, enrolment, learner):
    unit = OrgUnitFactory(tenant=tenant)
    submit(enrolment, learner)
    login(UserFactory(tenant=tenant, role=Role.MENTOR, org_unit_id=unit.id))
    html = client.get("/certs").get_data(as_text=True)
    assert "pending</span>" not in html and 'id="nav-reviews"' in html
    assert "Nothing is waiting" in client.get("/certs/reviews/").get_data(as_text=True)


def test_learners_get_403_on_the_queue_and_404_on_reviews(client, login, enrolment, learner):
    submission = submit(enrolment, learner)
    login(UserFactory(tenant=learner.tenant))
    assert client.get("/certs/reviews/").status_code == 403
    assert client.get(f"/certs/reviews/submissions/{submission.id}").status_code == 404
    response = client.post(
        f"/certs/reviews/submissions/{submission.id}/decision", data={"decision": "approved"}
    )
    assert response.status_code == 404
    assert submission.status is SubmissionStatus.PENDING


# --- Mentors: review and decide ------------------------------------------------------------


def test_review_page_shows_evidence_instructions_files_and_earlier_submissions(
    client, login, enrolment, learner, mentor
):
    first = submit(enrolment, learner, text="First try.")
    reviews.decide(first, mentor, "rejected", "Blurry photo.")
    second = submit(enrolment, learner, text="Second try.", files=[("scan.pdf", PDF)])
    login(mentor)
    html = client.get(f"/certs/reviews/submissions/{second.id}").get_data(as_text=True)
    assert "Upload the signed inspection report." in html
    assert "Second try." in html and "scan.pdf" in html
    assert f"/certs/evidence/files/{second.files[0].id}" in html
    assert "Earlier submissions" in html and "First try." in html and "Blurry photo." in html
    assert ">Approve</button>" in html and ">Reject</button>" in html
    assert '<label for="comment">Comment (required to reject)</label>' in html


def test_approve_as_a_plain_form_redirects_and_marks_met(client, login, enrolment, learner, mentor):
    submission = submit(enrolment, learner)
    login(mentor)
    url = f"/certs/reviews/submissions/{submission.id}"
    response = client.post(f"{url}/decision", data={"decision": "approved", "comment": ""})
    assert response.status_code == 303 and response.headers["Location"].endswith(url)
    assert submission.status is SubmissionStatus.APPROVED
    assert reviews.progress_row(enrolment.id, req_id(enrolment)).status is ProgressStatus.MET
    html = client.get(url).get_data(as_text=True)
    assert "Decision recorded: approved." in html and ">Approve</button>" not in html


def test_reject_in_place_with_htmx_updates_the_panel_and_fires_the_event(
    client, login, enrolment, learner, mentor
):
    submission = submit(enrolment, learner)
    login(mentor)
    url = f"/certs/reviews/submissions/{submission.id}/decision"
    response = client.post(url, data={"decision": "rejected"}, headers=htmx("review-decision"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.lstrip().startswith('<section id="review-decision"') and "<html" not in html
    assert "Say why you reject it" in html and 'id="comment-error"' in html
    assert submission.status is SubmissionStatus.PENDING
    response = client.post(
        url,
        data={"decision": "rejected", "comment": "Not signed."},
        headers=htmx("review-decision"),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert response.headers["HX-Trigger"] == "reviews-changed"
    assert "Decision recorded: rejected." in html and "Not signed." in html
    assert '<dd id="review-status" hx-swap-oob="true">' in html  # the status line above
    assert submission.status is SubmissionStatus.REJECTED
    # The queue no longer lists it: the fragment the page reloads on that event.
    queue = client.get("/certs/reviews/", headers=htmx("review-queue")).get_data(as_text=True)
    assert "Lee Learner" not in queue


def test_invalid_decision_as_a_page_keeps_the_comment(client, login, enrolment, learner, mentor):
    submission = submit(enrolment, learner)
    login(mentor)
    response = client.post(
        f"/certs/reviews/submissions/{submission.id}/decision",
        data={"decision": "maybe", "comment": "Keep me"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" in html
    assert "Choose Approve or Reject." in html and "Keep me" in html


def test_deciding_twice_is_refused_with_a_message(client, login, enrolment, learner, mentor):
    submission = submit(enrolment, learner)
    other = UserFactory(tenant=mentor.tenant, role=Role.MENTOR)
    login(mentor)
    url = f"/certs/reviews/submissions/{submission.id}/decision"
    assert client.post(url, data={"decision": "approved"}).status_code == 303
    switch(client, login, other)
    response = client.post(url, data={"decision": "rejected", "comment": "No."})
    assert response.status_code == 409
    assert "already been decided" in response.get_data(as_text=True)
    response = client.post(
        url, data={"decision": "rejected", "comment": "No."}, headers=htmx("review-decision")
    )
    assert response.status_code == 422 and "already been decided" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(PeerValidation.id))) == 1


def test_own_and_out_of_scope_submissions_answer_404(client, login, tenant):
    north, south = OrgUnitFactory(tenant=tenant), OrgUnitFactory(tenant=tenant)
    programme = evidence_path(tenant)
    learner = UserFactory(tenant=tenant, org_unit_id=north.id)
    submission = submit(paths.enrol(learner, programme)[0], learner)
    south_mentor = UserFactory(tenant=tenant, role=Role.MENTOR, org_unit_id=south.id)
    own = submit(paths.enrol(south_mentor, programme)[0], south_mentor)
    login(south_mentor)
    for subject_id in (submission.id, own.id):
        assert client.get(f"/certs/reviews/submissions/{subject_id}").status_code == 404
        response = client.post(
            f"/certs/reviews/submissions/{subject_id}/decision", data={"decision": "approved"}
        )
        assert response.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(PeerValidation.id))) == 0


def test_attempt_review_shows_answers_and_score_and_approval_finalizes(
    client, login, tenant, learner, mentor
):
    enrolment = paths.enrol(learner, peer_quiz_path(tenant, slug="quiz-prog"))[0]
    evaluation = awaiting_evaluation(enrolment, req_id(enrolment))
    login(mentor)
    assert "Quiz attempt" in client.get("/certs/reviews/").get_data(as_text=True)
    url = f"/certs/reviews/attempts/{evaluation.id}"
    html = client.get(url).get_data(as_text=True)
    assert "Water is wet." in html and "Answer: True" in html and "100%" in html
    panel = client.get(url, headers=htmx("review-decision")).get_data(as_text=True)
    assert panel.lstrip().startswith('<section id="review-decision"') and ">Approve<" in panel
    response = client.post(
        f"{url}/decision", data={"decision": "approved"}, headers=htmx("review-decision")
    )
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "reviews-changed"
    assert reviews.progress_row(enrolment.id, req_id(enrolment)).status is ProgressStatus.MET
    assert "This attempt has been validated" in client.get(url).get_data(as_text=True)


# --- Downloads -----------------------------------------------------------------------------


def test_downloads_are_attachments_for_owner_mentors_in_scope_and_admins(
    client, login, tenant, learner, enrolment, mentor
):
    submission = submit(enrolment, learner, files=[('re"port ü.pdf', PDF)])
    db.session.commit()  # keep the stored file for the requests below
    url = f"/certs/evidence/files/{submission.files[0].id}"
    unit = OrgUnitFactory(tenant=tenant)
    allowed = [learner, mentor, UserFactory(tenant=tenant, role=Role.ADMIN, org_unit_id=unit.id)]
    refused = [
        UserFactory(tenant=tenant),
        UserFactory(tenant=tenant, role=Role.MENTOR, org_unit_id=unit.id),
        UserFactory(role=Role.ADMIN),
    ]
    for user in allowed:
        switch(client, login, user)
        with client.get(url) as response:  # closes the served file
            assert response.status_code == 200, user
            assert response.data == PDF
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            disposition = response.headers["Content-Disposition"]
            assert disposition.startswith("attachment;")
            assert "filename*=UTF-8''re%22port%20%C3%BC.pdf" in disposition
            assert response.headers["Content-Type"] == "application/pdf"
    for user in refused:
        switch(client, login, user)
        assert client.get(url).status_code == 404, user


# --- Notifications and the outbox ----------------------------------------------------------


def test_notifications_page_lists_and_marks_read_as_page_and_fragment(
    client, login, enrolment, learner, mentor
):
    submission = submit(enrolment, learner)
    reviews.decide(submission, mentor, "rejected", "Not signed.")
    login(learner)
    html = client.get("/certs").get_data(as_text=True)
    assert '<span class="badge" aria-label="1 unread">1</span>' in html
    html = client.get("/certs/notifications").get_data(as_text=True)
    assert "Your evidence for “Inspection report” was rejected" in html and "Not signed." in html
    assert requirement_url(enrolment) in html
    note = db.session.scalar(sa.select(Notification).where(Notification.user_id == learner.id))
    response = client.post(f"/certs/notifications/{note.id}/read", headers=htmx("notifications"))
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert response.headers["HX-Trigger"] == "notifications-changed"
    assert "0 unread" in body and note.read_at is not None
    fragment_get = client.get("/certs/notifications", headers=htmx("notifications"))
    assert fragment_get.get_data(as_text=True).lstrip().startswith('<section id="notifications"')
    assert "1 unread" not in client.get("/certs").get_data(as_text=True)


def test_mark_all_read_as_a_plain_form(client, login, tenant, enrolment, learner, mentor):
    for _ in range(2):
        reviews.decide(submit(enrolment, learner), mentor, "rejected", "Again.")
    login(learner)
    response = client.post("/certs/notifications/read")
    assert response.status_code == 303
    assert "0 unread" in client.get("/certs/notifications").get_data(as_text=True)


def test_another_users_notification_answers_404(client, login, tenant, enrolment, learner, mentor):
    reviews.decide(submit(enrolment, learner), mentor, "rejected", "No.")
    note = db.session.scalar(sa.select(Notification).where(Notification.user_id == learner.id))
    login(UserFactory(tenant=tenant))
    assert client.post(f"/certs/notifications/{note.id}/read").status_code == 404
    assert note.read_at is None


def test_decision_emails_go_through_the_outbox_and_admins_read_them(
    client, login, tenant, enrolment, learner, mentor
):
    submission = submit(enrolment, learner)
    login(mentor)
    client.post(
        f"/certs/reviews/submissions/{submission.id}/decision",
        data={"decision": "rejected", "comment": "Add the date."},
    )
    email = db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.user_id == learner.id))
    assert email.subject == "Your evidence for “Inspection report” was rejected"
    assert "Add the date." in email.body
    assert client.get("/certs/admin/outbox/").status_code == 403
    switch(client, login, UserFactory(tenant=tenant, role=Role.ADMIN))
    html = client.get("/certs/admin/outbox/").get_data(as_text=True)
    assert learner.email in html and "was rejected" in html
    html = client.get(f"/certs/admin/outbox/{email.id}").get_data(as_text=True)
    assert "Add the date." in html
    assert "<dt>Parts</dt><dd>Text and HTML (the text part is shown)</dd>" in html
    switch(client, login, UserFactory(role=Role.ADMIN))
    assert client.get(f"/certs/admin/outbox/{email.id}").status_code == 404
