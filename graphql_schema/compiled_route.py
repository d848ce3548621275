"""The short path of a query whose plan is known: no FastAPI routing, no strawberry view.

A POST to /graphql whose document has run here before (graphql_schema.planner
keeps its plan by text, operation name and directive flags) is answered by
this middleware, which sits inside every middleware that gives a request its
id, its body, its access log line, metrics and error rendering: what FastAPI's
dependency solving and strawberry's view did per request (~0.6 ms of a small
one) is skipped, and what they decided stays decided the same way:

- the key, through the same session set-up as every request (the key cache,
  tenancy's clinic binding);
- the variables, coerced by graphql-core against the operation's definitions;
- the argument bounds, the cost estimate and its reservation from the key's
  budget (graphql_schema.limits, .cost), settled to what the answer did cost,
  reported in `extensions.cost` and the rate-limit headers;
- the names the access log, metrics and span give the operation.

Anything that would not answer exactly as the standard path answers, any
error included, goes to the standard path untouched, the body replayed and
any units reserved here given back first: a request this path does not know
(not a plain JSON POST, an Idempotency-Key, a document that has not run, other
flags, a scope the plan needs and the key lacks), and any failure while
running. A refused key is refused here, as the standard path refuses it: the
key is not looked up twice. `tests/test_compiled_route.py` holds both paths to the
same bytes and headers on a generated corpus.
"""

from typing import Any

import orjson
from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from app.bounded_json import decode_json
from app.context import RequestContext
from app.database import Database
from app.errors import ClinovaError
from app.http import HttpMiddleware
from app.http.body import replaying
from app.http.dependencies import clinic_session
from app.key_cache import KeyCache
from app.observability import GRAPHQL_EXECUTIONS
from app.rate_limits import RateLimiter
from app.scopes import may
from graphql_schema.context import GraphQLContext
from graphql_schema.cost import MAX_REQUESTED_NODES, cost_extension, estimate_nodes, units_for
from graphql_schema.limits import overlong_arguments
from graphql_schema.operations import LOGGED_NAME_LENGTH, metric_label
from graphql_schema.planner import PlannedDocument, PlannedExecutor, planned_document
from graphql_schema.router import GRAPHQL_RESPONSE, encode_json, wants_graphql_response
from graphql_schema.schema import schema

GRAPHQL_PATH = "/graphql"


