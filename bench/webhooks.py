"""Webhook delivery: latency (event committed -> receiver has it) and throughput.

    .venv/bin/python -m bench.webhooks [--database-url URL] [--writes 200] [--rate 20]
                                       [--events 2000] [--endpoints 4] [--instances 2]

On a fresh PostgreSQL database by default (`clinova_bench_webhooks` on the test
server, dropped and made again). Receivers listen on 127.0.0.1 in this process
(tests/webhook_receiver.py: they verify every signature).

Latency: `clinova serve` (which delivers) and `--instances - 1` more `clinova
deliver` processes, `--endpoints` endpoints, and `--writes` owners written through
the API at `--rate` per second. Each delivery's latency is taken two ways, which
bracket the commit: from the write's 201 (just after its commit) and from the
event's occurredAt (stamped just before). Throughput: delivery stopped, a log of
`--events` events, then `--instances` `clinova deliver` processes start and
every endpoint gets every event; deliveries per second from the first arrival to
the last.
"""

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from cryptography.fernet import Fernet
from sqlalchemy import insert
from sqlalchemy.engine import make_url

from app.api_keys import create_key
from app.change_log.models import ChangeCounter, ChangeEvent
from app.database import Database, write_transaction
from app.migrate import migrate
from app.models import Clinic
from app.scopes import ALL_SCOPES
from app.settings import Settings
from app.tenancy import mark_unscoped
from app.timestamps import parse_timestamp, utc_now
from app.webhooks.endpoints import add_endpoint
from bench.servers import WORK, clinova
from tests.webhook_receiver import Receiver

DEFAULT_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
DATABASE = "clinova_bench_webhooks"
KEY = Fernet.generate_key().decode()
ENV = {
    "CLINOVA_WEBHOOK_ENCRYPTION_KEY": KEY,
    "CLINOVA_WEBHOOKS_ALLOW_PRIVATE": "true",  # the receivers are on 127.0.0.1
    "CLINOVA_RATE_LIMIT_PER_MINUTE": "100000000",
}


async def fresh_database(server: str) -> str:
    url = make_url(server)
    admin = await asyncpg.connect(
        host=url.host, port=url.port, user=url.username, password=url.password,
        database=url.database,
    )  # fmt: skip
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await admin.close()
    return url.set(database=DATABASE).render_as_string(hide_password=False)


async def prepare(db: Database, receivers: list[Receiver]) -> tuple[str, str]:
    """A clinic, a full-scope key, and one endpoint per receiver."""
    await migrate(db.engine)
    async with db.sessionmaker() as session:
        mark_unscoped(session)
        async with write_transaction(session):
            clinic = Clinic(name="Webhook bench")
            session.add(clinic)
            await session.flush()
            created = await create_key(
                session, clinic_id=clinic.id, name="bench", scopes=ALL_SCOPES
            )
            for receiver in receivers:
                endpoint = await add_endpoint(
                    session, db.settings, clinic_id=clinic.id, url=receiver.url, types="",
                    description="bench",
                )  # fmt: skip
                receiver.secrets.append(endpoint.secret)
    return clinic.id, created.secret


@contextmanager
def delivering(database_url: str, count: int) -> Iterator[None]:
    """`count` `clinova deliver` processes, stopped (SIGTERM) on the way out."""
    exe = str(Path(sys.executable).parent / "clinova")
    env = {**os.environ, **ENV, "CLINOVA_DATABASE_URL": database_url}
    logs = WORK / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    processes = []
    for n in range(count):
        with (logs / f"deliver-{n}.log").open("wb") as log:
            processes.append(
                subprocess.Popen([exe, "deliver"], env=env, stdout=log, stderr=subprocess.STDOUT)
            )
    try:
        yield
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=30)


