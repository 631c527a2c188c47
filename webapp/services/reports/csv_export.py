"""CSV for the reports and the audit log: one line at a time (so long exports stream), every
text cell safe from formula injection."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

# A cell starting with one of these is run as a formula by spreadsheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A cell as text: numbers as they are (a negative number is no formula), other text
    that starts like a formula prefixed with '. Pure."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_row(values: Iterable[Any]) -> str:
    """One CSV line (CRLF-terminated) of safe cells. Pure."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(csv_cell(v) for v in values)
    return buffer.getvalue()
