"""Every write appends one event, in its transaction, numbered 1, 2, 3, ... per clinic."""

import asyncio
from typing import Any

import httpx
import pytest
from graphql import GraphQLEnumType, GraphQLScalarType, get_named_type
from sqlalchemy import select

from app.change_log.models import ChangeEvent
from app.change_log.recording import expect_recorded_writes
from app.database import write_transaction
from app.domain import medical_records
from app.models import Owner
from graphql_schema.schema import schema
from tests.conftest import Backend, app_client
from tests.factories import ClinicKey, clinic_session, make_clinic
from tests.graphql_client import gql


async def feed(client: httpx.AsyncClient, key: ClinicKey, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/events", params=params, headers=key.headers)
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["data"]
    return events


async def post(client: httpx.AsyncClient, key: ClinicKey, path: str, body: dict[str, Any]) -> str:
    response = await client.post(f"/api/v1/{path}", json=body, headers=key.headers)
    assert response.status_code == 201, response.text
    created: str = response.json()["id"]
    return created


async def mutate(client: httpx.AsyncClient, key: ClinicKey, document: str, **variables: Any) -> Any:
    body = await gql(client, key, document, variables)
    assert "errors" not in body, body
    return next(iter(body["data"].values()))


async def test_every_write_appends_one_event_per_object_it_changed(
    backend: Backend, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(backend.db)
    owner = await post(client, clinic, "owners", {"firstName": "Ada", "lastName": "Byron"})
    await mutate(
        client, clinic, 'mutation($id: ID!) { updateOwner(id: $id, input: {phone: "555"}) { id } }',
        id=owner,
    )  # fmt: skip
    pet = await post(client, clinic, "pets", {"name": "Rex", "species": "Dog", "ownerId": owner})
    await mutate(
        client, clinic, "mutation($id: ID!) { updatePet(id: $id, input: {weight: 31.5}) { id } }",
        id=pet,
    )  # fmt: skip
    record = await mutate(
        client, clinic, """mutation($pet: ID!) { createMedicalRecord(input: {
          petId: $pet, date: "2026-01-15T14:30:00Z", title: "Checkup"}) { id } }""", pet=pet,
    )  # fmt: skip
    await mutate(
        client, clinic, """mutation($id: ID!) {
          updateMedicalRecord(id: $id, input: {diagnosis: "Healthy"}) { id } }""",
        id=record["id"],
    )  # fmt: skip
    invoices = [
        (await mutate(
            client, clinic, """mutation($owner: ID!, $pet: ID!) { createInvoice(input: {
              ownerId: $owner, petId: $pet, items: [{name: "Exam", price: 45, quantity: 1}]})
              { id } }""", owner=owner, pet=pet,
        ))["id"]
        for _ in range(2)
    ]  # fmt: skip
    await mutate(
        client, clinic, "mutation($id: ID!) { markInvoicePaid(id: $id) { id } }", id=invoices[0]
    )
    await mutate(
        client, clinic, "mutation($id: ID!) { cancelInvoice(id: $id) { id } }", id=invoices[1]
    )
    spare = await post(client, clinic, "owners", {"firstName": "Spare", "lastName": "Owner"})
    await mutate(client, clinic, "mutation($id: ID!) { deleteOwner(id: $id) }", id=spare)

    events = await feed(client, clinic)

    assert [(e["type"], e["entityId"]) for e in events] == [
        ("owner.created", owner), ("owner.updated", owner), ("pet.created", pet),
        ("pet.updated", pet), ("medical_record.created", record["id"]),
        # The record moved its owner's lastVisit: the owner changed as GraphQL shows it.
        ("owner.updated", owner),
        ("medical_record.updated", record["id"]), ("invoice.created", invoices[0]),
        ("invoice.created", invoices[1]), ("invoice.paid", invoices[0]),
        ("invoice.cancelled", invoices[1]), ("owner.created", spare), ("owner.deleted", spare),
    ]  # fmt: skip
    assert [e["id"] for e in events] == [str(n) for n in range(1, len(events) + 1)]
    assert {e["actor"] for e in events} == {f"apikey|{clinic.key_id}"}
    assert {e["entity"] for e in events} == {"owner", "pet", "medical_record", "invoice"}
    assert events[-1]["data"] == {"id": spare}
    assert events[5]["data"]["lastVisit"] == "2026-01-15T14:30:00.000Z"
    assert events[9]["data"]["status"] == "PAID" and events[10]["data"]["status"] == "CANCELLED"


def _scalar_selection(type_name: str) -> str:
    fields = schema._schema.type_map[type_name].fields  # type: ignore[attr-defined]
    return " ".join(
        name
        for name, field in fields.items()
        if isinstance(get_named_type(field.type), GraphQLScalarType | GraphQLEnumType)
    )


async def test_an_event_holds_the_object_as_graphql_shows_it(
    backend: Backend, client: httpx.AsyncClient
) -> None:
    # Given one object of each entity, written through the API...
    clinic = await make_clinic(backend.db)
    owner = await post(client, clinic, "owners", {
        "firstName": "Ada", "lastName": "Byron", "email": "ada@example.com", "phone": "555-0100",
    })  # fmt: skip
    pet = await post(client, clinic, "pets", {
        "name": "Rex", "species": "Dog", "ownerId": owner, "birthdate": "2020-02-29",
        "weight": 31.5,
    })  # fmt: skip
    record = await mutate(
        client, clinic, """mutation($pet: ID!) { createMedicalRecord(input: {
          petId: $pet, date: "2026-01-15T14:30:00Z", title: "Checkup",
          bloodTest: {wbc: 7.1, notes: ["ok"]}}) { id } }""", pet=pet,
    )  # fmt: skip
    invoice = await mutate(
        client, clinic, """mutation($owner: ID!) { createInvoice(input: {ownerId: $owner,
          items: [{name: "Exam", price: 45.5, quantity: 2}]}) { id } }""", owner=owner,
    )  # fmt: skip
    events = {e["entity"]: e["data"] for e in await feed(client, clinic)}

    # ...each event's data is what GraphQL answers for every scalar field of its type.
    for entity, type_name, id_ in (
        ("owner", "Owner", owner), ("pet", "Pet", pet),
        ("medical_record", "MedicalRecord", record["id"]), ("invoice", "Invoice", invoice["id"]),
    ):  # fmt: skip
        field = type_name[0].lower() + type_name[1:]
        document = f"query($id: ID!) {{ {field}(id: $id) {{ {_scalar_selection(type_name)} }} }}"
        shown = (await gql(client, clinic, document, {"id": id_}))["data"][field]
        assert events[entity] == shown, entity


async def test_a_write_that_fails_leaves_no_event_and_no_gap(
    backend: Backend, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    clinic = await make_clinic(backend.db)
    owner = await post(client, clinic, "owners", {"firstName": "Ada", "lastName": "Byron"})
    pet = await post(client, clinic, "pets", {"name": "Rex", "species": "Dog", "ownerId": owner})

    # A refused write: the owner has a pet.
    refused = await gql(
        client, clinic, "mutation($id: ID!) { deleteOwner(id: $id) }", {"id": owner}
    )
    assert refused["errors"][0]["extensions"]["code"] == "VALIDATION_ERROR"

    # A write that fails after its row was flushed, and so its event noted.
    async def broken(*_args: Any) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(medical_records, "refresh_last_visit", broken)
    failed = await gql(
        client, clinic, """mutation($pet: ID!) { createMedicalRecord(input: {
          petId: $pet, date: "2026-01-15", title: "Checkup"}) { id } }""", {"pet": pet},
    )  # fmt: skip
    assert failed["errors"][0]["extensions"]["code"] == "INTERNAL_ERROR"
    monkeypatch.undo()
    listed = await client.get("/api/v1/medical-records", headers=clinic.headers)
    assert listed.json()["data"] == []

    later = await post(client, clinic, "owners", {"firstName": "Bo", "lastName": "Li"})
    events = await feed(client, clinic)
    assert [(e["id"], e["type"], e["entityId"]) for e in events] == [
        ("1", "owner.created", owner), ("2", "pet.created", pet), ("3", "owner.created", later),
    ]  # fmt: skip


async def test_a_request_session_cannot_write_around_the_change_log(backend: Backend) -> None:
    clinic = await make_clinic(backend.db)
    async with clinic_session(backend.db, clinic.clinic_id) as session:
        expect_recorded_writes(session)
        with pytest.raises(RuntimeError, match="writing"):
            async with write_transaction(session):
                session.add(Owner(first_name="Sly", last_name="Side"))
    async with clinic_session(backend.db, clinic.clinic_id) as session:
        assert (await session.scalars(select(Owner))).all() == []


async def test_each_clinic_numbers_its_own_events(
    backend: Backend, client: httpx.AsyncClient
) -> None:
    first, second = await make_clinic(backend.db), await make_clinic(backend.db)
    await post(client, first, "owners", {"firstName": "A", "lastName": "One"})
    await post(client, second, "owners", {"firstName": "B", "lastName": "Two"})
    await post(client, first, "owners", {"firstName": "C", "lastName": "Three"})

    assert [e["id"] for e in await feed(client, first)] == ["1", "2"]
    assert [(e["id"], e["data"]["firstName"]) for e in await feed(client, second)] == [("1", "B")]


async def test_concurrent_writers_on_two_instances_never_show_a_reader_a_gap(
    backend: Backend,
) -> None:
    # Given two instances writing to one clinic at once while a reader follows the feed...
    clinic = await make_clinic(backend.db)
    writes_per_instance, seen, done = 30, [], asyncio.Event()

    async def write(instance: httpx.AsyncClient, n: int) -> None:
        body = {"firstName": f"W{n}", "lastName": "Writer"}
        response = await instance.post("/api/v1/owners", json=body, headers=clinic.headers)
        assert response.status_code == 201, response.text

    async def read(instance: httpx.AsyncClient) -> None:
        after = ""
        while True:
            finished = done.is_set()
            page = await instance.get(
                "/api/v1/events", params={"after": after}, headers=clinic.headers
            )
            for event in page.json()["data"]:
                # ...every id it sees is the one after the last: none skipped, none late.
                assert int(event["id"]) == len(seen) + 1, (event["id"], len(seen))
                seen.append(event["id"])
            after = page.json()["pagination"]["nextCursor"] or ""
            if finished:
                return

    url, limits = backend.settings.database_url, {"rate_limit_per_minute": 1_000_000}
    async with app_client(url, **limits) as one, app_client(url, **limits) as two:
        reader = asyncio.create_task(read(one))
        await asyncio.gather(
            *(write(instance, n) for n in range(writes_per_instance) for instance in (one, two))
        )
        done.set()
        await reader

    async with clinic_session(backend.db, clinic.clinic_id) as session:
        ids = (await session.scalars(select(ChangeEvent.seq).order_by(ChangeEvent.seq))).all()
    assert list(ids) == list(range(1, 2 * writes_per_instance + 1))
    assert len(seen) == 2 * writes_per_instance
