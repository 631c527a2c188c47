"""Defects found trying the whole loop as new users would: archived programmes, quiz versions
of new enrolments, a second active certificate, the dashboard of a certified learner."""

import pytest
import sqlalchemy as sa

from tests.factories import (
    QuizVersionFactory,
    TenantFactory,
    UserFactory,
    enrolled_learner,
    issued_certificate,
    published_path,
    quiz_path,
)
from tests.quizdata import WRONG
from webapp.errors import Conflict, NotAllowed, NotFound
from webapp.extensions import db
from webapp.models import (
    AttemptGrant,
    AuditEvent,
    Certificate,
    Enrolment,
    EnrolmentStatus,
    Notification,
    ProgressStatus,
    Role,
)
from webapp.services import attempt_grants, orchestration, recertification
from webapp.services import automated_evaluation as evaluation
from webapp.services import certification_path_management as paths


@pytest.fixture
def tenant(app):
    return TenantFactory()


@pytest.fixture
def admin(tenant):
    return UserFactory(tenant=tenant, role=Role.ADMIN)


def first_requirement(enrolment) -> int:
    return enrolment.program_snapshot["requirements"][0]["requirement_id"]


# --- 1. Archiving keeps enrolled learners' access ----------------------------------------


def test_archiving_keeps_the_enrolled_learners_pages(client, login, tenant, admin):
    programme = published_path(tenant, name="Forklift", requirements=2)
    learner = UserFactory(tenant=tenant)
    enrolment, _ = paths.enrol(learner, programme)
    requirement_id = first_requirement(enrolment)
    paths.archive_programme(programme, admin)
    login(learner)
    dashboard = client.get("/certs").get_data(as_text=True)
    assert f'href="/certs/programs/{programme.slug}"' in dashboard
    page = client.get(f"/certs/programs/{programme.slug}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "This programme has been archived." in html and "Your progress" in html
    assert ">Enrol</button>" not in html
    requirement = client.get(f"/certs/programs/{programme.slug}/requirements/{requirement_id}")
    assert requirement.status_code == 200
    done = client.post(f"/certs/programs/{programme.slug}/requirements/{requirement_id}/complete")
    assert done.status_code == 303
    assert enrolment.progress[0].is_met


def test_an_archived_programme_leaves_the_catalogue_and_takes_no_enrolments(
    client, login, tenant, admin
):
    programme = published_path(tenant, name="Forklift")
    paths.archive_programme(programme, admin)
    outsider = UserFactory(tenant=tenant)
    login(outsider)
    assert "Forklift" not in client.get("/certs/programs/").get_data(as_text=True)
    assert client.get(f"/certs/programs/{programme.slug}").status_code == 404
    assert client.post(f"/certs/programs/{programme.slug}/enrol").status_code == 404
    with pytest.raises(Conflict):
        paths.enrol(outsider, programme, admin)


def test_certificate_holders_keep_the_archived_programme_page(client, login, tenant, admin):
    certificate = issued_certificate(tenant, name="Ladders")
    paths.archive_programme(certificate.programme, admin)
    login(certificate.user)
    assert client.get(f"/certs/programs/{certificate.programme.slug}").status_code == 200
    assert "Ladders" in client.get("/certs/my").get_data(as_text=True)


def test_no_renewals_are_opened_for_an_archived_programme(app, clock, tenant, admin):
    certificate = issued_certificate(tenant, validity_days=60)
    paths.archive_programme(certificate.programme, admin)
    clock.advance(days=45)  # inside the 30-day renewal window
    report = recertification.run_expiry(clock.now())
    assert report.renewals_opened == 0
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Enrolment.id)).where(
                Enrolment.renewal_of_enrolment_id == certificate.enrolment_id
            )
        )
        == 0
    )


# --- 2. A re-published quiz reaches new enrolments ---------------------------------------


