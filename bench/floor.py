"""The floor: the dashboard and owner list with nothing but uvicorn, asyncpg and orjson.

No GraphQL parsing or validation, no auth, no ORM: one SQL query per level, rows
stitched together in dicts. Whatever ClinovaVet costs above this is framework and
feature overhead. The clinic is fixed by BENCH_CLINIC_ID (there is no API key
lookup). The response has the keys, nesting and order of ClinovaVet's GraphQL
answer, but the values are what asyncpg decodes and orjson writes, with no
conversion of ours:
- timestamps have microseconds, or no fraction at all;
- `birthdate` is a date;
- JSON columns are PostgreSQL's text;
- there is no `extensions.cost`.

Run: BENCH_DSN=postgres://... BENCH_CLINIC_ID=... uvicorn bench.floor:app --workers 2
"""

import os
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import orjson

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

OWNERS = """
select id, first_name, last_name, email, phone from owners
where clinic_id = $1 order by created_at, id limit 50
"""
SLIM = {
    "owners": "id, first_name, last_name",
    "pets": "id, owner_id, name, species",
    "records": "id, pet_id, date, title",
    "invoices": "id, medical_record_id, invoice_number, total_amount_cents, status",
}
FULL = {
    "owners": "id, first_name, middle_name, last_name, email, phone, address, last_visit, "
    "created_at, updated_at",
    "pets": "id, owner_id, name, species, breed, weight, neutered, birthdate, "
    "created_at, updated_at",
    "records": "id, pet_id, date, title, description, diagnosis, treatment, "
    "differential_diagnosis, blood_test, urine_test, created_by_id, created_at, updated_at",
    "invoices": "id, medical_record_id, invoice_number, status, total_amount_cents, "
    "created_at, updated_at",
}
LEVELS = {
    "owners": "from owners where clinic_id = $1 order by created_at, id limit 50",
    "pets": "from pets where clinic_id = $1 and owner_id = any($2::varchar[]) order by name, id",
    "records": "from medical_records where clinic_id = $1 and pet_id = any($2::varchar[]) "
    "order by date desc, id desc",
    "invoices": "from invoices where clinic_id = $1 and medical_record_id = any($2::varchar[]) "
    "order by created_at desc, id desc",
}
ITEMS = """
select invoice_id, name, quantity, price_cents from invoice_items
where clinic_id = $1 and invoice_id = any($2::varchar[]) order by invoice_id, position
"""
CENTS = "_cents"  # money columns: the response has units, under the name without it
# JSON columns pass through as the text PostgreSQL sent.
JSON_COLUMNS = frozenset(("blood_test", "urine_test"))

_pool: asyncpg.Pool | None = None
CLINIC_ID = os.environ.get("BENCH_CLINIC_ID", "")


def _key(column: str) -> str:
    head, *rest = column.removesuffix(CENTS).split("_")
    return head + "".join(part.title() for part in rest)


def _dicts(rows: list[asyncpg.Record], keep: str | None = None) -> list[dict[str, Any]]:
    """Rows as response dicts; `keep` (the parent key) stays under its column name."""
    if not rows:
        return []
    columns = list(rows[0].keys())
    keys = [column if column == keep else _key(column) for column in columns]
    out = [dict(zip(keys, row, strict=True)) for row in rows]
    for column in JSON_COLUMNS.intersection(columns):
        key = _key(column)
        for item in out:
            if item[key] is not None:
                item[key] = orjson.Fragment(item[key])
    for column in columns:
        if column.endswith(CENTS):
            key = _key(column)
            for item in out:
                item[key] /= 100
    return out


def _group(rows: list[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row.pop(key)].append(row)
    return grouped


def _attach(
    parents: list[dict[str, Any]], key: str, children: list[dict[str, Any]], by: str
) -> None:
    grouped = _group(children, by)
    for parent in parents:
        parent[key] = grouped.get(parent["id"], [])


async def owner_list(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    return _dicts(await conn.fetch(OWNERS, CLINIC_ID))


async def dashboard(
    conn: asyncpg.Connection, columns: dict[str, str], *, items: bool
) -> list[dict[str, Any]]:
    async def level(name: str, parents: list[dict[str, Any]] | None, keep: str | None) -> Any:
        sql = f"select {columns[name]} {LEVELS[name]}"
        args = (CLINIC_ID,) if parents is None else (CLINIC_ID, [p["id"] for p in parents])
        return _dicts(await conn.fetch(sql, *args), keep)

    owners = await level("owners", None, None)
    pets = await level("pets", owners, "owner_id")
    records = await level("records", pets, "pet_id")
    invoices = await level("invoices", records, "medical_record_id")
    if columns is FULL:
        items = await conn.fetch(ITEMS, CLINIC_ID, [i["id"] for i in invoices])
        by_invoice: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in items:
            by_invoice[row[0]].append({"name": row[1], "quantity": row[2], "price": row[3] / 100})
        for invoice in invoices:
            invoice["items"] = by_invoice.get(invoice["id"], [])
    _attach(records, "invoices", invoices, "medical_record_id")
    _attach(pets, "medicalRecords", records, "pet_id")
    _attach(owners, "pets", pets, "owner_id")
    return owners


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _respond(send: Send, status: int, payload: Any) -> None:
    body = orjson.dumps(payload, option=orjson.OPT_UTC_Z)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    global _pool
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            # Same pool size per process as ClinovaVet's default.
            _pool = await asyncpg.create_pool(os.environ["BENCH_DSN"], min_size=2, max_size=10)
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if _pool is not None:
                await _pool.close()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    if scope["path"] != "/graphql" or scope["method"] != "POST":
        await _respond(send, 404, {"error": "POST /graphql only"})
        return
    # Parse the request like a real server would, but pick the answer by a keyword:
    # the floor serves exactly three known queries and has no GraphQL engine.
    query = orjson.loads(await _body(receive)).get("query", "")
    assert _pool is not None
    async with _pool.acquire() as conn:
        if "items" in query:
            nodes = await dashboard(conn, FULL, items=True)
        elif "pets" in query:
            nodes = await dashboard(conn, SLIM, items=False)
        else:
            nodes = await owner_list(conn)
    await _respond(send, 200, {"data": {"owners": {"nodes": nodes}}})
