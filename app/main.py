"""The ASGI app: mounts the GraphQL and REST surfaces over the shared core."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import Response
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import Match

from app import secrets_in_logs
from app.database import Database, database_error
from app.error_boundary import ErrorBoundary
from app.errors import ClinovaError, Invalid, MethodNotAllowed, NotFound
from app.garbage_collection import settle_for_serving
from app.health import router as health_router
from app.http.body import WholeBodyMiddleware
from app.http.idempotency import IdempotencyRecorder, Replayed, replay_response
from app.observability import ObservabilityMiddleware, count_statements, note_error
from app.rate_limits import RATE_LIMIT_HEADERS, RateLimiter, RateLimitHeadersMiddleware
from app.request_ids import HEADER as REQUEST_ID_HEADER
from app.request_ids import RequestIdMiddleware
from app.settings import Settings, get_settings
from graphql_schema.errors import graphql_error_response
from graphql_schema.router import ClinovaGraphQLRouter
from rest_compat.errors import envelope_response, validation_details
from rest_compat.router import api_router, install_openapi

log = logging.getLogger("clinova")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    db = Database(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        secrets_in_logs.install()
        settle_for_serving()
        yield
        await db.dispose()

    # No redirects: one built from the request's Host header would point anywhere.
    app = FastAPI(
        title="ClinovaVet API", version="1.0.0", lifespan=lifespan, redirect_slashes=False
    )
    app.state.db = db
    count_statements(db.engine)
    app.state.rate_limiter = RateLimiter(settings)
    app.add_middleware(IdempotencyRecorder)
    app.add_middleware(ErrorBoundary, render=handle_error)
    app.add_middleware(
        WholeBodyMiddleware,
        max_bytes=settings.max_body_bytes,
        timeout=settings.body_timeout,
        render=handle_error,
    )
    app.add_middleware(RateLimitHeadersMiddleware)
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
    app.add_middleware(RequestIdMiddleware)
    for error_type in (Exception, ClinovaError, RequestValidationError, HTTPException):
        app.add_exception_handler(error_type, handle_error)
    app.add_exception_handler(Replayed, replay)
    app.include_router(health_router)
    app.include_router(ClinovaGraphQLRouter(), prefix="/graphql", include_in_schema=False)
    app.include_router(api_router)
    install_openapi(app)
    return app


async def replay(_request: Request, replayed: Exception) -> Response:
    assert isinstance(replayed, Replayed)
    return replay_response(replayed.answer)


def as_clinova_error(error: Exception) -> ClinovaError:
    if isinstance(error, ClinovaError):
        return error
    if isinstance(error, ClientDisconnect):
        # The caller left mid-request (a load generator stopping, a closed tab):
        # nothing to answer and nothing wrong with the server.
        return Invalid("The client disconnected before the request was read")
    if isinstance(error, RequestValidationError):
        return Invalid("Invalid request parameters", details=validation_details(error))
    if isinstance(error, HTTPException):
        if error.status_code == 405:
            return MethodNotAllowed("Method not allowed on this route")
        if error.status_code == 404:
            return NotFound("Route not found")
        return Invalid(str(error.detail))
    known = database_error(error)
    if known is not None:
        log.warning("database error answered as %s: %s", known.code, type(error).__name__)
        return known
    log.error("unhandled error", exc_info=error)
    return ClinovaError("An internal error occurred; quote the request id to support")


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _allowed_methods(request: Request) -> list[str]:
    # FastAPI makes one route per method, so Starlette's own Allow names only one:
    # ask the routes which methods they would take at this path.
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL
            for route in request.app.routes
        )
    ]


async def handle_error(request: Request, error: Exception) -> Response:
    request_id: str = getattr(request.state, "request_id", "")
    render = graphql_error_response if request.url.path == "/graphql" else envelope_response
    known = as_clinova_error(error)
    note_error(request.scope, known.code)
    response = render(known, request_id)
    # Errors answered outside the request-id middleware must carry the id themselves.
    response.headers[REQUEST_ID_HEADER] = request_id
    if isinstance(known, MethodNotAllowed):
        response.headers["Allow"] = ", ".join(_allowed_methods(request))
    return response
