"""The SQL that differs between PostgreSQL and SQLite in the reports: days between two
timestamps, a median per group, the per-question outcomes of a score version as rows, and the
exact fractions ("3/2") those outcomes store, as numbers."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from webapp.extensions import db


def dialect() -> str:
    return db.session.get_bind().dialect.name


def days_between(start: Any, end: Any) -> sa.ColumnElement[float]:
    """`end - start` in days (fractional)."""
    if dialect() == "postgresql":
        return sa.extract("epoch", end - start) / 86400.0
    # SQLite stores UTC timestamps as text that julianday() reads.
    return sa.func.julianday(end) - sa.func.julianday(start)


def median_by(source: sa.Subquery, key: str, value: str) -> sa.Subquery:
    """A subquery (`key`, `median`): the median of `source.c[value]` per `source.c[key]`, rows
    with a NULL value left out. PostgreSQL has percentile_cont; on SQLite the middle row (or
    the mean of the two middle rows) is found by numbering each group's sorted rows."""
    group, number = source.c[key], source.c[value]
    if dialect() == "postgresql":
        return (
            sa.select(
                group.label("key"),
                sa.func.percentile_cont(0.5).within_group(number.asc()).label("median"),
            )
            .where(number.is_not(None))
            .group_by(group)
            .subquery()
        )
    ranked = (
        sa.select(
            group.label("key"),
            number.label("value"),
            sa.func.row_number().over(partition_by=group, order_by=number).label("position"),
            sa.func.count().over(partition_by=group).label("size"),
        )
        .where(number.is_not(None))
        .subquery()
    )
    # Integer division: the middle position of an odd group twice, the two middle ones of an
    # even group.
    return (
        sa.select(ranked.c.key, sa.func.avg(ranked.c.value).label("median"))
        .where(
            sa.or_(
                ranked.c.position == (ranked.c.size + 1) // 2,
                ranked.c.position == (ranked.c.size + 2) // 2,
            )
        )
        .group_by(ranked.c.key)
        .subquery()
    )


def outcome_rows(outcomes: Any) -> sa.TableValuedAlias:
    """The entries of a score version's `outcomes` (question id -> {"earned", "points",
    "correct", "answered"}) as rows (`key`, `value`), joined laterally."""
    function = sa.func.jsonb_each if dialect() == "postgresql" else sa.func.json_each
    return function(outcomes).table_valued("key", "value")


def outcome_field(value: Any, name: str) -> sa.ColumnElement[Any]:
    """One field of an outcome entry as text (a boolean as 'true'/'false' on PostgreSQL and as
    1/0 on SQLite: use `outcome_true`)."""
    if dialect() == "postgresql":
        return value.op("->>")(name)
    return sa.func.json_extract(value, f"$.{name}")


def outcome_true(value: Any, name: str) -> sa.ColumnElement[bool]:
    """Whether a boolean field of an outcome entry is true."""
    field = outcome_field(value, name)
    return field == "true" if dialect() == "postgresql" else field == 1


def fraction_number(text: Any) -> sa.ColumnElement[float]:
    """An exact number as stored by grading ("2", "3/2", "1.5") as a float."""
    number = sa.Float
    if dialect() == "postgresql":
        slash = sa.func.strpos(text, "/")
        numerator, denominator = sa.func.split_part(text, "/", 1), sa.func.split_part(text, "/", 2)
    else:
        slash = sa.func.instr(text, "/")
        numerator = sa.func.substr(text, 1, slash - 1)
        denominator = sa.func.substr(text, slash + 1)
    return sa.case(
        (slash > 0, sa.cast(numerator, number) / sa.cast(denominator, number)),
        else_=sa.cast(text, number),
    )
