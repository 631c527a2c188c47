"""Pure helpers that only ran through the app before: reminder bands, question drawing,
answer normalisation, certificate number formatting and the safe-`next` check. No app."""

from __future__ import annotations

import random

import pytest

from tests import quizdata
from webapp.auth.views import is_safe_next
from webapp.services import automated_evaluation as evaluation
from webapp.services import certificates, recertification


@pytest.mark.parametrize(
    ("offsets", "bands"),
    [
        ((30, 7), [(30, 7), (7, 0)]),
        ((7, 30, 7), [(30, 7), (7, 0)]),
        ((1,), [(1, 0)]),
        ((), []),
    ],
)
def test_reminder_bands_pair_each_offset_with_the_next_smaller(offsets, bands):
    assert recertification.reminder_bands(offsets) == bands


def questions(n: int) -> list[dict]:
    return [
        quizdata.single(id=f"q{i}", options=[{"id": "a"}, {"id": "b"}, {"id": "c"}])
        for i in range(1, n + 1)
    ]


def test_drawing_keeps_the_pool_order_without_shuffling():
    order, options = evaluation.draw_questions(questions(4), {}, random.Random(1))
    assert order == ["q1", "q2", "q3", "q4"] and options == {}


def test_drawing_n_questions_takes_n_distinct_ones_from_the_pool():
    for seed in range(20):
        order, _ = evaluation.draw_questions(questions(6), {"draw_count": 3}, random.Random(seed))
        assert len(order) == len(set(order)) == 3
        assert order == sorted(order, key=lambda q: int(q[1:]))  # pool order kept


def test_shuffling_is_a_permutation_and_repeatable_with_the_same_seed():
    settings = {"shuffle_questions": True, "shuffle_options": True}
    first = evaluation.draw_questions(questions(5), settings, random.Random(7))
    again = evaluation.draw_questions(questions(5), settings, random.Random(7))
    assert first == again
    order, options = first
    assert sorted(order) == [f"q{i}" for i in range(1, 6)]
    assert set(options) == set(order)
    assert all(sorted(o) == ["a", "b", "c"] for o in options.values())


@pytest.mark.parametrize(
    ("question", "raw", "stored"),
    [
        (quizdata.true_false(), "true", True),
        (quizdata.true_false(), "", None),
        (quizdata.short_text(), "  Zebra ", "Zebra"),
        (quizdata.numeric(), "1,5", "1.5"),
        (quizdata.single(options=[{"id": "a"}, {"id": "b"}]), "b", "b"),
        (quizdata.multiple(options=[{"id": "a"}, {"id": "b"}]), ["b", "a", ""], ["a", "b"]),
        (quizdata.multiple(options=[{"id": "a"}]), [""], None),
    ],
)
def test_answers_are_normalised_as_stored(question, raw, stored):
    assert evaluation.normalize_submitted(question, raw) == stored


@pytest.mark.parametrize(
    ("question", "raw"),
    [
        (quizdata.numeric(), "twelve"),
        (quizdata.numeric(), "1" * 41),
        (quizdata.numeric(), "1e999999"),
        (quizdata.single(options=[{"id": "a"}]), "z"),
        (quizdata.true_false(), ["true", "false"]),
        (quizdata.short_text(), {"nested": "dict"}),
    ],
)
def test_bad_answers_are_refused_with_a_message(question, raw):
    with pytest.raises(ValueError) as caught:
        evaluation.normalize_submitted(question, raw)
    assert str(caught.value)


@pytest.mark.parametrize(
    ("prefix", "year", "serial", "number"),
    [
        ("CERT", 2026, 42, "CERT-2026-00042"),
        ("ACME", 2027, 1, "ACME-2027-00001"),
        ("CERT", 2026, 123456, "CERT-2026-123456"),
    ],
)
def test_certificate_numbers_are_formatted(prefix, year, serial, number):
    assert certificates.format_number(prefix, year, serial) == number


@pytest.mark.parametrize(
    "target",
    ["/certs", "/certs/programs/a-b?x=1#top", "/certs/quiz/attempts/3?page=2"],
)
def test_paths_of_this_site_are_safe_to_return_to(target):
    assert is_safe_next(target)


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "certs",
        "//evil.example",
        "/\\evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "/\tcerts",
        "/certs\nLocation: x",
        "\\\\evil.example",
    ],
)
def test_other_sites_and_odd_paths_are_not(target):
    assert not is_safe_next(target)
