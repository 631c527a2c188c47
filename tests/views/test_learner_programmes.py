"""Learners: catalogue, programme page, enrolment, content requirements, dashboard."""

import pytest

from tests.factories import OrgUnitFactory, TenantFactory, UserFactory, published_path
from webapp import clock
from webapp.extensions import db
from webapp.models import Certificate, Enrolment, EnrolmentStatus, Level, ProgressStatus
from webapp.services import certification_path_management as paths


@pytest.fixture
def tenant(app):
    return TenantFactory()


@pytest.fixture
def learner(tenant):
    return UserFactory(tenant=tenant)


def certify(user, programme):
    enrolment, _ = paths.enrol(user, programme)
    enrolment.status = EnrolmentStatus.CERTIFIED
    db.session.add(
        Certificate(
            tenant_id=user.tenant_id,
            enrolment_id=enrolment.id,
            user_id=user.id,
            path_id=programme.id,
            path_version="1.0",
            number=f"CERT-2026-{enrolment.id:05d}",
            issued_at=clock.now(),
            public_token=f"token-{enrolment.id:032d}",
        )
    )
    db.session.flush()


def test_catalogue_shows_level_count_validity_and_prerequisites(client, login, tenant, learner):
    basics = published_path(tenant, name="Basics", requirements=2, validity_days=365)
    special = published_path(tenant, name="Special", level=Level.ADVANCED)
    special.prerequisites = [basics]
    published_path(tenant, name="Hidden draft")
    db.session.flush()
    login(learner)
    html = client.get("/certs/programs/").get_data(as_text=True)
    assert "Basics" in html and "2 requirements" in html and "valid 365 days" in html
    assert "Requires: Basics" in html and "not met yet" in html
    certify(learner, basics)
    html = client.get("/certs/programs/").get_data(as_text=True)
    assert "not met yet" not in html
    html = client.get("/certs/programs/?level=advanced").get_data(as_text=True)
    assert "Special" in html and ">Basics<" not in html
    html = client.get("/certs/programs/?q=spec").get_data(as_text=True)
    assert "Special" in html and ">Basics<" not in html


def test_org_unit_scope_limits_what_learners_see(client, login, tenant):
    north = OrgUnitFactory(tenant=tenant)
    south = OrgUnitFactory(tenant=tenant)
    published_path(tenant, name="North Only", org_unit_id=north.id, slug="north-only")
    login(UserFactory(tenant=tenant, org_unit_id=south.id))
    assert "North Only" not in client.get("/certs/programs/").get_data(as_text=True)
    assert client.get("/certs/programs/north-only").status_code == 404
    client.post("/auth/logout")
    login(UserFactory(tenant=tenant, org_unit_id=north.id))
    assert "North Only" in client.get("/certs/programs/").get_data(as_text=True)


def test_enrol_from_the_detail_page_then_see_progress(client, login, tenant, learner):
    programme = published_path(tenant, requirements=2, slug="basics")
    login(learner)
    page = client.get("/certs/programs/basics").get_data(as_text=True)
    assert ">Enrol</button>" in page
    response = client.post("/certs/programs/basics/enrol")
    assert response.status_code == 303
    page = client.get("/certs/programs/basics").get_data(as_text=True)
    assert "0 of 2 requirements met" in page and ">Enrol</button>" not in page
    # A double click creates nothing twice.
    client.post("/certs/programs/basics/enrol")
    assert (
        len(db.session.scalars(db.select(Enrolment).where(Enrolment.path_id == programme.id)).all())
        == 1
    )


def test_reasons_instead_of_the_enrol_button(client, login, tenant, learner):
    basics = published_path(tenant, name="Basics", slug="basics")
    special = published_path(tenant, name="Special", slug="special", self_enrolment=False)
    special.prerequisites = [basics]
    db.session.flush()
    login(learner)
    page = client.get("/certs/programs/special").get_data(as_text=True)
    assert "arranged by your administrator" in page
    assert "requires an active certificate of: Basics" in page
    assert ">Enrol</button>" not in page
    assert client.post("/certs/programs/special/enrol").status_code == 303
    assert paths.open_enrolment(learner, special) is None


def test_content_requirement_is_read_and_marked_complete(client, login, tenant, learner):
    programme = published_path(tenant, requirements=2, slug="basics")
    enrolment, _ = paths.enrol(learner, programme)
    first = enrolment.program_snapshot["requirements"][0]["requirement_id"]
    login(learner)
    page = client.get(f"/certs/programs/basics/requirements/{first}").get_data(as_text=True)
    assert "Read this." in page and "Mark as complete" in page
    client.post(f"/certs/programs/basics/requirements/{first}/complete")
    db.session.expire_all()
    row = next(r for r in enrolment.progress if r.requirement_id == first)
    assert row.status is ProgressStatus.MET
    page = client.get("/certs/programs/basics").get_data(as_text=True)
    assert "1 of 2 requirements met" in page
    dashboard = client.get("/certs").get_data(as_text=True)
    assert "1 of 2 requirements met" in dashboard


def test_another_learners_requirement_page_is_404(client, login, tenant, learner):
    programme = published_path(tenant, slug="basics")
    enrolment, _ = paths.enrol(learner, programme)
    first = enrolment.program_snapshot["requirements"][0]["requirement_id"]
    login(UserFactory(tenant=tenant))
    assert client.get(f"/certs/programs/basics/requirements/{first}").status_code == 404
    assert client.post(f"/certs/programs/basics/requirements/{first}/complete").status_code == 404


def test_dashboard_lists_enrolments_with_progress_and_next_step(client, login, tenant, learner):
    programme = published_path(tenant, requirements=2, name="Basics")
    paths.enrol(learner, programme)
    login(learner)
    html = client.get("/certs").get_data(as_text=True)
    assert "Basics" in html and "0 of 2 requirements met" in html and "Next step:" in html


@pytest.mark.parametrize("url", ["/certs", "/certs/programs/"])
def test_pages_run_a_constant_number_of_queries(client, login, tenant, learner, count_queries, url):
    login(learner)

    def queries_for(n):
        for _ in range(n):
            programme = published_path(tenant, requirements=2)
            paths.enrol(learner, programme)
        db.session.flush()
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    assert queries_for(3) == queries_for(27)
