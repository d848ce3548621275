"""OpenTelemetry traces: off by default; on, a request span over a span per SQL statement."""

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import text

from app.database import Database
from app.http.request_span import RequestSpanMiddleware
from app.main import create_app
from app.settings import Settings
from app.tracing import trace_statements, tracer_provider_from_environment, webhook_delivery_span
from tests.conftest import Backend
from tests.factories import make_clinic, make_owner, make_pet, make_record
from tests.graphql_client import count_statements

NESTED = """
query Dashboard {
  owners(first: 5) { nodes { firstName pets { name medicalRecords { title } } } }
}
"""
SQL_SCOPE = "opentelemetry.instrumentation.sqlalchemy"


@dataclass
class Traced:
    client: httpx.AsyncClient
    db: Database
    spans: InMemorySpanExporter


def _in_memory_provider() -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


@pytest.fixture
async def traced(backend: Backend) -> AsyncIterator[Traced]:
    """An app instance tracing to memory, on the backend's database."""
    provider, exporter = _in_memory_provider()
    settings = Settings(
        database_url=backend.settings.database_url, rate_limit_per_minute=1_000_000,
        _env_file=None,  # type: ignore[call-arg]
    )  # fmt: skip
    app = create_app(settings, tracer_provider=provider)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://clinova.test") as http:
            yield Traced(http, app.state.db, exporter)
    finally:
        await app.state.db.dispose()
        provider.shutdown()


@pytest.fixture
def no_otel_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in [n for n in os.environ if n.startswith("OTEL_")]:
        monkeypatch.delenv(name)
    yield


def _request_span(spans: tuple[ReadableSpan, ...]) -> ReadableSpan:
    (request,) = [s for s in spans if s.kind == trace.SpanKind.SERVER]
    return request


def _sql_spans(spans: tuple[ReadableSpan, ...]) -> list[ReadableSpan]:
    return [
        s for s in spans if s.instrumentation_scope and s.instrumentation_scope.name == SQL_SCOPE
    ]


async def test_a_nested_query_is_one_request_span_over_a_span_per_statement(
    backend: Backend, traced: Traced
) -> None:
    # Given: owners with pets with records.
    clinic = await make_clinic(traced.db)
    owner = await make_owner(traced.db, clinic.clinic_id)
    pet = await make_pet(traced.db, clinic.clinic_id, owner.id)
    await make_record(traced.db, clinic.clinic_id, pet.id)
    traced.spans.clear()

    # When: a frontend asks for the nested dashboard.
    with count_statements(traced.db.engine) as ran:
        response = await traced.client.post(
            "/graphql",
            headers={**clinic.headers, "X-Request-Id": f"trace-{backend.name}"},
            json={"query": NESTED},
        )

    # Then: one request span, named by the operation as the schema spells it,
    # carrying the request id, over one child span per SQL statement it ran.
    assert response.status_code == 200 and "errors" not in response.json()
    spans = traced.spans.get_finished_spans()
    request = _request_span(spans)
    sql = _sql_spans(spans)
    assert request.parent is None
    assert request.name == "query owners"
    assert request.attributes is not None
    assert request.attributes["clinova.request_id"] == f"trace-{backend.name}"
    assert request.attributes["http.route"] == "/graphql"
    assert request.attributes["graphql.operation.name"] == "Dashboard"
    assert len(spans) == len(sql) + 1
    assert request.context is not None
    for child in sql:
        assert child.parent is not None and child.parent.span_id == request.context.span_id
        assert child.context is not None and child.context.trace_id == request.context.trace_id
    statements = [str((s.attributes or {}).get("db.statement")) for s in sql]
    # (as `count_statements` counts: SQLite's explicit BEGIN is not a query)
    assert len([s for s in statements if not s.startswith("BEGIN")]) == len(ran)
    for table in ("owners", "pets", "medical_records"):
        assert any(f"FROM {table}" in s for s in statements), table


async def test_a_rest_span_is_named_by_its_route_and_holds_no_query_string(
    traced: Traced,
) -> None:
    clinic = await make_clinic(traced.db)
    await make_owner(traced.db, clinic.clinic_id, last_name="Quillfeather")
    await make_owner(traced.db, clinic.clinic_id, last_name="Other")
    traced.spans.clear()

    found = await traced.client.get("/api/v1/owners?search=Quillfeather", headers=clinic.headers)
    unknown = await traced.client.get("/nowhere", headers=clinic.headers)

    # The route still sees the search; the span has its template and none of the search.
    assert [o["lastName"] for o in found.json()["data"]] == ["Quillfeather"]
    assert unknown.status_code == 404
    spans = traced.spans.get_finished_spans()
    named = [s.name for s in spans if s.kind == trace.SpanKind.SERVER]
    assert named == ["GET /api/v1/owners", "GET"]
    for span in spans:
        assert "Quillfeather" not in repr(dict(span.attributes or {})), span.name


