"""The demo's history: every learner's story played in time order under a frozen clock,
with the daily expiry job run on each day it has something to do."""

from __future__ import annotations

import heapq
import io
from datetime import UTC, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from webapp import clock
from webapp.clock import FrozenClock
from webapp.extensions import db
from webapp.models import (
    Certificate,
    CertificateStatus,
    CertificationPath,
    Decision,
    Enrolment,
    EvidenceSubmission,
    OrgUnit,
    QuizVersion,
    Tenant,
    User,
)
from webapp.services import automated_evaluation as evaluation
from webapp.services import certificates as certs
from webapp.services import certification_path_management as paths
from webapp.services import (
    notifications,
    orchestration,
    peer_validation,
    recertification,
    skills_portfolio,
)
from webapp.services.demo.content import (
    ALMOST,
    CORRECTED_KEY,
    CORRECTION_REASON,
    POOR,
    REVOCATION_REASON,
    RIGHT,
    Story,
)
from webapp.services.demo.definitions import Definitions


def _requirement_id(enrolment: Enrolment, kind: str) -> int:
    return next(
        r["requirement_id"] for r in enrolment.program_snapshot["requirements"] if r["kind"] == kind
    )


def _next_daily_run(moment: datetime) -> datetime:
    """The daily job runs at 02:00 UTC: the first run at or after `moment`."""
    run = datetime.combine(moment.astimezone(UTC).date(), time(2, 0), tzinfo=UTC)
    return run if run >= moment else run + timedelta(days=1)


