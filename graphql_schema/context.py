from collections.abc import AsyncIterator

from fastapi import Request
from strawberry.fastapi import BaseContext
from strawberry.types import Info

from app.context import RequestContext
from app.errors import ClinovaError
from app.http.dependencies import database, open_request_context
from app.idempotency import StoredAnswer
from graphql_schema.response_size import ResponseBudget


class GraphQLContext(BaseContext):
    def __init__(
        self,
        clinova: RequestContext | None,
        *,
        planned: bool = False,
        max_response_bytes: int = 0,
    ) -> None:
        super().__init__()
        self.clinova = clinova
        # Whether graphql_schema.planner may run this request's query.
        self.planned = planned
        # Nodes of the answer (graphql_schema.cost), counted by the executor building it.
        self.nodes = 0
        self.response_budget = ResponseBudget(max_response_bytes)
        # The operationName the request gave (None: it gave none), set by the router.
        self.requested_operation: str | None = None
        # The document's text, by which graphql_schema.planner keeps its plan.
        self.query_text: str | None = None
        # The request's answer in place of the GraphQL result, left by an extension
        # that skipped execution: a refusal (over budget: graphql_schema.cost; an
        # Idempotency-Key's: .idempotency), or a stored answer to replay.
        self.answer: ClinovaError | StoredAnswer | None = None

    @property
    def rendered(self) -> bool:
        """Whether it may answer with the text PostgreSQL wrote (graphql_schema.rendered):
        only on the short path, where the answer is written with orjson, which takes
        the text as it is (app.context.RequestContext.rendered)."""
        return self.clinova is not None and self.clinova.rendered


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
    # Only checks that budget is left; graphql_schema.cost reserves the estimate
    # once the document is known to be valid, and settles to what ran.
    settings = database(request).settings
    async with open_request_context(request, cost=0) as context:
        yield GraphQLContext(
            context,
            planned=settings.graphql_planner,
            max_response_bytes=settings.max_response_bytes,
        )


def ctx(info: Info) -> RequestContext:
    context: RequestContext | None = info.context.clinova
    assert context is not None, "operations always run with an authenticated context"
    return context
