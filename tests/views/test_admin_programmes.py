"""The programme editor: forms, in-place requirement editing with htmx, publishing, enrolment."""

import io

import pytest
import sqlalchemy as sa

from tests.factories import (
    OrgUnitFactory,
    PathFactory,
    QuizFactory,
    QuizVersionFactory,
    TenantFactory,
    UserFactory,
    published_path,
)
from webapp.extensions import db
from webapp.models import CertificationPath, Enrolment, PathRequirement, PathStatus, Role

FRAGMENT = {"HX-Request": "true", "HX-Target": "requirements"}


@pytest.fixture
def admin(app):
    return UserFactory(role=Role.ADMIN)


@pytest.fixture
def admin_client(client, login, admin):
    login(admin)
    return client


def form(**overrides):
    data = {
        "name": "Forklift Operator",
        "slug": "forklift-operator",
        "description": "Drive safely.",
        "level": "foundation",
        "validity_days": "365",
        "renewal_window_days": "30",
        "recert_grace_days": "90",
        "self_enrolment": "y",
        "skill_names": "Driving, Loading",
        "org_unit_id": "",
    }
    data.update(overrides)
    return data


def count_paths() -> int:
    return db.session.scalar(sa.select(sa.func.count(CertificationPath.id)))


def test_create_programme_through_the_form(admin_client, admin):
    response = admin_client.post("/certs/admin/programs/new", data=form())
    assert response.status_code == 303
    path = db.session.scalar(
        sa.select(CertificationPath).where(CertificationPath.slug == "forklift-operator")
    )
    assert path.tenant_id == admin.tenant_id and path.validity_days == 365
    assert response.headers["Location"].endswith(f"/certs/admin/programs/{path.id}")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": ""}, "This field is required"),
        ({"slug": "Bad Slug!"}, "lowercase letters"),
        ({"validity_days": "-3"}, "Number must be between"),
        ({"validity_days": "soon"}, "Not a valid integer"),
    ],
)
def test_bad_input_shows_errors_next_to_fields_and_keeps_input(admin_client, overrides, message):
    before = count_paths()
    response = admin_client.post("/certs/admin/programs/new", data=form(**overrides))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert 'value="Drive safely.' in html or "Drive safely." in html
    assert 'aria-invalid="true"' in html
    assert count_paths() == before


def test_duplicate_slug_is_refused(admin_client, admin):
    PathFactory(tenant_id=admin.tenant_id, slug="forklift-operator")
    before = count_paths()
    response = admin_client.post("/certs/admin/programs/new", data=form())
    assert response.status_code == 422
    assert "already uses this slug" in response.get_data(as_text=True)
    assert count_paths() == before


def test_prerequisite_cycle_is_refused_in_the_form(admin_client, admin):
    a = PathFactory(tenant_id=admin.tenant_id, slug="a")
    b = PathFactory(tenant_id=admin.tenant_id, slug="b")
    b.prerequisites = [a]
    db.session.flush()
    response = admin_client.post(
        f"/certs/admin/programs/{a.id}/edit",
        data=form(name=a.name, slug="a", prerequisite_ids=str(b.id)),
    )
    assert response.status_code == 422
    assert "cycle" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(CertificationPath, a.id).prerequisites == []


def test_foreign_ids_in_form_bodies_answer_404(admin_client, admin):
    foreign_path = PathFactory()
    foreign_quiz = QuizFactory()
    foreign_user = UserFactory()
    mine = published_path(admin.tenant, slug="mine")
    assert (
        admin_client.post(
            "/certs/admin/programs/new", data=form(prerequisite_ids=str(foreign_path.id))
        ).status_code
        == 404
    )
    assert (
        admin_client.post(
            f"/certs/admin/programs/{mine.id}/requirements",
            data={"kind": "quiz", "title": "Q", "quiz_id": str(foreign_quiz.id), "min_score": "80"},
        ).status_code
        == 404
    )
    assert (
        admin_client.post(
            f"/certs/admin/programs/{mine.id}/enrol", data={"user_id": str(foreign_user.id)}
        ).status_code
        == 404
    )
    assert (
        admin_client.post(
            f"/certs/admin/programs/{mine.id}/enrol", data={"org_unit_id": str(OrgUnitFactory().id)}
        ).status_code
        == 404
    )


