"""A programme's enrolments for its admins: the list with progress aggregated from the ledger,
filters, sorting and pages in a constant number of queries, the CSV export, and bulk
enrolment with its report (each enrolment audited, the open-enrolment rule kept)."""

import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.factories import (
    OrgUnitFactory,
    PathFactory,
    RequirementFactory,
    TenantFactory,
    UserFactory,
    enrolment_with,
    issued_certificate,
    published_path,
    unit_at,
)
from webapp.errors import Conflict, NotAllowed, ValidationFailed
from webapp.extensions import db
from webapp.models import AuditEvent, Enrolment, EnrolmentStatus, Role
from webapp.services import certification_path_management as paths
from webapp.services import programme_enrolments as roster

Filters = roster.Filters


@pytest.fixture
def tenant(app):
    return TenantFactory()


@pytest.fixture
def admin(tenant):
    return UserFactory(tenant=tenant, role=Role.ADMIN)


@pytest.fixture
def programme(tenant):
    return published_path(tenant, name="Forklift Basics", requirements=4)


def names(page) -> list[str]:
    return [row.learner for row in page.items]


def test_rows_carry_progress_from_the_ledger_and_the_dates(clock, tenant, programme):
    yard = unit_at(tenant, "Operations/Yard")
    ann = UserFactory(tenant=tenant, full_name="Ann", org_unit_id=yard.id)
    enrolment_with(programme, ann, met=1)
    clock.advance(timedelta(days=1))
    bob = UserFactory(tenant=tenant, full_name="Bob")
    enrolment_with(programme, bob, met=4)  # all met: completed and certified
    other = published_path(tenant, name="Other")
    enrolment_with(other, UserFactory(tenant=tenant, full_name="Elsewhere"))
    page = roster.enrolment_page(programme, Filters())
    assert names(page) == ["Bob", "Ann"]  # latest started first
    bob_row, ann_row = page.items
    assert (ann_row.met, ann_row.total, ann_row.percent) == (1, 4, 25)
    assert (ann_row.org_unit, ann_row.status, ann_row.version) == (
        "Yard",
        EnrolmentStatus.IN_PROGRESS,
        "1.0",
    )
    assert (ann_row.completed_at, ann_row.certified_at) == (None, None)
    assert (bob_row.percent, bob_row.status) == (100, EnrolmentStatus.CERTIFIED)
    assert bob_row.completed_at == bob_row.certified_at == clock.now()


def test_optional_requirements_do_not_count_towards_progress(tenant):
    programme = PathFactory(tenant=tenant)
    RequirementFactory(programme=programme)
    RequirementFactory(programme=programme, is_mandatory=False)
    RequirementFactory(programme=programme)
    db.session.expire(programme, ["requirements"])
    paths.publish_path(programme, None)
    enrolment_with(programme, UserFactory(tenant=tenant), met=2)  # one mandatory, one optional
    [row] = roster.enrolment_page(programme, Filters()).items
    assert (row.met, row.total, row.percent) == (1, 2, 50)


def test_filters_by_status_version_and_org_unit_subtree(tenant, programme):
    north = unit_at(tenant, "Operations/North")
    yard = unit_at(tenant, "Operations/North/Yard")
    south = unit_at(tenant, "Operations/South")
    enrolment_with(programme, UserFactory(tenant=tenant, full_name="North", org_unit_id=north.id))
    enrolment_with(
        programme, UserFactory(tenant=tenant, full_name="Yard", org_unit_id=yard.id), met=4
    )
    enrolment_with(programme, UserFactory(tenant=tenant, full_name="South", org_unit_id=south.id))
    enrolment_with(programme, UserFactory(tenant=tenant, full_name="Nowhere"))
    programme.description = "Changed."
    paths.publish_path(programme, None)  # a new version for new enrolments
    late = enrolment_with(programme, UserFactory(tenant=tenant, full_name="Late"))
    by_name = Filters(sort="learner")
    assert names(roster.enrolment_page(programme, Filters(unit_id=north.id, sort="learner"))) == [
        "North",
        "Yard",
    ]
    assert names(roster.enrolment_page(programme, Filters(status="certified"))) == ["Yard"]
    assert names(roster.enrolment_page(programme, Filters(version=late.path_version))) == ["Late"]
    assert late.path_version != "1.0"
    assert roster.versions(programme) == [late.path_version, "1.0"]
    assert len(roster.enrolment_page(programme, by_name).items) == 5


