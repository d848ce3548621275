"""Which surface answers a request's errors: the one that mounted its route.

Each surface (GraphQL, REST v1) is mounted here with its renderer, and every
error of a request under its prefix, whether raised by a route, a middleware
before routing, or the last-resort boundary, takes that surface's shape. This
is the one place an exception becomes a response.
"""

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match

from app.errors import ClinovaError, MethodNotAllowed
from app.http.errors import as_clinova_error, http_headers, http_status
from app.http.response_headers import REQUEST_ID_HEADER
from app.observability import note_error

# The body of an error answer, in the surface's shape: (error, request id) -> JSON.
RenderError = Callable[[ClinovaError, str], JSONResponse]
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


class Surfaces:
    def __init__(self, app: FastAPI, *, default: RenderError) -> None:
        self.app = app
        self.default = default
        self._mounted: list[tuple[str, RenderError]] = []

    def mount(
        self, router: APIRouter, *, render: RenderError, prefix: str = "", **options: Any
    ) -> None:
        self.app.include_router(router, prefix=prefix, **options)
        self._mounted.append((prefix + router.prefix, render))

    def renderer(self, path: str) -> RenderError:
        for prefix, render in self._mounted:
            if path == prefix or path.startswith(f"{prefix}/"):
                return render
        return self.default

    async def answer(self, request: Request, error: Exception) -> Response:
        known = as_clinova_error(error)
        note_error(request.scope, known.code)
        request_id: str = getattr(request.state, "request_id", "")
        response = self.renderer(request.url.path)(known, request_id)
        response.status_code = http_status(known)
        response.headers.update(http_headers(known))
        # Errors answered outside the request-id middleware must carry the id themselves.
        response.headers[REQUEST_ID_HEADER] = request_id
        if isinstance(known, MethodNotAllowed):
            response.headers["Allow"] = ", ".join(_allowed_methods(request))
        return response


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
