"""Connections over logs (the change log, a delivery log): keyset pages whose cursors
are the items' own ids, with the same fields as every other connection."""

from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import strawberry

from graphql_schema.connections import PER_ITEM, PageInfo

Node = TypeVar("Node")


@strawberry.type(description="An item with its cursor.")
class Edge(Generic[Node]):
    cursor: str = strawberry.field(description="Opaque position of this item.")
    node: Node = strawberry.field(description="The item.")


@strawberry.type(description="A page of a log, with cursors and an optional total.")
class Connection(Generic[Node]):
    items: strawberry.Private[list[Any]]
    cursors: strawberry.Private[list[str]]
    has_next: strawberry.Private[bool]
    has_previous: strawberry.Private[bool]
    # Where a reader goes on from when the page is empty: where it began.
    resume_from: strawberry.Private[str | None]
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="The items with their cursors.", metadata=PER_ITEM)
    def edges(self) -> list[Edge[Node]]:
        return [Edge(cursor=c, node=n) for c, n in zip(self.cursors, self.items, strict=True)]

    @strawberry.field(description="The items alone.", metadata=PER_ITEM)
    def nodes(self) -> list[Node]:
        return self.items

    @strawberry.field(description="Paging state; endCursor is where to read on from.")
    def page_info(self) -> PageInfo:
        return PageInfo(
            has_next_page=self.has_next,
            has_previous_page=self.has_previous,
            start_cursor=self.cursors[0] if self.cursors else None,
            end_cursor=self.cursors[-1] if self.cursors else self.resume_from,
        )

    @strawberry.field(description="Items in the whole filtered log (counted on request).")
    async def total_count(self) -> int:
        return await self.count()
