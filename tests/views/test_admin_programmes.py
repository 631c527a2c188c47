"""The programme editor: forms, in-place requirement editing with htmx, publishing, archiving
and deleting (enrolments: test_admin_enrolments)."""

import io
from pathlib import Path

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
from tests.htmx import htmx
from webapp.admin import programmes
from webapp.extensions import db
from webapp.models import (
    CertificationPath,
    PathRequirement,
    PathStatus,
    ProgressStatus,
    RequirementProgress,
    Role,
)

FRAGMENT = htmx("requirements")


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


def count_programmes() -> int:
    return db.session.scalar(sa.select(sa.func.count(CertificationPath.id)))


def test_create_programme_through_the_form(admin_client, admin):
    response = admin_client.post("/certs/admin/programs/new", data=form())
    assert response.status_code == 303
    programme = db.session.scalar(
        sa.select(CertificationPath).where(CertificationPath.slug == "forklift-operator")
    )
    assert programme.tenant_id == admin.tenant_id and programme.validity_days == 365
    assert response.headers["Location"].endswith(f"/certs/admin/programs/{programme.id}")


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
    before = count_programmes()
    response = admin_client.post("/certs/admin/programs/new", data=form(**overrides))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert 'value="Drive safely.' in html or "Drive safely." in html
    assert 'aria-invalid="true"' in html
    assert count_programmes() == before


