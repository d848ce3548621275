"""Keys answered from memory, and revoked everywhere within 1 s (contract, "Keys").

Instances here are apps of their own, as other processes would be, with their
key watcher started as their lifespan starts it (`app.main`).
"""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.engine import make_url

from app import api_keys, key_cache
from app.database import Database, write_transaction
from app.key_cache import KeyCache
from app.key_changes import APPLICATION_NAME
from app.main import create_app
from app.models import ApiKey
from app.scopes import Principal
from app.settings import Settings
from app.tenancy import mark_unscoped
from tests.conftest import Backend
from tests.factories import ClinicKey, make_clinic, make_key
from tests.graphql_client import count_statements
from tests.live_server import live_server
from tests.tcp_proxy import TcpProxy
from tests.test_cli import last_json, run

REVOCATION_SECONDS = 1.0
PRINCIPAL = Principal(clinic_id="c1", key_id="k1", scopes=frozenset({"owners:read"}))


@dataclass
class Instance:
    app: FastAPI
    http: httpx.AsyncClient

    @property
    def cache(self) -> KeyCache:
        cache: KeyCache = self.app.state.key_cache
        return cache

    async def status(self, key: ClinicKey) -> int:
        response = await self.http.get("/api/v1/owners?limit=1", headers=key.headers)
        return response.status_code

    async def key_lookups(self, key: ClinicKey) -> int:
        """How many statements on api_keys one request of `key` runs."""
        with count_statements(self.app.state.db.engine) as counter:
            await self.status(key)
        return sum("api_keys" in statement for statement in counter.statements)


@asynccontextmanager
async def serving(database_url: str) -> AsyncIterator[Instance]:
    app = create_app(
        Settings(database_url=database_url, rate_limit_per_minute=1_000_000, _env_file=None)  # type: ignore[call-arg]
    )
    app.state.key_watcher.start()
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://instance") as http:
            instance = Instance(app, http)
            await _until(lambda: instance.cache.trusted, within=5)
            yield instance
    finally:
        await app.state.key_watcher.stop()
        await app.state.db.dispose()


