"""Tenant isolation: rows of another tenant answer 404 exactly like missing rows."""

import pytest

from tests.factories import (
    QuizFactory,
    TenantFactory,
    UserFactory,
    enrolled_learner,
    issued_certificate,
    published_path,
)
from tests.html import without_tokens
from webapp.models import Role
from webapp.services import certificates

# Every URL rule with a parameter must be listed here with a way to build a URL that points
# at another tenant's row (or at a public object); a new route fails
# test_every_parameterised_route_is_covered until it is added.
PUBLIC_PARAMETERISED = {
    "auth.accept_invitation",
    "auth.reset_password",
    "certificates.verify",
    "certificates.verify_json",
    "portfolio.public_page",
    "portfolio.public_file",
    "static",
}


def foreign_urls(other_tenant):
    """endpoint -> URL pointing at `other_tenant`'s rows (asked with every method of the
    endpoint's rule)."""
    programme = published_path(other_tenant, slug="acme-secret")
    requirement = programme.requirements[0]
    req = f"/certs/admin/programs/{programme.id}/requirements/{requirement.id}"
    programme_req = f"/certs/programs/{programme.slug}/requirements/{requirement.id}"
    quiz = f"/certs/admin/quizzes/{QuizFactory(tenant=other_tenant).id}"
    certificate = issued_certificate(other_tenant)
    certificates.store_certificate_pdf(certificate.id)  # the PDF routes serve a real file
    cert = f"/certs/admin/certificates/{certificate.id}"
    artifact = artifact_item(certificate.user)
    return {
        **peer_review_urls(other_tenant, programme.slug, requirement.id),
        **quiz_urls(other_tenant),
        **org_unit_and_enrolment_urls(other_tenant, programme.id),
        **enrolment_urls(other_tenant, cert),
        **people_urls(other_tenant),
        "certificates.pdf": f"/certs/my/{certificate.id}/pdf",
        "admin.certificate": cert,
        "admin.certificate_revoke": f"{cert}/revoke",
        "admin.certificate_rerender": f"{cert}/rerender",
        "admin.certificate_pdf": f"{cert}/pdf",
        "portfolio.item_file": f"/certs/portfolio/items/{artifact.id}/file",
        "portfolio.remove_item": f"/certs/portfolio/items/{artifact.id}/remove",
        "programmes.detail": f"/certs/programs/{programme.slug}",
        "programmes.enrol": f"/certs/programs/{programme.slug}/enrol",
        "programmes.requirement": programme_req,
        "programmes.complete_content": f"{programme_req}/complete",
        "programmes.badge": f"/certs/programs/{programme.slug}/badge",
        "admin.programme": f"/certs/admin/programs/{programme.id}",
        "admin.programme_edit": f"/certs/admin/programs/{programme.id}/edit",
        "admin.programme_publish": f"/certs/admin/programs/{programme.id}/publish",
        "admin.programme_archive": f"/certs/admin/programs/{programme.id}/archive",
        "admin.programme_delete": f"/certs/admin/programs/{programme.id}/delete",
        "admin.programme_enrol": f"/certs/admin/programs/{programme.id}/enrol",
        "admin.programme_export": f"/certs/admin/programs/{programme.id}/export",
        "admin.requirement_add": f"/certs/admin/programs/{programme.id}/requirements",
        "admin.requirement_settings": f"/certs/admin/programs/{programme.id}/requirements/settings"
        "?kind=quiz",
        "admin.requirement_edit": f"{req}/edit",
        "admin.requirement_remove": f"{req}/remove",
        "admin.requirement_move": f"{req}/move",
        "admin.quiz_editor": quiz,
        "admin.quiz_details": f"{quiz}/details",
        "admin.quiz_settings": f"{quiz}/settings",
        "admin.quiz_preview": f"{quiz}/preview",
        "admin.quiz_publish": f"{quiz}/publish",
        "admin.quiz_question_new": f"{quiz}/questions/new",
        "admin.quiz_question": f"{quiz}/questions/q1",
        "admin.quiz_question_edit": f"{quiz}/questions/q1/edit",
        "admin.quiz_question_remove": f"{quiz}/questions/q1/remove",
        "admin.quiz_question_move": f"{quiz}/questions/q1/move",
        "admin.funnel_export": f"/certs/admin/reports/programs/{programme.id}/funnel.csv",
        # The platform console: operators' only; every tenant user gets 403 (test_access_control).
        "platform.tenant_suspend": f"/platform/tenants/{other_tenant.id}/suspend",
        "platform.tenant_reactivate": f"/platform/tenants/{other_tenant.id}/reactivate",
    }


