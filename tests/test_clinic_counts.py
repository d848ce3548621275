"""Unfiltered totals come from per-clinic counters, exact after every write."""

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app import demo_data
from app.clinic_counts import ENTITIES
from app.database import Database, write_transaction
from app.demo_data import seed_demo_clinic
from app.models import ClinicCount, Owner
from tests.factories import (
    ClinicKey,
    clinic_session,
    make_clinic,
    make_invoice,
    make_owner,
    make_pet,
    make_record,
)
from tests.graphql_client import count_statements, gql

LISTS = {
    "owners": "/api/v1/owners",
    "pets": "/api/v1/pets",
    "medical_records": "/api/v1/medical-records",
    "invoices": "/api/v1/invoices",
}
TOTALS = """{ owners { totalCount } pets { totalCount } medicalRecords { totalCount }
  invoices { totalCount } }"""


async def _rest_totals(client: httpx.AsyncClient, key: ClinicKey) -> dict[str, int]:
    totals = {}
    for entity, path in LISTS.items():
        response = await client.get(f"{path}?limit=1", headers=key.headers)
        totals[entity] = response.json()["pagination"]["total"]
    return totals


async def _graphql_totals(client: httpx.AsyncClient, key: ClinicKey) -> dict[str, int]:
    data = (await gql(client, key, TOTALS))["data"]
    return dict(zip(LISTS, (data[f]["totalCount"] for f in data), strict=True))


async def _actual(db: Database, clinic_id: str) -> dict[str, int]:
    """count(*) of each counted entity in the clinic: what the counters must equal."""
    async with clinic_session(db, clinic_id) as session:
        return {
            entity: int(await session.scalar(select(func.count()).select_from(model)) or 0)
            for model, entity in ENTITIES.items()
        }


async def _kept(db: Database, clinic_id: str) -> dict[str, int]:
    async with clinic_session(db, clinic_id) as session:
        rows = await session.execute(
            select(ClinicCount.entity, func.sum(ClinicCount.count))
            .where(ClinicCount.clinic_id == clinic_id)
            .group_by(ClinicCount.entity)
        )
        return {entity: 0 for entity in LISTS} | {entity: int(n) for entity, n in rows}


async def _post_owner(client: httpx.AsyncClient, key: ClinicKey, n: int) -> int:
    response = await client.post(
        "/api/v1/owners", headers=key.headers, json={"firstName": f"O{n}", "lastName": "Count"}
    )
    return response.status_code


async def test_totals_follow_creates_and_deletes(db: Database, client: httpx.AsyncClient) -> None:
    # Given a clinic with rows of every entity, and another clinic's rows
    key = await make_clinic(db)
    other = await make_clinic(db)
    await make_owner(db, other.clinic_id)
    owner = await make_owner(db, key.clinic_id)
    pet = await make_pet(db, key.clinic_id, owner.id)
    await make_record(db, key.clinic_id, pet.id)
    await make_invoice(db, key.clinic_id, owner.id, number="INV-2026-000001", pet_id=pet.id)
    # when owners are created and deleted through both surfaces
    assert await _post_owner(client, key, 1) == 201
    spare = (await gql(client, key, 'mutation { createOwner(input: {firstName: "A", '
                       'lastName: "B"}) { id } }'))["data"]["createOwner"]["id"]  # fmt: skip
    await _post_owner(client, key, 2)
    deleted = await gql(client, key, f'mutation {{ deleteOwner(id: "{spare}") }}')
    assert deleted["data"] == {"deleteOwner": spare}
    # then every total is exact, on both surfaces, and only this clinic's
    expected = {"owners": 3, "pets": 1, "medical_records": 1, "invoices": 1}
    assert await _actual(db, key.clinic_id) == expected
    assert await _rest_totals(client, key) == expected
    assert await _graphql_totals(client, key) == expected
    assert (await _rest_totals(client, other))["owners"] == 1


async def test_an_unfiltered_total_counts_no_rows(db: Database, client: httpx.AsyncClient) -> None:
    key = await make_clinic(db)
    await make_owner(db, key.clinic_id, last_name="Counted")
    for path in LISTS.values():
        with count_statements(db.engine) as counter:
            response = await client.get(f"{path}?limit=1", headers=key.headers)
        assert response.status_code == 200
        assert not any("count(" in s.lower() for s in counter.statements), counter.statements
    # A filtered total is still counted, over the filter
    with count_statements(db.engine) as counter:
        response = await client.get("/api/v1/owners?search=counted", headers=key.headers)
    assert response.json()["pagination"]["total"] == 1
    assert any("count(" in s.lower() for s in counter.statements)


