"""The key's budget as the X-RateLimit-* headers every keyed response carries."""

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.http.response_start import on_response_start
from app.rate_limits import Budget

RATE_LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


def budget_headers(budget: Budget) -> dict[str, str]:
    values = (budget.limit, budget.remaining, budget.reset_at)
    return {name: str(value) for name, value in zip(RATE_LIMIT_HEADERS, values, strict=True)}


class RateLimitHeadersMiddleware:
    """Puts the key's budget, once a request has one, on its response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        def add_budget(start: Message) -> None:
            budget: Budget | None = scope.get("state", {}).get("budget")
            if budget is not None:
                headers = MutableHeaders(scope=start)
                for name, value in budget_headers(budget).items():
                    headers.setdefault(name, value)

        await self.app(scope, receive, on_response_start(send, add_budget))