def test_badge_upload_checks_the_content(admin_client, admin):
    fake = (io.BytesIO(b"<script>alert(1)</script>"), "badge.png")
    response = admin_client.post(
        "/certs/admin/programs/new",
        data={**form(), "badge": fake},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Upload a PNG, JPEG or GIF image" in response.get_data(as_text=True)
    assert (
        count_paths() == 0
        or db.session.scalar(
            sa.select(CertificationPath).where(CertificationPath.slug == "forklift-operator")
        )
        is None
    )


def test_badge_upload_stores_a_real_image(admin_client, admin):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    response = admin_client.post(
        "/certs/admin/programs/new",
        data={**form(), "badge": (io.BytesIO(png), "b.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    path = db.session.scalar(
        sa.select(CertificationPath).where(CertificationPath.slug == "forklift-operator")
    )
    assert path.badge_image_key.startswith("badges/")
    served = admin_client.get("/certs/programs/forklift-operator/badge")
    try:
        assert served.status_code == 200 and served.data == png
        assert served.headers["X-Content-Type-Options"] == "nosniff"
    finally:
        served.close()


def _draft(admin):
    return PathFactory(tenant_id=admin.tenant_id, slug="draft-one")


def test_requirements_are_added_edited_moved_and_removed_in_place(admin_client, admin):
    path = _draft(admin)
    url = f"/certs/admin/programs/{path.id}"
    for title in ("Read", "Watch"):
        response = admin_client.post(
            f"{url}/requirements",
            headers=FRAGMENT,
            data={"kind": "content", "title": title, "body": "Text", "is_mandatory": "y"},
        )
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert html.lstrip().startswith('<section id="requirements"')
        assert "<html" not in html and title in html
    read, watch = db.session.scalars(
        sa.select(PathRequirement)
        .where(PathRequirement.path_id == path.id)
        .order_by(PathRequirement.sort_order)
    ).all()
    # Edit form swapped in place, then saved.
    edit = admin_client.get(f"{url}/requirements/{read.id}/edit", headers=FRAGMENT)
    assert 'name="title"' in edit.get_data(as_text=True)
    saved = admin_client.post(
        f"{url}/requirements/{read.id}/edit",
        headers=FRAGMENT,
        data={"kind": "content", "title": "Read carefully", "body": "T"},
    )
    assert "Read carefully" in saved.get_data(as_text=True)
    # Move down in place.
    moved = admin_client.post(
        f"{url}/requirements/{read.id}/move", headers=FRAGMENT, data={"direction": "down"}
    )
    html = moved.get_data(as_text=True)
    assert html.index("Watch") < html.index("Read carefully")
    # Remove.
    watch_id = watch.id
    removed = admin_client.post(f"{url}/requirements/{watch_id}/remove", headers=FRAGMENT)
    assert "Watch" not in removed.get_data(as_text=True)
    assert db.session.get(PathRequirement, watch_id) is None


def test_requirement_editing_works_without_javascript(admin_client, admin):
    path = _draft(admin)
    url = f"/certs/admin/programs/{path.id}"
    response = admin_client.post(
        f"{url}/requirements", data={"kind": "content", "title": "Read", "body": "Text"}
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{url}#requirements")
    page = admin_client.get(url).get_data(as_text=True)
    assert "<html" in page and "Read" in page


def test_invalid_requirement_is_422_with_errors_and_nothing_saved(admin_client, admin):
    path = _draft(admin)
    response = admin_client.post(
        f"/certs/admin/programs/{path.id}/requirements",
        headers=FRAGMENT,
        data={"kind": "evidence", "title": "Upload", "instructions": "", "required_approvals": "1"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Tell learners what to submit" in html and 'value="Upload"' in html
    assert (
        db.session.scalar(
            sa.select(sa.func.count(PathRequirement.id)).where(PathRequirement.path_id == path.id)
        )
        == 0
    )
    response = admin_client.post(
        f"/certs/admin/programs/{path.id}/requirements",
        data={"kind": "quiz", "title": "Q", "min_score": "150"},
    )
    assert response.status_code == 422
    assert "Number must be between 0 and 100" in response.get_data(as_text=True)


def test_quiz_requirement_defaults_to_80_and_publish_records_versions(admin_client, admin):
    quiz = QuizFactory(tenant_id=admin.tenant_id)
    QuizVersionFactory(quiz=quiz)
    path = _draft(admin)
    admin_client.post(
        f"/certs/admin/programs/{path.id}/requirements",
        data={
            "kind": "quiz",
            "title": "Quiz",
            "quiz_id": str(quiz.id),
            "min_score": "80",
            "is_mandatory": "y",
        },
    )
    response = admin_client.post(f"/certs/admin/programs/{path.id}/publish")
    assert response.status_code == 303
    db.session.expire_all()
    path = db.session.get(CertificationPath, path.id)
    assert path.status is PathStatus.PUBLISHED and path.version == "1.0"
    assert path.requirements[0].min_score == 80
    page = admin_client.get(f"/certs/admin/programs/{path.id}").get_data(as_text=True)
    assert "Published version 1.0" in page


def test_publishing_an_invalid_programme_explains_why(admin_client, admin):
    path = _draft(admin)
    response = admin_client.post(f"/certs/admin/programs/{path.id}/publish")
    assert response.status_code == 303
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Add at least one mandatory requirement" in page
    db.session.expire_all()
    assert db.session.get(CertificationPath, path.id).status is PathStatus.DRAFT


def test_archive_and_delete(admin_client, admin):
    published = published_path(admin.tenant, slug="live")
    draft_id = _draft(admin).id
    confirm = admin_client.get(f"/certs/admin/programs/{draft_id}/delete")
    assert "cannot be undone" in confirm.get_data(as_text=True)
    assert admin_client.post(f"/certs/admin/programs/{draft_id}/delete").status_code == 303
    assert admin_client.post(f"/certs/admin/programs/{published.id}/delete").status_code == 409
    assert admin_client.post(f"/certs/admin/programs/{published.id}/archive").status_code == 303
    db.session.expire_all()
    assert db.session.get(CertificationPath, draft_id) is None
    assert db.session.get(CertificationPath, published.id).status is PathStatus.ARCHIVED


def test_admin_enrols_a_person_and_an_org_unit(admin_client, admin):
    path = published_path(admin.tenant, slug="live")
    unit = OrgUnitFactory(tenant_id=admin.tenant_id)
    sub = OrgUnitFactory(tenant_id=admin.tenant_id, parent_id=unit.id)
    people = [UserFactory(tenant_id=admin.tenant_id, org_unit_id=u.id) for u in (unit, sub, sub)]
    single = admin_client.post(
        f"/certs/admin/programs/{path.id}/enrol", data={"user_id": str(people[0].id)}
    )
    assert "1 enrolled now" in single.get_data(as_text=True)
    bulk = admin_client.post(
        f"/certs/admin/programs/{path.id}/enrol", data={"org_unit_id": str(unit.id)}
    )
    html = bulk.get_data(as_text=True)
    assert "2 enrolled now, 1 already enrolled" in html
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Enrolment.id)).where(Enrolment.path_id == path.id)
        )
        == 3
    )


def test_list_search_filter_and_pagination(admin_client, admin, app):
    app.config["PAGE_SIZE"] = 5
    for n in range(7):
        PathFactory(tenant_id=admin.tenant_id, name=f"Crane {n}", slug=f"crane-{n}")
    PathFactory(
        tenant_id=admin.tenant_id, name="Welding", slug="welding", status=PathStatus.PUBLISHED
    )
    PathFactory(name="Foreign Crane", slug="foreign")
    html = admin_client.get("/certs/admin/programs/?q=crane").get_data(as_text=True)
    assert "Page 1 of 2" in html and "Foreign Crane" not in html
    html = admin_client.get("/certs/admin/programs/?status=published").get_data(as_text=True)
    assert "Welding" in html and "Crane 1" not in html
    html = admin_client.get("/certs/admin/programs/?q=nothing").get_data(as_text=True)
    assert "No programme matches" in html


def test_list_runs_a_constant_number_of_queries(admin_client, admin, count_queries):
    def queries_for(n):
        for _ in range(n):
            PathFactory(tenant_id=admin.tenant_id)
        db.session.flush()
        with count_queries() as counter:
            assert admin_client.get("/certs/admin/programs/").status_code == 200
        return counter.count

    assert queries_for(3) == queries_for(27)


def test_non_admins_cannot_edit(client, login):
    tenant = TenantFactory()
    path = published_path(tenant)
    login(UserFactory(tenant=tenant, role=Role.MENTOR))
    assert client.get(f"/certs/admin/programs/{path.id}").status_code == 403
    assert client.post(f"/certs/admin/programs/{path.id}/archive").status_code == 403
