"""The audit log page: every event of the tenant newest first, filters (bad input refused with
422 and a message), keyset pages, the page and its fragment, links to the objects' admin pages,
details before and after (escaped), CSV export (streamed, formula-safe), a constant number of
statements, and no route that could change or delete an event."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from tests.factories import PathFactory, TenantFactory, UserFactory, issued_certificate
from tests.htmx import htmx
from webapp.admin.audit import page_url, person_url
from webapp.extensions import db
from webapp.models import Role
from webapp.services import audit, audit_log
from webapp.services import certification_path_management as paths

URL = "/certs/admin/audit/"


@pytest.fixture
def tenant(app):
    return TenantFactory(name="Acme Safety")


@pytest.fixture
def admin(tenant):
    return UserFactory(tenant=tenant, role=Role.ADMIN, full_name="Ada Admin")


@pytest.fixture
def events(tenant, admin, clock):
    """Three days of events: a programme created and edited by the admin, a job's event
    about a learner, and a foreign tenant's event."""
    learner = UserFactory(tenant=tenant, full_name="Lee Learner")
    programme = PathFactory(tenant=tenant, name="Forklift <b>basics</b>")
    audit.record(tenant.id, admin, "programme.created", "programme", programme.id, "Created")
    clock.advance(days=1)
    audit.record(
        tenant.id,
        admin,
        "programme.updated",
        "programme",
        programme.id,
        "Edited <script>alert(1)</script>",
        changes=audit.changes({"name": "Forklift"}, {"name": "Forklift <b>basics</b>"}),
    )
    clock.advance(days=1)
    audit.record(
        tenant.id,
        None,
        "certificate.issued",
        "certificate",
        4242,
        '=HYPERLINK("http://evil")',
        subject=learner,
        number="CERT-2026-00001",
    )
    other = TenantFactory()
    audit.record(other.id, None, "programme.created", "programme", 1, "FOREIGN-EVENT")
    db.session.flush()
    return {"programme": programme, "learner": learner}


def test_the_log_lists_the_tenants_events_newest_first(client, login, admin, events):
    login(admin)
    response = client.get(URL)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html
    assert "FOREIGN-EVENT" not in html
    labels = ["Certificate issued", "Programme edited", "Programme created"]
    positions = [html.index(f"<td>{label}</td>") for label in labels]
    assert positions == sorted(positions)
    assert "3 events match." in html
    # The object links to its admin page; the certificate (id 4242) does not exist but its
    # page would be linked too: the link is built from the URL map, not from a lookup.
    programme_url = f"/certs/admin/programs/{events['programme'].id}"
    assert f'<a href="{programme_url}">Programme #{events["programme"].id}</a>' in html
    person_url = f"/certs/admin/people/{events['learner'].id}"
    assert f'about</span> <a href="{person_url}">Lee Learner</a>' in html  # the person page
    assert '<span class="muted">System</span>' in html


def test_details_show_before_and_after_and_everything_is_escaped(client, login, admin, events):
    login(admin)
    html = client.get(URL).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "<b>basics</b>" not in html
    assert "Edited &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<dt>Name</dt>" in html
    assert (
        '<del>Forklift</del> → <span class="sr-only">after:</span> '
        "<ins>Forklift &lt;b&gt;basics&lt;/b&gt;</ins>" in html
    )
    assert "<dt>Number</dt>" in html and "CERT-2026-00001" in html