async def test_excluded_urls_make_no_span(monkeypatch: pytest.MonkeyPatch, traced: Traced) -> None:
    monkeypatch.setenv("OTEL_PYTHON_EXCLUDED_URLS", "healthz,metrics")

    for path in ("/healthz", "/metrics", "/readyz"):
        assert (await traced.client.get(path)).status_code == 200

    assert [s.name for s in traced.spans.get_finished_spans() if s.parent is None] == [
        "GET /readyz"
    ]


async def test_a_webhook_delivery_span_is_the_parent_of_its_statements(
    backend: Backend,
) -> None:
    provider, exporter = _in_memory_provider()
    db = Database(backend.settings)
    trace_statements(db.engine, provider)
    try:
        with webhook_delivery_span(
            provider, endpoint_id="we_1", event_id="ev_1", attempt=2
        ) as delivery:
            async with db.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            delivery.set_attribute("http.response.status_code", 204)
        with webhook_delivery_span(None, endpoint_id="we_1", event_id="ev_1", attempt=3) as off:
            assert not off.is_recording()
    finally:
        await db.dispose()
        provider.shutdown()

    spans = exporter.get_finished_spans()
    (parent,) = [s for s in spans if s.name == "webhook delivery"]
    assert parent.attributes is not None and parent.context is not None
    assert parent.attributes["clinova.event_id"] == "ev_1"
    assert parent.attributes["http.response.status_code"] == 204
    children = _sql_spans(spans)
    assert children and all(
        c.parent is not None and c.parent.span_id == parent.context.span_id for c in children
    )


@pytest.mark.usefixtures("no_otel_settings")
async def test_without_otel_settings_nothing_traces(backend: Backend) -> None:
    provider, _ = _in_memory_provider()
    plain = create_app(backend.settings)
    traced = create_app(backend.settings, tracer_provider=provider)
    try:
        statement_listeners = [
            len(app.state.db.engine.sync_engine.dispatch.before_cursor_execute)
            for app in (plain, traced)
        ]
        middleware = [[m.cls for m in app.user_middleware] for app in (plain, traced)]
    finally:
        for app in (plain, traced):
            await app.state.db.dispose()
        provider.shutdown()

    assert tracer_provider_from_environment() is None
    # No request span, no SQL listener, and no global provider were installed.
    assert RequestSpanMiddleware not in middleware[0] and RequestSpanMiddleware in middleware[1]
    assert statement_listeners[0] == statement_listeners[1] - 1
    assert not isinstance(trace.get_tracer_provider(), TracerProvider)


@pytest.mark.usefixtures("no_otel_settings")
@pytest.mark.parametrize(
    ("settings", "service"),
    [
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, "clinova"),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, "clinova"),
        ({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_SERVICE_NAME": "clinic-api"}, "clinic-api"),
    ],
)
def test_otel_settings_turn_tracing_on(
    monkeypatch: pytest.MonkeyPatch, settings: dict[str, str], service: str
) -> None:
    for name, value in settings.items():
        monkeypatch.setenv(name, value)

    provider = tracer_provider_from_environment()

    # Made, never used: shutting it down exports nothing.
    assert provider is not None
    provider.shutdown()
    assert provider.resource.attributes[SERVICE_NAME] == service


@pytest.mark.usefixtures("no_otel_settings")
@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"OTEL_SERVICE_NAME": "clinic-api"},
        {"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"},
        {"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"},
    ],
)
def test_otel_settings_that_leave_tracing_off(
    monkeypatch: pytest.MonkeyPatch, settings: dict[str, str]
) -> None:
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    assert tracer_provider_from_environment() is None


@pytest.mark.usefixtures("no_otel_settings")
@pytest.mark.parametrize(
    ("name", "value"),
    [("OTEL_TRACES_EXPORTER", "zipkin"), ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")],
)
def test_otel_settings_we_would_ignore_fail_the_start(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=value):
        tracer_provider_from_environment()
