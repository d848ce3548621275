"""The headers every response carries: its request id, and the key's budget once it has one.

One middleware, outermost, so that everything inside it (the access log,
CORS, tracing, a surface's error) sees the request id, and one hook on the
response's start for both headers: two middlewares cost two hops per request.
"""

import re
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import Message, Receive, Scope, Send

from app.http import HttpMiddleware
from app.http.response_start import on_response_start
from app.rate_limits import Budget

REQUEST_ID_HEADER = "X-Request-Id"
RATE_LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
# A caller's id is echoed only if it is short and plain, so it can't inject into logs.
_ACCEPTABLE = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_REQUEST_ID_KEY = REQUEST_ID_HEADER.lower().encode()


def budget_headers(budget: Budget) -> dict[str, str]:
    values = (budget.limit, budget.remaining, budget.reset_at)
    return {name: str(value) for name, value in zip(RATE_LIMIT_HEADERS, values, strict=True)}


class ResponseHeadersMiddleware(HttpMiddleware):
    """Accepts or makes the request id and keeps it on request.state; echoes it,
    and puts the key's budget (request.state.budget) on the response."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        incoming = dict(scope["headers"]).get(_REQUEST_ID_KEY, b"").decode("latin-1")
        request_id = incoming if _ACCEPTABLE.fullmatch(incoming) else uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id

        def add_headers(start: Message) -> None:
            headers = MutableHeaders(scope=start)
            headers[REQUEST_ID_HEADER] = request_id
            budget: Budget | None = state.get("budget")
            if budget is not None:
                for name, value in budget_headers(budget).items():
                    headers.setdefault(name, value)

        await self.app(scope, receive, on_response_start(send, add_headers))