def people_urls(other_tenant):
    """A person of `other_tenant` (without history, so that even deletion would be allowed)
    and the URLs of the people pages about them."""
    person = f"/certs/admin/people/{UserFactory(tenant=other_tenant).id}"
    return {
        "admin.person": person,
        "admin.person_edit": f"{person}/edit",
        "admin.person_invite": f"{person}/invite",
        "admin.person_deactivate": f"{person}/deactivate",
        "admin.person_reactivate": f"{person}/reactivate",
        "admin.person_delete": f"{person}/delete",
    }


def artifact_item(user):
    """An own artifact with a stored file in `user`'s portfolio."""
    from webapp.services import skills_portfolio

    portfolio = skills_portfolio.ensure_portfolio(user)
    return skills_portfolio.add_artifact(
        portfolio, "Secret work", "", "", ("notes.txt", b"private notes")
    )


def quiz_urls(other_tenant):
    """A learner's quiz attempt in `other_tenant`, its quiz version and a regrade batch."""
    from webapp.extensions import db
    from webapp.models import RegradeBatch
    from webapp.services import automated_evaluation

    learner, enrolment, rid = enrolled_learner(other_tenant)
    attempt, _ = automated_evaluation.start_attempt(learner, enrolment, rid)
    version = attempt.quiz_version
    batch = RegradeBatch(
        tenant_id=other_tenant.id, quiz_version_id=version.id, question_id="q1", reason="Fix"
    )
    db.session.add(batch)
    db.session.flush()
    quiz = f"/certs/quiz/attempts/{attempt.id}"
    keys = f"/certs/admin/quizzes/{version.quiz_id}/versions/{version.id}"
    learner_req = f"/certs/quiz/enrolments/{enrolment.id}/requirements/{rid}"
    return {
        "quiz.start": f"{learner_req}/start",
        "quiz.ask_for_attempts": f"{learner_req}/ask-for-attempts",
        "admin.attempt_grant": f"/certs/admin/enrolments/{enrolment.id}/requirements/{rid}"
        "/attempts",
        "quiz.attempt": quiz,
        "quiz.save": f"{quiz}/save",
        "quiz.answer": f"{quiz}/answers/q1",
        "quiz.submit": f"{quiz}/submit",
        "quiz.result": f"{quiz}/result",
        "admin.quiz_version": keys,
        "admin.quiz_question_correct": f"{keys}/questions/q1/correct",
        "admin.regrade_batch": f"/certs/admin/regrades/{batch.id}",
        "admin.item_analysis_export": f"/certs/admin/reports/quiz-versions/{version.id}/items.csv",
    }


def test_every_parameterised_route_is_covered(app):
    other = TenantFactory()
    covered = set(foreign_urls(other)) | PUBLIC_PARAMETERISED
    parameterised = {rule.endpoint for rule in app.url_map.iter_rules() if rule.arguments}
    assert parameterised - covered == set()


@pytest.mark.parametrize("role", [Role.LEARNER, Role.MENTOR, Role.ADMIN])
def test_foreign_rows_answer_404_like_missing_ones(client, login, app, role):
    acme = TenantFactory(name="Acme")
    globex = TenantFactory(name="Globex")
    urls = foreign_urls(acme)
    login(UserFactory(tenant=globex, role=role))
    methods = {
        rule.endpoint: rule.methods - {"HEAD", "OPTIONS"} for rule in app.url_map.iter_rules()
    }
    for endpoint, url in urls.items():
        for method in sorted(methods[endpoint]):
            foreign = client.open(url, method=method, data={"direction": "up"})
            missing = client.open(missing_url(url), method=method, data={"direction": "up"})
            admin_only = endpoint.startswith("admin.") and role is not Role.ADMIN
            expected = 403 if admin_only or endpoint.startswith("platform.") else 404
            assert foreign.status_code == expected, (endpoint, method)
            assert missing.status_code == expected, (endpoint, method)
            assert without_tokens(foreign) == without_tokens(missing), (endpoint, method)


def missing_url(url: str) -> str:
    """The same URL pointing at rows that do not exist at all."""
    parts = url.split("/")
    replaced = ["999999" if p.isdigit() else p for p in parts]
    replaced = [p + "-does-not-exist" if p == "acme-secret" else p for p in replaced]
    return "/".join(replaced)


def test_own_tenant_programme_is_visible(client, login):
    tenant = TenantFactory()
    programme = published_path(tenant)
    login(UserFactory(tenant=tenant))
    assert client.get(f"/certs/programs/{programme.slug}").status_code == 200


