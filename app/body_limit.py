from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import PayloadTooLarge

Render = Callable[[Request, Exception], Awaitable[Response]]


class BodyLimitMiddleware:
    """Refuses request bodies over the configured size, declared or streamed."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, render: Render) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.render = render

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(
            f"Request body is larger than {self.max_bytes} bytes",
            details={"maxBytes": self.max_bytes},
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > self.max_bytes:
            response = await self.render(Request(scope), self._too_large())
            await response(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                # Surfaces through the app's error handler as the 413 envelope.
                raise self._too_large()
            return message

        await self.app(scope, counting_receive, send)
