"""Defects found trying the whole loop as new users would: archived programmes, quiz versions
of new enrolments, a second active certificate, the dashboard of a certified learner."""

import pytest
import sqlalchemy as sa

from tests.factories import (
    QuizVersionFactory,
    TenantFactory,
    UserFactory,
    issued_certificate,
    published_path,
    quiz_path,
)
from webapp.errors import Conflict, NotAllowed
from webapp.extensions import db
from webapp.models import Certificate, Enrolment, EnrolmentStatus, ProgressStatus, Role
from webapp.services import certification_path_management as paths
from webapp.services import orchestration, recertification


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
    path = published_path(tenant, name="Forklift", requirements=2)
    learner = UserFactory(tenant=tenant)
    enrolment, _ = paths.enrol(learner, path)
    requirement_id = first_requirement(enrolment)
    paths.archive_programme(path, admin)
    login(learner)
    dashboard = client.get("/certs").get_data(as_text=True)
    assert f'href="/certs/programs/{path.slug}"' in dashboard
    page = client.get(f"/certs/programs/{path.slug}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "This programme has been archived." in html and "Your progress" in html
    assert ">Enrol</button>" not in html
    requirement = client.get(f"/certs/programs/{path.slug}/requirements/{requirement_id}")
    assert requirement.status_code == 200
    done = client.post(f"/certs/programs/{path.slug}/requirements/{requirement_id}/complete")
    assert done.status_code == 303
    assert enrolment.progress[0].is_met


def test_an_archived_programme_leaves_the_catalogue_and_takes_no_enrolments(
    client, login, tenant, admin
):
    path = published_path(tenant, name="Forklift")
    paths.archive_programme(path, admin)
    outsider = UserFactory(tenant=tenant)
    login(outsider)
    assert "Forklift" not in client.get("/certs/programs/").get_data(as_text=True)
    assert client.get(f"/certs/programs/{path.slug}").status_code == 404
    assert client.post(f"/certs/programs/{path.slug}/enrol").status_code == 404
    with pytest.raises(Conflict):
        paths.enrol(outsider, path, admin)


def test_certificate_holders_keep_the_archived_programme_page(client, login, tenant, admin):
    certificate = issued_certificate(tenant, name="Ladders")
    paths.archive_programme(certificate.path, admin)
    login(certificate.user)
    assert client.get(f"/certs/programs/{certificate.path.slug}").status_code == 200
    assert "Ladders" in client.get("/certs/my").get_data(as_text=True)


def test_no_renewals_are_opened_for_an_archived_programme(app, clock, tenant, admin):
    certificate = issued_certificate(tenant, validity_days=60)
    paths.archive_programme(certificate.path, admin)
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
    path = quiz_path(tenant, settings={"time_limit_min": 20})
    requirement = path.requirements[0]
    v1_id = paths.latest_quiz_versions([requirement.quiz_id])[requirement.quiz_id].id
    early, _ = paths.enrol(UserFactory(tenant=tenant), path)
    v2 = QuizVersionFactory(
        quiz=requirement.quiz,
        number=2,
        settings={**requirement.quiz.settings, "time_limit_min": 25},
    )
    late, _ = paths.enrol(UserFactory(tenant=tenant), path)  # the programme was not republished
    db.session.expire_all()
    assert early.program_snapshot["requirements"][0]["quiz_version_id"] == v1_id
    assert late.program_snapshot["requirements"][0]["quiz_version_id"] == v2.id
    assert late.path_version == early.path_version == "1.0"


def test_renewal_enrolments_take_the_latest_quiz_version_too(app, clock, tenant):
    path = quiz_path(tenant, validity_days=60, min_score=0)
    requirement = path.requirements[0]
    learner = UserFactory(tenant=tenant)
    enrolment, _ = paths.enrol(learner, path)
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
    path = quiz_path(tenant, name="Forklift")
    quiz = path.requirements[0].quiz
    paths.enrol(UserFactory(tenant=tenant), path)
    quiz.has_draft_changes = True
    db.session.flush()
    login(admin)
    html = client.get(f"/certs/admin/quizzes/{quiz.id}/publish").get_data(as_text=True)
    assert "New enrolments in Forklift get version 2" in html
    assert "1 person enrolled now stays on the version they started with" in html


# --- 9. No second active certificate of the same programme -------------------------------


def test_a_holder_of_an_active_certificate_is_not_offered_a_new_enrolment(client, login, tenant):
    certificate = issued_certificate(tenant, name="Forklift", validity_days=365)
    learner, path = certificate.user, certificate.path
    login(learner)
    html = client.get(f"/certs/programs/{path.slug}").get_data(as_text=True)
    assert ">Enrol</button>" not in html
    assert f"You already hold an active certificate of this programme ({certificate.number}" in html
    response = client.post(f"/certs/programs/{path.slug}/enrol")
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
        paths.enrol(certificate.user, certificate.path, admin)
    summary = paths.enrol_many(certificate.path, [certificate.user], admin)
    assert summary["enrolled"] == []
    assert "already holds an active certificate" in summary["refused"][0]


def test_a_certificate_that_never_expires_blocks_for_good(app, tenant):
    certificate = issued_certificate(tenant, validity_days=None)
    with pytest.raises(NotAllowed, match="never expires"):
        paths.self_enrol(certificate.user, certificate.path)


def test_inside_the_renewal_window_enrolling_starts_the_renewal(client, login, clock, tenant):
    certificate = issued_certificate(tenant, validity_days=60)
    clock.advance(days=40)  # 20 days before expiry, the window is 30 days
    login(certificate.user)
    html = client.get(f"/certs/programs/{certificate.path.slug}").get_data(as_text=True)
    assert "Start your renewal" in html
    client.post(f"/certs/programs/{certificate.path.slug}/enrol")
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
    enrolment, created = paths.self_enrol(certificate.user, certificate.path)
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