def quantiles(samples: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {"p50": round(cuts[49] * 1000, 1), "p99": round(cuts[98] * 1000, 1)}


async def latency(
    database_url: str, key: str, receivers: list[Receiver], *, writes: int, rate: float,
    instances: int,
) -> dict[str, Any]:  # fmt: skip
    server = clinova(database_url, workers=1)
    server.env.update(ENV)
    acknowledged: dict[str, float] = {}
    with ExitStack() as stack:
        server.start(WORK / "logs" / "serve.log")
        stack.callback(server.stop)
        stack.enter_context(delivering(database_url, instances - 1))
        await asyncio.sleep(3)  # the other instances' start-up
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
            start = time.monotonic()
            for n in range(writes):
                await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))
                body = {"firstName": f"Bench{n}", "lastName": "Latency"}
                response = await http.post("/api/v1/owners", json=body)
                acknowledged[response.json()["id"]] = time.time()
        for receiver in receivers:
            await receiver.wait_for(writes, within=60)
    after_commit, before_commit = [], []
    for receiver in receivers:
        for arrival in receiver.delivered:
            after_commit.append(arrival.at - acknowledged[arrival.body["data"]["id"]])
            occurred = parse_timestamp(arrival.body["occurredAt"]).timestamp()
            before_commit.append(arrival.at - occurred)
    return {
        "deliveries": len(after_commit),
        "fromWriteAnswered": quantiles(after_commit),
        "fromOccurredAt": quantiles(before_commit),
        "unverified": sum(not a.verified for r in receivers for a in r.arrivals),
    }


async def throughput(
    db: Database, clinic_id: str, receivers: list[Receiver], *, events: int, instances: int,
    already: int,
) -> dict[str, Any]:  # fmt: skip
    now = utc_now()
    rows = [
        {"clinic_id": clinic_id, "seq": seq, "type": "owner.created", "entity": "owner",
         "entity_id": f"c{seq:024d}", "occurred_at": now, "actor": "apikey|bench",
         "data": {"id": f"c{seq:024d}", "firstName": f"Owner{seq}", "lastName": "Bench"}}
        for seq in range(already + 1, already + events + 1)
    ]  # fmt: skip
    for receiver in receivers:
        receiver.arrivals.clear()
    async with db.sessionmaker() as session:
        mark_unscoped(session)
        async with write_transaction(session):
            await session.execute(insert(ChangeEvent), rows)
            await session.execute(
                ChangeCounter.__table__.update().values(last_seq=already + events)  # type: ignore[attr-defined]
            )
    with delivering(db.settings.database_url, instances):
        for receiver in receivers:
            await receiver.wait_for(events, within=600)
    arrivals = sorted(a.at for r in receivers for a in r.delivered)
    elapsed = arrivals[-1] - arrivals[0]
    return {
        "deliveries": len(arrivals),
        "seconds": round(elapsed, 2),
        "perSecond": round(len(arrivals) / elapsed),
        "duplicates": sum(r.duplicates for r in receivers),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a PostgreSQL or SQLite URL (default: fresh)")
    parser.add_argument("--writes", type=int, default=200, help="writes timed for latency")
    parser.add_argument("--rate", type=float, default=20.0, help="writes per second")
    parser.add_argument("--events", type=int, default=2000, help="events for throughput")
    parser.add_argument("--endpoints", type=int, default=4)
    parser.add_argument("--instances", type=int, default=2, help="processes delivering")
    args = parser.parse_args()
    url = args.database_url or await fresh_database(DEFAULT_SERVER)
    settings = Settings(database_url=url, webhook_encryption_key=KEY, _env_file=None)  # type: ignore[call-arg]
    db = Database(settings)
    receivers = [Receiver() for _ in range(args.endpoints)]
    try:
        for receiver in receivers:
            await receiver.__aenter__()
        clinic_id, key = await prepare(db, receivers)
        measured = {
            "latency": await latency(
                url, key, receivers, writes=args.writes, rate=args.rate,
                instances=args.instances,
            ),
            "throughput": await throughput(
                db, clinic_id, receivers, events=args.events, instances=args.instances,
                already=args.writes,
            ),
        }  # fmt: skip
    finally:
        for receiver in receivers:
            await receiver.__aexit__(None, None, None)
        await db.dispose()
    lat, thr = measured["latency"], measured["throughput"]
    print(f"endpoints {args.endpoints}, instances {args.instances}, on {make_url(url).drivername}")
    print(
        f"latency over {lat['deliveries']} deliveries ({args.writes} writes at {args.rate:g}/s): "
        f"p50 {lat['fromWriteAnswered']['p50']} ms, p99 {lat['fromWriteAnswered']['p99']} ms "
        f"from the write's 201; p50 {lat['fromOccurredAt']['p50']} ms, "
        f"p99 {lat['fromOccurredAt']['p99']} ms from occurredAt"
    )
    print(
        f"throughput: {thr['deliveries']} deliveries in {thr['seconds']} s = "
        f"{thr['perSecond']}/s, duplicates {thr['duplicates']}"
    )
    print(json.dumps(measured))


if __name__ == "__main__":
    asyncio.run(main())
