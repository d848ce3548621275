"""OpenTelemetry traces: off unless the standard OTEL_* variables ask for them.

On, each request has one span (`app.http.request_span`), the parent of a span
per SQL statement it runs; a webhook delivery runs in `webhook_delivery_span`.
Off, nothing is installed: no provider, no middleware, no SQL listener.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.instrumentation.sqlalchemy.version import __version__ as sql_version
from opentelemetry.metrics import NoOpMeter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from sqlalchemy.ext.asyncio import AsyncEngine

TRACER = "clinova"
# What the OTLP exporter speaks; the gRPC one would bring grpcio for no gain.
_PROTOCOL = "http/protobuf"


def tracer_provider_from_environment() -> TracerProvider | None:
    """A provider exporting over OTLP when the environment asks for traces.

    On when OTEL_TRACES_EXPORTER is `otlp` or an OTLP endpoint is set; off
    when neither is, or with OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none.
    The rest (endpoint, headers, timeout, sampler, batching, resource) the SDK
    reads from the same variables itself.
    """
    if not _asked_for():
        return None
    provider = TracerProvider(resource=_resource())
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


def _asked_for() -> bool:
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporters = {name.strip() for name in os.environ.get("OTEL_TRACES_EXPORTER", "").split(",")} - {
        ""
    }
    endpoint = _first("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
    if "none" in exporters or not (exporters or endpoint):
        return False
    # A setting we would ignore must fail the start, not silently send nothing.
    if exporters - {"otlp"}:
        raise ValueError(f"OTEL_TRACES_EXPORTER={','.join(sorted(exporters))}: only otlp is served")
    protocol = _first("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL")
    if protocol not in (None, _PROTOCOL):
        raise ValueError(f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol}: only {_PROTOCOL} is served")
    return True


def _first(*names: str) -> str | None:
    return next((os.environ[n] for n in names if os.environ.get(n)), None)


def _resource() -> Resource:
    # The service names itself unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES does.
    resource = Resource.create()
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: "clinova"}))
    return resource


def trace_statements(engine: AsyncEngine, provider: trace.TracerProvider) -> None:
    """A span per SQL statement, a child of the span current when it runs.

    The instrumentation's engine tracer, given the provider, rather than its
    instrumentor, which would also patch every `create_engine` in the process.
    Connection counts stay with the Prometheus pool gauge.
    """
    EngineTracer(  # type: ignore[no-untyped-call]  # the instrumentation has no type hints
        provider.get_tracer("opentelemetry.instrumentation.sqlalchemy", sql_version),
        engine.sync_engine,
        NoOpMeter(TRACER).create_up_down_counter("db.client.connections.usage"),
    )


@contextmanager
def webhook_delivery_span(
    provider: trace.TracerProvider | None, *, endpoint_id: str, event_id: str, attempt: int
) -> Iterator[trace.Span]:
    """The span the webhook delivery worker runs one delivery attempt in.

    Its SQL statements become its children; the worker sets the answer's
    `http.response.status_code` on it. Statements the worker runs between
    deliveries (polling) belong to no span and would each start a trace: run
    them under `opentelemetry.instrumentation.utils.suppress_instrumentation()`.
    """
    tracer = (provider or trace.NoOpTracerProvider()).get_tracer(TRACER)
    attributes: dict[str, str | int] = {
        "clinova.webhook.endpoint_id": endpoint_id,
        "clinova.event_id": event_id,
        "clinova.webhook.attempt": attempt,
    }
    with tracer.start_as_current_span(
        "webhook delivery", kind=trace.SpanKind.CLIENT, attributes=attributes
    ) as span:
        yield span
