"""One span per request, named as its metrics are, with the request id on it.

OpenTelemetry's ASGI middleware makes the span (trace context from
`traceparent`, HTTP attributes, an error status on 5xx); this names it once
the request knows its route and GraphQL operation, at the response's start.
"""

from opentelemetry import trace
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.util.http import get_excluded_urls
from starlette.types import ASGIApp, Receive, Scope, Send

from app.http import HttpMiddleware
from app.http.request_labels import UNMATCHED, request_labels
from app.http.response_start import on_response_start

# The request's own scope, carried past the instrumentation's view of it.
_REQUEST_SCOPE = "clinova.request_scope"


class RequestSpanMiddleware(HttpMiddleware):
    def __init__(self, app: ASGIApp, tracer_provider: trace.TracerProvider) -> None:
        super().__init__(app)
        self._traced = OpenTelemetryMiddleware(
            self._named,
            tracer_provider=tracer_provider,
            # A span per body chunk received or sent would only bury the SQL spans.
            exclude_spans=["receive", "send"],
            # OTEL_PYTHON_EXCLUDED_URLS=healthz,readyz,metrics spares probes and scrapes.
            excluded_urls=get_excluded_urls("ASGI"),
        )

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The instrumentation records the query string, and ours holds clinic
        # data (search terms, GraphQL GET variables): it sees the request without.
        view = {**scope, "query_string": b"", _REQUEST_SCOPE: scope}
        await self._traced(view, receive, send)

    async def _named(self, view: Scope, receive: Receive, send: Send) -> None:
        scope: Scope = view[_REQUEST_SCOPE]
        span = trace.get_current_span()
        await self.app(scope, receive, on_response_start(send, lambda _: _name(span, scope)))


def _name(span: trace.Span, scope: Scope) -> None:
    labels = request_labels(scope)
    state = scope.get("state", {})
    span.set_attribute("clinova.request_id", state.get("request_id", ""))
    if labels.route != UNMATCHED:
        span.set_attribute("http.route", labels.route)
    if labels.operation:
        span.update_name(labels.operation)
        span.set_attribute("graphql.operation.type", labels.operation.split()[0])
        span.set_attribute("graphql.operation.name", state.get("graphql_operation_name", ""))
    elif labels.route != UNMATCHED:
        span.update_name(f"{labels.method} {labels.route}")
    else:
        span.update_name(labels.method)
