"""A GraphQL request reserves its estimate before it executes, then settles to its cost."""

import asyncio
import time

import httpx
import pytest

from app.domain import owners
from app.errors import RateLimited
from app.rate_limits import RateLimiter
from app.scopes import Principal
from app.settings import Settings
from tests.conftest import Backend, app_client
from tests.factories import ClinicKey, make_clinic, make_key
from tests.test_rate_limits import redis_url  # noqa: F401 (the fixture)

CHEAP = {"query": "{ owners(first: 1) { totalCount } }"}  # estimated at one unit


async def _key(backend: Backend, limit: int) -> ClinicKey:
    clinic = await make_clinic(backend.db)
    return await make_key(backend.db, clinic.clinic_id, rate_limit=limit)


def _statuses(answers: list[httpx.Response]) -> list[int]:
    return sorted(a.status_code for a in answers)


async def test_concurrent_requests_answer_no_more_than_the_budget(
    backend: Backend, client: httpx.AsyncClient
) -> None:
    # Given a key with 20 units a minute
    key = await _key(backend, 20)
    # when 40 GraphQL requests arrive at once
    answers = await asyncio.gather(
        *(client.post("/graphql", json=CHEAP, headers=key.headers) for _ in range(40))
    )
    # then exactly 20 are answered and the others refused as REST refuses them
    assert _statuses(answers) == [200] * 20 + [429] * 20
    for refused in (a for a in answers if a.status_code == 429):
        [error] = refused.json()["errors"]
        assert error["extensions"]["code"] == "RATE_LIMIT_EXCEEDED"
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert refused.headers["X-RateLimit-Limit"] == "20"
        assert refused.headers["X-RateLimit-Remaining"] == "0"
        assert int(refused.headers["X-RateLimit-Reset"]) >= time.time()


async def test_instances_sharing_redis_answer_no_more_than_the_budget(
    backend: Backend,
    redis_url: str,  # noqa: F811 (the fixture)
) -> None:
    key = await _key(backend, 20)
    url = backend.settings.database_url
    async with (
        app_client(url, redis_url=redis_url) as first,
        app_client(url, redis_url=redis_url) as second,
    ):
        answers = await asyncio.gather(
            *(
                (first if i % 2 else second).post("/graphql", json=CHEAP, headers=key.headers)
                for i in range(40)
            )
        )
    assert _statuses(answers) == [200] * 20 + [429] * 20


async def test_a_refused_reservation_runs_no_resolver(
    backend: Backend, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a key whose last unit another request takes just before this one reserves
    # (on either path: the compiled route reserves without checking first)
    key = await _key(backend, 1)
    limiter: RateLimiter = backend.app.state.rate_limiter
    reserve = limiter.reserve

    async def taken_then_reserved(principal: Principal, units: int) -> object:
        await limiter.charge(principal, 1, strict=False)
        return await reserve(principal, units)

    monkeypatch.setattr(limiter, "reserve", taken_then_reserved)
    resolved: list[object] = []

    async def listed(*args: object, **kwargs: object) -> None:
        resolved.append(args)

    monkeypatch.setattr(owners, "list_owners", listed)
    # when it asks GraphQL for owners
    headers = {**key.headers, "Accept": "application/graphql-response+json"}
    answer = await client.post("/graphql", json=CHEAP, headers=headers)
    # then it is refused 429 before anything executes
    assert answer.status_code == 429
    assert answer.json()["errors"][0]["extensions"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert resolved == []


async def test_settling_refunds_what_the_estimate_held_beyond_the_cost(backend: Backend) -> None:
    # Given a key with 50 units, and a request estimated at 30 that cost 2
    key = await _key(backend, 50)
    limiter = RateLimiter(Settings(database_url=backend.settings.database_url, _env_file=None))
    reservation = await limiter.reserve(key.principal, 30)
    held = reservation.budget.remaining
    # when it settles
    settled = await limiter.settle(reservation, 2)
    # then the key keeps what it did not spend
    assert (reservation.units, held, settled.remaining) == (30, 20, 48)


async def test_a_reservation_takes_what_is_left_and_none_when_nothing_is(
    backend: Backend,
) -> None:
    key = await _key(backend, 10)
    limiter = RateLimiter(Settings(database_url=backend.settings.database_url, _env_file=None))
    await limiter.charge(key.principal, 7)
    # An estimate beyond what is left holds what is left: settlement charges the rest.
    partial = await limiter.reserve(key.principal, 30)
    assert (partial.units, partial.budget.remaining) == (3, 0)
    with pytest.raises(RateLimited):
        await limiter.reserve(key.principal, 1)
    # What the refused reservation tried to take was given back, and the refund lands.
    await limiter.settle(partial, 1)
    assert (await limiter.check(key.principal)).remaining == 2
