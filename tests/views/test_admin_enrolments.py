"""A programme's enrolments page: the list (filters in place with htmx, sorting, pages in a
constant number of queries), the CSV export of the same rows, bulk enrolment with its report
(in place with htmx, the list reloading itself), and the links to pages other parts add."""

import csv
import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.factories import (
    OrgUnitFactory,
    PathFactory,
    UserFactory,
    enrolment_with,
    published_path,
    unit_at,
)
from tests.htmx import htmx
from webapp.extensions import db
from webapp.models import AuditEvent, Enrolment, Role
from webapp.templating import init_templating

LIST = htmx("enrolment-list")
ENROL = htmx("enrol-people")


@pytest.fixture
def admin(app):
    return UserFactory(role=Role.ADMIN)


@pytest.fixture
def tenant(admin):
    return admin.tenant


@pytest.fixture
def admin_client(client, login, admin):
    login(admin)
    return client


@pytest.fixture
def programme(tenant):
    return published_path(tenant, name="Forklift Basics", requirements=2)


def url(programme, suffix: str = "") -> str:
    return f"/certs/admin/programs/{programme.id}/enrolments{suffix}"


def enrol_url(programme) -> str:
    return f"/certs/admin/programs/{programme.id}/enrol"


def text(response) -> str:
    return response.get_data(as_text=True)


def listed(response) -> str:
    """The list section of the page (the enrol form below it names people too)."""
    html = text(response)
    start = html.index('<section id="enrolment-list"')
    return html[start : html.index("</section>", start)]


def test_the_programme_page_links_the_enrolments(admin_client, programme):
    page = text(admin_client.get(f"/certs/admin/programs/{programme.id}"))
    assert f'href="{url(programme)}"' in page
    assert f'href="{url(programme)}#enrol-people"' in page


def test_the_list_shows_progress_dates_version_and_unit(admin_client, tenant, programme):
    yard = unit_at(tenant, "Operations/Yard")
    learner = UserFactory(tenant=tenant, full_name="Lee Learner", org_unit_id=yard.id)
    enrolment_with(programme, learner, met=1)
    page = text(admin_client.get(url(programme)))
    assert "<h1>Enrolments in “Forklift Basics”</h1>" in page
    assert f'<th scope="row"><a href="/certs/admin/people/{learner.id}">Lee Learner</a>' in page
    assert '50% <span class="muted">(1 of 2)</span>' in page
    assert "<td>Yard</td>" in page and "<td>1.0</td>" in page
    assert "<caption" in page and 'aria-sort="descending"' in page  # started, latest first
    assert f'href="{url(programme, ".csv")}"' in page


def test_filters_answer_the_list_fragment_for_htmx(admin_client, tenant, programme):
    north = unit_at(tenant, "North")
    enrolment_with(
        programme, UserFactory(tenant=tenant, full_name="In North", org_unit_id=north.id)
    )
    enrolment_with(programme, UserFactory(tenant=tenant, full_name="Elsewhere"))
    fragment = text(admin_client.get(url(programme, f"?unit={north.id}"), headers=LIST))
    assert fragment.lstrip().startswith('<section id="enrolment-list"')
    assert "In North" in fragment and "Elsewhere" not in fragment
    assert f'href="{url(programme, ".csv")}?unit={north.id}"' in fragment
    page = admin_client.get(url(programme, f"?unit={north.id}"))
    assert f'<option value="{north.id}" selected>North</option>' in text(page)
    assert "In North" in listed(page) and "Elsewhere" not in listed(page)
    # A boosted navigation or a history restore gets the whole page.
    boosted = admin_client.get(url(programme), headers=htmx("enrolment-list", HX_Boosted="true"))
    assert "<h1>" in text(boosted)
    assert admin_client.get(url(programme, f"?unit={OrgUnitFactory().id}")).status_code == 404


def test_sorting_links_and_pages(app, admin_client, tenant, programme, count_queries):
    app.config["PAGE_SIZE"] = 2
    for name in ("Cy", "ann", "Bea"):
        enrolment_with(programme, UserFactory(tenant=tenant, full_name=name))
    page = listed(admin_client.get(url(programme, "?sort=learner")))
    assert page.index("ann") < page.index("Bea") and "Cy" not in page
    assert 'aria-sort="ascending"' in page
    assert f'href="{url(programme)}?sort=-learner"' in page  # the header sorts the other way
    assert "Page 1 of 2" in page
    assert f'href="{url(programme)}?page=2&amp;sort=learner"' in page
    second = listed(admin_client.get(url(programme, "?sort=learner&page=2")))
    assert "Cy" in second and "ann" not in second

    def queries(people: int) -> int:
        app.config["PAGE_SIZE"] = 50
        for _ in range(people):
            enrolment_with(programme, UserFactory(tenant=tenant), met=1)
        with count_queries() as counter:
            assert admin_client.get(url(programme)).status_code == 200
        return counter.count

    assert queries(1) == queries(25)


def test_csv_export_streams_the_filtered_rows_formula_safe(admin_client, tenant, programme):
    evil = UserFactory(tenant=tenant, full_name="=cmd|' /C calc'!A0")
    enrolment_with(programme, evil, met=2)
    enrolment_with(programme, UserFactory(tenant=tenant, full_name="Still Going"))
    response = admin_client.get(url(programme, ".csv?status=certified"))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename={programme.slug}-enrolments.csv"
    )
    rows = list(csv.reader(io.StringIO(text(response))))
    assert len(rows) == 2 and rows[1][1] == "'=cmd|' /C calc'!A0"
    assert rows[1][5] == "100"


