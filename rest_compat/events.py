"""`GET /api/v1/events`: the change feed, our extension of v1 in its envelope style."""

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from app.change_log import feed
from app.pagination import MAX_PAGE_SIZE
from rest_compat.auth import AnyKey
from rest_compat.params import text_param

router = APIRouter(tags=["Events"])
FEED_PAGE_SIZE = 100


class Event(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{
            "id": "42", "type": "pet.updated", "entity": "pet",
            "entityId": "cku9g7y3q0001ab0f0t2a3b4c", "occurredAt": "2026-01-15T14:30:00.000Z",
            "actor": "apikey|cku9k1c7u0005ab0f0x6e7f8g",
            "data": {"id": "cku9g7y3q0001ab0f0t2a3b4c", "name": "Max", "weight": 32.5},
        }]}
    )  # fmt: skip

    id: str
    type: str
    entity: str
    entityId: str
    occurredAt: str
    actor: str
    data: dict[str, Any]


class CursorPagination(BaseModel):
    limit: int
    hasMore: bool
    nextCursor: str | None


class EventList(BaseModel):
    data: list[Event]
    pagination: CursorPagination


@router.get(
    "/events",
    summary="The change log, oldest first: every write the key may read",
    response_model=EventList,
)
async def list_events(
    ctx: AnyKey,
    after: Annotated[
        str | None, text_param("after", "An event id: the events after it (nextCursor)")
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_PAGE_SIZE, description="Events per page (default: 100, max: 100)")
    ] = FEED_PAGE_SIZE,
    types: Annotated[
        list[str] | None,
        Query(description="Only these event types, comma-separated (or repeated)"),
    ] = None,
) -> EventList:
    wanted = [t for given in types or () for t in given.split(",")]
    page = await feed.read_changes(ctx, after=after, first=limit, types=wanted)
    return EventList(
        data=[Event(**feed.event_json(e)) for e in page.events],
        pagination=CursorPagination(
            limit=limit, hasMore=page.has_more, nextCursor=page.next_cursor
        ),
    )
