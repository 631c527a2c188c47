"""One shape of a page of results for every list: what `db.paginate` returns and what a
service that counts and pages its own query returns (`Page`), so that one macro
(`macros/forms.html: pagination`) renders them all."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Page:
    """One page of `total` results, shaped like Flask-SQLAlchemy's pagination."""

    items: list[Any]
    page: int
    per_page: int
    total: int
    # The query arguments the page's links keep (filters), falsy ones left out.
    args: dict[str, Any] = field(default_factory=dict)

    @property
    def query_args(self) -> dict[str, Any]:
        return {k: v for k, v in self.args.items() if v}

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None
