"""Quiz item analysis, as Moodle's quiz statistics: for each question of a published quiz
version, over the graded attempts of that version (their latest score version, so a regrade
counts), the attempts that drew it, its facility (the mean fraction of its points earned), the
share answered fully right, the mean score in points and its discrimination index (the
Pearson correlation between the question's score and the score on the rest of the attempt).

The per-question outcomes live in `EvaluationScoreVersion.outcomes` (question id -> earned and
points as exact fractions, correct, answered); the sums behind every figure are aggregated in
SQL (one statement for the questions, one for the attempts). Reads only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import (
    Evaluation,
    EvaluationScoreVersion,
    EvaluationStatus,
    Quiz,
    QuizVersion,
)
from webapp.services.reports import sql
from webapp.services.reports.csv_export import csv_row

# The thresholds of a question that needs attention (Moodle's rules of thumb).
FACILITY_LOW = 0.2  # most people get it wrong: too hard, or a wrong key
FACILITY_HIGH = 0.95  # nearly everyone gets it right: tells little
DISCRIMINATION_LOW = 0.2  # strong and weak candidates do about as well on it
GRADED = (EvaluationStatus.GRADED, EvaluationStatus.AWAITING_VALIDATION)
CSV_HEADER = (
    "position",
    "question id",
    "question",
    "type",
    "points",
    "attempts",
    "facility (%)",
    "fully right (%)",
    "mean score",
    "discrimination",
    "needs attention",
)


@dataclass(frozen=True)
class ItemStats:
    """The figures of one question; None where no attempt drew it (or, for discrimination,
    where either score does not vary)."""

    position: int
    question_id: str
    prompt: str
    type: str
    points: str
    attempts: int
    facility: float | None
    correct_share: float | None
    mean_score: float | None
    discrimination: float | None

    @property
    def label(self) -> str:
        """The position and the start of the prompt ("3. What do you do first…")."""
        prompt = " ".join(self.prompt.split())
        return f"{self.position}. {prompt if len(prompt) <= 60 else prompt[:59] + '…'}"

    @property
    def flags(self) -> list[str]:
        """Why the question needs attention (empty when it does not)."""
        found = []
        if self.facility is not None and self.facility < FACILITY_LOW:
            found.append("very hard")
        if self.facility is not None and self.facility > FACILITY_HIGH:
            found.append("very easy")
        if self.discrimination is not None and self.discrimination < DISCRIMINATION_LOW:
            found.append("low discrimination")
        return found


@dataclass(frozen=True)
class ItemAnalysis:
    version: QuizVersion
    attempts: int
    mean_percent: float | None
    items: list[ItemStats]


def pearson(n: int, sx: float, sy: float, sxx: float, syy: float, sxy: float) -> float | None:
    """The Pearson correlation from the sums of x, y, x², y² and xy over n pairs; None when
    there are fewer than two pairs or either variable does not vary. Pure."""
    if n < 2:
        return None
    covariance = n * sxy - sx * sy
    spread_x, spread_y = n * sxx - sx * sx, n * syy - sy * sy
    # Sums of floats: a constant variable may come out a hair off zero.
    if spread_x <= 1e-9 * max(1.0, n * sxx) or spread_y <= 1e-9 * max(1.0, n * syy):
        return None
    return max(-1.0, min(1.0, covariance / math.sqrt(spread_x * spread_y)))


def _question_sums(version: QuizVersion) -> dict[str, Any]:
    """question id -> the row of sums over the graded attempts of `version`."""
    score = EvaluationScoreVersion
    entries = sql.outcome_rows(score.outcomes)
    earned = sql.fraction_number(sql.outcome_field(entries.c.value, "earned"))
    points = sql.fraction_number(sql.outcome_field(entries.c.value, "points"))
    scored = (
        sa.select(
            Evaluation.id.label("attempt"),
            entries.c.key.label("question"),
            earned.label("earned"),
            points.label("points"),
            sa.case((sql.outcome_true(entries.c.value, "correct"), 1), else_=0).label("correct"),
        )
        .select_from(Evaluation)
        .join(
            score,
            sa.and_(
                score.evaluation_id == Evaluation.id,
                score.version == Evaluation.latest_score_version,
            ),
        )
        .join(entries, sa.true())
        .where(
            Evaluation.tenant_id == version.tenant_id,
            Evaluation.quiz_version_id == version.id,
            Evaluation.status.in_(GRADED),
        )
        .subquery()
    )
    paired = sa.select(
        scored.c.question,
        scored.c.earned,
        scored.c.correct,
        # x: the share of the question's points earned; y: the score on the rest of the attempt.
        (scored.c.earned / sa.func.nullif(scored.c.points, 0)).label("x"),
        (sa.func.sum(scored.c.earned).over(partition_by=scored.c.attempt) - scored.c.earned).label(
            "y"
        ),
    ).subquery()
    x, y = paired.c.x, paired.c.y
    rows = db.session.execute(
        sa.select(
            paired.c.question,
            sa.func.count(),
            sa.func.sum(x),
            sa.func.sum(y),
            sa.func.sum(x * x),
            sa.func.sum(y * y),
            sa.func.sum(x * y),
            sa.func.sum(paired.c.earned),
            sa.func.sum(paired.c.correct),
        ).group_by(paired.c.question)
    ).all()
    return {row[0]: row for row in rows}


def item_analysis(version: QuizVersion) -> ItemAnalysis:
    """The item analysis of a quiz version: every question in the version's order, and the
    number and mean percentage of its graded attempts. Two statements."""
    sums = _question_sums(version)
    attempts, mean_percent = db.session.execute(
        sa.select(sa.func.count(Evaluation.id), sa.func.avg(Evaluation.percent)).where(
            Evaluation.tenant_id == version.tenant_id,
            Evaluation.quiz_version_id == version.id,
            Evaluation.status.in_(GRADED),
        )
    ).one()
    items = []
    for position, question in enumerate(version.questions or [], start=1):
        row = sums.get(question["id"])
        n = int(row[1]) if row else 0
        sx, sy, sxx, syy, sxy, earned, correct = (float(v or 0) for v in row[2:]) if n else (0,) * 7
        items.append(
            ItemStats(
                position=position,
                question_id=question["id"],
                prompt=str(question.get("prompt") or ""),
                type=str(question.get("type") or ""),
                points=str(question.get("points", 1)),
                attempts=n,
                facility=sx / n if n else None,
                correct_share=correct / n if n else None,
                mean_score=earned / n if n else None,
                discrimination=pearson(n, sx, sy, sxx, syy, sxy) if n else None,
            )
        )
    return ItemAnalysis(
        version=version,
        attempts=int(attempts or 0),
        mean_percent=float(mean_percent) if mean_percent is not None else None,
        items=items,
    )


@dataclass(frozen=True)
class VersionChoice:
    version_id: int
    label: str
    attempts: int


def version_choices(tenant_id: int) -> list[VersionChoice]:
    """Every published quiz version of the tenant with its number of graded attempts, by quiz
    title and version (newest first). One statement."""
    attempts = (
        sa.select(Evaluation.quiz_version_id, sa.func.count(Evaluation.id).label("attempts"))
        .where(Evaluation.tenant_id == tenant_id, Evaluation.status.in_(GRADED))
        .group_by(Evaluation.quiz_version_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(QuizVersion.id, Quiz.title, QuizVersion.number, attempts.c.attempts)
        .join(Quiz, Quiz.id == QuizVersion.quiz_id)
        .outerjoin(attempts, attempts.c.quiz_version_id == QuizVersion.id)
        .where(QuizVersion.tenant_id == tenant_id)
        .order_by(sa.func.lower(Quiz.title), Quiz.id, QuizVersion.number.desc())
    ).all()
    return [
        VersionChoice(vid, f"{title} · version {number}", int(count or 0))
        for vid, title, number, count in rows
    ]


def _rounded(value: float | None, places: int) -> float | str:
    return round(value, places) if value is not None else ""


def items_csv(analysis: ItemAnalysis) -> list[str]:
    """The analysis's lines of CSV (header first), with the same figures as the page."""
    lines = [csv_row(CSV_HEADER)]
    for item in analysis.items:
        lines.append(
            csv_row(
                (
                    item.position,
                    item.question_id,
                    item.prompt,
                    item.type,
                    item.points,
                    item.attempts,
                    _rounded(100 * item.facility if item.facility is not None else None, 1),
                    _rounded(
                        100 * item.correct_share if item.correct_share is not None else None, 1
                    ),
                    _rounded(item.mean_score, 2),
                    _rounded(item.discrimination, 2),
                    "; ".join(item.flags),
                )
            )
        )
    return lines
