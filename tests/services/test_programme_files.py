"""Programme definitions as files: export, import, and every problem with its JSON programme."""

import copy
import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.factories import (
    PathFactory,
    QuizFactory,
    QuizVersionFactory,
    RequirementFactory,
    SkillFactory,
    TenantFactory,
    UserFactory,
)
from tests.quizdata import EDITOR_INPUT
from webapp.errors import ValidationFailed
from webapp.extensions import db
from webapp.models import (
    AuditEvent,
    CertificationPath,
    Level,
    PathRequirement,
    PathStatus,
    Quiz,
    QuizStatus,
    QuizVersion,
    RequirementKind,
    Role,
    Skill,
)
from webapp.services import automated_evaluation, grading
from webapp.services import programme_files as files
from webapp.services.demo import SAFETY_QUESTIONS


def canonical(document) -> str:
    return json.dumps(document, sort_keys=True, indent=2)


def build_programme(tenant, *, slug="safety-fundamentals", quiz_title="Safety quiz"):
    """A programme with skills, a prerequisite, and a quiz, an evidence and a content
    requirement; the quiz is published and has unpublished draft changes."""
    basics = PathFactory(tenant=tenant, slug="site-basics", name="Site Basics")
    settings = {**automated_evaluation.DEFAULT_SETTINGS, "max_attempts": 3}
    quiz = QuizFactory(
        tenant=tenant,
        title=quiz_title,
        description="Five questions.",
        questions=copy.deepcopy(SAFETY_QUESTIONS),
        settings=settings,
        status=QuizStatus.PUBLISHED,
    )
    QuizVersionFactory(quiz=quiz, questions=copy.deepcopy(SAFETY_QUESTIONS), settings=settings)
    quiz.questions = [dict(SAFETY_QUESTIONS[0], prompt="A draft edit, not published yet.")]
    programme = PathFactory(
        tenant=tenant,
        slug=slug,
        name="Safety Fundamentals",
        description="The basics.",
        level=Level.INTERMEDIATE,
        validity_days=365,
        renewal_window_days=45,
        recert_grace_days=60,
        self_enrolment=False,
    )
    programme.skills = [
        SkillFactory(tenant=tenant, name="Fire safety"),
        SkillFactory(tenant=tenant),
    ]
    programme.prerequisites = [basics]
    RequirementFactory(
        programme=programme,
        sort_order=1,
        kind=RequirementKind.QUIZ,
        title="Safety quiz",
        quiz_id=quiz.id,
        min_score=70,
        settings={"requires_peer_validation": True},
    )
    RequirementFactory(
        programme=programme,
        sort_order=2,
        kind=RequirementKind.EVIDENCE,
        title="Inspection report",
        is_mandatory=False,
        settings={"instructions": "Upload it.", "accepted_types": ["pdf"], "required_approvals": 2},
    )
    RequirementFactory(
        programme=programme,
        sort_order=3,
        kind=RequirementKind.CONTENT,
        title="Handbook",
        settings={"body": "Read it.", "video_url": "https://video.example.org/a"},
    )
    db.session.flush()
    db.session.expire(programme, ["requirements"])
    return programme


def counts() -> dict[str, int]:
    models = (CertificationPath, PathRequirement, Quiz, QuizVersion, Skill, AuditEvent)
    return {
        m.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in models
    }


def import_problems(tenant, document, **kwargs) -> dict[str, list[str]]:
    before = counts()
    with pytest.raises(ValidationFailed) as caught:
        files.import_programme(tenant, None, document, **kwargs)
    assert counts() == before
    return caught.value.problems


@pytest.fixture
def acme(app):
    return TenantFactory(name="Acme", slug="acme")


@pytest.fixture
def globex(app):
    tenant = TenantFactory(name="Globex", slug="globex")
    PathFactory(tenant=tenant, slug="site-basics", name="Globex Site Basics")
    return tenant


