"""The change feed: `changes(after, first, types)`, oldest first."""

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from app.change_log import feed
from app.change_log.models import ChangeEvent
from graphql_schema.context import ctx
from graphql_schema.log_connections import Connection
from graphql_schema.scalars import JSON, DateTime

FEED_PAGE_SIZE = 100


@strawberry.type(description="One write in the clinic's change log.")
class Change:
    type: str = strawberry.field(
        description="<entity>.created, .updated or .deleted; invoice.paid or invoice.cancelled."
    )
    entity: str = strawberry.field(description="owner, pet, medical_record or invoice.")
    entity_id: strawberry.ID = strawberry.field(description="Id of the object written.")
    occurred_at: DateTime = strawberry.field(description="When the write happened.")
    actor: str = strawberry.field(description="Who wrote: apikey|<key id>.")
    data: JSON = strawberry.field(
        description="The object as its GraphQL type shows it (scalar fields); deleted: {id}."
    )

    @strawberry.field(description="1, 2, 3, ... per clinic in commit order; also a cursor.")
    def id(self, root: strawberry.Parent[ChangeEvent]) -> strawberry.ID:
        return strawberry.ID(feed.event_id(root))


AFTER = strawberry.argument(description="An event id (a cursor): the events after it.")
FIRST = strawberry.argument(description=f"Page size, at most 100 (default {FEED_PAGE_SIZE}).")
TYPES = strawberry.argument(description='Only these event types, e.g. ["owner.deleted"].')


@strawberry.type
class ChangeQueries:
    @strawberry.field(
        description="The clinic's change log, oldest first: every write the key may read. "
        "An expired cursor (past CLINOVA_EVENTS_RETENTION_DAYS) is VALIDATION_ERROR."
    )
    async def changes(
        self,
        info: Info,
        after: Annotated[str | None, AFTER] = None,
        first: Annotated[int | None, FIRST] = FEED_PAGE_SIZE,
        types: Annotated[list[str] | None, TYPES] = None,
    ) -> Connection[Change] | None:
        context = ctx(info)
        page = await feed.read_changes(
            context, after=after, first=FEED_PAGE_SIZE if first is None else first, types=types
        )

        async def count() -> int:
            return await feed.count_changes(context, types=types)

        events: list[Any] = page.events
        return Connection(
            items=events,
            cursors=page.cursors,
            has_next=page.has_more,
            has_previous=page.after is not None,
            resume_from=page.next_cursor,
            count=count,
        )