async def test_a_write_that_rolls_back_counts_nothing(db: Database) -> None:
    key = await make_clinic(db)
    async with clinic_session(db, key.clinic_id) as session:
        # Given a write that flushed an owner, then failed
        with pytest.raises(RuntimeError):
            async with write_transaction(session):
                session.add(Owner(first_name="Rolled", last_name="Back"))
                await session.flush()
                raise RuntimeError("the write fails after its flush")
        # when the same session writes again, then only that write is counted
        async with write_transaction(session):
            session.add(Owner(first_name="Kept", last_name="Owner"))
    assert (await _kept(db, key.clinic_id))["owners"] == 1
    assert (await _actual(db, key.clinic_id))["owners"] == 1


async def test_a_refused_create_counts_nothing(db: Database, client: httpx.AsyncClient) -> None:
    key = await make_clinic(db)
    refused = await client.post(
        "/api/v1/pets", headers=key.headers,
        json={"name": "Nobody's", "species": "Cat", "ownerId": "c" + "0" * 24},
    )  # fmt: skip
    assert refused.status_code == 400
    assert await _kept(db, key.clinic_id) == await _actual(db, key.clinic_id)


async def test_concurrent_creates_lose_no_increment(
    db: Database, client: httpx.AsyncClient
) -> None:
    key = await make_clinic(db)
    statuses = await asyncio.gather(*(_post_owner(client, key, n) for n in range(20)))
    assert statuses == [201] * 20
    assert (await _kept(db, key.clinic_id))["owners"] == 20
    assert (await _rest_totals(client, key))["owners"] == 20


async def test_a_writer_that_counted_keeps_no_other_creator_waiting(
    db: Database, client: httpx.AsyncClient
) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's writers queue at BEGIN IMMEDIATE, whatever they count")
    key = await make_clinic(db)
    await make_owner(db, key.clinic_id)
    async with clinic_session(db, key.clinic_id) as session, write_transaction(session):
        # Given a write that has counted its new owner, and is not committed yet
        session.add(Owner(first_name="Slow", last_name="Writer"))
        await session.flush()
        # when another owner is created meanwhile, then it need not wait for it
        assert await asyncio.wait_for(_post_owner(client, key, 1), timeout=2) == 201
    assert (await _kept(db, key.clinic_id))["owners"] == 3
    assert (await _rest_totals(client, key))["owners"] == 3


async def test_demo_data_keeps_the_counts(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    # Bulk inserts that bypass the ORM, over several chunks (several transactions)
    monkeypatch.setattr(demo_data, "CHUNK_OWNERS", 4)
    seeded = await seed_demo_clinic(db.sessionmaker, owners=10, seed=3)
    kept: dict[str, Any] = await _kept(db, seeded.clinic_id)
    assert kept == await _actual(db, seeded.clinic_id)
    assert kept["owners"] == 10


async def test_a_v1_list_reads_its_total_with_its_page(
    db: Database, client: httpx.AsyncClient
) -> None:
    key = await make_clinic(db)
    other = await make_clinic(db)
    for name in ("Counted", "Counted", "Other"):
        await make_owner(db, key.clinic_id, last_name=name)
    await make_owner(db, other.clinic_id, last_name="Counted")
    await client.get("/api/v1/owners", headers=key.headers)  # the key is cached
    for query, total in (("limit=1", 3), ("search=counted&limit=1", 2), ("offset=1", 3)):
        with count_statements(db.engine) as counter:
            response = await client.get(f"/api/v1/owners?{query}", headers=key.headers)
        assert response.json()["pagination"]["total"] == total, query
        reads = [s for s in counter.statements if "FROM api_keys" not in s]
        assert len(reads) == 1, reads  # the page and its total, one round trip
    # A page past the end has no row to carry it: it is counted on its own.
    for query, total in (("offset=10", 3), ("search=counted&offset=5", 2)):
        response = await client.get(f"/api/v1/owners?{query}", headers=key.headers)
        assert response.json()["data"] == []
        assert response.json()["pagination"]["total"] == total, query


async def test_a_planned_total_count_is_read_with_its_page(
    db: Database, client: httpx.AsyncClient
) -> None:
    key = await make_clinic(db)
    for name in ("Counted", "Counted", "Other"):
        await make_owner(db, key.clinic_id, last_name=name)
    for search, total in (("", 3), ("counted", 2)):
        query = f'{{ owners(first: 1, search: "{search}") {{ totalCount nodes {{ lastName }} }} }}'
        await gql(client, key, query)  # planned, and its key cached
        with count_statements(db.engine) as counter:
            answer = await gql(client, key, query)
        assert answer["data"]["owners"]["totalCount"] == total
        reads = [s for s in counter.statements if "FROM api_keys" not in s]
        assert len(reads) == 1, reads
