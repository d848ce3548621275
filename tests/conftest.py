"""Every database test runs on a real SQLite file and a real PostgreSQL database.

PostgreSQL gets a fresh database per test session, created here and dropped at
the end. Tests isolate by clinic: each makes its own clinic, and tenancy keeps
them from seeing each other's rows.
"""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from app.database import Database
from app.domain import owners as owner_domain
from app.main import create_app
from app.migrate import migrate
from app.settings import Settings

ADMIN_POSTGRES_URL = os.environ.get(
    "CLINOVA_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI") == "true"

_backends_used: list[str] = []
_postgres_skipped: list[str] = []


@dataclass
class Backend:
    name: str
    settings: Settings
    app: FastAPI

    @property
    def db(self) -> Database:
        db: Database = self.app.state.db
        return db


def _run_outside_loop(coroutine: Any) -> Any:
    # Session set-up runs synchronously; a thread gets its own event loop.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _admin(statement: str) -> None:
    url = make_url(ADMIN_POSTGRES_URL)
    connection = await asyncpg.connect(
        host=url.host,
        port=url.port,
        user=url.username,
        password=url.password,
        database=url.database,
        timeout=5,
    )
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    yield from _fresh_postgres_database()


@pytest.fixture
def scratch_postgres_url() -> Iterator[str]:
    """A database of this test's own, for tests that shape a schema by hand."""
    yield from _fresh_postgres_database()


def _fresh_postgres_database() -> Iterator[str]:
    name = f"clinova_test_{uuid.uuid4().hex[:12]}"
    try:
        _run_outside_loop(_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        reason = f"PostgreSQL unreachable at {ADMIN_POSTGRES_URL}: {error}"
        if IN_CI:
            pytest.exit(f"CI requires PostgreSQL. {reason}", returncode=1)
        _postgres_skipped.append(reason)
        pytest.skip(reason)
    yield str(make_url(ADMIN_POSTGRES_URL).set(database=name).render_as_string(False))
    _run_outside_loop(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
async def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Backend]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('sqlite') / 'clinova.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    # Budgets large enough never to throttle the suite; tests of limits set their own.
    settings = Settings(database_url=url, rate_limit_per_minute=1_000_000, _env_file=None)  # type: ignore[call-arg]
    app = create_app(settings)
    await migrate(app.state.db.engine)
    _backends_used.append(request.param)
    yield Backend(name=request.param, settings=settings, app=app)
    await app.state.db.dispose()


@pytest.fixture
def db(backend: Backend) -> Database:
    return backend.db


@pytest.fixture
async def client(backend: Backend) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=backend.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://clinova.test") as http:
        yield http


@asynccontextmanager
async def app_client(database_url: str, **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    """Another app instance, as another process would be: its own engine, limiter, settings."""
    app = create_app(Settings(database_url=database_url, _env_file=None, **settings))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://instance") as http:
            yield http
    finally:
        await app.state.db.dispose()


LEAKY_FAILURE = "SELECT secret FROM owners /srv/app/owners.py line 12"


@pytest.fixture
def owner_listing_breaks(monkeypatch: pytest.MonkeyPatch) -> str:
    """Listing owners raises an unexpected error whose text must never reach a caller."""

    async def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError(LEAKY_FAILURE)

    monkeypatch.setattr(owner_domain, "list_owners", broken)
    return LEAKY_FAILURE


def pytest_sessionfinish(session: pytest.Session) -> None:
    # Under pytest-xdist (`make test`) each worker runs its own sessions: it hands
    # what it used to the controller, which writes the summary below.
    worker_output = getattr(session.config, "workeroutput", None)
    if worker_output is not None:
        worker_output["backends_used"] = _backends_used
        worker_output["postgres_skipped"] = _postgres_skipped


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    worker_output = getattr(node, "workeroutput", {})
    _backends_used.extend(worker_output.get("backends_used", []))
    _postgres_skipped.extend(worker_output.get("postgres_skipped", []))


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _backends_used:
        return
    used = ", ".join(dict.fromkeys(_backends_used))
    terminalreporter.write_line(f"backends: {used}")
    for reason in _postgres_skipped[:1]:
        terminalreporter.write_line(f"PostgreSQL was skipped: {reason}")
