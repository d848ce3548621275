"""1,000 mixed writes from 20 clients through two instances on PostgreSQL."""

import asyncio
import random
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.database import Database
from app.models import Invoice, InvoiceItem, InvoiceStatus, MedicalRecord, Owner, Pet
from app.settings import Settings
from app.tenancy import bind_clinic
from tests.live_server import live_server

CLIENTS = 20
WRITES = 1000
CREATE_RECORD = """mutation ($pet: ID!) { createMedicalRecord(input: {petId: $pet,
  date: "2026-01-15T10:00:00Z", title: "Soak"}) { id } }"""
CREATE_INVOICE = """mutation ($owner: ID!, $pet: ID!, $items: [InvoiceItemInput!]!) {
  createInvoice(input: {ownerId: $owner, petId: $pet, items: $items}) { id totalAmount } }"""
PAY = "mutation ($id: ID!) { markInvoicePaid(id: $id) { status } }"


@dataclass
class Acknowledged:
    owners: set[str] = field(default_factory=set)
    pets: dict[str, str] = field(default_factory=dict)  # pet -> owner
    records: set[str] = field(default_factory=set)
    invoices: dict[str, Decimal] = field(default_factory=dict)
    paid: set[str] = field(default_factory=set)
    statuses: Counter[int] = field(default_factory=Counter)


async def _client(n: int, bases: list[str], key: str, seen: Acknowledged, writes: int) -> None:
    rng = random.Random(n)
    headers = {"Authorization": f"Bearer {key}"}
    mine: dict[str, list[str]] = defaultdict(list)
    async with httpx.AsyncClient(timeout=30) as http:

        async def send(method: str, path: str, body: dict[str, Any]) -> Any:
            response = await http.request(
                method, rng.choice(bases) + path, json=body, headers=headers
            )
            seen.statuses[response.status_code] += 1
            return response.json() if response.status_code < 300 else None

        async def graphql(query: str, variables: dict[str, Any]) -> Any:
            body = await send("POST", "/graphql", {"query": query, "variables": variables})
            return None if body is None or body.get("errors") else body["data"]

        for i in range(writes):
            owners, pets = mine["owners"], mine["pets"]
            choice = (
                "owner"
                if not owners
                else "pet"
                if not pets
                else rng.choice(["owner", "pet", "record", "invoice", "invoice", "pay"])
            )
            if choice == "pay" and not mine["invoices"]:
                choice = "record"
            if choice == "owner":
                if owner := await send(
                    "POST", "/api/v1/owners", {"firstName": f"Soak{n}", "lastName": f"W{i}"}
                ):
                    owners.append(owner["id"])
                    seen.owners.add(owner["id"])
            elif choice == "pet":
                owner_id = rng.choice(owners)
                if pet := await send(
                    "POST", "/api/v1/pets", {"name": f"P{i}", "species": "Dog", "ownerId": owner_id}
                ):
                    pets.append(pet["id"])
                    seen.pets[pet["id"]] = owner_id
            elif choice == "record":
                if data := await graphql(CREATE_RECORD, {"pet": rng.choice(pets)}):
                    seen.records.add(data["createMedicalRecord"]["id"])
            elif choice == "invoice":
                pet_id = rng.choice(pets)
                items = [
                    {
                        "name": "Exam",
                        "price": rng.choice([0.1, 19.99, 65.0]),
                        "quantity": rng.randint(1, 3),
                    }
                    for _ in range(rng.randint(1, 3))
                ]
                variables = {"owner": seen.pets[pet_id], "pet": pet_id, "items": items}
                if data := await graphql(CREATE_INVOICE, variables):
                    invoice = data["createInvoice"]
                    mine["invoices"].append(invoice["id"])
                    seen.invoices[invoice["id"]] = sum(
                        (Decimal(str(x["price"])) * x["quantity"] for x in items), Decimal(0)
                    )
            else:
                invoice_id = mine["invoices"].pop()
                if await graphql(PAY, {"id": invoice_id}):
                    seen.paid.add(invoice_id)


async def _stored(database_url: str, clinic_id: str) -> dict[str, Any]:
    db = Database(Settings(database_url=database_url, _env_file=None))  # type: ignore[call-arg]
    try:
        async with db.sessionmaker() as session:
            bind_clinic(session, clinic_id)
            # The soak's own rows, apart from the demo clinic's seeded history.
            soak_owners = select(Owner.id).where(Owner.first_name.like("Soak%"))
            return {
                "owners": (await session.scalars(soak_owners)).all(),
                "pets": (
                    await session.scalars(select(Pet.id).where(Pet.owner_id.in_(soak_owners)))
                ).all(),
                "records": (
                    await session.scalars(
                        select(MedicalRecord.id).where(MedicalRecord.title == "Soak")
                    )
                ).all(),
                "invoices": (await session.scalars(select(Invoice))).all(),
                "items": (await session.scalars(select(InvoiceItem))).all(),
            }
    finally:
        await db.dispose()


def test_a_thousand_concurrent_writes_through_two_instances(
    postgres_url: str, tmp_path: Path
) -> None:
    seen = Acknowledged()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with (
        live_server(tmp_path / "a", postgres_url) as first,
        live_server(tmp_path / "b", postgres_url) as second,
    ):
        bases = [first.base, second.base]
        runs = [_client(n, bases, first.key, seen, WRITES // CLIENTS) for n in range(CLIENTS)]

        async def everyone() -> None:
            await asyncio.gather(*runs)

        asyncio.run(everyone())
    with ThreadPoolExecutor(1) as pool:
        stored = pool.submit(asyncio.run, _stored(postgres_url, first.clinic_id)).result()

    print(f"\nsoak: {sum(seen.statuses.values())} requests, statuses {dict(seen.statuses)}")
    assert not [status for status in seen.statuses if status >= 500]
    assert sum(seen.statuses.values()) == WRITES
    for kind, acknowledged in (
        ("owners", seen.owners),
        ("pets", set(seen.pets)),
        ("records", seen.records),
    ):
        rows = stored[kind]
        assert len(rows) == len(set(rows)), f"duplicate {kind}"
        assert acknowledged <= set(rows), f"lost {kind}"
    # Nothing unacknowledged was written either (every request was answered).
    assert len(stored["owners"]) == len(seen.owners)
    assert len(stored["records"]) == len(seen.records)
    assert len(stored["pets"]) == len(seen.pets)

    invoices = {i.id: i for i in stored["invoices"] if i.id in seen.invoices}
    assert set(invoices) == set(seen.invoices)
    lines: dict[str, Decimal] = defaultdict(Decimal)
    for item in stored["items"]:
        lines[item.invoice_id] += item.price * item.quantity
    for invoice in stored["invoices"]:
        assert invoice.total_amount == lines[invoice.id]
    for invoice_id, total in seen.invoices.items():
        assert invoices[invoice_id].total_amount == total
    assert {i for i in invoices if invoices[i].status is InvoiceStatus.PAID} >= seen.paid
    by_year: dict[str, list[int]] = defaultdict(list)
    for invoice in stored["invoices"]:
        _, year, number = invoice.invoice_number.split("-")
        by_year[year].append(int(number))
    for numbers in by_year.values():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), "invoice numbers have gaps"


pytestmark = pytest.mark.soak
