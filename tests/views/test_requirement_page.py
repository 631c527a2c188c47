"""The requirement page has one owner (webapp.requirement_page): the programme page and the
evidence panel rendered alone share its context, and the header's badge counts are only
computed for full pages."""

import pytest

from tests.factories import TenantFactory, UserFactory, evidence_path
from tests.htmx import htmx
from webapp.models import Role
from webapp.services import certification_path_management as paths
from webapp.services import navigation


@pytest.fixture
def learner_enrolment(app):
    tenant = TenantFactory()
    learner = UserFactory(tenant=tenant)
    enrolment, _ = paths.enrol(learner, evidence_path(tenant, slug="ladders"))
    requirement_id = enrolment.program_snapshot["requirements"][0]["requirement_id"]
    return learner, enrolment, requirement_id


def test_a_refused_submission_re_renders_the_panel_with_the_page_context(
    client, login, learner_enrolment
):
    learner, enrolment, requirement_id = learner_enrolment
    login(learner)
    url = f"/certs/programs/ladders/requirements/{requirement_id}"
    page = client.get(url).get_data(as_text=True)
    panel = client.post(
        f"{url}/evidence",
        data={"text": "x" * 10_001},
        headers=htmx("evidence"),
    )
    assert panel.status_code == 422
    html = panel.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="evidence"')
    assert "Submit your evidence" in page and "Submit your evidence" in html
    assert 'class="field-error"' in html


def test_badge_counts_are_computed_for_full_pages_only(
    client, login, learner_enrolment, monkeypatch
):
    learner, _, requirement_id = learner_enrolment
    mentor = UserFactory(tenant_id=learner.tenant_id, role=Role.MENTOR)
    login(mentor)
    calls = []
    original = navigation.counts
    monkeypatch.setattr(navigation, "counts", lambda user: calls.append(user) or original(user))
    client.get("/certs/reviews/", headers=htmx("review-queue"))
    assert calls == []
    client.get("/certs/reviews/")
    assert len(calls) == 1