def _document_pdf(title: str, lines: list[str]) -> bytes:
    """A one-page PDF with a title and lines of text (the learners' uploaded evidence)."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1)
    canvas.setTitle(title)
    canvas.setFont("Helvetica-Bold", 16)
    canvas.drawString(72, 770, title)
    canvas.setFont("Helvetica", 11)
    for index, line in enumerate(lines):
        canvas.drawString(72, 740 - 18 * index, line)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


class DemoBuilder(Definitions):
    """Creates the tenants and definitions, then plays the stories in time order."""

    def __init__(self, today: datetime) -> None:
        self.today = today
        self.clock = FrozenClock(today)
        self.tenants: dict[str, Tenant] = {}
        self.units: dict[str, OrgUnit] = {}
        self.users: dict[str, User] = {}
        self.programmes: dict[str, CertificationPath] = {}
        self.questions: dict[str, dict[str, Any]] = {}
        self.quiz_version: QuizVersion | None = None
        self.expiry_runs = 0
        self._ran_until: datetime | None = None

    # Moments -----------------------------------------------------------------------------

    def day(self, days_ago: int, hour: int = 9, minute: int = 0) -> datetime:
        """A time of day `days_ago` (at least 1) days before today."""
        if days_ago < 1:
            raise ValueError("use ago() for moments of today")
        date = self.today.astimezone(UTC).date() - timedelta(days=days_ago)
        return datetime.combine(date, time(hour, minute), tzinfo=UTC)

    def ago(self, **delta: float) -> datetime:
        return self.today - timedelta(**delta)

    # The play ----------------------------------------------------------------------------

    def build(self) -> None:
        self.clock.set(self.day(430))
        self._create_tenants_and_users()
        self._create_acme_programmes()
        self._create_globex_programme()
        self._play(
            [
                self._lee(),
                self._robin(),
                self._sam(),
                self._kim(),
                self._pat(),
                self._drew(),
                self._key_correction(),
                self._gus(),
                self._everyone_reads_their_notifications(),
            ]
        )
        db.session.flush()

    def _play(self, stories: list[Story]) -> None:
        """Run the stories interleaved in time order: each yields the moment its next step
        happens; the daily expiry job catches up before every step."""
        queue: list[tuple[datetime, int, Story]] = []
        for order, story in enumerate(stories):
            self._schedule(queue, order, story, None)
        while queue:
            moment, order, story = heapq.heappop(queue)
            self._run_daily_job_until(moment)
            self.clock.set(moment)
            self._schedule(queue, order, story, moment)
        self._run_daily_job_until(self.today)
        self.clock.set(self.today)

    def _schedule(self, queue: list, order: int, story: Story, after: datetime | None) -> None:
        try:
            moment = next(story)
        except StopIteration:
            return
        if moment > self.today or (after is not None and moment < after):
            raise ValueError(f"demo story step out of time order: {moment.isoformat()}")
        heapq.heappush(queue, (moment, order, story))

    def _run_daily_job_until(self, moment: datetime) -> None:
        """Run the daily expiry job at each 02:00 up to `moment` on which a demo certificate
        reaches a renewal window, a reminder offset or its expiry (on the other days it would
        change nothing of the demo)."""
        while True:
            due = [
                run
                for run in self._daily_job_days()
                if run <= moment and (self._ran_until is None or run > self._ran_until)
            ]
            if not due:
                break
            run = min(due)
            self.clock.set(run)
            recertification.run_expiry(run, [t.id for t in self.tenants.values()])
            self.expiry_runs += 1
            self._ran_until = run
        self._ran_until = moment

    def _daily_job_days(self) -> set[datetime]:
        offsets = current_app.config["CERT_REMINDER_OFFSETS_DAYS"]
        rows = db.session.execute(
            sa.select(Certificate.expires_at, CertificationPath.renewal_window_days)
            .join(CertificationPath, CertificationPath.id == Certificate.path_id)
            .where(
                Certificate.tenant_id.in_([t.id for t in self.tenants.values()]),
                Certificate.status == CertificateStatus.ACTIVE,
                Certificate.expires_at.is_not(None),
            )
        ).all()
        days = set()
        for expires_at, window in rows:
            for before in (window, *offsets, 0):
                threshold = expires_at - timedelta(days=before)
                if threshold <= self.today:
                    days.add(min(_next_daily_run(threshold), self.today))
        return days

    # Steps (sub-stories: `yield from`) -----------------------------------------------------

    def _read(self, enrolment: Enrolment) -> None:
        orchestration.mark_content_complete(enrolment, _requirement_id(enrolment, "content"))

    def _take_quiz(self, learner: User, enrolment: Enrolment, answers: dict[str, Any]) -> Story:
        """Start an attempt now, answer and submit it twelve minutes later."""
        attempt, _ = evaluation.start_attempt(
            learner, enrolment, _requirement_id(enrolment, "quiz")
        )
        yield clock.now() + timedelta(minutes=12)
        evaluation.submit_attempt(attempt, learner, self._form_answers(answers))
        return attempt

    def _form_answers(self, answers: dict[str, Any]) -> dict[str, Any]:
        """Answers (by SAFETY_QUESTIONS id) as the attempt form sends them: option ids, strings."""
        form: dict[str, Any] = {}
        for key, answer in answers.items():
            question = self.questions[key]
            ids = {o["text"]: o["id"] for o in question.get("options") or []}
            if question["type"] == "single":
                form[question["id"]] = ids[answer]
            elif question["type"] == "multiple":
                form[question["id"]] = [ids[text] for text in answer]
            elif question["type"] == "true_false":
                form[question["id"]] = "true" if answer else "false"
            else:
                form[question["id"]] = answer
        return form

    def _submit_evidence(
        self, learner: User, enrolment: Enrolment, title: str, note: str
    ) -> EvidenceSubmission:
        site = learner.org_unit.name if learner.org_unit else learner.tenant.name
        when = clock.now().strftime("%d %b %Y")
        document = _document_pdf(
            title,
            [f"Inspector: {learner.full_name}", f"Site: {site}", f"Date: {when}", note],
        )
        file_name = title.lower().replace(" ", "-") + ".pdf"
        return peer_validation.submit_evidence(
            enrolment,
            _requirement_id(enrolment, "evidence"),
            learner,
            f"{title}, {site}, {when}. {note}",
            None,
            [(file_name, document)],
        )

    def _review(self, submission: EvidenceSubmission, decision: Decision, comment: str) -> None:
        peer_validation.decide(submission, self.users["mentor@acme.test"], decision, comment)

    def _earn_fundamentals(self, email: str, enrolment: Enrolment | None = None) -> Story:
        """Enrol (unless a renewal enrolment is given), read the handbook, pass the quiz and
        submit the inspection report; the mentor approves it the next day: the certificate is
        issued then, 29 hours after the start. Returns it."""
        learner = self.users[email]
        start = clock.now()
        if enrolment is None:
            enrolment, _ = paths.self_enrol(learner, self.programmes["safety-fundamentals"])
        yield start + timedelta(minutes=20)
        self._read(enrolment)
        yield start + timedelta(hours=1)
        yield from self._take_quiz(learner, enrolment, RIGHT)
        yield start + timedelta(hours=3)
        submission = self._submit_evidence(
            learner,
            enrolment,
            "Workplace inspection report",
            "All checklist items checked; one blocked fire exit found and cleared.",
        )
        yield start + timedelta(days=1, hours=5)
        self._review(submission, Decision.APPROVED, "Complete and signed. Well done.")
        return certs.certificate_of(enrolment.id)

    def _renewal_of(self, enrolment: Enrolment) -> Enrolment:
        renewal = db.session.scalar(
            sa.select(Enrolment).where(Enrolment.renewal_of_enrolment_id == enrolment.id)
        )
        if renewal is None:
            raise RuntimeError("the daily expiry job should have opened a renewal enrolment")
        return renewal

    # The stories -------------------------------------------------------------------------

    def _lee(self) -> Story:
        """Active certificate, published portfolio; the specialty programme half way, its
        evidence waiting for the mentor."""
        yield self.day(101)
        certificate = yield from self._earn_fundamentals("learner@acme.test")
        lee = self.users["learner@acme.test"]
        yield self.day(99, 18)
        portfolio = skills_portfolio.ensure_portfolio(lee)
        skills_portfolio.update_details(
            portfolio, "Lee's safety portfolio", "Certificates and work from the North Site."
        )
        item = skills_portfolio.add_certificate(certificate)
        skills_portfolio.set_public_items(portfolio, {item.id})
        skills_portfolio.publish(portfolio)
        yield self.day(3, 10)
        specialty, _ = paths.self_enrol(lee, self.programmes["confined-space-entry"])
        yield self.day(2, 15)
        self._read(specialty)
        yield self.day(1, 11)
        self._submit_evidence(
            lee,
            specialty,
            "Supervised entry log",
            "Entry into tank T-4 with gas test, standby person and signed permit.",
        )

    def _robin(self) -> Story:
        """Certified 345 days ago: expires in 20 days; the renewal opened 10 days ago."""
        yield self.day(346)
        yield from self._earn_fundamentals("learner2@acme.test")

    def _sam(self) -> Story:
        """Certified 380 days ago: expired 15 days ago; the renewal is open, handbook read."""
        yield self.day(381)
        certificate = yield from self._earn_fundamentals("learner3@acme.test")
        yield self.day(40, 8)
        self._read(self._renewal_of(certificate.enrolment))

    def _kim(self) -> Story:
        """Certified, then revoked with a reason; enrolled again and failed the quiz an hour
        ago: the cooldown runs until tomorrow."""
        yield self.day(201)
        certificate = yield from self._earn_fundamentals("learner4@acme.test")
        yield self.day(60, 16)
        certs.revoke_certificate(certificate, self.users["admin@acme.test"], REVOCATION_REASON)
        kim = self.users["learner4@acme.test"]
        yield self.day(1, 9)
        enrolment, _ = paths.self_enrol(kim, self.programmes["safety-fundamentals"])
        yield self.day(1, 9, 30)
        self._read(enrolment)
        yield self.ago(hours=1)
        yield from self._take_quiz(kim, enrolment, POOR)

    def _pat(self) -> Story:
        """Certified 390 days ago, renewed inside the window 49 days ago: the new certificate
        renews the old one, which expired 25 days ago."""
        yield self.day(391)
        certificate = yield from self._earn_fundamentals("learner5@acme.test")
        yield self.day(50)
        renewal = self._renewal_of(certificate.enrolment)
        yield from self._earn_fundamentals("learner5@acme.test", renewal)

    def _drew(self) -> Story:
        """Failed the quiz on a key that was too strict (passed by the regrade); the first
        inspection report was rejected, the second waits for the mentor."""
        drew = self.users["learner6@acme.test"]
        yield self.day(30)
        enrolment, _ = paths.self_enrol(drew, self.programmes["safety-fundamentals"])
        yield self.day(30, 9, 30)
        self._read(enrolment)
        yield self.day(29, 10)
        yield from self._take_quiz(drew, enrolment, ALMOST)
        yield self.day(12, 16)
        first = self._submit_evidence(
            drew, enrolment, "Workplace inspection report", "Checklist pages 1 and 2."
        )
        yield self.day(10, 10)
        self._review(
            first,
            Decision.REJECTED,
            "The fire-exit section of the checklist is missing; complete it and upload the "
            "whole report again.",
        )
        yield self.day(2, 17)
        self._submit_evidence(
            drew,
            enrolment,
            "Workplace inspection report",
            "Complete checklist including the fire exits; all clear.",
        )

    def _key_correction(self) -> Story:
        """The admin corrects a published key; the regrade batch runs a minute later."""
        yield self.day(21, 11)
        batch = evaluation.correct_question(
            self.quiz_version,
            self.users["admin@acme.test"],
            self.questions["q4"]["id"],
            {"accepted": CORRECTED_KEY},
            CORRECTION_REASON,
        )
        yield self.day(21, 11, 1)
        # What the regrade_batch job does, without its commits (it finds the batch done later).
        running = evaluation.begin_regrade(batch.id)
        last: int | None = 0
        while running is not None and last is not None:
            last = evaluation.regrade_chunk(running, last)
        evaluation.finish_regrade(batch.id)

    def _gus(self) -> Story:
        """Globex: onboarding completed 62 days ago; the certificate never expires."""
        yield self.day(62, 10)
        enrolment, _ = paths.self_enrol(
            self.users["learner@globex.test"], self.programmes["globex-onboarding"]
        )
        yield self.day(62, 10, 40)
        self._read(enrolment)

    def _everyone_reads_their_notifications(self) -> Story:
        """A week ago everyone read what they had; what came since is unread."""
        yield self.day(7, 8)
        for user in self.users.values():
            notifications.mark_read(user)