def test_filters_by_actor_action_subject_type_and_dates(client, login, admin, events, clock):
    login(admin)

    def shown(query: str) -> list[str]:
        html = client.get(URL + query).get_data(as_text=True)
        found = [
            label
            for label in ("Programme created", "Programme edited", "Certificate issued")
            if f"<td>{label}</td>" in html
        ]
        return sorted(found, key=lambda label: html.index(f"<td>{label}</td>"))

    assert shown(f"?actor={admin.id}") == ["Programme edited", "Programme created"]
    assert shown("?actor=system") == ["Certificate issued"]
    assert shown("?action=programme.updated") == ["Programme edited"]
    assert shown("?object_type=certificate") == ["Certificate issued"]
    today = clock.now().date()
    yesterday = today - timedelta(days=1)
    assert shown(f"?since={yesterday}&until={yesterday}") == ["Programme edited"]
    assert shown(f"?since={yesterday}") == ["Certificate issued", "Programme edited"]
    assert shown(f"?until={yesterday}&actor={admin.id}") == [
        "Programme edited",
        "Programme created",
    ]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?since=2026-13-01", "Enter a date as year-month-day, for example 2026-06-01."),
        ("?until=yesterday", "Enter a date as year-month-day, for example 2026-06-01."),
        ("?since=2026-06-10&until=2026-06-01", "The end date is before the start date."),
        ("?action=nothing.ever", "Choose an action from the list."),
        ("?actor=999999", "Choose a person from the list."),
    ],
)
def test_bad_filters_answer_422_with_a_message_and_change_nothing_else(
    client, login, admin, events, query, message
):
    login(admin)
    response = client.get(URL + query + "&object_type=programme")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html and "Some filters could not be applied" in html
    # The other filter still applies, the bad input stays in the form, nothing is exported.
    assert "<td>Programme created</td>" in html and "<td>Certificate issued</td>" not in html
    assert "Export them as CSV" not in html
    export = client.get("/certs/admin/audit/export.csv" + query)
    assert export.status_code == 422 and message in export.get_data(as_text=True)


def test_a_foreign_actor_is_not_offered_nor_accepted(client, login, admin, events):
    stranger = UserFactory(tenant=TenantFactory(), role=Role.ADMIN)
    audit.record(stranger.tenant_id, stranger, "quiz.created", "quiz", 1, "x")
    login(admin)
    assert stranger.full_name not in client.get(URL).get_data(as_text=True)
    assert client.get(f"{URL}?actor={stranger.id}").status_code == 422


