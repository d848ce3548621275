"""The database goes away and comes back: 503 fast, then recovery without a restart."""

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from sqlalchemy.engine import make_url

from app.compiled_reads import fetch_level
from app.database import Database
from tests.conftest import Backend, app_client
from tests.factories import clinic_session, make_clinic
from tests.tcp_proxy import TcpProxy
from tests.test_compiled_reads import OWNERS_BY_ID, _one_owner


@asynccontextmanager
async def _proxy(backend: Backend) -> AsyncIterator[tuple[TcpProxy, str]]:
    """A proxy the test controls in front of PostgreSQL, and the database URL through it."""
    if backend.name != "postgresql":
        pytest.skip("outages are staged with a TCP proxy in front of PostgreSQL")
    url = make_url(backend.settings.database_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    try:
        yield proxy, url.set(host="127.0.0.1", port=proxy.port).render_as_string(False)
    finally:
        await proxy.cut()


@asynccontextmanager
async def _behind_proxy(backend: Backend) -> AsyncIterator[tuple[TcpProxy, httpx.AsyncClient]]:
    """An app instance that reaches PostgreSQL only through a proxy the test controls."""
    async with _proxy(backend) as (proxy, proxied), app_client(proxied) as http:
        yield proxy, http


async def test_postgresql_outage_is_503_and_recovers(backend: Backend) -> None:
    clinic = await make_clinic(backend.db)
    async with _behind_proxy(backend) as (proxy, http):

        async def owners() -> httpx.Response:
            return await http.get("/api/v1/owners", headers=clinic.headers)

        assert (await owners()).status_code == 200

        await proxy.cut()
        cut_at = time.monotonic()
        down = await owners()
        first_503 = time.monotonic() - cut_at
        health, ready = await http.get("/healthz"), await http.get("/readyz")

        await proxy.start()  # the database is back, on the same address
        back_at = time.monotonic()
        while (answer := await owners()).status_code != 200 and time.monotonic() - back_at < 10:  # noqa: ASYNC110 - polling the app is the point
            await asyncio.sleep(0.1)
        recovered = time.monotonic() - back_at

    print(f"\noutage: first 503 after {first_503:.2f} s, recovered after {recovered:.2f} s")
    assert down.status_code == 503
    assert down.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert down.headers["Retry-After"]
    assert first_503 < 5
    assert health.status_code == 200 and ready.status_code == 503
    assert answer.status_code == 200 and recovered < 10


async def test_a_connection_the_server_closed_in_the_pool_is_replaced(backend: Backend) -> None:
    clinic = await make_clinic(backend.db)
    async with _behind_proxy(backend) as (proxy, http):
        # Given pooled connections, which the server then closes (a restart between requests)
        assert (await http.get("/api/v1/owners", headers=clinic.headers)).status_code == 200
        await proxy.cut()
        await proxy.start()
        # when the next request comes, then it is answered on a fresh connection
        response = await http.get("/api/v1/owners", headers=clinic.headers)

    assert response.status_code == 200


async def test_a_read_connection_the_server_closed_mid_request_is_replaced(
    backend: Backend,
) -> None:
    clinic, owner = await _one_owner(backend.db)
    async with _proxy(backend) as (proxy, proxied):
        db = Database(backend.settings.model_copy(update={"database_url": proxied}))
        try:
            async with clinic_session(db, clinic.clinic_id) as session:
                # Given a session's kept read connection, which the server then closes
                assert len(await fetch_level(session, OWNERS_BY_ID, [owner.id])) == 1
                await proxy.cut()
                await proxy.start()
                await asyncio.sleep(0.2)  # asyncpg hears the socket close
                # then its next read runs on a fresh connection, as a new checkout would
                assert len(await fetch_level(session, OWNERS_BY_ID, [owner.id])) == 1
        finally:
            await db.dispose()


async def test_a_locked_sqlite_database_is_503(backend: Backend) -> None:
    if backend.name != "sqlite":
        pytest.skip("SQLite's file lock")
    clinic = await make_clinic(backend.db)
    path = make_url(backend.settings.database_url).database
    assert path
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
    try:
        async with app_client(backend.settings.database_url, sqlite_busy_timeout_ms=200) as http:
            response = await http.post(
                "/api/v1/owners", headers=clinic.headers, json={"firstName": "A", "lastName": "B"}
            )
    finally:
        locker.execute("ROLLBACK")
        locker.close()

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "SERVICE_UNAVAILABLE"


async def test_a_stalled_postgresql_is_503_within_seconds(backend: Backend) -> None:
    clinic = await make_clinic(backend.db)
    async with _behind_proxy(backend) as (proxy, http):
        assert (await http.get("/api/v1/owners", headers=clinic.headers)).status_code == 200
        await proxy.stall()
        started = time.monotonic()
        response = await http.get("/api/v1/owners", headers=clinic.headers)
        elapsed = time.monotonic() - started

    print(f"\nstalled database: 503 after {elapsed:.2f} s")
    assert response.status_code == 503
    assert elapsed < 5


async def test_a_server_out_of_connections_is_503_not_500(backend: Backend) -> None:
    if backend.name != "postgresql":
        pytest.skip("connection limits are PostgreSQL's")
    clinic = await make_clinic(backend.db)
    role = f"clinova_full_{clinic.clinic_id[-8:]}"
    async with backend.db.engine.begin() as connection:
        # A role with no connection left, as a server at max_connections answers:
        # SQLSTATE 53300, too many connections.
        await connection.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN CONNECTION LIMIT 0')
    full = make_url(backend.settings.database_url).set(username=role).render_as_string(False)
    try:
        async with app_client(full) as http:
            response = await http.get("/api/v1/owners", headers=clinic.headers)
    finally:
        async with backend.db.engine.begin() as connection:
            await connection.exec_driver_sql(f'DROP ROLE "{role}"')
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert response.headers["Retry-After"] == "5"