class CompiledQueries(HttpMiddleware):
    def __init__(self, app: Any, *, router: APIRouter) -> None:
        super().__init__(app)
        # The route the standard path would run: the access log and metrics name requests by it.
        self._route = next(
            route for route in router.routes
            if isinstance(route, APIRoute) and route.methods == {"POST"}
        )  # fmt: skip

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "POST" or scope["path"] != GRAPHQL_PATH or scope["query_string"]:
            await self.app(scope, receive, send)
            return
        # WholeBodyMiddleware, outside, has read the body: it comes whole, in one message.
        message = await receive()
        body: bytes = message.get("body", b"")
        response = await self._answer(scope, Headers(scope=scope), body)
        await (response or self.app)(scope, replaying(body, receive), send)

    async def _answer(self, scope: Scope, headers: Headers, body: bytes) -> Response | None:
        """The answer from the document's plan, or None: the standard path answers."""
        authorization = headers.get("authorization")
        if (
            authorization is None
            or "idempotency-key" in headers
            or not headers.get("content-type", "").startswith("application/json")
        ):
            return None
        request = _graphql_request(body)
        if request is None:
            return None
        text, operation_name, variables = request
        planned = planned_document(text, operation_name)
        if planned is None:
            return None
        app_state = scope["app"].state
        db: Database = app_state.db
        cache: KeyCache = app_state.key_cache
        scope["route"] = self._route  # the access log and metrics name the request by it
        # A refused key is raised: the app's error boundary renders it as the
        # standard path's dependency would have.
        async with clinic_session(db, cache, authorization, "") as (session, principal):
            state = scope.setdefault("state", {})
            clinova = RequestContext(
                session=session, principal=principal, request_id=state["request_id"],
                settings=db.settings, rendered=True,
            )  # fmt: skip
            return await self._run(scope, headers, planned, operation_name, variables, clinova)

    async def _run(
        self,
        scope: Scope,
        headers: Headers,
        planned: PlannedDocument,
        operation_name: str | None,
        variables: dict[str, Any],
        clinova: RequestContext,
    ) -> Response | None:
        context = GraphQLContext(
            clinova, planned=True, max_response_bytes=clinova.settings.max_response_bytes
        )
        document, graphql_schema = planned.document, schema._schema
        executor = PlannedExecutor.build(
            graphql_schema, document, None, context, variables, operation_name
        )
        if not isinstance(executor, PlannedExecutor):  # the variables' errors
            return None
        plan = planned.plan(executor.variable_values.coerced)
        principal = clinova.principal
        if plan is None or not all(may(principal, required) for required in plan.scopes):
            return None
        requested = _requested_nodes(planned, operation_name, variables)
        if requested is None:
            return None
        limiter: RateLimiter = scope["app"].state.rate_limiter
        try:
            reservation = await limiter.reserve(principal, units_for(requested))
        except ClinovaError:
            return None
        try:
            # Written here, before anything is charged: what orjson cannot write (a
            # JSON field's integer beyond 64 bits) the standard path writes otherwise.
            data = orjson.Fragment(orjson.dumps(await executor.run(plan)))
        except Exception:  # the standard path answers, and charges, as if this never ran
            await limiter.settle(reservation, 0)
            return None
        budget = await limiter.settle(reservation, units_for(context.nodes))
        GRAPHQL_EXECUTIONS.labels("compiled").inc()
        operation = executor.operation
        logged = operation_name or (operation.name.value if operation.name else None)
        state = scope["state"]
        state["principal"], state["budget"] = principal, budget
        state["graphql_operation"] = metric_label(document, operation_name)
        state["graphql_operation_name"] = (logged or "anonymous")[:LOGGED_NAME_LENGTH]
        answer = {"data": data, "extensions": cost_extension(requested, context.nodes, budget)}
        response = Response(encode_json(answer), media_type="application/json")
        if wants_graphql_response(headers.get("accept", "")):
            response.headers["content-type"] = f"{GRAPHQL_RESPONSE}; charset=utf-8"
        return response


def _requested_nodes(
    planned: PlannedDocument, operation_name: str | None, variables: dict[str, Any]
) -> int | None:
    """The nodes the cost rules count for the request, or None where they refuse it.

    A function of the document and its variables alone, so worked out once for
    each set of variables (a few per document are kept): the document's walk
    was a tenth of a small request.
    """
    try:
        known: bytes | None = orjson.dumps(variables, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:  # an integer beyond 64 bits: worked out, not kept
        known = None
    if known in planned.requested:
        return planned.requested[known]
    # The whole document, as the standard path's rules read it.
    document, requested = planned.document, None
    if not overlong_arguments(document, operation_name, variables):
        requested = estimate_nodes(schema._schema, document, variables, operation_name)
        if requested > MAX_REQUESTED_NODES:
            requested = None
    if known is not None and len(planned.requested) < MAX_KEPT_VARIABLES:
        planned.requested[known] = requested
    return requested


# Per document; the variables of a page (a cursor each) are kept only so far.
MAX_KEPT_VARIABLES = 16


def _graphql_request(body: bytes) -> tuple[str, str | None, dict[str, Any]] | None:
    """The query, operationName and variables of a plain GraphQL POST body."""
    try:
        data = decode_json(body)
    except ClinovaError:
        return None
    if not isinstance(data, dict) or data.get("extensions"):
        return None
    text, name, variables = data.get("query"), data.get("operationName"), data.get("variables")
    if not isinstance(text, str) or not isinstance(name, str | None):
        return None
    if variables is None:
        variables = {}
    return (text, name, variables) if isinstance(variables, dict) else None