def test_new_enrolments_take_the_latest_published_quiz_version(app, tenant):
    programme = quiz_path(tenant, settings={"time_limit_min": 20})
    requirement = programme.requirements[0]
    v1_id = paths.latest_quiz_versions([requirement.quiz_id])[requirement.quiz_id].id
    early, _ = paths.enrol(UserFactory(tenant=tenant), programme)
    v2 = QuizVersionFactory(
        quiz=requirement.quiz,
        number=2,
        settings={**requirement.quiz.settings, "time_limit_min": 25},
    )
    late, _ = paths.enrol(
        UserFactory(tenant=tenant), programme
    )  # the programme was not republished
    db.session.expire_all()
    assert early.program_snapshot["requirements"][0]["quiz_version_id"] == v1_id
    assert late.program_snapshot["requirements"][0]["quiz_version_id"] == v2.id
    assert late.path_version == early.path_version == "1.0"


def test_renewal_enrolments_take_the_latest_quiz_version_too(app, clock, tenant):
    programme = quiz_path(tenant, validity_days=60, min_score=0)
    requirement = programme.requirements[0]
    learner = UserFactory(tenant=tenant)
    enrolment, _ = paths.enrol(learner, programme)
    for r in enrolment.program_snapshot["requirements"][1:]:
        orchestration.mark_content_complete(enrolment, r["requirement_id"])
    orchestration.record_result(enrolment, first_requirement(enrolment), ProgressStatus.MET)
    assert enrolment.status is EnrolmentStatus.CERTIFIED
    v2 = QuizVersionFactory(quiz=requirement.quiz, number=2)
    clock.advance(days=45)
    recertification.run_expiry(clock.now())
    renewal = db.session.scalar(
        sa.select(Enrolment).where(Enrolment.renewal_of_enrolment_id == enrolment.id)
    )
    assert renewal.program_snapshot["requirements"][0]["quiz_version_id"] == v2.id


def test_quiz_publish_page_says_which_enrolments_get_the_new_version(client, login, tenant, admin):
    programme = quiz_path(tenant, name="Forklift")
    quiz = programme.requirements[0].quiz
    paths.enrol(UserFactory(tenant=tenant), programme)
    quiz.has_draft_changes, quiz.latest_version_number = True, 1
    db.session.flush()
    login(admin)
    html = client.get(f"/certs/admin/quizzes/{quiz.id}/publish").get_data(as_text=True)
    assert "New enrolments in Forklift get version 2" in html
    assert "1 person enrolled now stays on the version they started with" in html


# --- 9. No second active certificate of the same programme -------------------------------


def test_a_holder_of_an_active_certificate_is_not_offered_a_new_enrolment(client, login, tenant):
    certificate = issued_certificate(tenant, name="Forklift", validity_days=365)
    learner, programme = certificate.user, certificate.programme
    login(learner)
    html = client.get(f"/certs/programs/{programme.slug}").get_data(as_text=True)
    assert ">Enrol</button>" not in html
    assert f"You already hold an active certificate of this programme ({certificate.number}" in html
    response = client.post(f"/certs/programs/{programme.slug}/enrol")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "renewal opens on" in page
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Enrolment.id)).where(Enrolment.user_id == learner.id)
        )
        == 1
    )


def test_admins_get_the_same_rule_with_a_clear_message(app, tenant, admin):
    certificate = issued_certificate(tenant, validity_days=365)
    with pytest.raises(Conflict, match="already holds an active certificate"):
        paths.enrol(certificate.user, certificate.programme, admin)
    summary = paths.enrol_many(certificate.programme, [certificate.user], admin)
    assert summary["enrolled"] == []
    assert "already holds an active certificate" in summary["refused"][0]


def test_a_certificate_that_never_expires_blocks_for_good(app, tenant):
    certificate = issued_certificate(tenant, validity_days=None)
    with pytest.raises(NotAllowed, match="never expiring"):
        paths.self_enrol(certificate.user, certificate.programme)


def test_inside_the_renewal_window_enrolling_starts_the_renewal(client, login, clock, tenant):
    certificate = issued_certificate(tenant, validity_days=60)
    clock.advance(days=40)  # 20 days before expiry, the window is 30 days
    login(certificate.user)
    html = client.get(f"/certs/programs/{certificate.programme.slug}").get_data(as_text=True)
    assert "Start your renewal" in html
    client.post(f"/certs/programs/{certificate.programme.slug}/enrol")
    renewal = db.session.scalar(
        sa.select(Enrolment).where(Enrolment.renewal_of_enrolment_id == certificate.enrolment_id)
    )
    assert renewal is not None and renewal.is_open


