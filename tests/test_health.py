import time

import httpx

from app.main import create_app
from app.settings import Settings


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
    settings = Settings(
        database_url="postgresql+asyncpg://postgres@127.0.0.1:9/none",
        _env_file=None,  # type: ignore[call-arg]
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://clinova.test") as http:
        started = time.monotonic()
        response = await http.get("/readyz")
        elapsed = time.monotonic() - started
        healthz = await http.get("/healthz")
    await app.state.db.dispose()
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert response.headers["Retry-After"]
    assert elapsed < 5
    assert healthz.status_code == 200