def test_unknown_filter_values_are_left_out():
    filters = Filters.read(status="bogus", unit_id=0, version="  ", sort="password")
    assert filters == Filters()
    assert Filters.read(sort="-progress").descending
    assert Filters.read(sort="-progress").sort_column == "progress"
    assert Filters(status="completed", sort="learner").args() == {
        "status": "completed",
        "unit": None,
        "version": None,
        "sort": "learner",
    }


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("learner", ["ann", "Bea", "Cy"]),
        ("-learner", ["Cy", "Bea", "ann"]),
        ("progress", ["Cy", "ann", "Bea"]),
        ("-progress", ["Bea", "ann", "Cy"]),
        ("started", ["ann", "Bea", "Cy"]),
        ("completed", ["Bea", "ann", "Cy"]),
        ("-completed", ["Bea", "Cy", "ann"]),  # not completed yet: last either way
    ],
)
def test_sorting(clock, tenant, programme, sort, expected):
    enrolment_with(programme, UserFactory(tenant=tenant, full_name="ann"), met=2)
    clock.advance(timedelta(hours=1))
    enrolment_with(programme, UserFactory(tenant=tenant, full_name="Bea"), met=4)
    clock.advance(timedelta(hours=1))
    enrolment_with(programme, UserFactory(tenant=tenant, full_name="Cy"))
    assert names(roster.enrolment_page(programme, Filters.read(sort=sort))) == expected


def test_pages_take_a_constant_number_of_queries(tenant, programme, count_queries):
    unit = unit_at(tenant, "Operations")

    def queries(people: int, per_page: int) -> int:
        for _ in range(people):
            enrolment_with(programme, UserFactory(tenant=tenant, org_unit_id=unit.id), met=1)
        with count_queries() as counter:
            page = roster.enrolment_page(programme, Filters(unit_id=unit.id), per_page=per_page)
            assert all(row.total == 4 for row in page.items)
        return counter.count

    assert queries(2, 2) == queries(20, 50) == 3  # the subtree, the count, the rows


def test_pages_clamp_and_count(tenant, programme):
    for _ in range(5):
        enrolment_with(programme, UserFactory(tenant=tenant))
    page = roster.enrolment_page(programme, Filters(), page=9, per_page=2)
    assert (page.page, page.pages, page.total, len(page.items)) == (3, 3, 5, 1)


def test_csv_has_the_filtered_rows_and_is_formula_safe(tenant, programme):
    evil = UserFactory(tenant=tenant, full_name='=HYPERLINK("http://evil","x")')
    enrolment_with(programme, evil, met=2)
    enrolment_with(programme, UserFactory(tenant=tenant, full_name="@SUM(A1)"), met=4)
    enrolment_with(published_path(tenant), UserFactory(tenant=tenant, full_name="Other"))
    text = "".join(roster.csv_lines(roster.export_rows(programme, Filters(status="in_progress"))))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(roster.CSV_HEADER)
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["learner"] == '\'=HYPERLINK("http://evil","x")'
    assert (row["progress percent"], row["requirements met"], row["requirements"]) == (
        "50",
        "2",
        "4",
    )
    assert (row["status"], row["completed"], row["version"]) == ("in_progress", "", "1.0")
    everyone = "".join(roster.csv_lines(roster.export_rows(programme, Filters())))
    assert "'@SUM(A1)" in everyone and "Other" not in everyone


def test_parse_addresses():
    text = " a@x.test, b@x.test;c@x.test\n\nA@X.TEST\r\n<d@x.test>\t'e@x.test' ;; "
    assert roster.parse_addresses(text) == [
        "a@x.test",
        "b@x.test",
        "c@x.test",
        "d@x.test",
        "e@x.test",
    ]
    assert roster.parse_addresses(None) == []