def test_bulk_enrolment_in_place_reports_and_reloads_the_list(admin_client, tenant, programme):
    unit = unit_at(tenant, "Operations")
    member = UserFactory(tenant=tenant, full_name="Member", org_unit_id=unit.id)
    picked = UserFactory(tenant=tenant, full_name="Picked")
    listed = UserFactory(tenant=tenant, full_name="Listed", email="listed@x.test")
    response = admin_client.post(
        enrol_url(programme),
        data={
            "user_ids": [str(picked.id)],
            "org_unit_id": str(unit.id),
            "emails": "listed@x.test; nobody@x.test",
        },
        headers=ENROL,
    )
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "enrolments-changed"
    html = text(response)
    assert html.lstrip().startswith('<section id="enrol-people"')
    assert "3 enrolled now, 0 already enrolled, 0 not eligible, 0 inactive" in html
    assert "1 unknown e-mail address." in html and "nobody@x.test" in html
    assert all(p.full_name in html for p in (member, picked, listed))
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Enrolment.id)).where(Enrolment.path_id == programme.id)
        )
        == 3
    )
    subjects = db.session.scalars(
        sa.select(AuditEvent.subject_user_id).where(AuditEvent.action == "enrolment.created")
    ).all()
    assert set(subjects) == {member.id, picked.id, listed.id}


def test_bulk_enrolment_without_javascript_shows_the_whole_page(admin_client, tenant, programme):
    learner = UserFactory(tenant=tenant, full_name="Lee Learner")
    enrolment_with(programme, learner)
    response = admin_client.post(enrol_url(programme), data={"user_ids": [str(learner.id)]})
    assert response.status_code == 200
    html = text(response)
    assert "<h1>" in html and "0 enrolled now, 1 already enrolled" in html
    assert "<h3>Already enrolled</h3>" in html


def test_an_uploaded_list_of_addresses(admin_client, tenant, programme):
    learner = UserFactory(tenant=tenant, email="file@x.test")
    response = admin_client.post(
        enrol_url(programme),
        data={"email_file": (io.BytesIO(b"FILE@x.test\r\nghost@x.test\r\n"), "people.csv")},
        content_type="multipart/form-data",
        headers=ENROL,
    )
    assert "1 enrolled now" in text(response) and "ghost@x.test" in text(response)
    assert db.session.scalar(sa.select(Enrolment).where(Enrolment.user_id == learner.id))
    binary = admin_client.post(
        enrol_url(programme),
        data={"email_file": (io.BytesIO(b"\x00\x01\x02"), "people.txt")},
        content_type="multipart/form-data",
        headers=ENROL,
    )
    assert binary.status_code == 422 and "Upload a text file" in text(binary)


def test_refused_enrolments_keep_the_input(admin_client, tenant, programme):
    nothing = admin_client.post(enrol_url(programme), data={"emails": " ; "}, headers=ENROL)
    assert nothing.status_code == 422
    assert "Choose people or an org unit, or give e-mail addresses." in text(nothing)
    page = admin_client.post(enrol_url(programme), data={"emails": " ,, "})
    assert page.status_code == 422 and "<h1>" in text(page)
    assert " ,, </textarea>" in text(page)  # the input is kept
    draft = PathFactory(tenant=tenant)
    refused = admin_client.post(
        enrol_url(draft), data={"user_ids": [str(UserFactory(tenant=tenant).id)]}, headers=ENROL
    )
    assert refused.status_code == 422
    assert "Only published programmes accept enrolments." in text(refused)
    assert "Enrolments open once the programme is published" in text(admin_client.get(url(draft)))


def test_foreign_ids_in_the_enrol_form_answer_404(admin_client, tenant, programme):
    mine = UserFactory(tenant=tenant)
    for data in (
        {"user_ids": [str(mine.id), str(UserFactory().id)]},
        {"org_unit_id": str(OrgUnitFactory().id)},
    ):
        assert admin_client.post(enrol_url(programme), data=data).status_code == 404
    assert db.session.scalar(sa.select(Enrolment).where(Enrolment.user_id == mine.id)) is None


def test_links_to_the_person_and_enrolment_pages_wait_for_their_endpoints(
    app, admin_client, tenant, programme
):
    enrolment = enrolment_with(programme, UserFactory(tenant=tenant, full_name="Lee Learner"))
    page = text(admin_client.get(url(programme)))
    person = f'href="/certs/admin/people/{enrolment.user_id}"'
    detail = f'href="/certs/admin/enrolments/{enrolment.id}"'
    assert (person in page) == ("admin.person" in app.view_functions)
    assert (detail in page) == ("admin.enrolment" in app.view_functions)


def test_the_link_macros_light_up_once_the_endpoints_exist():
    """An app that serves both endpoints (as the merged administration will) gets the links."""
    templates = Path(__file__).resolve().parents[2] / "templates"
    app = Flask(__name__, template_folder=str(templates))
    app.add_url_rule("/certs/admin/people/<int:user_id>", "admin.person", lambda user_id: "")
    app.add_url_rule(
        "/certs/admin/enrolments/<int:enrolment_id>", "admin.enrolment", lambda enrolment_id: ""
    )
    bare = Flask(__name__, template_folder=str(templates))
    source = (
        '{% from "admin/enrolments/_links.html" import person_link, enrolment_link %}'
        "{{ person_link(7, 'Lee') }}|{{ enrolment_link(9, 'Lee') }}"
    )
    for flask_app in (app, bare):
        init_templating(flask_app)
    with app.test_request_context():
        lit = app.jinja_env.from_string(source).render()
    with bare.test_request_context():
        plain = bare.jinja_env.from_string(source).render()
    assert lit == (
        '<a href="/certs/admin/people/7">Lee</a>|'
        '<a href="/certs/admin/enrolments/9" aria-label="Enrolment of Lee">Details</a>'
    )
    assert plain == "Lee|"
