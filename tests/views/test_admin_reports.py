"""The report pages: index, completion (and its people), requirement funnel, quiz item
analysis. Each shows an accessible SVG chart beside a table of the same figures, exports CSV,
answers foreign or unknown ids 404, and runs a constant number of statements."""

from __future__ import annotations

import re

import pytest

from tests.factories import (
    OrgUnitFactory,
    PathFactory,
    TenantFactory,
    UserFactory,
    analysed_version,
    completion_data,
    enrolment_row,
    published_path,
    report_day,
)
from webapp.extensions import db
from webapp.models import EnrolmentStatus, Role
from webapp.services import certification_path_management as paths
from webapp.services import reports

BASE = "/certs/admin/reports"
S = EnrolmentStatus
day = report_day


@pytest.fixture
def known(app):
    return completion_data()


@pytest.fixture
def analysed(app):
    return analysed_version()


@pytest.fixture
def admin(known):
    return UserFactory(tenant=known["tenant"], role=Role.ADMIN)


def chart(html: str, chart_id: str) -> str:
    """The SVG of a chart, checked to be an image named by its title and description."""
    match = re.search(rf'<svg class="chart" role="img" aria-labelledby="{chart_id}-title '
                      rf'{chart_id}-desc".*?</svg>', html, re.S)  # fmt: skip
    assert match, chart_id
    svg = match.group(0)
    assert f'<title id="{chart_id}-title">' in svg and f'<desc id="{chart_id}-desc">' in svg
    return svg


def test_the_index_lists_every_report(client, login, admin):
    login(admin)
    html = client.get(f"{BASE}/").get_data(as_text=True)
    for endpoint in ("completion", "funnel", "items", "expiring"):
        assert f'href="{BASE}/{endpoint}"' in html
    assert 'href="/certs/admin/reports/"' in client.get("/certs/admin/").get_data(as_text=True)


def test_completion_page_shows_chart_and_table_with_the_same_figures(client, login, admin, known):
    login(admin)
    html = client.get(f"{BASE}/completion").get_data(as_text=True)
    svg = chart(html, "completion-chart")
    assert (
        "<title>Alpha, Certified: 2</title>" in svg and "<title>Beta, In progress: 1</title>" in svg
    )
    row = html[html.index('<th scope="row">Alpha</th>') :].split("</tr>")[0]
    cells = re.findall(r"<td>(.*?)</td>", row)
    assert [re.sub(r"<[^>]+>", "", c) for c in cells] == [
        "5", "1", "1", "2", "1", "1", "80.0%", "20.0",
    ]  # fmt: skip
    alpha = known["alpha"].id
    assert f'href="{BASE}/completion/people?status=certified&amp;programme_id={alpha}"' in row
    assert 'href="/certs/admin/reports/completion.csv?by=programme"' in html


def test_completion_per_org_unit_of_a_programme(client, login, admin, known):
    login(admin)
    alpha = known["alpha"].id
    html = client.get(f"{BASE}/completion?by=org_unit&programme_id={alpha}").get_data(as_text=True)
    assert "<h1>Completion: Alpha</h1>" in html
    assert re.findall(r'<th scope="row">(.*?)</th>', html) == [
        "Operations",
        "Operations / North",
        "No org unit",
    ]
    # The "no org unit" row drills down with org_unit_id=0.
    assert f"status=completed&amp;programme_id={alpha}&amp;org_unit_id=0" in html
    lines = client.get(f"{BASE}/completion.csv?by=org_unit&programme_id={alpha}")
    assert lines.headers["Content-Disposition"] == "attachment; filename=completion.csv"
    assert lines.get_data(as_text=True) == "".join(
        reports.completion_csv(
            reports.completion(known["tenant"].id, "org_unit", alpha), "Org unit"
        )
    )


def test_the_people_behind_a_figure(client, login, admin, known):
    login(admin)
    alpha = known["alpha"]
    html = client.get(
        f"{BASE}/completion/people?programme_id={alpha.id}&status=certified"
    ).get_data(as_text=True)
    assert "<h1>Certified: 2 enrolments</h1>" in html
    for key in ("a1", "a2"):
        assert known[key].user.full_name in html
    assert known["a6"].user.full_name not in html
    none = client.get(f"{BASE}/completion/people?programme_id={alpha.id}&org_unit_id=0")
    text = none.get_data(as_text=True)
    assert "No org unit" in text and known["a6"].user.full_name in text


