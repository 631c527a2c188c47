"""Report figures on known data, computed by hand here (the same on SQLite and PostgreSQL:
run with TEST_DATABASE_URL too), and a constant number of statements per report."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.factories import (
    OrgUnitFactory,
    PathFactory,
    TenantFactory,
    UserFactory,
    analysed_version,
    completion_data,
    enrolment_row,
    item_version,
    published_path,
    report_day,
)
from webapp.extensions import db
from webapp.models import (
    EnrolmentStatus,
    ProgressStatus,
    RequirementProgress,
)
from webapp.services import certification_path_management as paths
from webapp.services import reports

S = EnrolmentStatus


day = report_day


@pytest.fixture
def known(app):
    return completion_data()


def figures(row):
    return (
        row.label,
        row.enrolled,
        row.in_progress,
        row.completed,
        row.certified,
        row.expired,
        row.cancelled,
    )


def test_completion_per_programme(known):
    rows = reports.completion(known["tenant"].id, "programme")
    assert [figures(r) for r in rows] == [
        ("Alpha", 5, 1, 1, 2, 1, 1),  # the cancelled enrolment is not "enrolled"
        ("Beta", 3, 1, 0, 2, 0, 0),
    ]
    alpha, beta = rows
    # Finished = completed + certified + expired: Alpha 4 of 5, Beta 2 of 3.
    assert alpha.completion_rate == pytest.approx(4 / 5)
    assert beta.completion_rate == pytest.approx(2 / 3)
    # Medians of the days from enrolment to certificate: [10, 20, 30] (odd: the middle one)
    # and [4, 7.5] (even: the mean of the two middle ones).
    assert alpha.median_days == pytest.approx(20)
    assert beta.median_days == pytest.approx((4 + 7.5) / 2)


def test_completion_per_org_unit_names_units_by_path_and_puts_none_last(known):
    rows = reports.completion(known["tenant"].id, "org_unit")
    assert [figures(r) for r in rows] == [
        ("Operations", 3, 1, 0, 1, 1, 0),  # Alpha expired, Beta certified and in progress
        ("Operations / North", 3, 1, 0, 2, 0, 0),
        ("No org unit", 2, 0, 1, 1, 0, 1),
    ]
    operations, north, none = rows
    assert operations.median_days == pytest.approx((4 + 30) / 2)
    assert north.median_days == pytest.approx((10 + 20) / 2)
    assert none.median_days == pytest.approx(7.5)  # the completed one has no certificate yet
    assert none.completion_rate == pytest.approx(2 / 2)


def test_completion_per_org_unit_of_one_programme(known):
    rows = reports.completion(known["tenant"].id, "org_unit", known["alpha"].id)
    assert [figures(r) for r in rows] == [
        ("Operations", 1, 0, 0, 0, 1, 0),
        ("Operations / North", 3, 1, 0, 2, 0, 0),
        ("No org unit", 1, 0, 1, 0, 0, 1),
    ]
    assert rows[2].median_days is None and rows[2].completion_rate == pytest.approx(1)


def test_completion_of_a_tenant_without_enrolments_is_empty(app):
    assert reports.completion(TenantFactory().id) == []


def test_completion_csv_has_the_same_figures(known):
    rows = reports.completion(known["tenant"].id, "programme")
    lines = reports.completion_csv(rows, "Programme")
    assert lines[0].startswith("programme,enrolled,in progress,")
    assert lines[1] == "Alpha,5,1,1,2,1,1,80.0,20.0\r\n"
    assert lines[2] == "Beta,3,1,0,2,0,0,66.7,5.8\r\n"


def test_completion_people_drill_down(known):
    tenant = known["tenant"]
    people, total = reports.completion_people(
        tenant.id, programme_id=known["alpha"].id, status="certified"
    )
    assert total == 2
    assert {p.enrolment.id for p in people} == {known["a1"].id, known["a2"].id}
    assert {p.unit for p in people} == {"Operations / North"}
    people, total = reports.completion_people(
        tenant.id, programme_id=known["alpha"].id, org_unit_id=reports.NO_UNIT
    )
    assert [p.enrolment.id for p in people] == [known["a6"].id]  # the cancelled one is left out
    people, total = reports.completion_people(tenant.id, org_unit_id=known["operations"].id)
    assert total == 3 and all(p.unit == "Operations" for p in people)
    people, total = reports.completion_people(tenant.id, status="cancelled", per_page=1)
    assert total == 1 and len(people) == 1


def test_completion_and_drill_down_run_a_constant_number_of_statements(known, count_queries):
    tenant, tenant_id = known["tenant"], known["tenant"].id
    with count_queries() as few:
        reports.completion(tenant_id, "org_unit")
        reports.completion_people(tenant_id, status="enrolled")
    for _ in range(15):
        enrolment_row(
            known["beta"],
            UserFactory(tenant=tenant, org_unit_id=known["north"].id),
            S.CERTIFIED,
            org_unit=OrgUnitFactory(tenant=tenant),
            started_at=day(2, 1),
            certified_at=day(2, 9),
        )
    db.session.expire_all()
    with count_queries() as many:
        rows = reports.completion(tenant_id, "org_unit")
        reports.completion_people(tenant_id, status="enrolled")
    assert len(rows) == 3 + 15
    assert many.count == few.count <= 6


# --- Requirement funnel ----------------------------------------------------------------------


def test_requirement_funnel_shares_met_per_requirement(app):
    tenant = TenantFactory()
    programme = published_path(tenant, requirements=3)
    first, second, third = programme.requirements
    states = [
        (ProgressStatus.MET, ProgressStatus.MET, ProgressStatus.MET),
        (ProgressStatus.MET, ProgressStatus.AWAITING_VALIDATION, ProgressStatus.PENDING),
        (ProgressStatus.MET, ProgressStatus.FAILED, ProgressStatus.PENDING),
        (ProgressStatus.PENDING, ProgressStatus.PENDING, ProgressStatus.PENDING),
        (ProgressStatus.MET, ProgressStatus.MET, ProgressStatus.MET),  # cancelled below
    ]
    enrolments = []
    for row in states:
        enrolment, _ = paths.enrol(UserFactory(tenant=tenant), programme)
        enrolments.append(enrolment)
        for requirement, status in zip((first, second, third), row, strict=True):
            db.session.execute(
                sa.update(RequirementProgress)
                .where(
                    RequirementProgress.enrolment_id == enrolment.id,
                    RequirementProgress.requirement_id == requirement.id,
                )
                .values(status=status)
            )
    enrolments[-1].status = EnrolmentStatus.CANCELLED
    second.removed_at = day(6, 1)  # taken out of the programme since: listed last
    db.session.flush()

    funnel = reports.requirement_funnel(programme)
    assert funnel.enrolments == 4
    assert [
        (s.title, s.enrolments, s.met, s.awaiting, s.failed, s.pending, s.removed)
        for s in funnel.steps
    ] == [
        (first.title, 4, 3, 0, 0, 1, False),
        (third.title, 4, 1, 0, 0, 3, False),
        (second.title, 4, 1, 1, 1, 1, True),
    ]
    assert [s.share_met for s in funnel.steps] == [pytest.approx(3 / 4), 0.25, 0.25]
    lines = reports.funnel_csv(funnel)
    assert lines[1] == f"1,{first.title},content,yes,no,4,3,0,0,1,75.0\r\n"


def test_requirement_funnel_of_a_programme_without_enrolments(app, count_queries):
    programme = published_path(TenantFactory(), requirements=2)
    db.session.flush()
    with count_queries() as counter:
        funnel = reports.requirement_funnel(programme)
    assert (funnel.enrolments, funnel.steps, counter.count) == (0, [], 2)


# --- Quiz item analysis ----------------------------------------------------------------------


@pytest.fixture
def analysed(app):
    return analysed_version()


def test_item_analysis_figures(analysed):
    analysis = reports.item_analysis(analysed)
    assert analysis.attempts == 4
    assert analysis.mean_percent == pytest.approx((83.3333 + 50 + 58.3333 + 16.6666) / 4)
    q1, q2, q3, q4, q5 = analysis.items
    assert [i.question_id for i in analysis.items] == ["q1", "q2", "q3", "q4", "q5"]
    assert all(i.attempts == 4 for i in analysis.items)

    # q1: x = 1, 1, 0, 0; the rest of the attempt y = 3+1, 1+1, 2.5+1, 0+1 (q4 adds 1 to all,
    # which moves no correlation). Deviations from the means 0.5 and 1.625 (+1):
    # dx = .5, .5, -.5, -.5; dy = 1.375, -.625, .875, -1.625 -> Σdxdy = .75, Σdx² = 1,
    # Σdy² = 5.6875.
    assert (q1.facility, q1.correct_share, q1.mean_score) == (0.5, 0.5, 0.5)
    assert q1.discrimination == pytest.approx(0.75 / math.sqrt(1 * 5.6875))
    # q2 (2 points, earned 2, 1, 1.5, 0): x = 1, .5, .75, 0 (mean .5625); y = 2, 1, 1, 0
    # (+1). dx = .4375, -.0625, .1875, -.5625; dy = 1, 0, 0, -1 -> Σdxdy = 1,
    # Σdx² = .546875, Σdy² = 2.
    assert q2.facility == pytest.approx(2.25 / 4)
    assert q2.correct_share == 0.25 and q2.mean_score == pytest.approx(4.5 / 4)
    assert q2.discrimination == pytest.approx(1 / math.sqrt(0.546875 * 2))
    # q3: x = 1, 0, 1, 0; y = 3, 2, 1.5, 0 (+1). dx = .5, -.5, .5, -.5;
    # dy = 1.375, .375, -.125, -1.625 -> Σdxdy = 1.25, Σdx² = 1, Σdy² = 4.6875.
    assert q3.discrimination == pytest.approx(1.25 / math.sqrt(4.6875))
    # q4 is right in every attempt and q5 in none: no variation, no discrimination.
    assert (q4.facility, q4.discrimination, q4.flags) == (1.0, None, ["very easy"])
    assert (q5.facility, q5.discrimination, q5.flags) == (0.0, None, ["very hard"])
    assert q1.flags == q2.flags == q3.flags == []


def test_item_analysis_csv_and_statements(analysed, count_queries):
    with count_queries() as counter:
        analysis = reports.item_analysis(analysed)
    assert counter.count == 2
    lines = reports.items_csv(analysis)
    assert lines[0].startswith("position,question id,question,type,points,attempts,facility")
    assert lines[2] == "2,q2,Question q2,true_false,2,4,56.2,25.0,1.12,0.96,\r\n"
    assert lines[4].endswith(",4,100.0,100.0,1.0,,very easy\r\n")


def test_item_analysis_without_attempts(app):
    analysis = reports.item_analysis(item_version(TenantFactory()))
    assert analysis.attempts == 0 and analysis.mean_percent is None
    assert all(i.attempts == 0 and i.facility is None for i in analysis.items)


def test_low_discrimination_is_flagged():
    item = reports.ItemStats(1, "q1", "?", "single", "1", 10, 0.5, 0.5, 0.5, 0.1)
    assert item.flags == ["low discrimination"]
    negative = reports.ItemStats(1, "q1", "?", "single", "1", 10, 0.5, 0.5, 0.5, -0.4)
    assert negative.flags == ["low discrimination"]


def test_pearson_by_hand():
    # x = 1, 2, 3; y = 2, 4, 7: Σx = 6, Σy = 13, Σx² = 14, Σy² = 69, Σxy = 31.
    # r = (3·31 − 6·13) / √((3·14 − 36)(3·69 − 169)) = 15 / √(6 · 38).
    assert reports.pearson(3, 6, 13, 14, 69, 31) == pytest.approx(15 / math.sqrt(6 * 38))
    assert reports.pearson(1, 1, 1, 1, 1, 1) is None
    assert reports.pearson(3, 3, 6, 3, 14, 6) is None  # x constant


def test_version_choices_count_graded_attempts(analysed):
    choices = reports.version_choices(analysed.tenant_id)
    assert [(c.label.split(" · ")[1], c.attempts) for c in choices] == [
        ("version 2", 1),
        ("version 1", 4),
    ]


def test_csv_cells_are_safe_from_formulas():
    assert reports.csv_row(["=SUM(A1)", "+1", "@x", "-2 apples", -2, 1.5, None, "ok"]) == (
        "'=SUM(A1),'+1,'@x,'-2 apples,-2,1.5,,ok\r\n"
    )


def test_unit_paths_survive_a_missing_parent(app):
    tenant = TenantFactory()
    root = OrgUnitFactory(tenant=tenant, name="Root")
    child = OrgUnitFactory(tenant=tenant, name="Child", parent_id=root.id)
    assert reports.unit_paths(tenant.id) == {root.id: "Root", child.id: "Root / Child"}


def test_median_of_one_and_of_equal_values(app):
    tenant = TenantFactory()
    programme = PathFactory(tenant=tenant, name="Solo")
    start = day(1, 1)
    for days in (3, 3, 3, 9):
        enrolment_row(
            programme,
            UserFactory(tenant=tenant),
            S.CERTIFIED,
            started_at=start,
            certified_at=start + timedelta(days=days),
        )
    (row,) = reports.completion(tenant.id)
    assert row.median_days == pytest.approx(3)
