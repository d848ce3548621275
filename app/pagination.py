"""Pages over a stable keyset (sort key, id), with offsets also accepted.

A cursor names the last row seen, so the next page is an index range scan at
any depth of the list; the total is read only when someone asks for it.
"""

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.bounded import Bounded
from app.clinic_counts import kept_total
from app.compiled_reads import fetch_rows, fetch_scalar
from app.errors import Invalid
from app.models import ClinicOwned, columns
from app.rows import read_rows
from app.tenancy import clinic_conditions
from app.timestamps import parse_timestamp

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 50

Row = TypeVar("Row")


class Projection(Protocol):
    """What a page's rows carry instead of the model's columns (besides its sort key)."""

    def columns(self, model: type[Any], dialect: str) -> tuple[ColumnElement[Any], ...] | None:
        """The expressions to select for rows of `model` on `dialect`; None: the model's columns."""


@dataclass(frozen=True)
class PageRequest:
    first: int = DEFAULT_PAGE_SIZE
    after: str | None = None
    offset: int = 0
    # The objects' text, written by PostgreSQL (graphql_schema.rendered, rest_compat.shapes).
    projection: Projection | None = None
    # The total is read with the page, in its statement: v1's lists always show it.
    with_total: bool = False


FIRST_PAGE = PageRequest()


@dataclass(frozen=True)
class SortKey:
    column: Any  # the model's datetime column
    id_column: Any
    descending: bool = False


@dataclass
class Page(Generic[Row]):
    items: list[Row]
    has_next: bool
    has_previous: bool
    _key: SortKey = field(repr=False)
    _session: AsyncSession = field(repr=False)
    _where: Sequence[ColumnElement[bool]] = field(repr=False)
    _counted: Sequence[ColumnElement[bool]] = field(repr=False)  # with the clinic's predicate
    _model: Any = field(repr=False)
    # The rows hold the sort key and the request's projection, not the model's columns.
    projected: bool = False
    _total: int | None = field(default=None, repr=False)

    @cached_property
    def cursors(self) -> list[str]:
        # Made when asked for: offset pages (REST) and `nodes` never read them.
        sort_name, id_name = self._key.column.key, self._key.id_column.key
        return [encode_cursor(getattr(r, sort_name), getattr(r, id_name)) for r in self.items]

    async def total(self) -> int:
        if self._total is None:
            query = _total(self._session, self._model, self._where, self._counted)
            self._total = int(await fetch_scalar(self._session, query) or 0)
        return self._total


def _total(
    session: AsyncSession,
    model: type[Any],
    where: Sequence[ColumnElement[bool]],
    counted: Sequence[ColumnElement[bool]],
) -> Select[Any]:
    # A whole list's total is kept per clinic, so it costs the same at any size;
    # a filtered one is counted, over the filter's index.
    kept = None if where else kept_total(session, model)
    return select(func.count()).select_from(model).where(*counted) if kept is None else kept


# The label of the total in a page's rows, when it is read with them.
_TOTAL = "page_total"


def encode_cursor(sort_value: datetime, id_: str) -> str:
    raw = f"{sort_value.isoformat()}|{id_}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        sort_text, id_ = raw.split("|", 1)
        # The one parser of caller timestamps: a forged one outside the range is
        # refused here, before SQL would overflow converting it.
        return parse_timestamp(sort_text), id_
    except (binascii.Error, UnicodeDecodeError, ValueError):
        problem = {"after": "is not a cursor from this API"}
        raise Invalid("Invalid cursor", details=problem) from None


def _after(key: SortKey, cursor: str) -> ColumnElement[bool]:
    sort_value, id_ = decode_cursor(cursor)
    if key.descending:
        return or_(key.column < sort_value, and_(key.column == sort_value, key.id_column < id_))
    return or_(key.column > sort_value, and_(key.column == sort_value, key.id_column > id_))


async def paginate(
    session: AsyncSession,
    model: type[ClinicOwned[Row]],
    *,
    where: Sequence[ColumnElement[bool]],
    key: SortKey,
    page: PageRequest,
) -> Page[Row]:
    size = max(1, min(page.first, MAX_PAGE_SIZE))
    # Run on the raw driver (app.compiled_reads), where the ORM's clinic filter
    # does not reach: the page's statements carry tenancy's predicate themselves.
    owned = clinic_conditions(session, model)
    counted = [*owned, *where]
    projection = page.projection
    dialect = session.get_bind().dialect.name
    projected = projection.columns(model, dialect) if projection else None
    # An unfiltered first page is a statement of these alone (the clinic is a
    # parameter): made once, its construction and cache key (a tenth of a small
    # request) are not paid again. Any other is made for its values.
    first = None if where or page.after or page.offset else (
        model, key, size, dialect, projected, page.with_total, bool(owned)
    )  # fmt: skip
    query = None if first is None else _FIRST_PAGES.get(first)
    if query is None:
        query = _page_statement(session, model, key, page, size, owned, where, projected)
        if first is not None:
            _FIRST_PAGES.keep(first, query)
    # Plain rows of the model's columns, as the loaders answer (see app.rows), or
    # of the sort key and the projection's columns.
    fetched = await fetch_rows(session, query, projected or ())
    if fetched is None:
        fetched = await read_rows(session, query.add_columns(*(projected or ())))
    rows: list[Row] = fetched
    return Page(
        items=rows[:size],
        has_next=len(rows) > size,
        has_previous=page.after is not None or page.offset > 0,
        _key=key,
        _session=session,
        _where=where,
        _counted=counted,
        _model=model,
        projected=projected is not None,
        # An empty page has no row to carry it: asked for, it is counted then.
        _total=int(getattr(rows[0], _TOTAL) or 0) if page.with_total and rows else None,
    )


# Bounded: models x sort keys x page sizes x the projections plans ask for.
_FIRST_PAGES: Bounded[tuple[Any, ...], Select[Any]] = Bounded(512)


def _page_statement(
    session: AsyncSession,
    model: type[Any],
    key: SortKey,
    page: PageRequest,
    size: int,
    owned: list[ColumnElement[bool]],
    where: Sequence[ColumnElement[bool]],
    projected: tuple[ColumnElement[Any], ...] | None,
) -> Select[Any]:
    counted = [*owned, *where]
    conditions = list(counted)
    if page.after:
        conditions.append(_after(key, page.after))
    order = (
        [key.column.desc(), key.id_column.desc()] if key.descending else [key.column, key.id_column]
    )
    # A projection's rows carry the sort key (for cursors) and what it selects, made once.
    selected = columns(model) if projected is None else (key.column, key.id_column)
    if page.with_total:
        # Once per statement (an InitPlan), on every row: one round trip for both.
        total = _total(session, model, where, counted).correlate(None).scalar_subquery()
        selected = (*selected, total.label(_TOTAL))
    if page.offset:
        # A deep offset skips rows through the sort index alone (an index-only
        # scan), then reads just the page's rows: at offset 250,000 that is ~50 ms
        # where reading and sorting the skipped rows took ~350.
        window = (
            select(key.id_column)
            .where(*conditions)
            .order_by(*order)
            .offset(page.offset)
            .limit(size + 1)
            .subquery()
        )
        return (
            select(*selected)
            .join(window, key.id_column == window.c[key.id_column.key])
            .where(*owned)
            .order_by(*order)
        )
    return select(*selected).where(*conditions).order_by(*order).limit(size + 1)
