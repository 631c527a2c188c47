"""Reading a people CSV file as spreadsheets write them: UTF-8 with or without a byte order
mark, comma, semicolon or tab separated (told by the header line), header names in any case
and spacing, a size and row limit, and the line number of every record. Pure (no database).

The format is documented in docs/people-import.md.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass

from webapp.errors import ValidationFailed

MAX_IMPORT_BYTES = 400 * 1024  # below the form-field limit: the preview posts the text back
MAX_IMPORT_ROWS = 2000
DELIMITERS = (",", ";", "\t")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}

# Column -> the header names it goes by, compared without case, spaces, "-", "_" or ".".
COLUMNS = {
    "email": ("email", "emailaddress", "mail"),
    "full_name": ("name", "fullname"),
    "role": ("role",),
    "org_unit": ("orgunit", "orgunitpath", "unit"),
    "external_id": ("externalid",),
}
REQUIRED = ("email", "full_name")
COLUMN_TITLES = {
    "email": "email",
    "full_name": "name",
    "role": "role",
    "org_unit": "org unit",
    "external_id": "external id",
}
_ALIASES = {alias: column for column, aliases in COLUMNS.items() for alias in aliases}


def _key(header: str) -> str:
    return re.sub(r"[\s\-_.]+", "", header.strip().lower())


def file_problem(message: str) -> ValidationFailed:
    return ValidationFailed(message, {"file": [message]})


def decode_upload(raw: bytes) -> str:
    """The text of an uploaded file: UTF-8, a leading byte order mark dropped, line ends as
    "\\n". Raises ValidationFailed (too large, empty, not UTF-8)."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise file_problem(
            f"The file is larger than {MAX_IMPORT_BYTES // 1024} KB: split it into several "
            f"files of at most {MAX_IMPORT_ROWS} people."
        )
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise file_problem(
            "The file is UTF-16 text. Save it as “CSV UTF-8 (comma delimited)” and upload it again."
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise file_problem(
            f"Line {line} is not UTF-8 text. Save the file as “CSV UTF-8 (comma delimited)” "
            "and upload it again."
        ) from None
    return normalise(text)


def normalise(text: str) -> str:
    """Text as it is read and compared: no byte order mark, line ends as "\\n". Pure."""
    text = text.removeprefix("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n")


@dataclass(frozen=True)
class Record:
    """One data record: the line it starts on and its cells by column (trimmed)."""

    line: int
    cells: dict[str, str]
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    delimiter: str
    columns: tuple[str, ...]  # the columns found, in the file's order
    ignored: tuple[str, ...]  # header names that name no column
    records: tuple[Record, ...]

    @property
    def delimiter_name(self) -> str:
        return DELIMITER_NAMES[self.delimiter]


def _first_row(text: str, delimiter: str) -> list[str]:
    return next(csv.reader(io.StringIO(text), delimiter=delimiter), [])


def sniff_delimiter(text: str) -> str:
    """The separator under which the header line names the most known columns (then the
    most cells); a comma when nothing is known. Pure."""

    def score(delimiter: str) -> tuple[int, int]:
        header = _first_row(text, delimiter)
        return sum(_key(h) in _ALIASES for h in header), len(header)

    best = max(DELIMITERS, key=score)  # max keeps the first of equals: comma first
    return best if score(best) > (0, 1) else ","


def read_table(text: str) -> Table:
    """The header and data records of the normalised `text`. Raises ValidationFailed when the
    file as a whole cannot be read (empty, no known header, a required or a repeated column,
    too many rows); problems of single records are in each Record."""
    text = normalise(text)
    if not text.strip():
        raise file_problem("The file is empty.")
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader)
    header_line = reader.line_num
    index: dict[str, int] = {}
    ignored = []
    for position, name in enumerate(header):
        column = _ALIASES.get(_key(name))
        if column is None:
            if name.strip():
                ignored.append(name.strip())
        elif column in index:
            raise file_problem(f"The header names the column “{name.strip()}” twice.")
        else:
            index[column] = position
    missing = [COLUMN_TITLES[c] for c in REQUIRED if c not in index]
    if missing:
        shown = ", ".join(h.strip() for h in header if h.strip()) or "nothing"
        raise file_problem(
            f"Line {header_line} must name the columns; {' and '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} missing (found: {shown}). "
            "See the file format."
        )
    records: list[Record] = []
    previous = header_line
    for cells in reader:
        line, previous = previous + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue  # blank lines, or lines of separators only
        if len(records) >= MAX_IMPORT_ROWS:
            raise file_problem(
                f"The file has more than {MAX_IMPORT_ROWS} people: split it into several files."
            )
        problems = []
        if reader.line_num > line:
            problems.append(
                f"A quoted value runs from line {line} to line {reader.line_num}: "
                "a closing quote may be missing."
            )
        extra = [cell for cell in cells[len(header) :] if cell.strip()]
        if extra:
            problems.append(
                f"The line has {len(header) + len(extra)} values but the header names "
                f"{len(header)} columns (a value containing “{delimiter}” needs quotes)."
            )
        row = {
            column: (cells[position].strip() if position < len(cells) else "")
            for column, position in index.items()
        }
        records.append(Record(line, row, tuple(problems)))
    columns = tuple(sorted(index, key=index.__getitem__))
    return Table(delimiter, columns, tuple(ignored), tuple(records))