def test_export_holds_the_definition_without_ids_timestamps_or_versions(acme):
    programme = build_programme(acme)
    document = files.export_programme(programme)
    assert document["format"] == "certifikation.programme"
    assert document["format_version"] == 1
    assert document["programme"] == {
        "name": "Safety Fundamentals",
        "slug": "safety-fundamentals",
        "description": "The basics.",
        "level": "intermediate",
        "validity_days": 365,
        "renewal_window_days": 45,
        "recert_grace_days": 60,
        "self_enrolment": False,
        "skills": sorted(s.name for s in programme.skills),
        "prerequisites": ["site-basics"],
    }
    assert [r["kind"] for r in document["requirements"]] == ["quiz", "evidence", "content"]
    assert document["requirements"][0] == {
        "kind": "quiz",
        "title": "Safety quiz",
        "is_mandatory": True,
        "min_score": 70,
        "quiz": "safety-quiz",
        "settings": {"requires_peer_validation": True},
    }
    text = canonical(document)
    for word in ("_id", "created_at", "published_at", "version_major", '"number"'):
        assert word not in text


def test_export_takes_quizzes_from_their_latest_published_version(acme):
    programme = build_programme(acme)
    quiz = files.export_programme(programme)["quizzes"]["safety-quiz"]
    assert quiz["questions"] == SAFETY_QUESTIONS  # not the unpublished draft edit
    assert quiz["settings"]["max_attempts"] == 3
    assert quiz["description"] == "Five questions."


def test_export_falls_back_to_the_draft_of_a_never_published_quiz(acme):
    programme = PathFactory(tenant=acme)
    quiz = QuizFactory(tenant=acme, title="Draft only")
    RequirementFactory(programme=programme, kind=RequirementKind.QUIZ, quiz_id=quiz.id, settings={})
    db.session.expire(programme, ["requirements"])
    document = files.export_programme(programme)
    assert document["quizzes"]["draft-only"]["questions"] == quiz.questions


def test_quizzes_with_the_same_title_get_distinct_keys(acme):
    programme = PathFactory(tenant=acme)
    first, second = (
        QuizFactory(tenant=acme, title="Check!"),
        QuizFactory(tenant=acme, title="check"),
    )
    for quiz in (first, second, first):
        RequirementFactory(
            programme=programme, kind=RequirementKind.QUIZ, quiz_id=quiz.id, settings={}
        )
    db.session.expire(programme, ["requirements"])
    document = files.export_programme(programme)
    assert [r["quiz"] for r in document["requirements"]] == ["check", "check-2", "check"]
    assert sorted(document["quizzes"]) == ["check", "check-2"]


def test_export_import_export_round_trips_identically(acme, globex):
    exported = files.export_programme(build_programme(acme))
    admin = UserFactory(tenant=globex, role=Role.ADMIN)
    imported = files.import_programme(globex, admin, json.loads(canonical(exported)))
    assert canonical(files.export_programme(imported)) == canonical(exported)


def test_import_creates_a_draft_with_published_quizzes_in_another_tenant(acme, globex):
    document = files.export_programme(build_programme(acme))
    admin = UserFactory(tenant=globex, role=Role.ADMIN)
    programme = files.import_programme(globex, admin, files.dumps(document).encode())
    assert programme.tenant_id == globex.id
    assert programme.status is PathStatus.DRAFT
    assert programme.version == "0.0"
    assert [(r.sort_order, r.kind.value) for r in programme.requirements] == [
        (1, "quiz"),
        (2, "evidence"),
        (3, "content"),
    ]
    quiz = programme.requirements[0].quiz
    assert quiz.tenant_id == globex.id
    assert [v.questions for v in quiz.versions] == [SAFETY_QUESTIONS]
    assert programme.requirements[0].min_score == 70
    assert programme.requirements[1].settings["required_approvals"] == 2
    assert programme.requirements[1].is_mandatory is False
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.object_id == programme.id))
    assert (event.action, event.tenant_id, event.actor_id) == (
        "programme.imported",
        globex.id,
        admin.id,
    )


def test_prerequisites_are_resolved_by_slug_in_the_target_tenant(acme, globex):
    document = files.export_programme(build_programme(acme))
    programme = files.import_programme(globex, None, document)
    basics = db.session.scalar(
        sa.select(CertificationPath).where(
            CertificationPath.tenant_id == globex.id, CertificationPath.slug == "site-basics"
        )
    )
    assert programme.prerequisites == [basics]


