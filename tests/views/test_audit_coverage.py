"""Every state change of the product writes one audit event.

Generated from the URL map: every route that accepts POST must have a driver below (a way to
call it once with valid input, as the person who would) or be listed in NO_EVENT with the
reason it writes none; a new route fails test_every_post_route_is_driven_or_excused until it
is added. Each driver's request must write exactly one new event whose actor is the person who
sent it (consequences the system writes itself, such as a certificate issued or the attempts
of a regrade, are events without an actor and are not counted), and that event must have a
label in the audit log and name the person it is about where there is one.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests import quizdata
from tests.factories import (
    OrgUnitFactory,
    PathFactory,
    QuizFactory,
    RequirementFactory,
    TenantFactory,
    UserFactory,
    awaiting_evaluation,
    enrolled_learner,
    enrolment_in,
    evidence_path,
    issued_certificate,
    peer_quiz_path,
    published_path,
    requirement_ids,
)
from tests.platform_support import image_bytes
from webapp.extensions import db
from webapp.models import AuditEvent, PdfStatus, QuizVersion, Role, Tenant, User
from webapp.services import (
    account_links,
    audit_log,
    orchestration,
    peer_validation,
    people,
    programme_files,
    skills_portfolio,
)
from webapp.services import automated_evaluation as evaluation
from webapp.services import certification_path_management as paths

# POST routes that write no audit event, and why. The learner's own work is recorded in rows
# of its own (attempts and their score versions, evidence submissions, the progress ledger);
# what it leads to (a decision, a certificate, a grant) is audited where it happens.
NO_EVENT = {
    "auth.login": "a session starts; the login time is kept on the person",
    "auth.logout": "a session ends (its token rotates); nothing else changes",
    "center.notification_read": "the person reads a notification of their own",
    "center.notifications_read_all": "the person reads their own notifications",
    "quiz.start": "a learner's attempt: the attempt row is the record",
    "quiz.save": "a learner's answers, saved in their attempt",
    "quiz.answer": "a learner's answer, saved in their attempt",
    "quiz.submit": "a learner's attempt graded: its score version and ledger row are the record",
    "peer_review.submit": "a learner's evidence: the submission is the record",
    "peer_review.withdraw": "a learner takes back their own pending evidence (kept, withdrawn)",
    "programmes.complete_content": "a learner's progress: the ledger row is the record",
    "portfolio.details": "the portfolio's own title and text (what is public is audited)",
    "portfolio.add_evidence": "an item added privately (making it public is audited)",
    "portfolio.add_artifact": "an item added privately (making it public is audited)",
    "portfolio.remove_item": "an item removed from the owner's portfolio (it stops being public)",
    # Operators belong to no tenant: their actions are written in the tenant they affect with
    # no actor and the operator in the data (tests/views/test_platform.py checks it).
    "platform.tenant_new": "an operator creates a tenant: audited in it, without an actor",
    "platform.tenant_suspend": "an operator suspends a tenant: audited in it, without an actor",
    "platform.tenant_reactivate": "an operator reactivates a tenant: audited in it, no actor",
    "auth.forgot_password": "asks for a reset link: the same for every address (no lookup); the "
    "job that sends the link audits it, about the person, when the address is theirs",
    "admin.people_import": "a preview of a people file: it reads the upload and writes nothing "
    "by design; its confirmation (admin.people_import_confirm) is audited",
}
# Admin POST routes that only preview (write nothing), each with its audited confirmation.
PREVIEWS = {"admin.people_import": "admin.people_import_confirm"}


@dataclass
class Call:
    actor: User
    url: str
    data: dict
    subject: User | None = None  # the person the event must name, if any
    multipart: bool = False


@dataclass
class World:
    tenant: Tenant
    admin: User
    mentor: User


def _programme(world: World, requirements: int = 2):
    programme = PathFactory(tenant=world.tenant)
    for _ in range(requirements):
        RequirementFactory(programme=programme)
    db.session.expire(programme, ["requirements"])
    return programme


def _quiz(world: World):
    return QuizFactory(tenant=world.tenant, questions=quizdata.canonical())


def _certificate(world: World):
    certificate = issued_certificate(world.tenant)
    return certificate, f"/certs/admin/certificates/{certificate.id}"


def attempt_grant(world):
    learner, enrolment, rid = enrolled_learner(world.tenant, settings={"max_attempts": 1})
    url = f"/certs/admin/enrolments/{enrolment.id}/requirements/{rid}/attempts"
    return Call(world.admin, url, {"extra_attempts": "2", "reason": "Paper test"}, learner)


def certificate_rerender(world):
    certificate, url = _certificate(world)
    return Call(world.admin, f"{url}/rerender", {}, certificate.user)


def certificate_revoke(world):
    certificate, url = _certificate(world)
    return Call(world.admin, f"{url}/revoke", {"reason": "Issued by mistake"}, certificate.user)


def certificates_rerender_stale(world):
    certificate, _ = _certificate(world)
    certificate.pdf_status, certificate.pdf_base_url = PdfStatus.READY, "http://old.example"
    return Call(world.admin, "/certs/admin/certificates/rerender-stale", {})


def programme_archive(world):
    programme = published_path(world.tenant)
    return Call(world.admin, f"/certs/admin/programs/{programme.id}/archive", {})


def programme_delete(world):
    return Call(world.admin, f"/certs/admin/programs/{_programme(world).id}/delete", {})


PROGRAMME_FORM = {
    "name": "Ladder safety",
    "slug": "ladder-safety",
    "level": "foundation",
    "renewal_window_days": "30",
    "recert_grace_days": "90",
    "self_enrolment": "y",
}


def programme_edit(world):
    url = f"/certs/admin/programs/{_programme(world).id}/edit"
    return Call(world.admin, url, {**PROGRAMME_FORM, "name": "Ladders, edited"})


def programme_enrol(world):
    programme, learner = published_path(world.tenant), UserFactory(tenant=world.tenant)
    url = f"/certs/admin/programs/{programme.id}/enrol"
    return Call(world.admin, url, {"user_ids": str(learner.id)}, learner)


def enrolment_cancel(world):
    enrolment = enrolment_in(world.tenant)
    url = f"/certs/admin/enrolments/{enrolment.id}/cancel"
    return Call(world.admin, url, {"reason": "Left the company"}, enrolment.user)


def requirement_record(world):
    enrolment = enrolment_in(world.tenant)
    rid = requirement_ids(enrolment)[0]
    url = f"/certs/admin/enrolments/{enrolment.id}/requirements/{rid}/record"
    return Call(world.admin, url, {"reason": "Observed on the job"}, enrolment.user)


def certificate_extend(world):
    certificate = issued_certificate(world.tenant, validity_days=30)
    until = (certificate.expires_at + timedelta(days=10)).date().isoformat()
    url = f"/certs/admin/certificates/{certificate.id}/grace-period"
    return Call(world.admin, url, {"until": until, "reason": "Course full"}, certificate.user)


def settings_logo(world):
    file = (io.BytesIO(image_bytes("PNG")), "logo.png")
    return Call(world.admin, "/certs/admin/settings/logo", {"logo": file}, multipart=True)


def settings_logo_remove(world):
    world.tenant.logo_key = "logos/earlier.png"
    return Call(world.admin, "/certs/admin/settings/logo/remove", {})


def _unit(world: World, **kwargs):
    return OrgUnitFactory(tenant=world.tenant, **kwargs)


def org_unit_new(world):
    return Call(world.admin, "/certs/admin/org-units/new", {"name": "North", "parent_id": ""})


def org_unit_rename(world):
    return Call(world.admin, f"/certs/admin/org-units/{_unit(world).id}/rename", {"name": "South"})


def org_unit_move(world):
    unit, parent = _unit(world), _unit(world)
    url = f"/certs/admin/org-units/{unit.id}/move"
    return Call(world.admin, url, {"parent_id": str(parent.id)})


def org_unit_mentor_add(world):
    url = f"/certs/admin/org-units/{_unit(world).id}/mentors"
    return Call(world.admin, url, {"mentor_id": str(world.mentor.id)}, world.mentor)


def org_unit_mentor_remove(world):
    unit = _unit(world)
    world.mentor.mentor_unit_id = unit.id
    url = f"/certs/admin/org-units/{unit.id}/mentors/{world.mentor.id}/remove"
    return Call(world.admin, url, {}, world.mentor)


def org_unit_delete(world):
    return Call(world.admin, f"/certs/admin/org-units/{_unit(world).id}/delete", {})


def programme_import(world):
    document = programme_files.export_programme(published_path(world.tenant))
    file = (io.BytesIO(json.dumps(document).encode()), "programme.json")
    data = {"file": file, "slug": "imported-copy", "name": "Imported copy"}
    return Call(world.admin, "/certs/admin/programs/import", data, multipart=True)


def programme_new(world):
    return Call(world.admin, "/certs/admin/programs/new", PROGRAMME_FORM)


def programme_publish(world):
    return Call(world.admin, f"/certs/admin/programs/{_programme(world).id}/publish", {})


def quiz_details(world):
    url = f"/certs/admin/quizzes/{_quiz(world).id}/details"
    return Call(world.admin, url, {"title": "Renamed", "description": "Now with a text."})


def quiz_new(world):
    return Call(world.admin, "/certs/admin/quizzes/new", {"title": "Fire drill"})


def quiz_publish(world):
    return Call(world.admin, f"/certs/admin/quizzes/{_quiz(world).id}/publish", {})


def quiz_question_correct(world):
    _, enrolment, rid = enrolled_learner(world.tenant)
    version = db.session.get(
        QuizVersion, orchestration.snapshot_requirement(enrolment, rid)["quiz_version_id"]
    )
    url = f"/certs/admin/quizzes/{version.quiz_id}/versions/{version.id}/questions/q4/correct"
    return Call(world.admin, url, {"accepted": "ZEBRA-ASSEMBLY-POINT\nzebra", "reason": "Both"})


def quiz_question_edit(world):
    url = f"/certs/admin/quizzes/{_quiz(world).id}/questions/q1/edit"
    return Call(world.admin, url, quizdata.FORM_DATA["single"])


def quiz_question_move(world):
    url = f"/certs/admin/quizzes/{_quiz(world).id}/questions/q1/move"
    return Call(world.admin, url, {"direction": "down"})


def quiz_question_new(world):
    url = f"/certs/admin/quizzes/{_quiz(world).id}/questions/new"
    return Call(world.admin, url, {"type": "true_false", **quizdata.FORM_DATA["true_false"]})


def quiz_question_remove(world):
    url = f"/certs/admin/quizzes/{_quiz(world).id}/questions/q2/remove"
    return Call(world.admin, url, {})


def quiz_settings(world):
    url = f"/certs/admin/quizzes/{_quiz(world).id}/settings"
    return Call(world.admin, url, {"time_limit_min": "5", "feedback": "score_only"})


def requirement_add(world):
    url = f"/certs/admin/programs/{_programme(world).id}/requirements"
    return Call(world.admin, url, {"kind": "content", "title": "Read this", "body": "Text."})


def _requirement_url(world, index: int = 0) -> str:
    programme = _programme(world)
    return f"/certs/admin/programs/{programme.id}/requirements/{programme.requirements[index].id}"


def requirement_edit(world):
    data = {"kind": "content", "title": "Read this, edited", "body": "Text.", "is_mandatory": "y"}
    return Call(world.admin, _requirement_url(world) + "/edit", data)


def requirement_move(world):
    return Call(world.admin, _requirement_url(world, 1) + "/move", {"direction": "up"})


def requirement_remove(world):
    return Call(world.admin, _requirement_url(world) + "/remove", {})


def settings(world):
    data = {"certificate_prefix": "ACME", "holder_name_display": "initials"}
    return Call(world.admin, "/certs/admin/settings", data)


def decide_submission(world):
    learner = UserFactory(tenant=world.tenant)
    enrolment, _ = paths.enrol(learner, evidence_path(world.tenant))
    rid = enrolment.program_snapshot["requirements"][0]["requirement_id"]
    submission = peer_validation.submit_evidence(
        enrolment, rid, learner, "Done on Monday.", None, [("report.txt", b"report")]
    )
    url = f"/certs/reviews/submissions/{submission.id}/decision"
    return Call(world.mentor, url, {"decision": "approved", "comment": "Good."}, learner)


def decide_evaluation(world):
    learner = UserFactory(tenant=world.tenant)
    enrolment, _ = paths.enrol(learner, peer_quiz_path(world.tenant))
    rid = enrolment.program_snapshot["requirements"][0]["requirement_id"]
    attempt = awaiting_evaluation(enrolment, rid)
    url = f"/certs/reviews/attempts/{attempt.id}/decision"
    return Call(world.mentor, url, {"decision": "rejected", "comment": "Guessed."}, learner)


def enrol(world):
    programme, learner = published_path(world.tenant), UserFactory(tenant=world.tenant)
    return Call(learner, f"/certs/programs/{programme.slug}/enrol", {}, learner)


def ask_for_attempts(world):
    learner, enrolment, rid = enrolled_learner(world.tenant, settings={"max_attempts": 1})
    attempt, _ = evaluation.start_attempt(learner, enrolment, rid)
    evaluation.submit_attempt(attempt, learner, quizdata.WRONG)
    url = f"/certs/quiz/enrolments/{enrolment.id}/requirements/{rid}/ask-for-attempts"
    return Call(learner, url, {}, learner)


def _holder(world):
    certificate = issued_certificate(world.tenant)
    return certificate.user, skills_portfolio.ensure_portfolio(certificate.user)


def portfolio_publish(world):
    holder, _ = _holder(world)
    return Call(holder, "/certs/portfolio/publish", {}, holder)


def portfolio_unpublish(world):
    holder, portfolio = _holder(world)
    skills_portfolio.publish(portfolio)
    return Call(holder, "/certs/portfolio/unpublish", {}, holder)


def portfolio_visibility(world):
    holder, portfolio = _holder(world)
    item_ids = [str(item.id) for item in portfolio.items]
    return Call(holder, "/certs/portfolio/items/visibility", {"public": item_ids}, holder)


PERSON_FORM = {"full_name": "Dana Example", "email": "dana@example.test", "role": "learner"}


def person_new(world):
    data = {**PERSON_FORM, "send_invitation": "y"}  # one event: added and invited
    return Call(world.admin, "/certs/admin/people/new", data)


def _person(world, **kwargs):
    return UserFactory(tenant=world.tenant, **kwargs)


def person_edit(world):
    person = _person(world, email="lee@example.test")
    data = {**PERSON_FORM, "email": person.email, "role": "mentor"}  # name and role: one event
    return Call(world.admin, f"/certs/admin/people/{person.id}/edit", data, person)


def person_invite(world):
    person = _person(world)
    person.clear_password()
    return Call(world.admin, f"/certs/admin/people/{person.id}/invite", {}, person)


def person_deactivate(world):
    person = _person(world)
    return Call(world.admin, f"/certs/admin/people/{person.id}/deactivate", {}, person)


def person_reactivate(world):
    person = _person(world, active=False)
    return Call(world.admin, f"/certs/admin/people/{person.id}/reactivate", {}, person)


def person_delete(world):
    person = _person(world)  # no history: may be deleted
    return Call(world.admin, f"/certs/admin/people/{person.id}/delete", {})


def people_import_confirm(world):
    text = "email,name,org unit\ndana@example.test,Dana,North\nlee@example.test,Lee,\n"
    plan = people.plan_import(world.tenant, world.admin, text, create_units=True, invite=True)
    seal = people.seal_preview(plan, text, world.tenant, world.admin)
    url = "/certs/admin/people/import/confirm"
    return Call(world.admin, url, {"text": text, "seal": seal}, multipart=True)


def _set_password(world, purpose):
    person = _person(world)
    token = account_links.make_token(person, purpose)
    data = {"password": "a perfectly long password", "confirm": "a perfectly long password"}
    page = "invitation" if purpose is account_links.LinkPurpose.INVITE else "reset"
    return Call(person, f"/auth/{page}/{token}", data, person)


def accept_invitation(world):
    return _set_password(world, account_links.LinkPurpose.INVITE)


def reset_password(world):
    return _set_password(world, account_links.LinkPurpose.RESET)


DRIVERS: dict[str, Callable[[World], Call]] = {
    "admin.person_new": person_new,
    "admin.person_edit": person_edit,
    "admin.person_invite": person_invite,
    "admin.person_deactivate": person_deactivate,
    "admin.person_reactivate": person_reactivate,
    "admin.person_delete": person_delete,
    "admin.people_import_confirm": people_import_confirm,
    "auth.accept_invitation": accept_invitation,
    "auth.reset_password": reset_password,
    "admin.attempt_grant": attempt_grant,
    "admin.certificate_rerender": certificate_rerender,
    "admin.certificate_revoke": certificate_revoke,
    "admin.certificates_rerender_stale": certificates_rerender_stale,
    "admin.programme_archive": programme_archive,
    "admin.programme_delete": programme_delete,
    "admin.programme_edit": programme_edit,
    "admin.programme_enrol": programme_enrol,
    "admin.org_unit_new": org_unit_new,
    "admin.settings_logo": settings_logo,
    "admin.settings_logo_remove": settings_logo_remove,
    "admin.enrolment_cancel": enrolment_cancel,
    "admin.requirement_record": requirement_record,
    "admin.certificate_extend": certificate_extend,
    "admin.org_unit_rename": org_unit_rename,
    "admin.org_unit_move": org_unit_move,
    "admin.org_unit_mentor_add": org_unit_mentor_add,
    "admin.org_unit_mentor_remove": org_unit_mentor_remove,
    "admin.org_unit_delete": org_unit_delete,
    "admin.programme_import": programme_import,
    "admin.programme_new": programme_new,
    "admin.programme_publish": programme_publish,
    "admin.quiz_details": quiz_details,
    "admin.quiz_new": quiz_new,
    "admin.quiz_publish": quiz_publish,
    "admin.quiz_question_correct": quiz_question_correct,
    "admin.quiz_question_edit": quiz_question_edit,
    "admin.quiz_question_move": quiz_question_move,
    "admin.quiz_question_new": quiz_question_new,
    "admin.quiz_question_remove": quiz_question_remove,
    "admin.quiz_settings": quiz_settings,
    "admin.requirement_add": requirement_add,
    "admin.requirement_edit": requirement_edit,
    "admin.requirement_move": requirement_move,
    "admin.requirement_remove": requirement_remove,
    "admin.settings": settings,
    "peer_review.decide_submission": decide_submission,
    "peer_review.decide_evaluation": decide_evaluation,
    "programmes.enrol": enrol,
    "quiz.ask_for_attempts": ask_for_attempts,
    "portfolio.publish": portfolio_publish,
    "portfolio.unpublish": portfolio_unpublish,
    "portfolio.visibility": portfolio_visibility,
}


def test_every_post_route_is_driven_or_excused(app):
    posting = {r.endpoint for r in app.url_map.iter_rules() if "POST" in r.methods}
    assert posting - set(DRIVERS) - set(NO_EVENT) == set(), "add a driver or an excuse"
    assert set(DRIVERS) & set(NO_EVENT) == set()
    assert (set(DRIVERS) | set(NO_EVENT)) - posting == set(), "a listed route is gone"


def test_every_admin_and_mentor_post_route_is_driven(app):
    """Only learners' own work may go without an event: no admin or mentor route is excused,
    but a preview whose confirmation is driven."""
    excused = [e for e in NO_EVENT if e.startswith(("admin.", "peer_review.decide"))]
    assert [e for e in excused if PREVIEWS.get(e) not in DRIVERS] == []


@pytest.fixture
def world(app):
    app.config["REDIS_URL"] = None  # jobs (PDFs, regrades) run in-process after the request
    tenant = TenantFactory()
    return World(
        tenant=tenant,
        admin=UserFactory(tenant=tenant, role=Role.ADMIN),
        mentor=UserFactory(tenant=tenant, role=Role.MENTOR),
    )


@pytest.mark.parametrize("endpoint", sorted(DRIVERS))
def test_each_state_change_writes_exactly_one_event(client, login, world, endpoint):
    call = DRIVERS[endpoint](world)
    db.session.flush()
    actor_id = call.actor.id
    login(call.actor)

    def events_by_actor() -> list[AuditEvent]:
        return list(
            db.session.scalars(
                sa.select(AuditEvent).where(AuditEvent.actor_id == actor_id).order_by(AuditEvent.id)
            )
        )

    before = {e.id for e in events_by_actor()}
    response = client.post(
        call.url,
        data=call.data,
        content_type="multipart/form-data" if call.multipart else None,
    )
    assert response.status_code < 400 and response.status_code != 422, (
        endpoint,
        response.status_code,
        response.get_data(as_text=True)[:800],
    )
    new = [e for e in events_by_actor() if e.id not in before]
    assert len(new) == 1, (endpoint, [e.action for e in new])
    (event,) = new
    assert event.tenant_id == world.tenant.id
    assert event.action in audit_log.ACTION_LABELS, event.action
    if call.subject is not None:
        assert event.subject_user_id == call.subject.id, (endpoint, event.action)
