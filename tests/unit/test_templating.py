"""The Jinja helpers of webapp.templating, without the app: `|score` (points, scores and
percentages rounded half-up for display) and `|plural` (a count with its noun)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from flask import Flask

from webapp.templating import format_minutes, format_score, init_templating, pluralize


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Fraction(11, 3), "3.67"),
        (Decimal("66.6666"), "66.67"),
        (Decimal("7.5000"), "7.5"),
        ("2/3", "0.67"),
        (2, "2"),
        (None, "—"),
    ],
)
def test_score_rounds_half_up_and_shows_a_dash_for_nothing(value, shown):
    assert format_score(value) == shown


@pytest.mark.parametrize(
    ("count", "word", "plural", "shown"),
    [
        (1, "minute", None, "1 minute"),
        (5, "minute", None, "5 minutes"),
        (0, "attempt", None, "0 attempts"),
        (1, "question", None, "1 question"),
        ("1", "point", None, "1 point"),  # points as stored (int or decimal string)
        ("1.5", "point", None, "1.5 points"),
        ("0.5", "point", None, "0.5 points"),
        (Decimal("1.0000"), "point", None, "1 point"),
        (Fraction(2, 3), "point", None, "0.67 points"),
        (1, "more approval", None, "1 more approval"),
        (2, "more approval", None, "2 more approvals"),
        (1, "person", "people", "1 person"),
        (3, "person", "people", "3 people"),
    ],
)
def test_plural_agrees_the_noun_with_the_number_shown(count, word, plural, shown):
    assert pluralize(count, word, plural) == shown


def test_the_filters_are_registered():
    app = Flask(__name__)
    init_templating(app)
    render = app.jinja_env.from_string
    assert render("{{ n|plural('minute') }}").render(n=1) == "1 minute"
    assert render("{{ n|plural('child', 'children') }}").render(n=2) == "2 children"
    assert render("{{ v|score }}%").render(v=Fraction(200, 3)) == "66.67%"


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (1440, "1 day"),
        (2880, "2 days"),
        (60, "1 hour"),
        (120, "2 hours"),
        (90, "90 minutes"),
        (1, "1 minute"),
        (0, "0 minutes"),
    ],
)
def test_minutes_are_shown_in_the_largest_whole_unit(minutes, text):
    assert format_minutes(minutes) == text
