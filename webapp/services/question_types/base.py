"""The base class of the question types and the text and number helpers they share. Pure:
no app, no database, no request."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, ClassVar

Question = dict[str, Any]
AddProblem = Callable[[str, str], None]

_SPACES = re.compile(r"\s+")

# JSON Schema fragments the types' `file_schema` share (the shape of a key, not its rules).
TEXT_LIST: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
NUMBER_OR_TEXT: dict[str, Any] = {"type": ["number", "string"]}


def normalize_text(value: str) -> str:
    """Case-insensitive, whitespace-insensitive comparison form of a short text answer."""
    return _SPACES.sub(" ", str(value)).strip().casefold()


def parse_decimal(value: Any) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError("not a number") from exc
    if not number.is_finite():
        raise ValueError("not a finite number")
    return number


def decimal_or_none(value: Any) -> Decimal | None:
    """A number from editor input, or None (booleans and None are not numbers)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        return parse_decimal(value)
    except ValueError:
        return None


def clean_text(value: Any) -> str:
    return str(value if value is not None else "").strip()


def accepted_answers(raw: Any) -> list[str]:
    """Accepted short-text answers: whitespace folded, duplicates (as compared when grading)
    dropped, order kept."""
    accepted: list[str] = []
    for answer in raw or []:
        answer = " ".join(str(answer).split())
        if answer and normalize_text(answer) not in map(normalize_text, accepted):
            accepted.append(answer)
    return accepted


class QuestionType:
    """One kind of question: its rules, its answers, its grading, its texts and the names of
    its partials. Subclasses set the class attributes and override what differs."""

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    # The fields of a question that make up its answer key (the first one names the key in
    # messages about imported files).
    key_fields: ClassVar[tuple[str, ...]] = ()
    # The message shown to a learner whose answer cannot be taken.
    answer_message: ClassVar[str] = ""
    # Whether the attempt page saves the answer on change (choices) rather than while typing.
    saves_on_change: ClassVar[bool] = False
    # The keys the type adds to a question in a programme file, as a JSON Schema fragment
    # (`properties` and `required`): their shape only, the rules being `problems`/`validate`.
    # The programme file's schema is assembled from these (programme_files.schema).
    file_schema: ClassVar[dict[str, Any]] = {"properties": {}, "required": []}

    @property
    def attempt_partial(self) -> str:
        """The inputs of the question on the attempt page (and the editor's preview)."""
        return f"quiz/types/_{self.name}.html"

    @property
    def editor_partial(self) -> str:
        """Macros of the quiz editor: `summary(question)`, `fields(form)` (the answer key in
        the question form) and `correction(form)` (the key in the "Correct question" form)."""
        return f"admin/quizzes/types/_{self.name}.html"

    # Authoring ---------------------------------------------------------------------------

    def validate(self, question: Question) -> list[str]:
        """Problems that keep the question from being graded (grading's last word)."""
        return []

    def problems(self, question: Question, add: AddProblem) -> None:
        """Report, by field, what keeps the draft question from being saved (a missing key
        excepted)."""

    def missing_key(self, question: Question) -> bool:
        """Whether the question has no correct answer yet."""
        return True

    def from_input(self, data: dict[str, Any], existing: Question | None) -> dict[str, Any]:
        """The type's stored fields from editor input (not yet checked)."""
        return {}

    def key_from_input(self, question: Question, data: dict[str, Any]) -> dict[str, Any]:
        """A corrected answer key from the "Correct question" input (not yet checked)."""
        return {}

    def answer_key(self, question: Question) -> dict[str, Any]:
        return {field: question.get(field) for field in self.key_fields}

    # Answers and grading -----------------------------------------------------------------

    def normalize(self, question: Question, answer: Any) -> Any:
        """Check and canonicalise a raw answer; raises ValueError when malformed."""
        raise ValueError("unknown question type")

    def submitted(self, question: Question, values: list[Any]) -> Any:
        """Form values (strings) as the stored answer, or None when the learner gave none.
        Raises ValueError (any message: the caller shows `answer_message`)."""
        if len(values) > 1:
            raise ValueError(self.answer_message)
        value = values[0] if values else None
        if value is None or str(value).strip() == "":
            return None
        return self.normalize(question, value)

    def grade(self, question: Question, answer: Any) -> Fraction:
        """The share of the points earned (0..1) by a normalised answer."""
        return Fraction(0)

    # Texts -------------------------------------------------------------------------------

    def answer_text(self, question: Question, answer: Any) -> str:
        """A stored answer in words ("" for none). Raises nothing."""
        if answer is None or answer == []:
            return ""
        return str(answer)

    def key_text(self, question: Question) -> str:
        """The correct answer in words (shown only after submission). Raises nothing."""
        return ""

    def key_note(self, question: Question) -> str:
        """How the question is scored, in words, when the type has a choice ("" otherwise)."""
        return ""


def new_id(taken: set[str], *, nbytes: int) -> str:
    """A random hex id not in `taken`."""
    while True:
        candidate = secrets.token_hex(nbytes)
        if candidate not in taken:
            return candidate