async def _until(condition: Callable[[], bool], *, within: float) -> float:
    """Seconds until `condition` held; fails past `within`."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < within, f"not within {within} s"
        await asyncio.sleep(0.01)
    return time.monotonic() - started


async def _refused_everywhere(instances: list[Instance], key: ClinicKey) -> float:
    """Seconds until every instance answers 401 for `key`, which then holds."""
    started = time.monotonic()
    pending = list(instances)
    while pending:
        pending = [i for i in pending if await i.status(key) != 401]
        assert time.monotonic() - started < REVOCATION_SECONDS, "still accepted after 1 s"
    took = time.monotonic() - started
    for instance in instances:
        assert [await instance.status(key) for _ in range(3)] == [401] * 3
    return took


async def _revoke(db: Database, key: ClinicKey) -> None:
    """What `clinova keys revoke` does."""
    async with db.sessionmaker() as session:
        mark_unscoped(session)
        async with write_transaction(session):
            await api_keys.revoke_key(session, key.key_id)


@asynccontextmanager
async def _two_instances(backend: Backend) -> AsyncIterator[list[Instance]]:
    async with (
        serving(backend.settings.database_url) as a,
        serving(backend.settings.database_url) as b,
    ):
        yield [a, b]


# ---- The cache alone ------------------------------------------------------------


def test_a_cache_no_watcher_vouches_for_answers_nothing() -> None:
    cache = KeyCache()
    cache.put("hash", PRINCIPAL, cache.ticket())
    assert cache.get("hash") is None


def test_a_lookup_that_raced_a_change_is_not_kept() -> None:
    # Given a vouched cache, a lookup starts; a change is heard before it ends
    cache = KeyCache()
    cache.confirm()
    ticket = cache.ticket()
    cache.forget("another hash")
    cache.put("hash", PRINCIPAL, ticket)
    # then its answer, read perhaps before the change, is not kept
    assert cache.get("hash") is None
    cache.put("hash", PRINCIPAL, cache.ticket())
    assert cache.get("hash") == PRINCIPAL


def test_trust_lapses_when_the_watcher_stops_confirming(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(key_cache, "time", SimpleNamespace(monotonic=lambda: now[0]))
    cache = KeyCache()
    cache.confirm()
    cache.put("hash", PRINCIPAL, cache.ticket())
    now[0] += key_cache.TRUST_SECONDS + 0.01
    assert cache.get("hash") is None
    cache.confirm()
    assert cache.get("hash") == PRINCIPAL
    cache.lose()
    cache.confirm()
    assert cache.get("hash") is None


# ---- Instances on a database ------------------------------------------------------


async def test_a_key_seen_once_is_not_looked_up_again(backend: Backend) -> None:
    key = await make_clinic(backend.db)
    async with serving(backend.settings.database_url) as instance:
        assert await instance.key_lookups(key) == 1
        assert await instance.key_lookups(key) == 0
        assert await instance.status(key) == 200


async def test_without_a_watcher_every_request_looks_its_key_up(
    backend: Backend, client: httpx.AsyncClient
) -> None:
    # Given the suite's app, whose lifespan (and so its watcher) never started
    key = await make_clinic(backend.db)
    for _ in range(2):
        with count_statements(backend.db.engine) as counter:
            response = await client.get("/api/v1/owners?limit=1", headers=key.headers)
        assert response.status_code == 200
        assert sum("api_keys" in s for s in counter.statements) == 1


async def test_unknown_keys_are_looked_up_every_time(backend: Backend) -> None:
    async with serving(backend.settings.database_url) as instance:
        clinic = await make_clinic(backend.db)
        unknown = ClinicKey(clinic.clinic_id, "none", "sk_test_" + "x" * 40, clinic.principal)
        assert [await instance.key_lookups(unknown) for _ in range(2)] == [1, 1]
        assert await instance.status(unknown) == 401


async def test_a_revoked_key_is_refused_by_every_instance_within_a_second(
    backend: Backend,
) -> None:
    key = await make_clinic(backend.db)
    async with _two_instances(backend) as instances:
        # Given both instances answer the key from memory
        for instance in instances:
            assert await instance.status(key) == 200
            assert await instance.key_lookups(key) == 0
        # when it is revoked elsewhere, then every instance refuses it within 1 s
        await _revoke(backend.db, key)
        took = await _refused_everywhere(instances, key)
    print(f"\nrevocation reached both instances in {took * 1000:.1f} ms ({backend.name})")


async def test_any_change_to_a_key_reaches_every_instance(backend: Backend) -> None:
    clinic = await make_clinic(backend.db)
    key = await make_key(backend.db, clinic.clinic_id, scopes=["owners:read"])
    async with _two_instances(backend) as instances:
        for instance in instances:
            assert await instance.status(key) == 200
        # An operator narrows the key's scopes by hand
        async with backend.db.engine.begin() as connection:
            await connection.execute(
                update(ApiKey).where(ApiKey.id == key.key_id).values(scopes="pets:read")
            )
        started = time.monotonic()
        for instance in instances:
            while await instance.status(key) != 403:
                assert time.monotonic() - started < REVOCATION_SECONDS


# ---- The listener cut off (PostgreSQL) -----------------------------------------------


async def _terminate_listeners(database_url: str) -> int:
    url = make_url(database_url)
    connection = await asyncpg.connect(
        host=url.host, port=url.port, user=url.username, database=url.database
    )
    try:
        terminated: int = await connection.fetchval(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = $1 AND datname = current_database()",
            APPLICATION_NAME,
        )
    finally:
        await connection.close()
    return terminated


async def test_a_key_revoked_while_the_listener_is_cut_is_still_refused_within_a_second(
    backend: Backend,
) -> None:
    if backend.name != "postgresql":
        pytest.skip("SQLite has no listener connection to cut")
    key = await make_clinic(backend.db)
    async with _two_instances(backend) as instances:
        for instance in instances:
            assert await instance.status(key) == 200
        # Given every listener's connection is cut, when the key is revoked at once
        assert await _terminate_listeners(backend.settings.database_url) >= 2
        await _revoke(backend.db, key)
        # then no instance accepts it past 1 s, though none heard the revocation
        await _refused_everywhere(instances, key)
        # nor once its listener is back: nothing cached before the cut survived it
        for instance in instances:
            await _until(lambda i=instance: i.cache.trusted, within=5)  # type: ignore[misc]
            assert await instance.status(key) == 401
        # and keys are cached, and revocations heard, again
        other = await make_key(backend.db, key.clinic_id)
        for instance in instances:
            assert [await instance.key_lookups(other) for _ in range(2)] == [1, 0]
        await _revoke(backend.db, other)
        await _refused_everywhere(instances, other)


async def test_a_listener_that_stops_hearing_stops_vouching(backend: Backend) -> None:
    if backend.name != "postgresql":
        pytest.skip("the silent drop is staged with a TCP proxy in front of PostgreSQL")
    url = make_url(backend.settings.database_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    try:
        proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(False)
        async with serving(proxied) as instance:
            # Given a connection that goes quiet without closing (no FIN, no RST)
            await proxy.stall()
            # then the cache stops vouching well within the revocation bound
            took = await _until(lambda: not instance.cache.trusted, within=REVOCATION_SECONDS)
            assert took < REVOCATION_SECONDS
    finally:
        await proxy.cut()


# ---- Served processes and the operator's command ------------------------------------


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_clinova_keys_revoke_reaches_every_served_process_within_a_second(
    request: pytest.FixtureRequest, tmp_path: Path, backend_name: str
) -> None:
    database_url = (request.getfixturevalue("postgres_url") if backend_name == "postgresql"
                    else f"sqlite+aiosqlite:///{tmp_path / 'live.db'}")  # fmt: skip
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with (
        live_server(tmp_path / "a", database_url) as first,
        live_server(tmp_path / "b", database_url) as second,
    ):
        created = last_json(run(database_url, "keys", "create", "--clinic", first.clinic_id,
                                "--json"))  # fmt: skip
        headers = {"Authorization": f"Bearer {created['apiKey']}"}
        servers = [httpx.Client(base_url=s.base, headers=headers) for s in (first, second)]
        # Given both served processes have answered the key (and keep it in memory)
        for http in servers:
            assert http.get("/api/v1/owners?limit=1").status_code == 200
        # when the operator revokes it
        run(database_url, "keys", "revoke", created["id"])
        revoked_at = time.monotonic()
        # then within 1 s of the command returning, both refuse it
        for http in servers:
            while (status := http.get("/api/v1/owners?limit=1").status_code) != 401:
                assert status == 200
                assert time.monotonic() - revoked_at < REVOCATION_SECONDS
            http.close()