@pytest.mark.parametrize("end", ["expired", "revoked"])
def test_after_expiry_or_revocation_a_new_enrolment_is_allowed(app, clock, tenant, admin, end):
    from webapp.services import certificates

    certificate = issued_certificate(tenant, validity_days=60)
    if end == "expired":
        clock.advance(days=61)
    else:
        certificates.revoke_certificate(certificate, admin, "Issued by mistake.")
    enrolment, created = paths.self_enrol(certificate.user, certificate.programme)
    assert created and enrolment.renewal_of_enrolment_id is None


# --- 10. The dashboard of a certified learner ----------------------------------------------


def test_dashboard_shows_certified_programmes_apart_from_open_enrolments(client, login, tenant):
    certificate = issued_certificate(tenant, name="Forklift", validity_days=365)
    login(certificate.user)
    html = client.get("/certs").get_data(as_text=True)
    assert "You are not enrolled in any programme yet." not in html
    assert "No programme in progress right now." in html
    certified = html.split('id="certified-heading"')[1]
    assert "Forklift" in certified and certificate.number in certified
    assert f"Valid until {(certificate.expires_at):%d %b %Y}" in certified


def test_a_revoked_certificate_is_an_earlier_enrolment_not_certified(client, login, tenant, admin):
    from webapp.services import certificates

    certificate = issued_certificate(tenant, name="Forklift", validity_days=365)
    certificates.revoke_certificate(certificate, admin, "Issued by mistake.")
    login(certificate.user)
    html = client.get("/certs").get_data(as_text=True)
    assert 'id="certified-heading"' not in html
    earlier = html.split('id="done-heading"')[1]
    assert "Forklift" in earlier and certificate.number in earlier and ">Revoked<" in earlier


def test_dashboard_queries_do_not_grow_with_certified_enrolments(
    client, login, tenant, count_queries
):
    learner = UserFactory(tenant=tenant)
    issued_certificate(tenant, learner)
    login(learner)
    with count_queries() as one:
        client.get("/certs")
    for _ in range(5):
        issued_certificate(tenant, learner)
    with count_queries() as six:
        html = client.get("/certs").get_data(as_text=True)
    assert html.count("View in My Certificates") == 6
    assert six.count == one.count


def test_a_never_enrolled_learner_is_told_so(client, login, tenant):
    login(UserFactory(tenant=tenant))
    assert "You are not enrolled in any programme yet." in client.get("/certs").get_data(
        as_text=True
    )


def test_a_certificate_past_its_expiry_no_longer_counts_as_active(app, clock, tenant):
    certificate = issued_certificate(tenant, validity_days=30)
    assert paths.certified_path_ids(certificate.user) == {certificate.path_id}
    clock.advance(days=31)  # the daily job has not marked it expired yet
    assert db.session.get(Certificate, certificate.id).status.value == "active"
    assert paths.certified_path_ids(certificate.user) == set()


# --- 11. Maximum attempts used: who can help, and extra attempts ---------------------------


def used_up(tenant, max_attempts=2):
    """A learner who failed every allowed attempt (no cooldown)."""
    learner, enrolment, rid = enrolled_learner(
        tenant, settings={"max_attempts": max_attempts, "cooldown_min": 0}
    )
    for _ in range(max_attempts):
        attempt, _ = evaluation.start_attempt(learner, enrolment, rid)
        evaluation.submit_attempt(attempt, learner, WRONG)
    return learner, enrolment, rid


def requirement_url(enrolment, rid) -> str:
    return f"/certs/programs/{enrolment.programme.slug}/requirements/{rid}"


def grant_url(enrolment, rid) -> str:
    return f"/certs/admin/enrolments/{enrolment.id}/requirements/{rid}/attempts"


def test_a_learner_out_of_attempts_is_told_who_can_help_and_can_ask(client, login, tenant, admin):
    learner, enrolment, rid = used_up(tenant)
    UserFactory(tenant=tenant, role=Role.ADMIN, active=False, full_name="Gone Admin")
    login(learner)
    html = client.get(requirement_url(enrolment, rid)).get_data(as_text=True)
    assert "You have used all 2 attempts of this quiz." in html
    assert f'{admin.full_name} (<a href="mailto:{admin.email}">' in html
    assert "Gone Admin" not in html
    assert "Ask for more attempts" in html and "Start quiz" not in html
    ask = f"/certs/quiz/enrolments/{enrolment.id}/requirements/{rid}/ask-for-attempts"
    assert client.post(ask).status_code == 303
    client.post(ask)  # asking twice tells nobody twice
    notes = db.session.scalars(
        sa.select(Notification).where(Notification.kind == "attempts_requested")
    ).all()
    assert [n.user_id for n in notes] == [admin.id]
    assert notes[0].link.endswith(grant_url(enrolment, rid))


