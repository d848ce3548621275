"""SIGTERM during a burst of creates: every 201 is stored, nothing else is."""

import asyncio
import signal
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from app.database import Database
from app.models import Owner
from app.settings import Settings
from app.tenancy import mark_unscoped
from tests.live_server import LiveServer, live_server

CLIENTS = 10


async def _burst(server: LiveServer, marker: str) -> tuple[set[str], int]:
    acknowledged: set[str] = set()
    failures = 0
    stop = asyncio.Event()
    headers = {"Authorization": f"Bearer {server.key}"}

    async def client(n: int) -> None:
        nonlocal failures
        async with httpx.AsyncClient(base_url=server.base, timeout=30) as http:
            for i in range(10_000):
                try:
                    response = await http.post(
                        "/api/v1/owners",
                        headers=headers,
                        json={"firstName": f"C{n}-{i}", "lastName": marker},
                    )
                except httpx.TransportError:
                    failures += 1
                    return
                if response.status_code == 201:
                    acknowledged.add(response.json()["id"])
                else:
                    failures += 1
                if stop.is_set():
                    return

    workers = [asyncio.create_task(client(n)) for n in range(CLIENTS)]
    await asyncio.sleep(1.5)
    server.process.send_signal(signal.SIGTERM)
    await asyncio.sleep(0.5)
    stop.set()
    await asyncio.gather(*workers)
    return acknowledged, failures


async def _stored(database_url: str, marker: str) -> set[str]:
    db = Database(Settings(database_url=database_url, _env_file=None))  # type: ignore[call-arg]
    try:
        async with db.sessionmaker() as session:
            mark_unscoped(session)
            return set((await session.scalars(select(Owner.id).where(
                Owner.last_name == marker))).all())  # fmt: skip
    finally:
        await db.dispose()


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_sigterm_during_a_burst_of_creates(
    request: pytest.FixtureRequest, tmp_path: Path, backend_name: str
) -> None:
    database_url = (request.getfixturevalue("postgres_url") if backend_name == "postgresql"
                    else f"sqlite+aiosqlite:///{tmp_path / 'live.db'}")  # fmt: skip
    marker = f"Burst-{uuid.uuid4().hex[:8]}"
    with live_server(tmp_path, database_url) as server:
        acknowledged, failures = asyncio.run(_burst(server, marker))
        exit_code = server.process.wait(timeout=30)
    with ThreadPoolExecutor(1) as pool:
        stored = pool.submit(asyncio.run, _stored(database_url, marker)).result()

    # uvicorn re-raises the SIGTERM it handled once shutdown is complete.
    assert exit_code in (0, -signal.SIGTERM)
    assert acknowledged, "no create finished before SIGTERM"
    assert failures, "SIGTERM came after the burst: nothing was refused"
    assert stored == acknowledged