def test_the_people_list_pages_keep_the_no_unit_filter(app, client, login, admin, known):
    app.config["PAGE_SIZE"] = 1
    tenant = known["tenant"]
    for _ in range(2):
        enrolment_row(
            known["beta"], UserFactory(tenant=tenant), S.IN_PROGRESS, started_at=day(5, 1)
        )
    db.session.flush()
    login(admin)
    html = client.get(f"{BASE}/completion/people?org_unit_id=0").get_data(as_text=True)
    assert "page=2" in html and "org_unit_id=0" in html.split('rel="next"')[0].split("<a")[-1]


@pytest.mark.parametrize(
    "url",
    [
        "/completion?programme_id={foreign_programme}",
        "/completion?programme_id=abc",
        "/completion.csv?programme_id={foreign_programme}",
        "/completion/people?programme_id={foreign_programme}",
        "/completion/people?org_unit_id={foreign_unit}",
        "/funnel?programme_id={foreign_programme}",
        "/funnel?programme_id=999999",
        "/items?version_id={foreign_version}",
        "/items?version_id=x1",
    ],
)
def test_foreign_and_missing_ids_answer_404(client, login, admin, analysed, url):
    other = TenantFactory()
    ids = {
        "foreign_programme": PathFactory(tenant=other).id,
        "foreign_unit": OrgUnitFactory(tenant=other).id,
        "foreign_version": analysed.id,  # another tenant's quiz version
    }
    login(admin)
    assert client.get(BASE + url.format(**ids)).status_code == 404


def test_the_funnel_page(client, login, admin, known):
    programme = known["alpha"]
    login(admin)
    chooser = client.get(f"{BASE}/funnel").get_data(as_text=True)
    assert "Choose a programme to see" in chooser and "<svg" not in chooser
    empty = client.get(f"{BASE}/funnel?programme_id={programme.id}").get_data(as_text=True)
    assert "Nobody is enrolled in Alpha yet." in empty  # rows without ledgers have no steps


def test_the_funnel_page_with_a_ledger(client, login, known):
    tenant = known["tenant"]
    programme = published_path(tenant, requirements=2, name="Ladders <b>&</b> steps")
    for _ in range(2):
        paths.enrol(UserFactory(tenant=tenant), programme)
    admin = UserFactory(tenant=tenant, role=Role.ADMIN)
    db.session.flush()
    login(admin)
    html = client.get(f"{BASE}/funnel?programme_id={programme.id}").get_data(as_text=True)
    svg = chart(html, "funnel-chart")
    assert "Ladders &lt;b&gt;&amp;&lt;/b&gt; steps" in svg and "<b>&</b>" not in html
    first = programme.requirements[0].title
    assert f"<title>{first}, Met: 0.0%</title>" in svg
    assert "2 enrolments (cancelled ones left out)" in html
    csv = client.get(f"{BASE}/programs/{programme.id}/funnel.csv").get_data(as_text=True)
    assert csv.splitlines()[1] == f"1,{first},content,yes,no,2,0,0,0,2,0.0"


def test_the_item_analysis_page(client, login, analysed):
    admin = UserFactory(tenant_id=analysed.tenant_id, role=Role.ADMIN)
    login(admin)
    chooser = client.get(f"{BASE}/items").get_data(as_text=True)
    assert f'<option value="{analysed.id}">' in chooser and "(4 attempts)" in chooser
    html = client.get(f"{BASE}/items?version_id={analysed.id}").get_data(as_text=True)
    svg = chart(html, "items-chart")
    assert "<title>2. Question q2, Discrimination: 0.96</title>" in svg
    assert svg.count('fill="#fdecea"></rect>') == 2  # q4 and q5 need attention
    assert "<strong>very easy</strong>" in html and "<strong>very hard</strong>" in html
    assert "4 graded attempts, mean score 52.1%" in html
    csv = client.get(f"{BASE}/quiz-versions/{analysed.id}/items.csv").get_data(as_text=True)
    assert csv.splitlines()[2] == "2,q2,Question q2,true_false,2,4,56.2,25.0,1.12,0.96,"


def test_report_pages_run_a_constant_number_of_statements(
    client, login, admin, known, count_queries
):
    tenant = known["tenant"]
    login(admin)
    urls = [
        f"{BASE}/completion",
        f"{BASE}/completion?by=org_unit",
        f"{BASE}/completion/people",
        f"{BASE}/funnel?programme_id={known['alpha'].id}",
    ]

    def counts() -> list[int]:
        found = []
        for url in urls:
            with count_queries() as counter:
                assert client.get(url).status_code == 200
            found.append(counter.count)
        return found

    few = counts()
    for _ in range(12):
        enrolment_row(
            PathFactory(tenant=tenant),
            UserFactory(tenant=tenant),
            S.CERTIFIED,
            org_unit=OrgUnitFactory(tenant=tenant),
            started_at=day(1, 1),
            certified_at=day(1, 5),
        )
    db.session.flush()
    assert counts() == few
