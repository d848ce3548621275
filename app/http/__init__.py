"""HTTP plumbing around the core: what every request passes through before a surface."""

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

# How a middleware answers an error: the app's one renderer for the request's surface.
Render = Callable[[Request, Exception], Awaitable[Response]]


class HttpMiddleware(ABC):
    """An ASGI middleware of HTTP requests: every other scope (lifespan) passes through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.http(scope, receive, send)

    @abstractmethod
    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The middleware's work on an HTTP request."""