def test_the_filter_form_swaps_the_log_in_place(client, login, admin, events):
    login(admin)
    response = client.get(URL + "?action=programme.created", headers=htmx("audit-log"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<div id="audit-log">') and "1 event matches" in html
    bad = client.get(URL + "?since=soon", headers=htmx("audit-log"))
    assert bad.status_code == 422 and "<html" not in bad.get_data(as_text=True)
    # A boosted navigation needs the whole page.
    boosted = client.get(URL, headers=htmx("audit-log", HX_Boosted="true"))
    assert "<html" in boosted.get_data(as_text=True)


def test_keyset_pages_walk_older_and_back_newer(app, client, login, tenant, admin, clock):
    app.config["PAGE_SIZE"] = 2
    for n in range(5):
        audit.record(tenant.id, admin, "quiz.created", "quiz", n, f"EVENT-{n}")
        if n != 2:  # two events at the same instant: the id orders them
            clock.advance(minutes=1)
    db.session.flush()
    login(admin)

    def page(query=""):
        html = client.get(URL + query).get_data(as_text=True)
        return [n for n in range(5) if f"EVENT-{n}</p>" in html], html

    first, html = page()
    assert first == [3, 4] and "Newer events" not in html and "Older events" in html
    older = html.split('rel="prev"')[0] if 'rel="prev"' in html else html
    cursor = older.split("before=")[1].split('"')[0].split("&")[0]
    second, html = page(f"?before={cursor}")
    assert second == [1, 2] and "Newer events" in html and "Older events" in html
    cursor = html.split("before=")[1].split('"')[0].split("&")[0]
    third, html = page(f"?before={cursor}")
    assert third == [0] and "Older events" not in html
    back = html.split("after=")[1].split('"')[0].split("&")[0]
    again, html = page(f"?after={back}")
    assert again == [1, 2]
    assert "5 events match." in html


def test_the_csv_export_streams_the_filtered_rows_safely(client, login, admin, events):
    login(admin)
    # Unbuffered, as a WSGI server reads it: the body is a generator, not one string.
    response = client.get("/certs/admin/audit/export.csv?object_type=certificate", buffered=False)
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Disposition"] == "attachment; filename=audit-log.csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:4] == ["when (UTC)", "actor", "actor e-mail", "action"]
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["actor"] == "System" and row["action"] == "Certificate issued"
    assert row["about"] == "Lee Learner" and row["object id"] == "4242"
    assert row["summary"] == '\'=HYPERLINK("http://evil")'  # never run as a formula
    assert row["details"] == "Number: CERT-2026-00001"
    everything = client.get("/certs/admin/audit/export.csv").get_data(as_text=True)
    assert "FOREIGN-EVENT" not in everything
    assert "Name: Forklift -> Forklift <b>basics</b>" in everything


def test_the_log_runs_a_constant_number_of_statements(
    app, client, login, tenant, admin, count_queries
):
    app.config["PAGE_SIZE"] = 50
    login(admin)

    def write(count: int) -> None:
        for n in range(count):
            person = UserFactory(tenant=tenant)
            audit.record(tenant.id, person, f"action.n{n}", "quiz", n, "x", subject=person)
        db.session.flush()

    write(2)
    with count_queries() as few:
        assert client.get(URL).status_code == 200
    write(30)
    with count_queries() as many:
        html = client.get(URL).get_data(as_text=True)
    assert "32 events match." in html
    assert many.count == few.count


def test_no_route_can_change_or_delete_audit_events(app):
    writes = {"POST", "PUT", "PATCH", "DELETE"}
    audit_rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/certs/admin/audit")]
    assert {r.endpoint for r in audit_rules} == {"admin.audit_log", "admin.audit_export"}
    assert [r.rule for r in audit_rules if r.methods & writes] == []


def test_links_follow_the_url_map(app, tenant):
    certificate = issued_certificate(tenant)
    with app.test_request_context():
        # A rule's only argument is filled whatever its name.
        assert page_url("admin.certificate", {None: certificate.id}) == (
            f"/certs/admin/certificates/{certificate.id}"
        )
        assert page_url("admin.no_such_page", {None: 1}) is None
        assert page_url("admin.quiz_version", {None: 1}) is None  # two arguments
        assert page_url("admin.quiz_version", {"quiz_id": None, "version_id": 1}) is None
        expected = (
            page_url("admin.person", {None: 7}) if "admin.person" in app.view_functions else None
        )
        assert person_url(7) == expected


def test_the_services_audit_events_appear_with_their_labels(client, login, tenant, admin):
    programme = paths.create_programme(
        tenant.id, admin, {"name": "Ladders", "slug": "ladders", "level": "foundation"}
    )
    paths.update_programme(
        programme,
        admin,
        {"name": "Ladders and steps", "slug": "ladders", "level": "advanced"},
    )
    db.session.flush()
    login(admin)
    html = client.get(URL).get_data(as_text=True)
    assert "<td>Programme created</td>" in html and "<td>Programme edited</td>" in html
    assert "<del>foundation</del>" in html and "<ins>advanced</ins>" in html
    assert "<del>Ladders</del>" in html and "<ins>Ladders and steps</ins>" in html


def test_the_export_reads_the_log_in_chunks(app, tenant, admin, clock):
    for n in range(5):
        audit.record(tenant.id, admin, "quiz.created", "quiz", n, f"EVENT-{n}")
        if n != 1:
            clock.advance(minutes=1)
    db.session.flush()
    filters, seen, cursor = audit_log.AuditFilters(), [], None
    while True:
        lines, cursor = audit_log.export_chunk(tenant.id, filters, after=cursor, size=2)
        seen.extend(line.split(",")[8] for line in lines)
        if cursor is None:
            break
    assert seen == [f"EVENT-{n}" for n in (4, 3, 2, 1, 0)]
