"""One page of a list worked out in Python (not a query), shaped as the `pager` macro reads it
(templates/_macros.html): the same attributes as Flask-SQLAlchemy's `Pagination`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class ListPage(Generic[T]):
    items: list[T]
    page: int
    pages: int

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def page_number(raw: str | None) -> int:
    """A page number from a query string: 1 for anything that is not a small whole number."""
    return int(raw) if raw and raw.isdigit() and len(raw) < 6 else 1


def page_of(items: Sequence[T], page: int, per_page: int) -> ListPage[T]:
    """The `page`-th slice of `per_page` items (a page past the end shows the last one)."""
    pages = max(1, -(-len(items) // per_page))
    page = min(max(page, 1), pages)
    start = (page - 1) * per_page
    return ListPage(list(items[start : start + per_page]), page, pages)
