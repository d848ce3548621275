"""Reading the change log: after an event id, oldest first, what the key may read.

A cursor is an event id, so a reader may resume from the last event a webhook
brought it as well as from the last page. A cursor is expired once retention
has removed events after it (`app.change_log.retention`): answering it would
skip them silently, so it is a VALIDATION_ERROR instead.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select

from app.change_log.models import ChangeCounter, ChangeEvent
from app.change_log.shapes import EVENT_TYPES, READ_SCOPES
from app.context import RequestContext
from app.errors import Invalid
from app.models import columns
from app.pagination import MAX_PAGE_SIZE
from app.rows import read_rows
from app.scopes import Principal, may
from app.timestamps import format_timestamp

MAX_TYPES = 50
_LONGEST_TYPE = max(map(len, EVENT_TYPES))
# Event ids are BIGINTs: 18 digits always fit.
_MAX_ID_DIGITS = 18


@dataclass(frozen=True)
class ChangePage:
    events: list[ChangeEvent]  # rows of ChangeEvent's columns (app.rows)
    has_more: bool
    after: int | None

    @property
    def cursors(self) -> list[str]:
        return [event_id(e) for e in self.events]

    @property
    def next_cursor(self) -> str | None:
        """Where to read on from: the last event of the page, or where this page began."""
        if self.events:
            return event_id(self.events[-1])
        return None if self.after is None else str(self.after)


def event_id(event: ChangeEvent) -> str:
    return str(event.seq)


def event_json(event: ChangeEvent) -> dict[str, Any]:
    return {
        "id": event_id(event),
        "type": event.type,
        "entity": event.entity,
        "entityId": event.entity_id,
        "occurredAt": format_timestamp(event.occurred_at),
        "actor": event.actor,
        "data": event.data,
    }


def parse_cursor(after: str | None) -> int | None:
    if not after:
        return None
    if not (after.isascii() and after.isdigit() and len(after) <= _MAX_ID_DIGITS):
        raise Invalid("Invalid cursor", details={"after": "is not an event id from this API"})
    return int(after)


def parse_types(types: Sequence[str] | None) -> frozenset[str]:
    """Event types asked for (empty: all); a type that does not exist is the caller's error."""
    wanted = frozenset(t.strip() for t in types or () if t.strip())
    unknown = sorted(wanted - set(EVENT_TYPES))
    if unknown or len(types or ()) > MAX_TYPES:
        # Named back to the caller, but never more of it than a type could be.
        named = ", ".join(t[:_LONGEST_TYPE] for t in unknown[:3]) or "too many types"
        raise Invalid(
            f"Unknown event type: {named}",
            details={"types": f"must be among {', '.join(EVENT_TYPES)}"},
        )
    return wanted


def readable_entities(principal: Principal) -> list[str]:
    return [entity for entity, scope in READ_SCOPES.items() if may(principal, scope)]


def _visible(principal: Principal, types: frozenset[str]) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [ChangeEvent.entity.in_(readable_entities(principal))]
    if types:
        conditions.append(ChangeEvent.type.in_(sorted(types)))
    return conditions


async def read_changes(
    ctx: RequestContext, *, after: str | None, first: int, types: Sequence[str] | None
) -> ChangePage:
    if first < 1:
        raise Invalid("The page size must be positive", details={"first": "must be at least 1"})
    start = parse_cursor(after)
    conditions = _visible(ctx.principal, parse_types(types))
    if start is not None:
        conditions.append(ChangeEvent.seq > start)
    size = min(first, MAX_PAGE_SIZE)
    query = (
        select(*columns(ChangeEvent)).where(*conditions).order_by(ChangeEvent.seq).limit(size + 1)
    )
    rows = await read_rows(ctx.session, query)
    if start is not None:
        # After the page, not before: a purge that commits between the two is seen here.
        await _refuse_expired(ctx, start)
    return ChangePage(events=rows[:size], has_more=len(rows) > size, after=start)


async def count_changes(ctx: RequestContext, *, types: Sequence[str] | None) -> int:
    conditions = _visible(ctx.principal, parse_types(types))
    counted = select(func.count()).select_from(ChangeEvent).where(*conditions)
    return int(await ctx.session.scalar(counted) or 0)


async def _refuse_expired(ctx: RequestContext, after: int) -> None:
    purged = await ctx.session.scalar(select(ChangeCounter.purged_through))
    if purged is not None and after < purged:
        days = ctx.settings.events_retention_days
        raise Invalid(
            "The cursor has expired",
            details={
                "after": f"events after it are older than the {days}-day retention and were "
                "removed; read the feed again from its start (without after)"
            },
        )