def test_skills_of_the_same_name_are_reused(acme, globex):
    existing = SkillFactory(tenant=globex, name="Fire safety")
    document = files.export_programme(build_programme(acme))
    programme = files.import_programme(globex, None, document)
    assert existing in programme.skills
    assert len(programme.skills) == 2
    names = db.session.scalars(sa.select(Skill.name).where(Skill.tenant_id == globex.id)).all()
    assert names.count("Fire safety") == 1


def test_a_copy_can_be_imported_under_a_new_slug_and_name(acme):
    original = build_programme(acme)
    document = files.export_programme(original)
    problems = import_problems(acme, document)
    assert problems == {
        "$.programme.slug": ["Another programme already uses this slug."],
        "$.programme.name": ["Another programme already has this name."],
    }
    problems = import_problems(acme, document, slug="safety-copy")
    assert problems == {"$.programme.name": ["Another programme already has this name."]}
    copied = files.import_programme(
        acme, None, document, slug="safety-copy", name="Safety Fundamentals (copy)"
    )
    assert (copied.slug, copied.name) == ("safety-copy", "Safety Fundamentals (copy)")
    assert copied.requirements[0].quiz_id != original.requirements[0].quiz_id
    assert files.export_programme(copied)["programme"] == dict(
        document["programme"], slug="safety-copy", name="Safety Fundamentals (copy)"
    )


def test_names_are_unique_per_tenant_ignoring_case(acme, globex):
    document = files.export_programme(build_programme(acme))
    name = document["programme"]["name"]
    problems = import_problems(acme, document, slug="other-slug", name=name.upper())
    assert problems == {"$.programme.name": ["Another programme already has this name."]}
    assert files.import_programme(globex, None, document).name == name  # another tenant


def test_an_invalid_new_slug_is_reported_on_the_programme_slug(acme, globex):
    document = files.export_programme(build_programme(acme))
    problems = import_problems(globex, document, slug="Not a slug")
    assert list(problems) == ["$.programme.slug"]


def test_every_problem_is_reported_with_its_json_path_and_nothing_is_created(acme, globex):
    document = files.export_programme(build_programme(acme))
    programme = document["programme"]
    programme.update(slug="Bad Slug", level="expert", validity_days=-5, self_enrolment="yes")
    programme["colour"] = "red"
    programme["prerequisites"] = ["site-basics", "no-such-programme"]
    programme["skills"] = ["Fire safety", "", "Fire safety"]
    quiz_req, evidence, content = document["requirements"]
    quiz_req.update(min_score=150, quiz="nope")
    evidence["settings"]["accepted_types"] = ["exe"]
    evidence["settings"]["required_approvals"] = 9
    content["settings"]["video_url"] = "ftp://example.org/video"
    document["requirements"] += [
        {"kind": "webinar", "title": "Live"},
        {"kind": "content", "title": " ", "settings": {"body": "Text", "extra": 1}},
        "not an object",
        {"kind": "evidence", "title": "Photo", "min_score": 50, "settings": {"instructions": 3}},
    ]
    quiz = document["quizzes"].pop("safety-quiz")
    questions = quiz["questions"]
    questions[0]["correct"] = ["z"]
    questions[1]["type"] = "essay"
    questions[2]["id"] = questions[0]["id"]
    questions[3]["accepted"] = []
    questions[4]["value"] = "a lot"
    questions.append({"id": "q9", "type": "single", "prompt": "?", "points": 1, "options": "a, b"})
    quiz["settings"]["max_attempts"] = -1
    quiz["settings"]["sound"] = "loud"
    document["quizzes"]["safety"] = quiz
    document["quizzes"]["spare"] = {"title": "Spare", "questions": []}
    document["surprise"] = True

    problems = import_problems(globex, document)

    expected_paths = {
        "$.surprise",
        "$.programme.slug",
        "$.programme.level",
        "$.programme.validity_days",
        "$.programme.self_enrolment",
        "$.programme.colour",
        "$.programme.prerequisites[1]",
        "$.programme.skills[1]",
        "$.programme.skills[2]",
        "$.requirements[0].min_score",
        "$.requirements[0].quiz",
        "$.requirements[1].settings.accepted_types",
        "$.requirements[1].settings.required_approvals",
        "$.requirements[2].settings.video_url",
        "$.requirements[3].kind",
        "$.requirements[4].title",
        "$.requirements[4].settings.extra",
        "$.requirements[5]",
        "$.requirements[6].min_score",
        "$.requirements[6].settings.instructions",
        "$.requirements[6].settings.accepted_types",
        "$.quizzes.safety",
        "$.quizzes.safety.settings.max_attempts",
        "$.quizzes.safety.settings.sound",
        "$.quizzes.safety.questions[0].correct",
        "$.quizzes.safety.questions[1].type",
        "$.quizzes.safety.questions[2].id",
        "$.quizzes.safety.questions[3].accepted",
        "$.quizzes.safety.questions[4].value",
        "$.quizzes.safety.questions[5].options",
        "$.quizzes.safety.questions[5].correct",
        "$.quizzes.spare",
        "$.quizzes.spare.questions",
    }
    assert set(problems) == expected_paths
    assert problems["$.programme.prerequisites[1]"] == [
        "There is no programme with the slug “no-such-programme” here."
    ]
    assert problems["$.quizzes.safety"] == ["No requirement uses this quiz."]
    assert problems["$.requirements[0].quiz"] == ["There is no quiz “nope” in $.quizzes."]
    assert problems["$.requirements[1].settings.accepted_types"][0].startswith(
        "Accepted types must be among"
    )
    assert problems["$.quizzes.safety.questions[0].correct"] == [
        "A correct answer refers to an option that does not exist."
    ]
    assert problems["$.programme.colour"] == ["Unknown key."]
    assert problems["$.programme.self_enrolment"] == ["Expected true or false."]


