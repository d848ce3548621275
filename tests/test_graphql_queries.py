from datetime import UTC, datetime

import httpx

from app.database import Database
from tests.factories import (
    make_clinic,
    make_invoice,
    make_owner,
    make_pet,
    make_record,
)
from tests.graphql_client import codes, gql

DASHBOARD = """
query Dashboard($first: Int) {
  owners(first: $first) {
    totalCount
    nodes {
      id firstName lastName lastVisit
      pets {
        name species birthdate weight neutered
        medicalRecords {
          title date bloodTest
          invoices { invoiceNumber totalAmount status items { name price quantity } }
        }
      }
    }
  }
}
"""


async def test_one_round_trip_returns_owner_pets_records_and_invoices(
    db: Database, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(db)
    owner = await make_owner(db, clinic.clinic_id, first_name="John", last_name="Smith")
    rex = await make_pet(db, clinic.clinic_id, owner.id, name="Rex")
    bella = await make_pet(
        db,
        clinic.clinic_id,
        owner.id,
        name="Bella",
        species="Cat",
        birthdate=datetime(2022, 8, 20).date(),
        weight=4.2,
        neutered=True,
    )
    old = await make_record(
        db, clinic.clinic_id, bella.id, title="Old", date=datetime(2025, 1, 1, tzinfo=UTC)
    )
    new = await make_record(db, clinic.clinic_id, bella.id, title="New", blood_test={"WBC": 8.2})
    await make_invoice(
        db,
        clinic.clinic_id,
        owner.id,
        number="INV-2026-000001",
        pet_id=bella.id,
        medical_record_id=new.id,
    )

    body = await gql(client, clinic, DASHBOARD)

    assert "errors" not in body
    [john] = body["data"]["owners"]["nodes"]
    assert body["data"]["owners"]["totalCount"] == 1
    assert john["firstName"] == "John"
    assert [p["name"] for p in john["pets"]] == ["Bella", "Rex"]
    cat = john["pets"][0]
    assert cat["birthdate"] == "2022-08-20T00:00:00.000Z"
    assert cat["weight"] == 4.2 and cat["neutered"] is True
    assert [r["title"] for r in cat["medicalRecords"]] == ["New", "Old"]
    assert cat["medicalRecords"][0]["bloodTest"] == {"WBC": 8.2}
    assert cat["medicalRecords"][0]["invoices"] == [
        {
            "invoiceNumber": "INV-2026-000001",
            "totalAmount": 45.0,
            "status": "UNPAID",
            "items": [{"name": "Rabies Vaccine", "price": 45.0, "quantity": 1}],
        }
    ]
    assert cat["medicalRecords"][1]["invoices"] == []
    assert john["pets"][1]["medicalRecords"] == []
    assert old.id and rex.id


async def test_relationships_resolve_both_ways(db: Database, client: httpx.AsyncClient) -> None:
    clinic = await make_clinic(db)
    owner = await make_owner(db, clinic.clinic_id, first_name="Ann")
    pet = await make_pet(db, clinic.clinic_id, owner.id)
    record = await make_record(db, clinic.clinic_id, pet.id)
    invoice = await make_invoice(
        db,
        clinic.clinic_id,
        owner.id,
        number="INV-2026-000001",
        pet_id=pet.id,
        medical_record_id=record.id,
    )

    body = await gql(
        client,
        clinic,
        """
      query ($id: ID!) { invoice(id: $id) {
        owner { firstName invoices { id } }
        pet { owner { firstName } invoices { id } }
        medicalRecord { pet { name } invoices { id } }
      } }""",
        {"id": invoice.id},
    )

    got = body["data"]["invoice"]
    assert got["owner"] == {"firstName": "Ann", "invoices": [{"id": invoice.id}]}
    assert got["pet"] == {"owner": {"firstName": "Ann"}, "invoices": [{"id": invoice.id}]}
    assert got["medicalRecord"] == {"pet": {"name": "Max"}, "invoices": [{"id": invoice.id}]}


async def test_unknown_and_foreign_ids_are_null_with_not_found(
    db: Database, client: httpx.AsyncClient
) -> None:
    mine, theirs = await make_clinic(db), await make_clinic(db)
    their_owner = await make_owner(db, theirs.clinic_id)
    their_pet = await make_pet(db, theirs.clinic_id, their_owner.id)

    body = await gql(
        client,
        mine,
        """query ($o: ID!, $p: ID!) {
      a: owner(id: $o) { id } b: pet(id: $p) { id } c: owner(id: "nope") { id }
      d: medicalRecord(id: "x") { id } e: invoice(id: "x") { id } }""",
        {"o": their_owner.id, "p": their_pet.id},
    )

    assert body["data"] == {"a": None, "b": None, "c": None, "d": None, "e": None}
    assert codes(body) == ["RESOURCE_NOT_FOUND"] * 5
    # In the order they were found: ids that cannot be ids are found at once, without SQL.
    messages = [error["message"] for error in body["errors"]]
    assert f"Owner with ID '{their_owner.id}' not found" in messages


async def test_lists_see_only_the_callers_clinic(db: Database, client: httpx.AsyncClient) -> None:
    mine, theirs = await make_clinic(db), await make_clinic(db)
    await make_owner(db, mine.clinic_id, first_name="Mine")
    other = await make_owner(db, theirs.clinic_id, first_name="Theirs")
    await make_pet(db, theirs.clinic_id, other.id)

    body = await gql(
        client,
        mine,
        "{ owners { totalCount nodes { firstName } }"
        " pets { totalCount } invoices { totalCount }"
        " medicalRecords { totalCount } }",
    )

    assert body["data"]["owners"] == {"totalCount": 1, "nodes": [{"firstName": "Mine"}]}
    assert body["data"]["pets"]["totalCount"] == 0


async def test_cursor_and_offset_pagination(db: Database, client: httpx.AsyncClient) -> None:
    clinic = await make_clinic(db)
    names = [f"Owner{i:02d}" for i in range(7)]
    for name in names:
        await make_owner(db, clinic.clinic_id, first_name=name)
    page = """query ($after: String, $offset: Int) {
      owners(first: 3, after: $after, offset: $offset) {
        edges { cursor node { firstName } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""

    seen: list[str] = []
    after = None
    while True:
        conn = (await gql(client, clinic, page, {"after": after}))["data"]["owners"]
        seen += [e["node"]["firstName"] for e in conn["edges"]]
        assert conn["pageInfo"]["endCursor"] == conn["edges"][-1]["cursor"]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert seen == names

    by_offset = (await gql(client, clinic, page, {"offset": 5}))["data"]["owners"]
    assert [e["node"]["firstName"] for e in by_offset["edges"]] == names[5:]
    assert by_offset["pageInfo"]["hasPreviousPage"] is True


async def test_page_size_is_capped_and_bad_paging_is_refused(
    db: Database, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(db)
    for i in range(101):
        await make_owner(db, clinic.clinic_id, first_name=f"O{i}")

    capped = await gql(client, clinic, "{ owners(first: 100000) { nodes { id } } }")
    bad = await gql(
        client,
        clinic,
        "{ a: owners(first: 0) { nodes { id } } "
        'b: owners(after: "garbage!") { nodes { id } } '
        "c: owners(offset: -1) { nodes { id } } }",
    )

    assert len(capped["data"]["owners"]["nodes"]) == 100
    assert bad["data"] == {"a": None, "b": None, "c": None}
    assert codes(bad) == ["VALIDATION_ERROR"] * 3


async def test_filters(db: Database, client: httpx.AsyncClient) -> None:
    clinic = await make_clinic(db)
    smith = await make_owner(
        db,
        clinic.clinic_id,
        first_name="John",
        last_name="Smith",
        email="john.smith@example.com",
        phone="+1-555-123-4567",
    )
    doe = await make_owner(db, clinic.clinic_id, first_name="Jane", last_name="Doe")
    dog = await make_pet(db, clinic.clinic_id, smith.id, species="Dog")
    await make_pet(db, clinic.clinic_id, doe.id, name="Tom", species="Cat")
    await make_record(
        db, clinic.clinic_id, dog.id, title="Jan", date=datetime(2026, 1, 15, 14, 30, tzinfo=UTC)
    )
    await make_record(
        db, clinic.clinic_id, dog.id, title="Feb", date=datetime(2026, 2, 1, tzinfo=UTC)
    )
    await make_invoice(db, clinic.clinic_id, smith.id, number="INV-2026-000001")
    await make_invoice(db, clinic.clinic_id, doe.id, number="INV-2026-000002", status="PAID")

    async def owners(search: str) -> list[str]:
        body = await gql(
            client,
            clinic,
            "query ($s: String) { owners(search: $s) { nodes { lastName } } }",
            {"s": search},
        )
        return [n["lastName"] for n in body["data"]["owners"]["nodes"]]

    assert await owners("smi") == ["Smith"]
    assert await owners("JOHN SMITH") == ["Smith"]
    assert await owners("john.smith@") == ["Smith"]
    assert await owners("(555) 123 4567") == ["Smith"]
    assert await owners("5551234567") == ["Smith"]
    assert await owners("100%_") == []

    body = await gql(
        client,
        clinic,
        """query ($o: ID) {
      cats: pets(species: "cAT") { nodes { name } }
      his: pets(ownerId: $o) { nodes { name } }
      jan: medicalRecords(startDate: "2026-01-01", endDate: "2026-01-15") { nodes { title } }
      since: medicalRecords(startDate: "2026-01-15T14:30:00.000Z") { nodes { title } }
      paid: invoices(status: PAID) { nodes { invoiceNumber } }
      hers: invoices(ownerId: $o) { nodes { invoiceNumber } } }""",
        {"o": smith.id},
    )

    data = body["data"]
    assert data["cats"]["nodes"] == [{"name": "Tom"}]
    assert data["his"]["nodes"] == [{"name": "Max"}]
    assert data["jan"]["nodes"] == [{"title": "Jan"}]
    assert data["since"]["nodes"] == [{"title": "Feb"}, {"title": "Jan"}]
    assert data["paid"]["nodes"] == [{"invoiceNumber": "INV-2026-000002"}]
    assert data["hers"]["nodes"] == [{"invoiceNumber": "INV-2026-000001"}]


async def test_values_the_database_cannot_store_are_never_a_500(
    db: Database, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(db)
    body = await gql(client, clinic, 'query { owners(search: "a\\u0000b") { totalCount } }')
    created = await gql(
        client,
        clinic,
        'mutation { createOwner(input: {firstName: "a\\u0000", lastName: "B"}) { id } }',
    )

    # SQLite stores NUL, PostgreSQL refuses it: either way the caller hears it by name.
    assert codes(body) in ([], ["VALIDATION_ERROR"])
    assert created["errors"][0]["extensions"] == {
        "code": "VALIDATION_ERROR",
        "details": {"firstName": "must not contain NUL characters"},
    }
