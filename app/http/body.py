"""The whole request body, read before anything else runs, bounded in size and time.

Authentication, the rate limit and every SQL statement run after the body is
in memory, so a client that sends its body a byte a second holds no pooled
database connection and no other request waits for it: it holds only its own
socket, until `body_timeout` ends it.
"""

import asyncio

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import Invalid, PayloadTooLarge
from app.http import HttpMiddleware, Render


class WholeBodyMiddleware(HttpMiddleware):
    def __init__(self, app: ASGIApp, *, max_bytes: int, timeout: float, render: Render) -> None:
        super().__init__(app)
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.render = render

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(
            f"Request body is larger than {self.max_bytes} bytes",
            details={"maxBytes": self.max_bytes},
        )

    def _too_slow(self) -> Invalid:
        return Invalid(
            f"The request body did not arrive within {self.timeout:g} s",
            details={"body": f"must be sent within {self.timeout:g} s"},
        )

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > self.max_bytes:
            await self._refuse(scope, send, self._too_large())
            return
        try:
            async with asyncio.timeout(self.timeout):
                body = await self._read(receive)
        except TimeoutError:
            await self._refuse(scope, send, self._too_slow())
            return
        except PayloadTooLarge as problem:
            await self._refuse(scope, send, problem)
            return
        if body is None:
            # The caller left mid-request (a load generator stopping, a closed
            # tab): nothing wrong with the server, and nothing of the app runs.
            await self._refuse(
                scope, send, Invalid("The client disconnected before the request was read")
            )
            return
        await self.app(scope, replaying(body, receive), send)

    async def _read(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk: bytes = message.get("body", b"")
            received += len(chunk)
            if received > self.max_bytes:
                raise self._too_large()
            chunks.append(chunk)
            if not message.get("more_body"):
                return b"".join(chunks)

    async def _refuse(self, scope: Scope, send: Send, problem: Exception) -> None:
        response = await self.render(Request(scope), problem)
        # The unread rest of the body is not waited for: the connection closes.
        response.headers["Connection"] = "close"
        await response(scope, _nothing_more, send)


async def _nothing_more() -> Message:
    return {"type": "http.disconnect"}


def replaying(body: bytes, receive: Receive) -> Receive:
    """The body once, then the real channel, which reports a client that leaves."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
