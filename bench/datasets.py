"""One benchmark database per size, `clinova_bench_<owners>`: reused when complete, else built.

Generating 1M owners takes many minutes, so a run reuses a database when its
comment carries `bench.dataset`'s completion marker (written last, so an
interrupted load never has one) and its owners and invoices still number what
the marker counted: the write scenarios add rows, and a dataset they touched is
built again rather than measured in a state no other run can reproduce.
"""

import asyncio
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
from alembic.script import ScriptDirectory

from app.database import Database
from app.migrate import alembic_config
from app.settings import Settings
from bench import dataset


@dataclass(frozen=True)
class Dataset:
    label: str  # "10k", "1M": how tables name the size
    owners: int  # owners in the whole database (all clinics)
    database: str
    database_url: str
    key: str  # a fresh API key of the generated clinic
    reused: bool
    generation_seconds: float  # of this run's build, or the recorded one when reused


def label(owners: int) -> str:
    for unit, size in (("M", 1_000_000), ("k", 1_000)):
        if owners >= size and owners % size == 0:
            return f"{owners // size}{unit}"
    return str(owners)


def database_name(owners: int) -> str:
    return f"clinova_bench_{owners}"


def libpq(name: str) -> str:
    return f"postgres://{dataset.SERVER}/{name}"


async def read_marker(name: str) -> dict[str, Any] | None:
    """The completion marker of database `name`, or None (no database, no marker)."""
    conn = await asyncpg.connect(libpq(dataset.ADMIN_DATABASE))
    try:
        comment = await conn.fetchval(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1",
            name,
        )
    finally:
        await conn.close()
    try:
        marker = json.loads(comment) if comment else None
    except ValueError:
        return None
    if not isinstance(marker, dict) or marker.get("generator") != dataset.MARKER:
        return None
    return marker


async def untouched(name: str, marker: dict[str, Any]) -> bool:
    """Rows still as generated (the counts the marker recorded: writes only ever add),
    on the schema this checkout migrates to (a dataset of an older one lacks columns)."""
    conn = await asyncpg.connect(libpq(name))
    try:
        owners = await conn.fetchval("SELECT count(*) FROM owners")
        invoices = await conn.fetchval("SELECT count(*) FROM invoices")
        revision = await conn.fetchval("SELECT version_num FROM alembic_version")
    finally:
        await conn.close()
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    return {"owners": owners, "invoices": invoices} == marker.get("counts") and revision == head


async def fresh_key(name: str, clinic_id: str) -> str:
    # Secrets are stored hashed, so a reused database needs a new key for this run.
    db = Database(Settings(database_url=dataset.database_url(name), db_connect_timeout=30))
    try:
        return await dataset.make_key(db, clinic_id)
    finally:
        await db.dispose()


async def ensure(owners: int, *, parallel: int = 2, rebuild: bool = False) -> Dataset:
    name = database_name(owners)
    marker = None if rebuild else await read_marker(name)
    if marker is not None and marker.get("owners") == owners and await untouched(name, marker):
        key = await fresh_key(name, str(marker["clinicId"]))
        print(f"dataset {name}: reusing (generated {marker.get('finishedAt')})", flush=True)
        return Dataset(
            label(owners), owners, name, dataset.database_url(name), key, True,
            float(marker.get("seconds", 0)),
        )  # fmt: skip
    reason = "rebuild asked" if rebuild else "absent, incomplete or written to"
    print(f"dataset {name}: generating ({reason})", flush=True)
    started = time.perf_counter()
    options = dataset.Options(
        owners=owners,
        database=name,
        clinics=4,
        seed=1,
        anchor=datetime.now(UTC).date(),
        verify=False,
        # Autovacuum may be off (it is on the bench machine): without a VACUUM no
        # visibility map, so no index-only scans, and the first readers set hint bits.
        vacuum=True,
        as_json=False,
        parallel=parallel,
    )
    summary, _ = await dataset.build(options)
    return Dataset(
        label(owners), owners, name, str(summary["databaseUrl"]), str(summary["apiKey"]), False,
        round(time.perf_counter() - started, 1),
    )  # fmt: skip


def ensure_all(sizes: list[int], *, parallel: int = 2, rebuild: bool = False) -> list[Dataset]:
    return [asyncio.run(ensure(n, parallel=parallel, rebuild=rebuild)) for n in sorted(sizes)]