def test_wrong_types_are_reported_without_further_guesswork(globex):
    problems = import_problems(
        globex,
        {
            "format": "certifikation.programme",
            "format_version": 1,
            "programme": {"name": 7, "level": None, "skills": "Fire safety"},
            "requirements": {"kind": "quiz"},
            "quizzes": [],
        },
    )
    assert problems == {
        "$.programme.name": ["Expected text."],
        "$.programme.slug": ["This key is required."],
        "$.programme.level": ["Expected text."],
        "$.programme.skills": ["Expected a list."],
        "$.requirements": ["Expected a list."],
        "$.quizzes": ["Expected an object."],
    }


def test_an_empty_programme_with_defaults_imports(globex):
    document = {
        "format": "certifikation.programme",
        "format_version": 1,
        "programme": {"name": "Minimal", "slug": "minimal"},
    }
    programme = files.import_programme(globex, None, document)
    assert (programme.level, programme.validity_days, programme.renewal_window_days) == (
        Level.FOUNDATION,
        None,
        30,
    )
    assert programme.self_enrolment is True
    assert programme.requirements == []


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{not json", "The file is not valid JSON (line 1, column 2)."),
        (b"\xff\xfe{}", "The file is not UTF-8 text."),
        (b"[1, 2]", "The file must hold one JSON object."),
        (b'{"a": NaN}', "The file is not valid JSON."),
        (b"[" * 100_000 + b"]" * 100_000, "The file is not valid JSON."),
        (b" " * (files.MAX_DOCUMENT_BYTES + 1), "The file is larger than 2 MB."),
    ],
)
def test_unreadable_files_are_refused_with_a_clear_message(globex, raw, message):
    assert import_problems(globex, raw) == {"$": [message]}


def test_another_format_or_version_is_refused_before_anything_else(globex):
    base = {"format": "certifikation.programme", "format_version": 2, "programme": 1}
    assert import_problems(globex, base) == {
        "$.format_version": [
            "Format version 2 is not supported; this version of CertifiKation reads version 1."
        ]
    }
    other = dict(base, format="something.else", format_version=1)
    assert list(import_problems(globex, other)) == ["$.format"]


def test_quiz_keys_that_are_not_plain_names_are_quoted_in_paths(globex):
    document = {
        "format": "certifikation.programme",
        "format_version": 1,
        "programme": {"name": "Keys", "slug": "keys"},
        "requirements": [{"kind": "quiz", "title": "Q", "quiz": "my quiz"}],
        "quizzes": {"my quiz": {"title": "Q", "questions": [{"id": "q1"}]}},
    }
    problems = import_problems(globex, document)
    assert set(problems) == {
        '$.quizzes["my quiz"].questions[0].type',
    }


