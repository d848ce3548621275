"""One JSON log line and the request metrics for every request."""

import json
import logging
import time

from starlette.types import Message, Receive, Scope, Send

from app.http import HttpMiddleware
from app.http.request_labels import request_labels
from app.http.response_start import on_response_start
from app.observability import ERRORS, LATENCY, RATE_LIMIT_REFUSALS, REQUESTS, counting_statements

log = logging.getLogger("clinova.access")


class ObservabilityMiddleware(HttpMiddleware):
    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        start: Message = {"status": 500}
        with counting_statements() as statements:
            try:
                await self.app(scope, receive, on_response_start(send, start.update))
            finally:
                self._record(scope, start["status"], time.perf_counter() - started, statements[0])

    def _record(self, scope: Scope, status: int, seconds: float, statements: int) -> None:
        state = scope.get("state", {})
        labels = request_labels(scope)
        codes: list[str] = state.get("error_codes", [])
        principal = state.get("principal")
        REQUESTS.labels(labels.method, labels.route, labels.operation, str(status)).inc()
        LATENCY.labels(labels.route, labels.operation).observe(seconds)
        for code in codes:
            ERRORS.labels(code).inc()
            if code == "RATE_LIMIT_EXCEEDED":
                RATE_LIMIT_REFUSALS.inc()
        log.info(json.dumps({
            "requestId": state.get("request_id"),
            "clinicId": getattr(principal, "clinic_id", None),
            "keyId": getattr(principal, "key_id", None),
            "method": labels.method,
            "route": labels.route,
            "operation": state.get("graphql_operation_name"),
            "status": status,
            "errors": codes,
            "durationMs": round(seconds * 1000, 2),
            "sqlStatements": statements,
        }))  # fmt: skip
