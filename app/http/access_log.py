"""One JSON log line and the request metrics for every request."""

import json
import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.http.response_start import on_response_start
from app.observability import ERRORS, LATENCY, RATE_LIMIT_REFUSALS, REQUESTS, counting_statements

log = logging.getLogger("clinova.access")

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
        start: Message = {"status": 500}
        with counting_statements() as statements:
            try:
                await self.app(scope, receive, on_response_start(send, start.update))
            finally:
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
