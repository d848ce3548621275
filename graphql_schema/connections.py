from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import strawberry

from app.errors import Invalid
from app.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page, PageRequest, Projection
from graphql_schema.cost import FAN_OUT

Node = TypeVar("Node")
# One per item of the page: the estimate counts the page's size at the connection.
PER_ITEM = {FAN_OUT: 1}
# Marks `nodes`: the planner may have the page's rows carry their objects' text instead.
PAGE_NODES = "clinova_page_nodes"
# Marks `totalCount`: asked for, the planner has the page read it in its own statement.
PAGE_TOTAL = "clinova_page_total"


@dataclass(frozen=True)
class PlannedInfo:
    """The `info` a root resolver gets from graphql_schema.planner instead of graphql-core's.

    Resolvers read the request context from it (graphql_schema.context.ctx), and
    a list's resolver hands `projection` to its page (the planner's choice of
    what the page's rows carry for the `nodes` asked of it) and `with_total`
    (whether `totalCount` is asked: read with the page, one round trip).
    """

    context: Any
    projection: Projection | None = None
    with_total: bool = False


@strawberry.type(description="Where a page sits in its list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    has_previous_page: bool = strawberry.field(description="Items precede this page.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first item.")
    end_cursor: str | None = strawberry.field(description="Pass as `after` for the next page.")


@strawberry.type(description="An item with its cursor.")
class Edge(Generic[Node]):
    cursor: str = strawberry.field(description="Opaque position of this item.")
    node: Node = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list, with cursors and an optional total.")
class Connection(Generic[Node]):
    """A page of rows (app.rows) of the model behind `Node`, its GraphQL type."""

    page: strawberry.Private[Page[Any]]

    @strawberry.field(
        description="The items with their cursors.",
        graphql_type=list[Edge[Node]],
        metadata=PER_ITEM,
    )
    def edges(self) -> list[Edge[Any]]:
        return [
            Edge(cursor=c, node=n) for c, n in zip(self.page.cursors, self.page.items, strict=True)
        ]

    @strawberry.field(
        description="The items alone.",
        graphql_type=list[Node],
        metadata={**PER_ITEM, PAGE_NODES: True},
    )
    def nodes(self) -> list[Any]:
        return self.page.items

    @strawberry.field(description="Paging state.")
    def page_info(self) -> PageInfo:
        cursors = self.page.cursors
        return PageInfo(
            has_next_page=self.page.has_next,
            has_previous_page=self.page.has_previous,
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None,
        )

    @strawberry.field(
        description="Items in the whole filtered list (counted on request).",
        metadata={PAGE_TOTAL: True},
    )
    async def total_count(self) -> int:
        return await self.page.total()


def page_request(
    info: Any, first: int | None, after: str | None, offset: int | None
) -> PageRequest:
    if first is None:
        first = DEFAULT_PAGE_SIZE
    if first < 1:
        raise Invalid("first must be positive", details={"first": "must be at least 1"})
    if offset is not None and offset < 0:
        raise Invalid("offset must not be negative", details={"offset": "must be >= 0"})
    # Asking for more than a page is not an error: the page is capped, as documented.
    planned = info if isinstance(info, PlannedInfo) else PlannedInfo(None)
    return PageRequest(
        first=min(first, MAX_PAGE_SIZE), after=after, offset=offset or 0,
        projection=planned.projection, with_total=planned.with_total,
    )  # fmt: skip
