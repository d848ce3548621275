"""One budget per API key, shared by REST and GraphQL and by every instance.

The `limits` library keeps fixed-window counters: in memory by default, in
Redis (its atomic increment-with-expiry script) when CLINOVA_REDIS_URL is set.
We call its storage's `incr` directly, as its FixedWindowRateLimiter.hit does,
because that one round trip also tells us what remains for the headers. If Redis fails, the
instance falls back to its own in-memory counters for a while, warns at most
once per interval, and /readyz says so: never a 500, never a hang.
"""

import logging
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import RateLimited
from app.response_start import on_response_start
from app.scopes import Principal
from app.settings import Settings

log = logging.getLogger("clinova.rate_limits")
WINDOW_SECONDS = 60  # RateLimitItemPerMinute
RATE_LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
REDIS_RETRY_SECONDS = 10.0
REDIS_TIMEOUT_SECONDS = 0.5


@dataclass(frozen=True)
class Budget:
    """Where a key stands after a request: what the headers and GraphQL report."""

    limit: int
    remaining: int
    reset_at: int  # epoch seconds

    @property
    def headers(self) -> dict[str, str]:
        values = (self.limit, self.remaining, self.reset_at)
        return {name: str(value) for name, value in zip(RATE_LIMIT_HEADERS, values, strict=True)}

    def refused(self) -> RateLimited:
        retry_after = min(WINDOW_SECONDS, max(1, math.ceil(self.reset_at - time.time())))
        return RateLimited(
            f"Rate limit of {self.limit} per minute exceeded; retry in {retry_after} s",
            details={"limit": self.limit, "retryAfter": retry_after},
            headers={**self.headers, "Retry-After": str(retry_after)},
        )


class RateLimiter:
    def __init__(self, settings: Settings) -> None:
        self.default_per_minute = settings.rate_limit_per_minute
        self._local: Storage = MemoryStorage()
        self._shared: Storage | None = None
        if settings.redis_url:
            self._shared = RedisStorage(
                settings.redis_url.replace("redis://", "async+redis://", 1),
                implementation="redispy",
                socket_timeout=REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            )
        self._shared_down_until = 0.0
        self._warned_at = 0.0

    @property
    def mode(self) -> str:
        if self._shared is None:
            return "memory"
        return "degraded" if self._shared_down_until > time.monotonic() else "redis"

    async def readiness(self) -> str:
        """The mode, after asking Redis now: unreachable since start is `degraded` too."""
        if self._shared is not None:
            try:
                reachable = await self._shared.check()
            except Exception as error:  # any Redis trouble: degrade, never fail
                self._degrade(error)
            else:
                if reachable:
                    self._shared_down_until = 0.0
                else:
                    self._degrade(ConnectionError("Redis did not answer PING"))
        return self.mode

    def _item(self, principal: Principal) -> RateLimitItem:
        return RateLimitItemPerMinute(principal.rate_limit or self.default_per_minute)

    async def check(self, principal: Principal) -> Budget:
        """Refuses (429) a key with nothing left, without spending anything."""
        budget = _clamped(await self._run(principal, cost=0))
        if budget.remaining <= 0:
            raise budget.refused()
        return budget

    async def charge(self, principal: Principal, cost: int, *, strict: bool = True) -> Budget:
        """Spends `cost` units; refuses (429) when they are not there, if `strict`."""
        budget = await self._run(principal, cost=cost)
        if strict and budget.remaining < 0:
            raise _clamped(budget).refused()
        return _clamped(budget)

    async def _run(self, principal: Principal, cost: int) -> Budget:
        item = self._item(principal)
        if self._shared is not None and self.mode == "redis":
            try:
                return await _spend(self._shared, item, principal.key_id, cost)
            except Exception as error:  # any Redis trouble: degrade, never fail
                self._degrade(error)
        return await _spend(self._local, item, principal.key_id, cost)

    def _degrade(self, error: Exception) -> None:
        now = time.monotonic()
        self._shared_down_until = now + REDIS_RETRY_SECONDS
        if now - self._warned_at >= REDIS_RETRY_SECONDS:
            self._warned_at = now
            log.warning(
                "Redis rate-limit storage unavailable (%s); limiting per instance for %.0f s",
                type(error).__name__, REDIS_RETRY_SECONDS,
            )  # fmt: skip


async def _spend(storage: Storage, item: RateLimitItem, key: str, cost: int) -> Budget:
    name = item.key_for(key)
    used = (
        await storage.incr(name, item.get_expiry(), amount=cost)
        if cost
        else await storage.get(name)
    )
    reset_at = await storage.get_expiry(name) if used else time.time() + item.get_expiry()
    return Budget(limit=item.amount, remaining=item.amount - used, reset_at=math.ceil(reset_at))


def _clamped(budget: Budget) -> Budget:
    return Budget(budget.limit, max(0, budget.remaining), budget.reset_at)


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
                for name, value in budget.headers.items():
                    headers.setdefault(name, value)

        await self.app(scope, receive, on_response_start(send, add_budget))
