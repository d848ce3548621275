"""The ASGI app, the composition root: mounts the GraphQL and REST surfaces over the core."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import Response
from opentelemetry.trace import TracerProvider
from starlette.exceptions import HTTPException

from app import secrets_in_logs
from app.database import Database
from app.errors import ClinovaError
from app.garbage_collection import settle_for_serving
from app.http.access_log import ObservabilityMiddleware
from app.http.body import WholeBodyMiddleware
from app.http.error_boundary import ErrorBoundary
from app.http.health import router as health_router
from app.http.idempotency import IdempotencyRecorder, Replayed, replay_response
from app.http.request_span import RequestSpanMiddleware
from app.http.response_headers import (
    RATE_LIMIT_HEADERS,
    REQUEST_ID_HEADER,
    ResponseHeadersMiddleware,
)
from app.http.surfaces import Surfaces
from app.key_cache import KeyCache
from app.key_changes import key_watcher
from app.observability import count_statements, forget_dead_workers
from app.rate_limits import RateLimiter
from app.settings import Settings, get_settings
from app.tracing import trace_statements, tracer_provider_from_environment
from app.webhooks.worker import Deliverer
from graphql_schema.compiled_route import CompiledQueries
from graphql_schema.errors import graphql_error_response
from graphql_schema.router import ClinovaGraphQLRouter
from rest_compat.compiled_route import CompiledReads
from rest_compat.errors import envelope_response
from rest_compat.router import V1_PREFIX, V1_ROUTERS, api_router, install_openapi


def create_app(
    settings: Settings | None = None, tracer_provider: TracerProvider | None = None
) -> FastAPI:
    """The app; it traces requests to `tracer_provider`, by default the one OTEL_* sets up."""
    settings = settings or get_settings()
    tracer_provider = tracer_provider or tracer_provider_from_environment()
    db = Database(settings)
    key_cache = KeyCache()
    # One per process: each worker runs this lifespan, and hears key changes itself.
    watcher = key_watcher(key_cache, settings, db.engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        secrets_in_logs.install()
        settle_for_serving()
        forget_dead_workers()
        watcher.start()
        # Webhooks are delivered beside serving unless they run apart (`clinova deliver`).
        stop = asyncio.Event()
        delivering = (
            asyncio.create_task(Deliverer(db).run(stop)) if settings.deliver_in_serve else None
        )
        yield
        stop.set()
        if delivering is not None:
            await delivering  # the attempts in flight finish, their leases are let go
        await watcher.stop()
        await db.dispose()

    # No redirects: one built from the request's Host header would point anywhere.
    app = FastAPI(
        title="ClinovaVet API", version="1.0.0", lifespan=lifespan, redirect_slashes=False
    )
    app.state.db = db
    app.state.key_cache = key_cache
    app.state.key_watcher = watcher
    count_statements(db.engine)
    if tracer_provider is not None:
        trace_statements(db.engine, tracer_provider)
    app.state.rate_limiter = RateLimiter(settings)
    # Errors take the shape of the surface that mounted the route (the v1 envelope
    # for everything else: health, metrics, unknown routes).
    surfaces = Surfaces(app, default=envelope_response)
    graphql = ClinovaGraphQLRouter()
    if settings.compiled_routes:
        # Innermost: a known read's answer needs nothing of the app's own routing.
        if settings.graphql_planner:
            app.add_middleware(CompiledQueries, router=graphql)
        app.add_middleware(CompiledReads, prefix=V1_PREFIX, routers=V1_ROUTERS)
    app.add_middleware(IdempotencyRecorder)
    app.add_middleware(ErrorBoundary, render=surfaces.answer)
    app.add_middleware(
        WholeBodyMiddleware,
        max_bytes=settings.max_body_bytes,
        timeout=settings.body_timeout,
        render=surfaces.answer,
    )
    app.add_middleware(ObservabilityMiddleware)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-Request-Id"],
            expose_headers=[REQUEST_ID_HEADER, *RATE_LIMIT_HEADERS, "Retry-After"],
            max_age=600,
        )
    if tracer_provider is not None:
        # Inside the request id (an attribute of the span), around all the rest.
        app.add_middleware(RequestSpanMiddleware, tracer_provider=tracer_provider)
    app.add_middleware(ResponseHeadersMiddleware)
    for error_type in (Exception, ClinovaError, RequestValidationError, HTTPException):
        app.add_exception_handler(error_type, surfaces.answer)
    app.add_exception_handler(Replayed, _replay)
    app.include_router(health_router)
    surfaces.mount(
        graphql, prefix="/graphql", render=graphql_error_response,
        include_in_schema=False,
    )  # fmt: skip
    surfaces.mount(api_router, render=envelope_response)
    install_openapi(app)
    return app


async def _replay(_request: Request, replayed: Exception) -> Response:
    assert isinstance(replayed, Replayed)
    return replay_response(replayed.answer)
