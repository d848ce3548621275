from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.http import HttpMiddleware, Render
from app.http.response_start import on_response_start


class ErrorBoundary(HttpMiddleware):
    """Turns an exception no handler took into the surface's 500 answer.

    Starlette's own last resort re-raises after answering, so the server would
    log every such error twice; here it is answered (and logged) once.
    """

    def __init__(self, app: ASGIApp, *, render: Render) -> None:
        super().__init__(app)
        self.render = render

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        start: Message = {}

        try:
            await self.app(scope, receive, on_response_start(send, start.update))
        except Exception as error:
            if start:
                raise
            response = await self.render(Request(scope), error)
            await response(scope, receive, send)