def test_asking_with_attempts_left_is_refused(client, login, tenant, admin):
    learner, enrolment, rid = enrolled_learner(tenant, settings={"max_attempts": 3})
    login(learner)
    ask = f"/certs/quiz/enrolments/{enrolment.id}/requirements/{rid}/ask-for-attempts"
    response = client.post(ask)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "no extra attempts are needed" in page
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0


def test_an_admin_grants_extra_attempts_audited_and_shown_to_the_learner(
    client, login, tenant, admin
):
    learner, enrolment, rid = used_up(tenant)
    login(admin)
    page = client.get(grant_url(enrolment, rid)).get_data(as_text=True)
    assert "2 attempts used of 2" in page and "None so far." in page
    response = client.post(
        grant_url(enrolment, rid), data={"extra_attempts": "2", "reason": "Retook the course."}
    )
    assert response.status_code == 303
    grant = db.session.scalar(sa.select(AttemptGrant))
    assert (grant.user_id, grant.extra_attempts, grant.granted_by_id) == (learner.id, 2, admin.id)
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "quiz.attempts_granted")
    )
    assert event.object_id == enrolment.id and event.data["extra_attempts"] == 2
    page = client.get(grant_url(enrolment, rid)).get_data(as_text=True)
    assert "(the quiz allows 2, 2 granted)" in page and "Retook the course." in page
    state = evaluation.requirement_state(learner, enrolment, rid)
    assert (state.max_attempts, state.attempts_left, state.blocker) == (4, 2, None)
    client.post("/auth/logout")
    login(learner)
    html = client.get(requirement_url(enrolment, rid)).get_data(as_text=True)
    assert "Start quiz" in html
    assert "An administrator granted you 2 more attempts on 15 Jun 2026: Retook the course." in html
    assert db.session.scalar(
        sa.select(Notification).where(
            Notification.user_id == learner.id, Notification.kind == "attempts_granted"
        )
    )


@pytest.mark.parametrize("extra", ["0", "21", "many", ""])
def test_a_bad_number_of_attempts_is_refused_and_changes_nothing(
    client, login, tenant, admin, extra
):
    _, enrolment, rid = used_up(tenant)
    login(admin)
    response = client.post(grant_url(enrolment, rid), data={"extra_attempts": extra})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "extra attempts" in html and 'class="field-error"' in html
    assert db.session.scalar(sa.select(sa.func.count(AttemptGrant.id))) == 0


def test_grants_need_a_limited_quiz_and_an_open_enrolment(app, tenant, admin):
    learner, enrolment, rid = enrolled_learner(tenant)  # no attempt limit
    with pytest.raises(Conflict, match="no attempt limit"):
        attempt_grants.grant_attempts(enrolment, rid, admin, 1)
    with pytest.raises(NotFound):
        attempt_grants.grant_attempts(
            enrolment, enrolment.program_snapshot["requirements"][1]["requirement_id"], admin, 1
        )
    assert db.session.scalar(sa.select(sa.func.count(AttemptGrant.id))) == 0


def test_grant_pages_of_other_tenants_or_other_requirements_answer_404(
    client, login, tenant, admin
):
    _, enrolment, rid = used_up(tenant)
    login(UserFactory(role=Role.ADMIN))  # another tenant
    assert client.get(grant_url(enrolment, rid)).status_code == 404
    assert client.post(grant_url(enrolment, rid), data={"extra_attempts": "1"}).status_code == 404
    client.post("/auth/logout")
    login(admin)
    content = enrolment.program_snapshot["requirements"][1]["requirement_id"]
    assert client.get(grant_url(enrolment, content)).status_code == 404
    client.post("/auth/logout")
    login(UserFactory(tenant=tenant, role=Role.MENTOR))
    assert client.get(grant_url(enrolment, rid)).status_code == 403