def editor_quiz(tenant, admin):
    """A quiz built through the quiz editor, one question of every type."""
    quiz = automated_evaluation.create_quiz(tenant.id, admin, title="Editor quiz")
    for data in EDITOR_INPUT.values():
        automated_evaluation.add_question(quiz, admin, data)
    return quiz


def test_quizzes_made_in_the_editor_round_trip(acme, globex):
    admin = UserFactory(tenant=acme, role=Role.ADMIN)
    quiz = editor_quiz(acme, admin)
    automated_evaluation.publish_quiz(quiz, admin)
    programme = PathFactory(tenant=acme)
    RequirementFactory(programme=programme, kind=RequirementKind.QUIZ, quiz_id=quiz.id, settings={})
    db.session.expire(programme, ["requirements"])
    exported = files.export_programme(programme)
    imported = files.import_programme(globex, UserFactory(tenant=globex, role=Role.ADMIN), exported)
    assert canonical(files.export_programme(imported)) == canonical(exported)
    assert imported.requirements[0].quiz.versions[0].questions == quiz.questions


def test_a_draft_question_without_an_answer_key_is_reported(acme, globex):
    admin = UserFactory(tenant=acme, role=Role.ADMIN)
    quiz = automated_evaluation.create_quiz(acme.id, admin, title="Unfinished")
    automated_evaluation.add_question(quiz, admin, {"type": "true_false", "prompt": "Sure?"})
    programme = PathFactory(tenant=acme)
    RequirementFactory(programme=programme, kind=RequirementKind.QUIZ, quiz_id=quiz.id, settings={})
    db.session.expire(programme, ["requirements"])
    problems = import_problems(globex, files.export_programme(programme))
    assert problems == {
        "$.quizzes.unfinished.questions[0].correct": ["This question has no correct answer."]
    }


def test_the_documented_example_imports_and_round_trips(globex):
    text = (Path(__file__).parents[2] / "docs" / "programme-format.md").read_text()
    example = re.search(r"```json\n(.*?)\n```", text, re.DOTALL).group(1)
    PathFactory(tenant=globex, slug="safety-fundamentals")
    programme = files.import_programme(globex, None, example.encode())
    assert files.dumps(files.export_programme(programme)) == example + "\n"
    quiz = programme.requirements[1].quiz
    assert {q["type"] for q in quiz.versions[0].questions} == set(grading.REGISTRY)
    kinds = {r.kind.value for r in programme.requirements}
    assert kinds == {"quiz", "evidence", "content"}


def test_values_of_any_json_type_are_reported_not_crashed_on(globex):
    document = {
        "format": "certifikation.programme",
        "format_version": 1,
        "programme": {"name": "Odd", "slug": "odd", "validity_days": 1e400},
        "requirements": [
            {"kind": ["quiz"], "title": "A", "quiz": ["x"]},
            {"kind": "quiz", "title": {"t": 1}, "quiz": "x", "min_score": 10**100},
        ],
        "quizzes": {
            "x": {
                "title": "X",
                "settings": {"feedback": ["loud"], "draw_count": 5},
                "questions": [
                    {"id": "q1", "type": {"a": 1}},
                    {
                        "id": "q2",
                        "type": "single",
                        "prompt": "P",
                        "points": 1e400,
                        "options": [{"id": "a", "text": "A"}, {"id": 2, "text": ["B"]}],
                        "correct": [["a"]],
                    },
                ],
            }
        },
    }
    problems = import_problems(globex, document)
    assert set(problems) == {
        "$.programme.validity_days",
        "$.requirements[0].kind",
        "$.requirements[1].title",
        "$.requirements[1].min_score",
        "$.quizzes.x.settings.feedback",
        "$.quizzes.x.settings.draw_count",
        "$.quizzes.x.questions[0].type",
        "$.quizzes.x.questions[1].options[1].id",
        "$.quizzes.x.questions[1].options[1].text",
        "$.quizzes.x.questions[1].correct",
    }
