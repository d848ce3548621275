import time

import httpx

from tests.conftest import Backend, app_client


async def test_healthz_needs_no_key(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert response.headers["X-Request-Id"]


async def test_readyz_is_503_fast_when_the_database_is_unreachable() -> None:
    # Nothing listens on port 9 of loopback: the connection is refused.
    async with app_client("postgresql+asyncpg://postgres@127.0.0.1:9/none") as http:
        started = time.monotonic()
        response = await http.get("/readyz")
        elapsed = time.monotonic() - started
        healthz = await http.get("/healthz")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert response.headers["Retry-After"]
    assert elapsed < 5
    assert healthz.status_code == 200


async def test_readyz_says_degraded_when_redis_was_never_reachable(backend: Backend) -> None:
    # Nothing listens on port 9 of loopback: Redis is refused from the start.
    async with app_client(backend.settings.database_url, redis_url="redis://127.0.0.1:9/0") as http:
        first = await http.get("/readyz")
    assert first.status_code == 200
    assert first.json()["rateLimits"] == "degraded"