def test_duplicate_slug_is_refused(admin_client, admin):
    PathFactory(tenant_id=admin.tenant_id, slug="forklift-operator")
    before = count_programmes()
    response = admin_client.post("/certs/admin/programs/new", data=form())
    assert response.status_code == 422
    assert "already uses this slug" in response.get_data(as_text=True)
    assert count_programmes() == before


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
    foreign_programme = PathFactory()
    foreign_quiz = QuizFactory()
    mine = published_path(admin.tenant, slug="mine")
    assert (
        admin_client.post(
            "/certs/admin/programs/new", data=form(prerequisite_ids=str(foreign_programme.id))
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
            f"/certs/admin/programs/{mine.id}/edit",
            data=form(slug="mine", org_unit_id=str(OrgUnitFactory().id)),
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
        count_programmes() == 0
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
    programme = db.session.scalar(
        sa.select(CertificationPath).where(CertificationPath.slug == "forklift-operator")
    )
    assert programme.badge_image_key.startswith("badges/")
    served = admin_client.get("/certs/programs/forklift-operator/badge")
    try:
        assert served.status_code == 200 and served.data == png
        assert served.headers["X-Content-Type-Options"] == "nosniff"
    finally:
        served.close()


def _draft(admin):
    return PathFactory(tenant_id=admin.tenant_id, slug="draft-one")


def test_requirements_are_added_edited_moved_and_removed_in_place(admin_client, admin):
    programme = _draft(admin)
    url = f"/certs/admin/programs/{programme.id}"
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
        .where(PathRequirement.path_id == programme.id)
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
    assert "<strong>Watch</strong>" not in removed.get_data(as_text=True)
    assert db.session.get(PathRequirement, watch_id) is None


def test_requirement_editing_works_without_javascript(admin_client, admin):
    programme = _draft(admin)
    url = f"/certs/admin/programs/{programme.id}"
    response = admin_client.post(
        f"{url}/requirements", data={"kind": "content", "title": "Read", "body": "Text"}
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{url}#requirements")
    page = admin_client.get(url).get_data(as_text=True)
    assert "<html" in page and "Read" in page
    # A refused add shows every kind with the errors, and does not fetch them again on load.
    refused = admin_client.post(f"{url}/requirements", data={"kind": "content", "title": ""})
    assert refused.status_code == 422
    fresh = add_form(refused.get_data(as_text=True))
    assert shown_kinds(fresh) == {"quiz", "evidence", "content"}
    assert 'aria-invalid="true"' in fresh and 'hx-trigger="change"' in fresh


def test_invalid_requirement_is_422_with_errors_and_nothing_saved(admin_client, admin):
    programme = _draft(admin)
    response = admin_client.post(
        f"/certs/admin/programs/{programme.id}/requirements",
        headers=FRAGMENT,
        data={"kind": "evidence", "title": "Upload", "instructions": "", "required_approvals": "1"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Tell learners what to submit" in html and 'value="Upload"' in html
    assert (
        db.session.scalar(
            sa.select(sa.func.count(PathRequirement.id)).where(
                PathRequirement.path_id == programme.id
            )
        )
        == 0
    )
    response = admin_client.post(
        f"/certs/admin/programs/{programme.id}/requirements",
        data={"kind": "quiz", "title": "Q", "min_score": "150"},
    )
    assert response.status_code == 422
    assert "Number must be between 0 and 100" in response.get_data(as_text=True)


def test_quiz_requirement_defaults_to_80_and_publish_records_versions(admin_client, admin):
    quiz = QuizFactory(tenant_id=admin.tenant_id)
    QuizVersionFactory(quiz=quiz)
    programme = _draft(admin)
    admin_client.post(
        f"/certs/admin/programs/{programme.id}/requirements",
        data={
            "kind": "quiz",
            "title": "Quiz",
            "quiz_id": str(quiz.id),
            "min_score": "80",
            "is_mandatory": "y",
        },
    )
    response = admin_client.post(f"/certs/admin/programs/{programme.id}/publish")
    assert response.status_code == 303
    db.session.expire_all()
    programme = db.session.get(CertificationPath, programme.id)
    assert programme.status is PathStatus.PUBLISHED and programme.version == "1.0"
    assert programme.requirements[0].min_score == 80
    page = admin_client.get(f"/certs/admin/programs/{programme.id}").get_data(as_text=True)
    assert "Published version 1.0" in page


def test_publishing_an_invalid_programme_explains_why(admin_client, admin):
    programme = _draft(admin)
    response = admin_client.post(f"/certs/admin/programs/{programme.id}/publish")
    assert response.status_code == 303
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Add at least one mandatory requirement" in page
    db.session.expire_all()
    assert db.session.get(CertificationPath, programme.id).status is PathStatus.DRAFT


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


# --- The add form after a write, kind settings, in-place status texts ----------------------


def add_form(html: str) -> str:
    """The add-requirement form of a page or fragment."""
    start = html.index("<h3>Add a requirement</h3>")
    return html[start : html.index("</form>", start)]


def test_add_form_is_empty_after_a_requirement_is_added(admin_client, admin):
    quiz = QuizFactory(tenant_id=admin.tenant_id)
    QuizVersionFactory(quiz=quiz)
    programme = _draft(admin)
    url = f"/certs/admin/programs/{programme.id}"
    added = admin_client.post(
        f"{url}/requirements",
        headers=FRAGMENT,
        data={
            "kind": "quiz",
            "title": "Theory check",
            "quiz_id": str(quiz.id),
            "min_score": "95",
            "requires_peer_validation": "y",
        },
    )
    assert added.status_code == 200
    html = added.get_data(as_text=True)
    assert "Theory check" in html  # listed
    fresh = add_form(html)
    assert "Theory check" not in fresh and 'value="95"' not in fresh
    assert 'checked id="requires_peer_validation"' not in fresh
    assert 'checked id="is_mandatory"' in fresh  # the default again, though the post had none
    assert f'selected value="{quiz.id}"' not in fresh and 'selected value="">Choose a quiz' in fresh
    added = admin_client.post(
        f"{url}/requirements",
        headers=FRAGMENT,
        data={
            "kind": "evidence",
            "title": "Site report",
            "instructions": "Upload the signed site report.",
            "accepted_types": "pdf",
            "required_approvals": "2",
        },
    )
    fresh = add_form(added.get_data(as_text=True))
    assert "Site report" not in fresh and "Upload the signed site report." not in fresh
    assert 'value="evidence" selected' not in fresh and 'selected value="evidence"' not in fresh
    # An in-place edit re-renders the page's add form empty too.
    report = db.session.scalar(
        sa.select(PathRequirement).where(PathRequirement.title == "Site report")
    )
    saved = admin_client.post(
        f"{url}/requirements/{report.id}/edit",
        headers=FRAGMENT,
        data={
            "kind": "evidence",
            "title": "Signed site report",
            "instructions": "Upload it.",
            "accepted_types": "pdf",
            "required_approvals": "1",
        },
    )
    assert "Signed site report" not in add_form(saved.get_data(as_text=True))
    # Without JavaScript: 303, and the page it leads to has an empty add form.
    response = admin_client.post(
        f"{url}/requirements", data={"kind": "content", "title": "Read", "body": "Text"}
    )
    assert response.status_code == 303
    fresh = add_form(admin_client.get(url).get_data(as_text=True))
    assert 'value="Read"' not in fresh and ">Text<" not in fresh


def test_add_form_keeps_the_input_after_a_refused_add(admin_client, admin):
    programme = _draft(admin)
    response = admin_client.post(
        f"/certs/admin/programs/{programme.id}/requirements",
        headers=FRAGMENT,
        data={"kind": "evidence", "title": "Report", "instructions": "Upload it."},
    )
    assert response.status_code == 422
    form_html = add_form(response.get_data(as_text=True))
    assert 'value="Report"' in form_html and "Upload it." in form_html
    assert "Accept at least one file type" in form_html


SETTINGS = htmx("requirement-settings")
LEGENDS = {
    "quiz": "<legend>Quiz settings</legend>",
    "evidence": "<legend>Evidence settings</legend>",
    "content": "<legend>Learning content</legend>",
}
HINT = "Only the settings of the chosen kind are used"


def shown_kinds(html: str) -> set[str]:
    return {kind for kind, legend in LEGENDS.items() if legend in html}


def test_full_page_shows_every_kind_and_narrows_with_javascript(admin_client, admin):
    programme = _draft(admin)
    page = admin_client.get(f"/certs/admin/programs/{programme.id}").get_data(as_text=True)
    fresh = add_form(page)
    # Without JavaScript every kind's settings stay usable...
    assert shown_kinds(fresh) == {"quiz", "evidence", "content"} and HINT in fresh
    # ...and with it the kind select asks at once for the chosen kind's settings only.
    settings_url = f"/certs/admin/programs/{programme.id}/requirements/settings"
    assert f'hx-get="{settings_url}"' in fresh
    assert 'hx-trigger="change, load"' in fresh
    assert 'hx-target="#requirement-settings"' in fresh
    assert 'id="requirement-settings"' in fresh


def test_fragments_show_only_the_chosen_kind(admin_client, admin):
    programme = _draft(admin)
    url = f"/certs/admin/programs/{programme.id}"
    fragment = admin_client.get(url, headers=FRAGMENT).get_data(as_text=True)
    fresh = add_form(fragment)
    assert shown_kinds(fresh) == {"quiz"} and HINT not in fresh
    assert 'hx-trigger="change"' in fresh
    # A refused add keeps the chosen kind and the input, and does not fetch the settings again.
    refused = admin_client.post(
        f"{url}/requirements",
        headers=FRAGMENT,
        data={"kind": "content", "title": "Read", "video_url": "ftp://video"},
    )
    assert refused.status_code == 422
    fresh = add_form(refused.get_data(as_text=True))
    assert shown_kinds(fresh) == {"content"} and HINT not in fresh
    assert 'value="ftp://video"' in fresh and "must start with http" in fresh
    assert 'aria-invalid="true"' in fresh and 'hx-trigger="change"' in fresh


def test_settings_of_a_kind_are_swapped_in_with_the_typed_values(admin_client, admin):
    programme = _draft(admin)
    before = programme.updated_at
    url = f"/certs/admin/programs/{programme.id}/requirements/settings"
    response = admin_client.get(
        url,
        headers=SETTINGS,
        query_string={"kind": "evidence", "instructions": "Keep me", "accepted_types": "pdf"},
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="requirement-settings"') and "<html" not in html
    assert shown_kinds(html) == {"evidence"} and HINT not in html
    assert "Keep me" in html and '<input checked id="accepted_types-0"' in html
    for kind in ("quiz", "content"):
        html = admin_client.get(url, headers=SETTINGS, query_string={"kind": kind}).get_data(
            as_text=True
        )
        assert shown_kinds(html) == {kind}
    # Unknown or missing kinds are bad requests; nothing is changed.
    assert (
        admin_client.get(url, headers=SETTINGS, query_string={"kind": "essay"}).status_code == 400
    )
    assert admin_client.get(url, headers=SETTINGS).status_code == 400
    db.session.expire_all()
    programme = db.session.get(CertificationPath, programme.id)
    assert programme.updated_at == before and programme.requirements == []
    # A plain browser asking for it gets the programme page.
    plain = admin_client.get(url, query_string={"kind": "quiz"})
    assert plain.status_code in (302, 303)
    assert plain.headers["Location"].endswith(f"/certs/admin/programs/{programme.id}#requirements")


def test_settings_of_a_foreign_programme_answer_404(admin_client, admin):
    foreign = PathFactory()
    url = f"/certs/admin/programs/{foreign.id}/requirements/settings"
    assert admin_client.get(url, headers=SETTINGS, query_string={"kind": "quiz"}).status_code == 404


def test_edit_form_shows_only_the_requirement_kind(admin_client, admin):
    programme = _draft(admin)
    admin_client.post(
        f"/certs/admin/programs/{programme.id}/requirements",
        data={"kind": "content", "title": "Read", "body": "Text"},
    )
    read = db.session.scalar(
        sa.select(PathRequirement).where(PathRequirement.path_id == programme.id)
    )
    url = f"/certs/admin/programs/{programme.id}/requirements/{read.id}/edit"
    for headers in (FRAGMENT, {}):
        html = admin_client.get(url, headers=headers).get_data(as_text=True)
        assert shown_kinds(html) == {"content"} and HINT not in html
        assert 'value="Read"' in html and ">Text</textarea>" in html.replace("\r\n", "")
    refused = admin_client.post(
        url, headers=FRAGMENT, data={"kind": "content", "title": "Read", "body": ""}
    )
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert shown_kinds(html) == {"content"} and "Give the learning content" in html


def test_in_place_changes_say_so_in_the_fragment_and_leave_no_flash(admin_client, admin):
    programme = _draft(admin)
    url = f"/certs/admin/programs/{programme.id}"
    added = admin_client.post(
        f"{url}/requirements",
        headers=FRAGMENT,
        data={"kind": "content", "title": "Watch", "body": "Text"},
    )
    assert "Requirement “Watch” added." in section_status(added.get_data(as_text=True))
    watch = db.session.scalar(
        sa.select(PathRequirement).where(PathRequirement.path_id == programme.id)
    )
    saved = admin_client.post(
        f"{url}/requirements/{watch.id}/edit",
        headers=FRAGMENT,
        data={"kind": "content", "title": "Watch it", "body": "Text"},
    )
    assert "Requirement “Watch it” saved." in section_status(saved.get_data(as_text=True))
    removed = admin_client.post(f"{url}/requirements/{watch.id}/remove", headers=FRAGMENT)
    assert removed.status_code == 200
    assert "Requirement “Watch it” removed." in section_status(removed.get_data(as_text=True))
    elsewhere = admin_client.get("/certs/admin/").get_data(as_text=True)
    assert "removed." not in elsewhere and "added." not in elsewhere and "saved." not in elsewhere
    # The next fragment does not repeat the message either.
    again = admin_client.get(url, headers=FRAGMENT).get_data(as_text=True)
    assert 'role="status"' not in again


def section_status(html: str) -> str:
    """The status text inside the #requirements section of a fragment."""
    assert html.lstrip().startswith('<section id="requirements"')
    start = html.index('role="status"')
    return html[start : html.index("</p>", start)]


def test_plain_removal_flashes_on_the_page_it_redirects_to(admin_client, admin):
    programme = _draft(admin)
    url = f"/certs/admin/programs/{programme.id}"
    admin_client.post(f"{url}/requirements", data={"kind": "content", "title": "Read", "body": "T"})
    read = db.session.scalar(
        sa.select(PathRequirement).where(PathRequirement.path_id == programme.id)
    )
    response = admin_client.post(f"{url}/requirements/{read.id}/remove")
    assert response.status_code == 303
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Requirement “Read” removed." in page
    assert "removed." not in admin_client.get("/certs/admin/").get_data(as_text=True)


# --- Delete and archive -----------------------------------------------------------------


def test_delete_page_of_a_published_programme_offers_archiving(admin_client, admin):
    published = published_path(admin.tenant, slug="live")
    url = f"/certs/admin/programs/{published.id}"
    page = admin_client.get(f"{url}/delete")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "cannot be deleted" in html and "Only a never-published draft" in html
    assert "removed for good" not in html and "Delete programme" not in html
    assert f'href="{url}/archive"' in html
    refused = admin_client.post(f"{url}/delete")
    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    assert "<html" in html and "Only a never-published draft can be deleted" in html
    assert f'href="{url}/archive"' in html and "Delete programme" not in html
    db.session.expire_all()
    assert db.session.get(CertificationPath, published.id) is not None


def test_delete_page_of_a_required_draft_explains_why(admin_client, admin):
    draft = _draft(admin)
    other = PathFactory(tenant_id=admin.tenant_id, slug="other")
    other.prerequisites = [draft]
    db.session.flush()
    html = admin_client.get(f"/certs/admin/programs/{draft.id}/delete").get_data(as_text=True)
    assert "Other programmes require this one" in html and "Delete programme" not in html


def test_delete_page_of_an_archived_programme_does_not_offer_archiving(admin_client, admin):
    programme = published_path(admin.tenant, slug="old")
    programme.archive()
    db.session.flush()
    html = admin_client.get(f"/certs/admin/programs/{programme.id}/delete").get_data(as_text=True)
    assert "cannot be deleted" in html and "already archived" in html
    assert f"/certs/admin/programs/{programme.id}/archive" not in html


def enrolled(programme, *, certified: bool = False):
    from webapp.services import certification_path_management as paths
    from webapp.services import orchestration

    enrolment, _ = paths.enrol(UserFactory(tenant_id=programme.tenant_id), programme)
    if certified:
        for requirement in enrolment.program_snapshot["requirements"]:
            orchestration.mark_content_complete(enrolment, requirement["requirement_id"])
    return enrolment


def test_archive_page_explains_archiving_with_figures(admin_client, admin):
    programme = published_path(admin.tenant, slug="live", requirements=1)
    enrolled(programme)
    enrolled(programme)
    enrolled(programme, certified=True)
    enrolled(published_path(admin.tenant, slug="other"))  # another programme
    foreign = published_path(TenantFactory(), slug="live")
    enrolled(foreign, certified=True)
    url = f"/certs/admin/programs/{programme.id}"
    page = admin_client.get(url).get_data(as_text=True)
    assert f'href="{url}/archive"' in page and 'data-confirm="Archive' not in page
    response = admin_client.get(f"{url}/archive")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "2 open enrolments" in html and "1 active certificate" in html
    for claim in (
        "leaves the catalogue",
        "no new enrolments",
        "stay valid until they expire",
        "No renewals",
        "cannot be undone",
    ):
        assert claim in html, claim
    assert f'action="{url}/archive"' in html and 'name="csrf_token"' in html
    db.session.expire_all()
    assert db.session.get(CertificationPath, programme.id).status is PathStatus.PUBLISHED
    assert admin_client.post(f"{url}/archive").status_code == 303
    db.session.expire_all()
    assert db.session.get(CertificationPath, programme.id).status is PathStatus.ARCHIVED


def test_archiving_twice_explains_instead_of_failing(admin_client, admin):
    programme = published_path(admin.tenant, slug="live")
    url = f"/certs/admin/programs/{programme.id}/archive"
    assert admin_client.post(url).status_code == 303
    again = admin_client.post(url)
    assert again.status_code == 409
    html = again.get_data(as_text=True)
    assert "<html" in html and "already archived" in html
    page = admin_client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "already archived" in html and f'action="{url}"' not in html


def test_archive_page_is_truthful_about_people_enrolled(client, login, admin):
    """The page promises enrolled people their programme pages: they must really keep them."""
    programme = published_path(admin.tenant, slug="live")
    enrolment = enrolled(programme)
    requirement_id = enrolment.program_snapshot["requirements"][0]["requirement_id"]
    learner = enrolment.user
    login(admin)
    url = f"/certs/admin/programs/{programme.id}/archive"
    page = client.get(url).get_data(as_text=True)
    assert "People already enrolled keep full access" in page
    assert client.post(url).status_code == 303
    client.post("/auth/logout")
    login(learner)
    assert client.get("/certs/programs/live").status_code == 200
    assert client.get(f"/certs/programs/live/requirements/{requirement_id}").status_code == 200
    client.post(f"/certs/programs/live/requirements/{requirement_id}/complete")
    progress = db.session.scalar(
        sa.select(RequirementProgress.status).where(
            RequirementProgress.enrolment_id == enrolment.id,
            RequirementProgress.requirement_id == requirement_id,
        )
    )
    assert progress is ProgressStatus.MET


def test_a_badge_of_a_refused_save_leaves_no_stored_file(app, admin_client, admin, monkeypatch):
    # The badge is written with the transaction: when the save fails after the upload and the
    # transaction rolls back, the file is removed again.
    badges = Path(app.config["STORAGE_PATH"]) / "badges"
    before = set(badges.rglob("*")) if badges.exists() else set()

    def refuse(programme, key):
        assert (badges.parent / key).is_file()  # written during the transaction
        raise RuntimeError("the save is refused")

    monkeypatch.setattr(programmes.paths, "set_badge", refuse)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    with pytest.raises(RuntimeError, match="the save is refused"):
        admin_client.post(
            "/certs/admin/programs/new",
            data={**form(), "badge": (io.BytesIO(png), "b.png")},
            content_type="multipart/form-data",
        )
    db.session.rollback()
    after = set(badges.rglob("*")) if badges.exists() else set()
    assert {p for p in after - before if p.is_file()} == set()
    assert count_programmes() == 0
