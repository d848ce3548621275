"""One JSON log line and the Prometheus metrics for every request."""

import json
import logging
import time
from contextvars import ContextVar
from typing import Any

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.response_start import on_response_start

log = logging.getLogger("clinova.access")

REQUESTS = Counter(
    "clinova_requests_total", "Requests answered", ["method", "route", "operation", "status"]
)
LATENCY = Histogram(
    "clinova_request_duration_seconds", "Time to answer a request", ["route", "operation"]
)
ERRORS = Counter("clinova_errors_total", "Errors answered, by contract code", ["code"])
RATE_LIMIT_REFUSALS = Counter("clinova_rate_limit_refusals_total", "Requests refused with 429")
POOL_IN_USE = Gauge("clinova_db_pool_connections_in_use", "Database connections checked out")
GRAPHQL_EXECUTIONS = Counter(
    "clinova_graphql_executions_total",
    "Query operations by executor: planned (a level at a time) or standard (field by field)",
    ["executor"],
)
LOADER_BATCH = Histogram(
    "clinova_dataloader_batch_size", "Keys per dataloader batch", ["loader"],
    buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000),
)  # fmt: skip

# The statements of the current request; a ContextVar reaches SQLAlchemy's
# cursor events, which run in the request's task (and the tasks it spawns).
_statements: ContextVar[list[int] | None] = ContextVar("clinova_statements", default=None)


def count_statements(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _count(*_args: Any) -> None:
        counter = _statements.get()
        if counter is not None:
            counter[0] += 1

    pool = engine.sync_engine.pool
    POOL_IN_USE.set_function(lambda: float(getattr(pool, "checkedout", lambda: 0)()))


def note_error(scope: Scope, code: str) -> None:
    """Called where errors are rendered, so the request's line and metrics carry the code."""
    scope.setdefault("state", {}).setdefault("error_codes", []).append(code)


# Every label value comes from this service, never from the caller: a method
# outside this set is "other", a route is its template, an operation is named
# by the schema (`graphql_schema.operations`), so label sets are finite.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _route_template(scope: Scope) -> str:
    """`/api/v1/owners/{id}`: bounded label values, and no ids or secrets in logs.

    The matched route knows its own template; the prefix of the router that
    included it is what of the path its pattern does not cover.
    """
    route = scope.get("route")
    pattern = getattr(route, "path_regex", None)
    if pattern is None:
        return "unmatched"
    path: str = scope["path"]
    for cut in (i for i, c in enumerate(f"{path}/") if c == "/"):
        if pattern.fullmatch(path[cut:]):
            return f"{path[:cut]}{route.path}"  # type: ignore[union-attr]
    return "unmatched"


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        statements = [0]
        token = _statements.set(statements)
        start: Message = {"status": 500}

        try:
            await self.app(scope, receive, on_response_start(send, start.update))
        finally:
            _statements.reset(token)
            self._record(scope, start["status"], time.perf_counter() - started, statements[0])

    def _record(self, scope: Scope, status: int, seconds: float, statements: int) -> None:
        state = scope.get("state", {})
        route = _route_template(scope)
        operation = state.get("graphql_operation") or ""
        codes: list[str] = state.get("error_codes", [])
        principal = state.get("principal")
        method = scope["method"] if scope["method"] in _METHODS else "other"
        REQUESTS.labels(method, route, operation, str(status)).inc()
        LATENCY.labels(route, operation).observe(seconds)
        for code in codes:
            ERRORS.labels(code).inc()
            if code == "RATE_LIMIT_EXCEEDED":
                RATE_LIMIT_REFUSALS.inc()
        log.info(json.dumps({
            "requestId": state.get("request_id"),
            "clinicId": getattr(principal, "clinic_id", None),
            "keyId": getattr(principal, "key_id", None),
            "method": method,
            "route": route,
            "operation": state.get("graphql_operation_name"),
            "status": status,
            "errors": codes,
            "durationMs": round(seconds * 1000, 2),
            "sqlStatements": statements,
        }))  # fmt: skip
