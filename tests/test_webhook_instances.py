"""Real instances: `clinova serve` and `clinova deliver` processes delivering to receivers
on 127.0.0.1. On PostgreSQL two of them share the queue; one is killed mid-delivery."""

import asyncio
import json
import signal
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, insert, select

from app.change_log.models import ChangeCounter, ChangeEvent
from app.database import Database, write_transaction
from app.migrate import migrate
from app.settings import Settings
from app.tenancy import mark_unscoped
from app.timestamps import utc_now
from app.webhooks.endpoints import add_endpoint
from app.webhooks.models import DeliveryState, WebhookAttempt, WebhookDelivery
from tests.factories import make_clinic
from tests.live_server import _server_env, clinova, live_server
from tests.webhook_receiver import Answer, Receiver
from tests.webhook_support import CREATE, ENCRYPTION_KEY

EVENTS = 1_000
WEBHOOK_ENV = {
    "CLINOVA_WEBHOOK_ENCRYPTION_KEY": ENCRYPTION_KEY,
    "CLINOVA_WEBHOOKS_ALLOW_PRIVATE": "true",
    "CLINOVA_WEBHOOK_TIMEOUT": "1",
    "CLINOVA_WEBHOOK_RETRY_BASE": "0.2",
    "CLINOVA_DELIVERY_LEASE": "3",
    "CLINOVA_DELIVERY_POLL_INTERVAL": "0.2",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        return str(request.getfixturevalue("scratch_postgres_url"))
    return f"sqlite+aiosqlite:///{tmp_path / 'live.db'}"


def _env(database_url: str, **extra: str) -> dict[str, str]:
    return {**_server_env(database_url), **WEBHOOK_ENV, **extra}


@asynccontextmanager
async def _database(url: str) -> AsyncIterator[Database]:
    """This test's own handle on the database the processes share, migrated."""
    settings = Settings(database_url=url, webhook_encryption_key=ENCRYPTION_KEY, _env_file=None)  # type: ignore[call-arg]
    db = Database(settings)
    try:
        await migrate(db.engine)
        yield db
    finally:
        await db.dispose()


async def _endpoint(db: Database, clinic_id: str, url: str) -> tuple[str, str]:
    async with db.sessionmaker() as session:
        mark_unscoped(session)
        async with write_transaction(session):
            created = await add_endpoint(
                session, db.settings, clinic_id=clinic_id, url=url, types="", description=None
            )
    return created.endpoint.id, created.secret


async def _log(db: Database, clinic_id: str, count: int) -> None:
    """A clinic's log of `count` owner.created events, as that many writes would leave it."""
    now = utc_now()
    rows = [
        {"clinic_id": clinic_id, "seq": seq, "type": "owner.created", "entity": "owner",
         "entity_id": f"c{seq:024d}", "occurred_at": now, "actor": "apikey|test",
         "data": {"id": f"c{seq:024d}", "firstName": f"Owner{seq}"}}
        for seq in range(1, count + 1)
    ]  # fmt: skip
    async with db.sessionmaker() as session:
        mark_unscoped(session)
        async with write_transaction(session):
            await session.execute(insert(ChangeEvent), rows)
            await session.execute(
                insert(ChangeCounter).values(clinic_id=clinic_id, last_seq=count, purged_through=0)
            )


@contextmanager
def delivering(
    tmp_path: Path, url: str, name: str, **env: str
) -> Iterator["subprocess.Popen[bytes]"]:
    """A `clinova deliver` process: delivery alone, as a separate deployment runs it."""
    with (tmp_path / f"{name}.log").open("wb") as log:
        process = subprocess.Popen(
            [clinova(), "deliver"], env=_env(url, **env), cwd=tmp_path,
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # what it sent is recorded before it exits
            process.wait(timeout=20)


async def _queue(db: Database) -> tuple[list[Any], list[Any]]:
    """Deliveries by endpoint, state and attempts; attempts by instance."""
    async with db.sessionmaker() as session:
        mark_unscoped(session)
        d = WebhookDelivery
        deliveries = await session.execute(
            select(d.endpoint_id, d.state, d.attempts, func.count())
            .group_by(d.endpoint_id, d.state, d.attempts)
        )  # fmt: skip
        senders = await session.execute(
            select(WebhookAttempt.sent_by, func.count()).group_by(WebhookAttempt.sent_by)
        )
        return sorted(deliveries.all()), sorted(senders.all())


async def test_two_instances_deliver_each_event_once_to_each_endpoint(
    tmp_path: Path, scratch_postgres_url: str
) -> None:
    url = scratch_postgres_url
    async with _database(url) as db, Receiver() as first, Receiver() as second:
        # Given two `clinova deliver` instances, each serving one endpoint at a time...
        clinic = await make_clinic(db)
        endpoints = [await _endpoint(db, clinic.clinic_id, r.url) for r in (first, second)]
        first.secrets.append(endpoints[0][1])
        second.secrets.append(endpoints[1][1])
        one = {"CLINOVA_DELIVERY_CONCURRENCY": "1"}
        with (
            delivering(tmp_path, url, "one", **one),
            delivering(tmp_path, url, "two", **one),
        ):
            # ...when the clinic's log holds 1,000 events...
            await _log(db, clinic.clinic_id, EVENTS)
            await first.wait_for(EVENTS, within=120)
            await second.wait_for(EVENTS, within=120)
            await asyncio.sleep(1)  # anything sent twice would have arrived by now
        deliveries, senders = await _queue(db)

    # ...each endpoint gets every event once, in log order, signed; no attempt twice.
    for receiver in (first, second):
        ids = [int(a.event_id) for a in receiver.arrivals]
        assert ids == list(range(1, EVENTS + 1))
        assert all(a.verified for a in receiver.arrivals)
    print(f"\nduplicates seen by the receivers: {first.duplicates} and {second.duplicates}")
    assert first.duplicates == second.duplicates == 0
    assert deliveries == sorted((e, DeliveryState.DELIVERED, 1, EVENTS) for e, _ in endpoints)
    # Both instances delivered, and all the attempts between them were 2,000.
    assert len(senders) == 2 and sum(n for _, n in senders) == 2 * EVENTS


async def test_an_instance_killed_mid_delivery_loses_nothing(
    tmp_path: Path, scratch_postgres_url: str
) -> None:
    url = scratch_postgres_url
    async with _database(url) as db, Receiver() as receiver:
        clinic = await make_clinic(db)
        endpoint, _secret = await _endpoint(db, clinic.clinic_id, receiver.url)
        await _log(db, clinic.clinic_id, 3)
        # Given an instance whose receiver holds its first delivery open...
        receiver.answer(Answer(delay=60))
        with delivering(tmp_path, url, "doomed") as doomed:
            await receiver.wait_started(1, within=20)
            # ...when it dies then and there...
            doomed.send_signal(signal.SIGKILL)
            doomed.wait()

        # ...another instance takes the endpoint over once the lease runs out, and sends it all.
        with delivering(tmp_path, url, "survivor"):
            await receiver.wait_for(3, within=30)
        deliveries, _senders = await _queue(db)

    arrivals = [a.event_id for a in receiver.arrivals]
    print(f"\nrequests for events: {receiver.started}, answered: {arrivals}")
    assert receiver.started == ["1", "1", "2", "3"] and arrivals == ["1", "2", "3"]
    # The killed attempt was never recorded: event 1 shows the one that counted.
    assert deliveries == [(endpoint, DeliveryState.DELIVERED, 1, 3)]


async def test_serve_delivers_in_the_background(tmp_path: Path, database_url: str) -> None:
    async with Receiver() as receiver:
        with live_server(tmp_path, database_url, extra_env=WEBHOOK_ENV) as server:
            headers = {"Authorization": f"Bearer {server.key}"}
            async with httpx.AsyncClient(base_url=server.base, headers=headers) as http:
                created = await http.post(
                    "/graphql",
                    json={"query": CREATE, "variables": {"input": {"url": receiver.url}}},
                )
                receiver.secrets.append(created.json()["data"]["createWebhookEndpoint"]["secret"])
                body = {"firstName": "Ada", "lastName": "Byron"}
                owner = (await http.post("/api/v1/owners", json=body)).json()["id"]
                await receiver.wait_for(1, within=20)

    [arrival] = receiver.arrivals
    assert arrival.verified and arrival.body["data"]["id"] == owner


async def test_deliver_runs_apart_when_serve_does_not(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'apart.db'}"
    quiet = {**WEBHOOK_ENV, "CLINOVA_DELIVER_IN_SERVE": "false"}
    async with Receiver() as receiver:
        with live_server(tmp_path, url, extra_env=quiet) as server:
            headers = {"Authorization": f"Bearer {server.key}"}
            async with httpx.AsyncClient(base_url=server.base, headers=headers) as http:
                await http.post(
                    "/graphql",
                    json={"query": CREATE, "variables": {"input": {"url": receiver.url}}},
                )
                await http.post("/api/v1/owners", json={"firstName": "Ada", "lastName": "Byron"})
                await asyncio.sleep(1.5)
                assert receiver.started == []  # serve alone does not deliver

                with delivering(tmp_path, url, "apart") as process:
                    await receiver.wait_for(1, within=20)
                    process.send_signal(signal.SIGTERM)
                    assert process.wait(timeout=10) == 0  # stops cleanly


def _cli(url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [clinova(), *args], env=_env(url, **env), capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip


def _json(done: subprocess.CompletedProcess[str]) -> Any:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


async def test_the_webhooks_command_adds_lists_and_removes(database_url: str) -> None:
    async with _database(database_url) as db:
        clinic = (await make_clinic(db)).clinic_id
    url = "http://127.0.0.1:9/hooks"

    added = _json(_cli(database_url, "webhooks", "add", "--clinic", clinic, "--url", url,
                       "--types", "pet.created,owner.deleted", "--description", "lab sync",
                       "--json"))  # fmt: skip
    listed = _json(_cli(database_url, "webhooks", "list", "--clinic", clinic, "--json"))
    removed = _cli(database_url, "webhooks", "remove", added["id"])
    again = _cli(database_url, "webhooks", "remove", added["id"])
    refused = _cli(database_url, "webhooks", "add", "--clinic", clinic, "--url",
                   "https://10.0.0.1/hooks", CLINOVA_WEBHOOKS_ALLOW_PRIVATE="false")  # fmt: skip

    assert added["secret"].startswith("whsec_")
    assert listed == {"endpoints": [{
        "id": added["id"], "clinicId": clinic, "url": url,
        "types": ["owner.deleted", "pet.created"], "enabled": True, "disabledReason": None,
        "description": "lab sync",
    }]}  # fmt: skip
    assert removed.returncode == 0 and f"endpoint {added['id']} removed" in removed.stdout
    assert again.returncode != 0 and "no webhook endpoint" in again.stderr
    assert refused.returncode != 0 and "not a public address" in refused.stderr
