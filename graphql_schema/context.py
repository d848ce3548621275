from collections.abc import AsyncIterator

from fastapi import Request
from strawberry.fastapi import BaseContext
from strawberry.types import Info

from app.context import RequestContext
from app.dependencies import database, open_request_context


class GraphQLContext(BaseContext):
    def __init__(self, clinova: RequestContext | None, *, planned: bool = False) -> None:
        super().__init__()
        self.clinova = clinova
        # Whether graphql_schema.planner may run this request's query.
        self.planned = planned
        # Objects in the result, when the planner counted them while building it.
        self.result_nodes: int | None = None
        # The operationName the request gave (None: it gave none), set by the router.
        self.requested_operation: str | None = None


def is_ide_request(request: Request) -> bool:
    # Mirrors strawberry's should_render_graphql_ide: the GraphiQL page needs no key.
    accept = request.headers.get("accept", "")
    return (
        request.method == "GET"
        and request.query_params.get("query") is None
        and ("text/html" in accept or "*/*" in accept)
    )


async def graphql_context(request: Request) -> AsyncIterator[GraphQLContext]:
    if is_ide_request(request):
        yield GraphQLContext(None)
        return
    # Only checks that budget is left; graphql_schema.cost charges what ran.
    async with open_request_context(request, cost=0) as context:
        yield GraphQLContext(context, planned=database(request).settings.graphql_planner)


def ctx(info: Info) -> RequestContext:
    context: RequestContext | None = info.context.clinova
    assert context is not None, "operations always run with an authenticated context"
    return context
