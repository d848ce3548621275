"""HTTP plumbing around the core: what every request passes through before a surface."""

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

# How a middleware answers an error: the app's one renderer for the request's surface.
Render = Callable[[Request, Exception], Awaitable[Response]]