def test_catalogue_lists_only_own_tenant_published_programmes(client, login):
    mine, theirs = TenantFactory(), TenantFactory()
    published_path(mine, name="Forklift Basics")
    published_path(theirs, name="Secret Globex Programme")
    login(UserFactory(tenant=mine))
    html = client.get("/certs/programs/").get_data(as_text=True)
    assert "Forklift Basics" in html
    assert "Secret Globex Programme" not in html


def peer_review_urls(other_tenant, slug: str, requirement_id: int):
    """Evidence, a quiz attempt awaiting validation, a file, a notification and an e-mail of
    `other_tenant`, and the URLs of the peer review, notification and outbox routes."""
    import sqlalchemy as sa

    from tests.factories import awaiting_evaluation, evidence_path, peer_quiz_path
    from webapp.extensions import db
    from webapp.models import Notification, OutboxEmail
    from webapp.services import certification_path_management as paths
    from webapp.services import peer_validation

    learner = UserFactory(tenant=other_tenant)
    mentor = UserFactory(tenant=other_tenant, role=Role.MENTOR)
    enrolment, _ = paths.enrol(learner, evidence_path(other_tenant))
    evidence_id = enrolment.program_snapshot["requirements"][0]["requirement_id"]
    submission = peer_validation.submit_evidence(
        enrolment, evidence_id, learner, "Secret evidence.", None, [("secret.txt", b"secret")]
    )
    quiz_enrolment, _ = paths.enrol(learner, peer_quiz_path(other_tenant))
    quiz_id = quiz_enrolment.program_snapshot["requirements"][0]["requirement_id"]
    evaluation = awaiting_evaluation(quiz_enrolment, quiz_id)
    note = db.session.scalar(sa.select(Notification).where(Notification.user_id == mentor.id))
    email = db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.user_id == mentor.id))
    review = f"/certs/reviews/submissions/{submission.id}"
    attempt = f"/certs/reviews/attempts/{evaluation.id}"
    return {
        "peer_review.submission": review,
        "peer_review.decide_submission": f"{review}/decision",
        "peer_review.evaluation": attempt,
        "peer_review.decide_evaluation": f"{attempt}/decision",
        "peer_review.submit": f"/certs/programs/{slug}/requirements/{requirement_id}/evidence",
        "peer_review.withdraw": f"/certs/evidence/{submission.id}/withdraw",
        "peer_review.download": f"/certs/evidence/files/{submission.files[0].id}",
        "center.notification_read": f"/certs/notifications/{note.id}/read",
        "admin.outbox_email": f"/certs/admin/outbox/{email.id}",
    }


# --- Org units and programme enrolments (issue 12) ------------------------------------------


def org_unit_and_enrolment_urls(other_tenant, programme_id: int):
    """An org unit of `other_tenant` with a mentor assigned to it, and the URLs of the org
    unit routes and of the enrolment list and export of its programme `programme_id`."""
    from tests.factories import OrgUnitFactory

    unit = OrgUnitFactory(tenant=other_tenant)
    mentor = UserFactory(tenant=other_tenant, role=Role.MENTOR, mentor_unit_id=unit.id)
    base = f"/certs/admin/org-units/{unit.id}"
    enrolments = f"/certs/admin/programs/{programme_id}/enrolments"
    return {
        "admin.org_unit": base,
        "admin.org_unit_rename": f"{base}/rename",
        "admin.org_unit_move": f"{base}/move",
        "admin.org_unit_delete": f"{base}/delete",
        "admin.org_unit_mentor_add": f"{base}/mentors",
        "admin.org_unit_mentor_remove": f"{base}/mentors/{mentor.id}/remove",
        "admin.programme_enrolments": enrolments,
        "admin.programme_enrolments_export": f"{enrolments}.csv",
    }


def enrolment_urls(other_tenant, cert: str):
    """An enrolment in progress of `other_tenant` (its detail, cancellation and a requirement
    to record) and the grace period of its certificate at `cert`."""
    from tests.factories import enrolment_in, requirement_ids

    enrolment = enrolment_in(other_tenant)
    url = f"/certs/admin/enrolments/{enrolment.id}"
    return {
        "admin.enrolment": url,
        "admin.enrolment_cancel": f"{url}/cancel",
        "admin.requirement_record": f"{url}/requirements/{requirement_ids(enrolment)[0]}/record",
        "admin.certificate_extend": f"{cert}/grace-period",
    }
