"""The floor: the dashboard and owner list with nothing but uvicorn, asyncpg and orjson.

No GraphQL parsing or validation, no auth, no ORM: one SQL query per level, rows
stitched together in dicts. Whatever ClinovaVet costs above this is framework
and feature overhead. The clinic is fixed by BENCH_CLINIC_ID (there is no API key
lookup), and the response has the same JSON shape as ClinovaVet's GraphQL answer.

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
PETS = """
select id, owner_id, name, species from pets
where clinic_id = $1 and owner_id = any($2::varchar[]) order by name, id
"""
RECORDS = """
select id, pet_id, date, title from medical_records
where clinic_id = $1 and pet_id = any($2::varchar[]) order by date desc, id desc
"""
INVOICES = """
select id, medical_record_id, invoice_number, total_amount_cents, status from invoices
where clinic_id = $1 and medical_record_id = any($2::varchar[])
order by created_at desc, id desc
"""

_pool: asyncpg.Pool | None = None
CLINIC_ID = os.environ.get("BENCH_CLINIC_ID", "")


def _group(rows: list[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row.pop(key)].append(row)
    return grouped


async def owner_list(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    rows = await conn.fetch(OWNERS, CLINIC_ID)
    return [
        {
            "id": r["id"],
            "firstName": r["first_name"],
            "lastName": r["last_name"],
            "email": r["email"],
            "phone": r["phone"],
        }
        for r in rows
    ]


async def dashboard(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    owners = [
        {"id": r["id"], "firstName": r["first_name"], "lastName": r["last_name"]}
        for r in await conn.fetch(OWNERS, CLINIC_ID)
    ]
    pet_rows = await conn.fetch(PETS, CLINIC_ID, [o["id"] for o in owners])
    pets = [
        {"id": r["id"], "owner_id": r["owner_id"], "name": r["name"], "species": r["species"]}
        for r in pet_rows
    ]
    record_rows = await conn.fetch(RECORDS, CLINIC_ID, [p["id"] for p in pets])
    records = [
        {"id": r["id"], "pet_id": r["pet_id"], "date": r["date"], "title": r["title"]}
        for r in record_rows
    ]
    invoice_rows = await conn.fetch(INVOICES, CLINIC_ID, [m["id"] for m in records])
    invoices = _group(
        [
            {
                "id": r["id"],
                "medical_record_id": r["medical_record_id"],
                "invoiceNumber": r["invoice_number"],
                "totalAmount": r["total_amount_cents"] / 100,
                "status": r["status"],
            }
            for r in invoice_rows
        ],
        "medical_record_id",
    )
    for record in records:
        record["invoices"] = invoices.get(record["id"], [])
    by_pet = _group(records, "pet_id")
    for pet in pets:
        pet["medicalRecords"] = by_pet.get(pet["id"], [])
    by_owner = _group(pets, "owner_id")
    for owner in owners:
        owner["pets"] = by_owner.get(owner["id"], [])
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
    # the floor serves exactly two known queries and has no GraphQL engine.
    query = orjson.loads(await _body(receive)).get("query", "")
    assert _pool is not None
    async with _pool.acquire() as conn:
        nodes = await (dashboard(conn) if "pets" in query else owner_list(conn))
    await _respond(send, 200, {"data": {"owners": {"nodes": nodes}}})
