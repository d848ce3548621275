"""One budget per API key, shared by REST and GraphQL and by every instance.

The `limits` library keeps fixed-window counters: in memory by default, in
Redis (its atomic increment-with-expiry script) when CLINOVA_REDIS_URL is set.
We call its storage's `incr` directly, as its FixedWindowRateLimiter.hit does,
because that one round trip also tells us what remains for the headers. If Redis fails, the
instance falls back to its own in-memory counters for a while, warns at most
once per interval, and /readyz says so: never a 500, never a hang.

A GraphQL request reserves its estimate before it executes and settles to its
actual cost afterwards, both through `incr`: a reservation is one atomic
increment (what does not fit is given back), a settlement an increment by the
difference, negative for a refund. Both storages add a negative amount as
given; a counter that is missing (its window ended) starts at that amount with
a fresh window, so a refund is only given while the window it was taken in
surely lasts (`_still_open`).
"""

import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, RedisStorage, Storage

from app.errors import RateLimited
from app.scopes import Principal
from app.settings import Settings

log = logging.getLogger("clinova.rate_limits")
WINDOW_SECONDS = 60  # RateLimitItemPerMinute
REDIS_RETRY_SECONDS = 10.0
REDIS_TIMEOUT_SECONDS = 0.5
# Redis reports a window's end in whole seconds (TTL), so it may last up to a
# second longer than `get_expiry` says, never less; units given back with at
# least this much left land in the window they were taken from.
WINDOW_SLACK_SECONDS = 1.0
Result = TypeVar("Result")


@dataclass(frozen=True)
class Budget:
    """Where a key stands after a request: what the headers and GraphQL report."""

    limit: int
    remaining: int
    reset_at: int  # epoch seconds

    def refused(self) -> RateLimited:
        retry_after = min(WINDOW_SECONDS, max(1, math.ceil(self.reset_at - time.time())))
        return RateLimited(
            f"Rate limit of {self.limit} per minute exceeded; retry in {retry_after} s",
            details={"limit": self.limit, "retryAfter": retry_after},
            budget=self,
        )


@dataclass(frozen=True)
class Reservation:
    """Units a GraphQL request holds while it executes, and the storage holding them."""

    principal: Principal
    units: int
    budget: Budget
    storage: Storage
    window_ends: float  # epoch seconds


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
        budget = _clamped(await self._spend_units(principal, cost=0))
        if budget.remaining <= 0:
            raise budget.refused()
        return budget

    async def charge(self, principal: Principal, cost: int, *, strict: bool = True) -> Budget:
        """Spends `cost` units; refuses (429) when they are not there, if `strict`."""
        budget = await self._spend_units(principal, cost=cost)
        if strict and budget.remaining < 0:
            raise _clamped(budget).refused()
        return _clamped(budget)

    async def reserve(self, principal: Principal, units: int) -> Reservation:
        """Holds `units`, or as many of them as are left; refuses (429) when none is.

        Concurrent reservations never hold more than the budget together, so no
        more requests are answered than it allows. What is left rather than all
        or nothing: an estimate is an upper bound (50 owners of 5 pets each may
        be 3 owners), and settlement charges what the answer did cost.
        """
        item = self._item(principal)
        storage, (held, budget, window_ends) = await self._run(
            lambda storage: _hold(storage, item, principal.key_id, units)
        )
        if not held:
            raise budget.refused()
        return Reservation(principal, held, budget, storage, window_ends)

    async def settle(self, reservation: Reservation, units: int) -> Budget:
        """Makes a reserved request cost `units`: charges what it lacked, refunds the rest."""
        item = self._item(reservation.principal)
        change = units - reservation.units
        if change < 0 and not _still_open(reservation.window_ends):
            change = 0  # that window is over: a refund would be spent in the next one
        if not change:
            return reservation.budget

        def spend(storage: Storage) -> Awaitable[Budget]:
            # Units are given back only to the storage that holds them.
            amount = change if storage is reservation.storage else max(change, 0)
            return _spend(storage, item, reservation.principal.key_id, amount)

        _storage, budget = await self._run(spend)
        return _clamped(budget)

    async def _spend_units(self, principal: Principal, cost: int) -> Budget:
        item = self._item(principal)
        _storage, budget = await self._run(
            lambda storage: _spend(storage, item, principal.key_id, cost)
        )
        return budget

    async def _run(
        self, operation: Callable[[Storage], Awaitable[Result]]
    ) -> tuple[Storage, Result]:
        if self._shared is not None and self.mode == "redis":
            try:
                return self._shared, await operation(self._shared)
            except Exception as error:  # any Redis trouble: degrade, never fail
                self._degrade(error)
        return self._local, await operation(self._local)

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


async def _hold(
    storage: Storage, item: RateLimitItem, key: str, wanted: int
) -> tuple[int, Budget, float]:
    """Takes what fits of `wanted` in one atomic increment and gives back the rest.

    Each request sees every increment made before its own, so what it keeps
    fits beside what the others keep.
    """
    name = item.key_for(key)
    used = await storage.incr(name, item.get_expiry(), amount=wanted)
    window_ends = await storage.get_expiry(name)
    held = max(0, wanted - max(0, used - item.amount))
    if held < wanted and _still_open(window_ends):
        # Past its end the window's counter is discarded anyway.
        used = await storage.incr(name, item.get_expiry(), amount=held - wanted)
    budget = Budget(item.amount, remaining=item.amount - used, reset_at=math.ceil(window_ends))
    return held, _clamped(budget), window_ends


def _still_open(window_ends: float) -> bool:
    return window_ends - time.time() >= WINDOW_SLACK_SECONDS


def _clamped(budget: Budget) -> Budget:
    return Budget(budget.limit, max(0, budget.remaining), budget.reset_at)
