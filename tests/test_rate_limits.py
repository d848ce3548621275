"""One budget per key across REST and GraphQL, shared by instances through real Redis."""

import asyncio
import logging
import os
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from functools import partial

import httpx
import pytest
import redis.asyncio as redis

from tests.conftest import IN_CI, Backend, app_client
from tests.factories import ClinicKey, make_clinic, make_key, make_owner
from tests.graphql_client import count_statements

REDIS_URL = os.environ.get("CLINOVA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
DASHBOARD = """{ owners(first: 50) { nodes { firstName
  pets { name medicalRecords { title invoices { invoiceNumber totalAmount } } } } } }"""
TOO_DEEP = """{ owners(first: 100) { nodes { pets { medicalRecords { invoices {
  pet { medicalRecords { invoices { id } } } } } } } } }"""

Instance = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture(scope="session")
def redis_url() -> str:
    async def ping() -> None:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        try:
            await client.ping()
        finally:
            await client.aclose()

    try:
        asyncio.run(ping())
    except Exception as error:
        if IN_CI:
            pytest.exit(f"CI requires Redis at {REDIS_URL}: {error}", returncode=1)
        pytest.skip(f"Redis unreachable at {REDIS_URL}: {error}")
    return REDIS_URL


@pytest.fixture
def instance(backend: Backend) -> Instance:
    """Another app instance on the test database, with the given limiter settings."""
    return partial(app_client, backend.settings.database_url)


async def _limited_key(backend: Backend, limit: int) -> ClinicKey:
    clinic = await make_clinic(backend.db)
    return await make_key(backend.db, clinic.clinic_id, rate_limit=limit)


async def test_two_instances_share_one_budget_exactly(
    backend: Backend, instance: Instance, redis_url: str
) -> None:
    key = await _limited_key(backend, 5)
    other = await _limited_key(backend, 5)
    async with instance(redis_url=redis_url) as first, instance(redis_url=redis_url) as second:
        statuses = [
            (await (first if i % 2 else second).get("/api/v1/owners", headers=key.headers))
            for i in range(6)
        ]
        unaffected = await first.get("/api/v1/owners", headers=other.headers)

    assert [r.status_code for r in statuses] == [200] * 5 + [429]
    assert [r.headers["X-RateLimit-Remaining"] for r in statuses[:5]] == ["4", "3", "2", "1", "0"]
    refused = statuses[5]
    assert refused.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    reset = int(refused.headers["X-RateLimit-Reset"])
    assert time.time() <= reset <= time.time() + 61
    assert unaffected.status_code == 200
    assert unaffected.headers["X-RateLimit-Limit"] == "5"


async def test_graphql_cost_is_reported_and_charged(
    backend: Backend, instance: Instance, redis_url: str
) -> None:
    key = await _limited_key(backend, 50)
    async with instance(redis_url=redis_url) as http:
        rest = await http.get("/api/v1/owners", headers=key.headers)
        graphql = await http.post("/graphql", json={"query": DASHBOARD}, headers=key.headers)

    cost = graphql.json()["extensions"]["cost"]
    # owners 50, pets x5, records x10, invoices x2: 1 + 50 + 250 + 2500 + 5000
    assert cost["requestedNodes"] == 7801
    assert cost["actualNodes"] == 1  # the connection itself; this clinic has no owners
    assert cost["unitsCharged"] == 1
    assert cost["throttleStatus"]["maximumAvailable"] == 50
    assert cost["throttleStatus"]["currentlyAvailable"] == 48
    assert rest.headers["X-RateLimit-Remaining"] == "49"
    assert graphql.headers["X-RateLimit-Remaining"] == "48"


async def test_large_results_cost_more_units(backend: Backend, instance: Instance) -> None:
    key = await _limited_key(backend, 100)

    for i in range(150):
        await make_owner(backend.db, key.clinic_id, first_name=f"O{i}")
    query = "{ a: owners(first: 100) { nodes { id } } b: owners(first: 100) { nodes { id } } }"
    async with instance() as http:
        body = (await http.post("/graphql", json={"query": query}, headers=key.headers)).json()

    assert body["extensions"]["cost"]["actualNodes"] == 202
    assert body["extensions"]["cost"]["unitsCharged"] == 3
    assert body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 97


async def test_over_cost_queries_are_refused_before_any_sql(
    backend: Backend, client: httpx.AsyncClient
) -> None:
    key = await _limited_key(backend, 100)
    ok = await client.post("/graphql", json={"query": DASHBOARD}, headers=key.headers)
    with count_statements(backend.db.engine) as counter:
        refused = await client.post("/graphql", json={"query": TOO_DEEP}, headers=key.headers)

    assert "errors" not in ok.json()
    body = refused.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert error["extensions"]["cost"] == {"requestedNodes": 325601, "maximumNodes": 100000}
    assert len(counter) == 1, counter.statements  # the key lookup, nothing of the document


async def test_an_exhausted_key_gets_429_on_graphql(
    backend: Backend, instance: Instance, redis_url: str
) -> None:
    key = await _limited_key(backend, 2)
    async with instance(redis_url=redis_url) as http:
        answers = [
            await http.post(
                "/graphql", json={"query": "{ owners { totalCount } }"}, headers=key.headers
            )
            for _ in range(3)
        ]
        health = await http.get("/healthz")

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json()["errors"][0]["extensions"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert answers[2].headers["Retry-After"]
    assert "X-RateLimit-Limit" not in health.headers


async def test_unreachable_redis_degrades_to_a_per_instance_limit(
    backend: Backend, instance: Instance, caplog: pytest.LogCaptureFixture
) -> None:
    key = await _limited_key(backend, 3)
    dead_redis = "redis://127.0.0.1:9/0"  # nothing listens on port 9
    with caplog.at_level(logging.WARNING, logger="clinova.rate_limits"):
        async with instance(redis_url=dead_redis) as http:
            started = time.monotonic()
            answers = [await http.get("/api/v1/owners", headers=key.headers) for _ in range(4)]
            elapsed = time.monotonic() - started
            ready = await http.get("/readyz")

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert elapsed < 3
    warnings = [r for r in caplog.records if "Redis" in r.getMessage()]
    assert len(warnings) == 1
    assert ready.status_code == 200 and ready.json()["rateLimits"] == "degraded"
