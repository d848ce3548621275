import json
from typing import Any

import orjson
from cross_web import HTTPException
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult

from app.bounded_json import decode_json
from app.errors import ClinovaError, Invalid, MethodNotAllowed, NotFound
from app.http.idempotency import replay_response
from graphql_schema.context import GraphQLContext, graphql_context
from graphql_schema.graphiql import (
    ASSET_ROUTE,
    graphiql_asset,
    graphiql_page,
    warn_if_not_installed,
)
from graphql_schema.schema import schema


class ClinovaGraphQLRouter(GraphQLRouter[Any, None]):
    def __init__(self) -> None:
        super().__init__(
            schema,
            context_getter=graphql_context,
            graphql_ide="graphiql",
            allow_queries_via_get=True,
        )
        # Our own page instead of strawberry's, whose files come from a CDN.
        self.add_api_route(
            "/assets/{name}", graphiql_asset, methods=["GET"], name=ASSET_ROUTE,
            include_in_schema=False,
        )  # fmt: skip
        warn_if_not_installed()

    def encode_json(self, data: object) -> bytes:
        return encode_json(data)

    def decode_json(self, data: str | bytes) -> object:
        # Bodies, and GET's variables and extensions: the one bounded decoder.
        return decode_json(data)

    async def execute_single(
        self,
        request: Request,
        request_adapter: Any,
        sub_response: Any,
        context: Any,
        root_value: Any,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        # What the request named, before strawberry falls back to the first operation.
        context.requested_operation = request_data.operation_name
        context.query_text = request_data.query
        return await super().execute_single(
            request, request_adapter, sub_response, context, root_value, request_data
        )

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return graphiql_page(request)

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        if _wants_graphql_response(request) and _is_request_error(result):
            # GraphQL over HTTP: a document that never executed has no data entry.
            response.pop("data", None)
            request.state.graphql_request_error = True
        return response

    async def run(self, request: Any, context: Any = None, root_value: Any = None) -> Any:
        try:
            response = await super().run(request, context=context, root_value=root_value)
        except HTTPException as problem:
            # Bad HTTP framing gets our envelope and code instead of plain text.
            raise _as_clinova_error(problem) from None
        answer = context.answer if isinstance(context, GraphQLContext) else None
        if isinstance(answer, ClinovaError):
            raise answer
        if answer is not None:
            return replay_response(answer)
        if (
            isinstance(response, Response)
            and response.media_type == "application/json"
            and _wants_graphql_response(request)
        ):
            response.headers["content-type"] = f"{GRAPHQL_RESPONSE}; charset=utf-8"
            if getattr(request.state, "graphql_request_error", False):
                response.status_code = 400
        return response


GRAPHQL_RESPONSE = "application/graphql-response+json"


def encode_json(data: object) -> bytes:
    # orjson: a dashboard answer is ~100 KB, which json.dumps took ~2 ms to write.
    try:
        return orjson.dumps(data)
    except TypeError:  # orjson's limits (integers beyond 64 bits in a JSON field)
        return json.dumps(data, separators=(",", ":")).encode()


def _wants_graphql_response(request: Request) -> bool:
    return wants_graphql_response(request.headers.get("accept", ""))


def wants_graphql_response(accept: str) -> bool:
    """The client prefers application/graphql-response+json over application/json."""
    weights: dict[str, float] = {}
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[media.lower()] = weight
    preferred = weights.get(GRAPHQL_RESPONSE, 0.0)
    return preferred > 0 and preferred >= weights.get("application/json", 0.0)


def _is_request_error(result: ExecutionResult) -> bool:
    # Parse, validation and variable errors: nothing ran, so no error has a path.
    return (
        result.data is None
        and bool(result.errors)
        and all(error.path is None for error in result.errors or ())
    )


def _as_clinova_error(problem: HTTPException) -> ClinovaError:
    # A mutation over GET: GraphQL over HTTP prescribes 405.
    if problem.status_code == 405 or isinstance(problem.__cause__, InvalidOperationTypeError):
        return MethodNotAllowed(problem.reason)
    if problem.status_code == 404:
        return NotFound(problem.reason)
    return Invalid(problem.reason)