def test_read_address_file_takes_utf8_text_only():
    assert roster.read_address_file("\ufeffa@x.test\n".encode()) == "a@x.test\n"
    for data in (b"\x00\x01binary", b"\xff\xfe", b"x" * (roster.MAX_LIST_BYTES + 1)):
        with pytest.raises(ValidationFailed) as refused:
            roster.read_address_file(data)
        assert "email_file" in refused.value.problems


def test_bulk_enrolment_reports_each_person_once(tenant, admin, programme):
    yard = unit_at(tenant, "Operations/Yard")
    operations = yard.parent
    picked = UserFactory(tenant=tenant, full_name="Picked", org_unit_id=yard.id)
    member = UserFactory(tenant=tenant, full_name="Member", org_unit_id=operations.id)
    inactive = UserFactory(tenant=tenant, full_name="Gone", org_unit_id=yard.id, active=False)
    enrolled = UserFactory(tenant=tenant, full_name="Enrolled", email="enrolled@x.test")
    paths.enrol(enrolled, programme)
    listed = UserFactory(tenant=tenant, full_name="Listed", email="Listed@X.test")
    foreign = UserFactory(email="foreign@x.test")  # another tenant's: nobody here
    report = roster.enrol_people(
        programme,
        admin,
        people=[picked],
        unit=operations,
        addresses=["listed@x.test", "ENROLLED@x.test", foreign.email, "nobody@x.test", "oops"],
    )
    assert [p.full_name for p in report.enrolled] == ["Picked", "Member", "Listed"]
    assert report.already == [enrolled]
    assert report.inactive == [inactive]
    assert report.unknown == ["foreign@x.test", "nobody@x.test", "oops"]
    assert report.not_eligible == []
    assert report.total == 8
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "enrolment.created")
    ).all()
    assert {e.subject_user_id for e in events} == {picked.id, member.id, listed.id}
    assert all(e.actor_id == admin.id for e in events)
    assert events[0].summary == "Picked enrolled in Forklift Basics (version 1.0)"
    enrolment = db.session.get(Enrolment, events[0].object_id)
    assert (enrolment.user_id, enrolment.enrolled_by_id) == (picked.id, admin.id)
    again = roster.enrol_people(programme, admin, unit=operations)
    assert (len(again.enrolled), len(again.already), len(again.inactive)) == (0, 2, 1)


def test_missing_prerequisites_and_active_certificates_are_not_eligible(tenant, admin):
    basics = published_path(tenant, name="Basics", requirements=1)
    advanced = published_path(tenant, name="Advanced", requirements=1)
    advanced.prerequisites = [basics]
    newcomer = UserFactory(tenant=tenant, full_name="Newcomer")
    qualified = UserFactory(tenant=tenant, full_name="Qualified")
    assert enrolment_with(basics, qualified, met=1).status is EnrolmentStatus.CERTIFIED
    report = roster.enrol_people(advanced, admin, people=[newcomer, qualified])
    assert report.not_eligible == [(newcomer, "missing prerequisite: Basics")]
    assert report.enrolled == [qualified]
    certificate = issued_certificate(tenant, validity_days=None)
    refused = roster.enrol_people(certificate.programme, admin, people=[certificate.user])
    [(person, reason)] = refused.not_eligible
    assert person == certificate.user
    assert reason.startswith("already holds an active certificate of this programme (")


def test_bulk_enrolment_refusals(tenant, admin, programme):
    with pytest.raises(ValidationFailed, match="Choose people or an org unit"):
        roster.enrol_people(programme, admin)
    with pytest.raises(ValidationFailed) as too_many:
        roster.enrol_people(
            programme, admin, addresses=[f"{n}@x.test" for n in range(roster.MAX_ADDRESSES + 1)]
        )
    assert "emails" in too_many.value.problems
    draft = PathFactory(tenant=tenant)
    with pytest.raises(Conflict, match="Only published programmes"):
        roster.enrol_people(draft, admin, people=[UserFactory(tenant=tenant)])
    with pytest.raises(NotAllowed):
        roster.enrol_people(programme, admin, unit=OrgUnitFactory())
    with pytest.raises(NotAllowed):
        roster.enrol_people(programme, admin, people=[UserFactory()])
