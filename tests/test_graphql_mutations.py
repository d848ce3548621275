import asyncio
from datetime import UTC, datetime

import httpx
from sqlalchemy import func, select

from app.database import Database
from app.models import Invoice, InvoiceItem, Owner
from tests.factories import clinic_session, make_clinic, make_owner, make_pet, make_record
from tests.graphql_client import codes, gql

YEAR = datetime.now(UTC).year
CREATE_OWNER = """mutation ($input: OwnerInput!) {
  createOwner(input: $input) { id firstName middleName email lastVisit createdAt updatedAt } }"""
CREATE_INVOICE = """mutation ($input: InvoiceInput!) {
  createInvoice(input: $input) { id invoiceNumber totalAmount status
    items { name price quantity } pet { id } medicalRecord { id } } }"""


async def test_create_update_and_delete_an_owner(db: Database, client: httpx.AsyncClient) -> None:
    clinic = await make_clinic(db)
    created = await gql(
        client,
        clinic,
        CREATE_OWNER,
        {"input": {"firstName": "Jane", "lastName": "Doe", "email": "jane@example.com"}},
    )
    owner = created["data"]["createOwner"]
    assert owner["middleName"] is None and owner["lastVisit"] is None
    assert owner["createdAt"] == owner["updatedAt"]

    await asyncio.sleep(0.01)
    updated = await gql(
        client,
        clinic,
        """mutation ($id: ID!) {
      updateOwner(id: $id, input: {middleName: "Q", email: null}) {
        firstName middleName email updatedAt } }""",
        {"id": owner["id"]},
    )
    after = updated["data"]["updateOwner"]
    assert after["firstName"] == "Jane" and after["middleName"] == "Q" and after["email"] is None
    assert after["updatedAt"] > owner["updatedAt"]

    deleted = await gql(
        client, clinic, "mutation ($id: ID!) { deleteOwner(id: $id) }", {"id": owner["id"]}
    )
    assert deleted["data"] == {"deleteOwner": owner["id"]}
    gone = await gql(
        client, clinic, "query ($id: ID!) { owner(id: $id) { id } }", {"id": owner["id"]}
    )
    assert codes(gone) == ["RESOURCE_NOT_FOUND"]


async def test_invalid_input_names_each_field_and_writes_nothing(
    db: Database, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(db)
    body = await gql(
        client,
        clinic,
        CREATE_OWNER,
        {
            "input": {
                "firstName": " ",
                "lastName": "x" * 101,
                "email": "not-an-email",
                "phone": "call me",
            }
        },
    )

    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "VALIDATION_ERROR"
    assert set(error["extensions"]["details"]) == {"firstName", "lastName", "email", "phone"}
    async with clinic_session(db, clinic.clinic_id) as session:
        assert await session.scalar(select(func.count()).select_from(Owner)) == 0


async def test_pets_validate_their_owner_and_weight(
    db: Database, client: httpx.AsyncClient
) -> None:
    mine, theirs = await make_clinic(db), await make_clinic(db)
    their_owner = await make_owner(db, theirs.clinic_id)
    my_owner = await make_owner(db, mine.clinic_id)
    create = """mutation ($input: PetInput!) { createPet(input: $input) {
      name birthdate weight neutered owner { id } } }"""

    foreign = await gql(
        client,
        mine,
        create,
        {"input": {"name": "Rex", "species": "Dog", "ownerId": their_owner.id}},
    )
    negative = await gql(
        client,
        mine,
        create,
        {"input": {"name": "Rex", "species": "Dog", "ownerId": my_owner.id, "weight": -1}},
    )
    ok = await gql(
        client,
        mine,
        create,
        {
            "input": {
                "name": "Rex",
                "species": "Dog",
                "ownerId": my_owner.id,
                "weight": 30.5,
                "birthdate": "2020-05-15",
            }
        },
    )

    assert foreign["errors"][0]["extensions"]["details"] == {"ownerId": "does not exist"}
    assert "weight" in negative["errors"][0]["extensions"]["details"]
    assert ok["data"]["createPet"] == {
        "name": "Rex",
        "birthdate": "2020-05-15T00:00:00.000Z",
        "weight": 30.5,
        "neutered": False,
        "owner": {"id": my_owner.id},
    }


async def test_a_later_mutation_reads_what_an_earlier_one_created(
    db: Database, client: httpx.AsyncClient
) -> None:
    # Mutations of one document share the request's loaders: the first field reads
    # the owner's pets and invoices (none yet), the creations after it must not be
    # answered from those cached reads.
    clinic = await make_clinic(db)
    owner = await make_owner(db, clinic.clinic_id)
    body = await gql(
        client,
        clinic,
        """mutation ($owner: ID!, $items: [InvoiceItemInput!]!) {
          before: updateOwner(id: $owner, input: {}) { pets { id } invoices { id } }
          pet: createPet(input: {ownerId: $owner, name: "Rex", species: "Dog"}) {
            id owner { pets { id } } }
          invoice: createInvoice(input: {ownerId: $owner, items: $items}) {
            id owner { pets { id } invoices { id } } }
        }""",
        {"owner": owner.id, "items": [{"name": "Exam", "price": 45, "quantity": 1}]},
    )

    assert "errors" not in body, body["errors"]
    data = body["data"]
    assert data["before"] == {"pets": [], "invoices": []}
    pet, invoice = data["pet"]["id"], data["invoice"]["id"]
    assert data["pet"]["owner"] == {"pets": [{"id": pet}]}
    assert data["invoice"]["owner"] == {"pets": [{"id": pet}], "invoices": [{"id": invoice}]}


async def test_last_visit_follows_record_writes(db: Database, client: httpx.AsyncClient) -> None:
    clinic = await make_clinic(db)
    owner = await make_owner(db, clinic.clinic_id)
    other = await make_owner(db, clinic.clinic_id)
    pet = await make_pet(db, clinic.clinic_id, owner.id)

    created = await gql(
        client,
        clinic,
        """mutation ($pet: ID!) {
      createMedicalRecord(input: {petId: $pet, date: "2026-01-15T14:30:00Z", title: "Checkup",
                                  bloodTest: {WBC: 8.2}}) {
        id createdById pet { owner { lastVisit } } } }""",
        {"pet": pet.id},
    )
    record = created["data"]["createMedicalRecord"]
    assert record["createdById"] == f"apikey|{clinic.key_id}"
    assert record["pet"]["owner"]["lastVisit"] == "2026-01-15T14:30:00.000Z"

    redated = await gql(
        client,
        clinic,
        """mutation ($id: ID!) {
      updateMedicalRecord(id: $id, input: {date: "2026-03-01"}) {
        date pet { owner { lastVisit } } } }""",
        {"id": record["id"]},
    )
    assert redated["data"]["updateMedicalRecord"]["pet"]["owner"]["lastVisit"] == (
        "2026-03-01T00:00:00.000Z"
    )

    moved = await gql(
        client,
        clinic,
        """mutation ($id: ID!, $to: ID!) {
      updatePet(id: $id, input: {ownerId: $to}) { owner { lastVisit } } }""",
        {"id": pet.id, "to": other.id},
    )
    assert moved["data"]["updatePet"]["owner"]["lastVisit"] == "2026-03-01T00:00:00.000Z"
    previous = await gql(
        client, clinic, "query ($id: ID!) { owner(id: $id) { lastVisit } }", {"id": owner.id}
    )
    assert previous["data"]["owner"]["lastVisit"] is None


async def test_create_invoice_computes_number_and_exact_total(
    db: Database, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(db)
    owner = await make_owner(db, clinic.clinic_id)
    pet = await make_pet(db, clinic.clinic_id, owner.id)
    record = await make_record(db, clinic.clinic_id, pet.id)

    body = await gql(
        client,
        clinic,
        CREATE_INVOICE,
        {
            "input": {
                "ownerId": owner.id,
                "medicalRecordId": record.id,
                "items": [
                    {"name": "Exam", "price": 0.1, "quantity": 3},
                    {"name": "Rabies Vaccine", "price": 45.0, "quantity": 1},
                ],
            }
        },
    )

    invoice = body["data"]["createInvoice"]
    assert invoice["invoiceNumber"] == f"INV-{YEAR}-000001"
    assert invoice["totalAmount"] == 45.3
    assert invoice["status"] == "UNPAID"
    assert invoice["pet"] == {"id": pet.id}
    assert invoice["medicalRecord"] == {"id": record.id}
    assert invoice["items"][0] == {"name": "Exam", "price": 0.1, "quantity": 3}


async def test_invalid_invoices_are_refused_without_a_half_written_row(
    db: Database, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(db)
    owner = await make_owner(db, clinic.clinic_id)
    stranger = await make_owner(db, clinic.clinic_id)
    pet = await make_pet(db, clinic.clinic_id, stranger.id)
    item = {"name": "Exam", "price": 10, "quantity": 1}

    cases = [
        ({"ownerId": owner.id, "items": []}, "items"),
        ({"ownerId": owner.id, "items": [{**item, "quantity": 0}]}, "items.0.quantity"),
        ({"ownerId": owner.id, "items": [{**item, "price": -1}]}, "items.0.price"),
        ({"ownerId": owner.id, "items": [{**item, "price": 1.005}]}, "items.0.price"),
        ({"ownerId": owner.id, "petId": pet.id, "items": [item]}, "petId"),
    ]
    for invoice_input, field in cases:
        body = await gql(client, clinic, CREATE_INVOICE, {"input": invoice_input})
        assert codes(body) == ["VALIDATION_ERROR"], invoice_input
        assert field in body["errors"][0]["extensions"]["details"], body

    async with clinic_session(db, clinic.clinic_id) as session:
        assert await session.scalar(select(func.count()).select_from(Invoice)) == 0
        assert await session.scalar(select(func.count()).select_from(InvoiceItem)) == 0
    ok = await gql(
        client, clinic, CREATE_INVOICE, {"input": {"ownerId": owner.id, "items": [item]}}
    )
    assert ok["data"]["createInvoice"]["invoiceNumber"] == f"INV-{YEAR}-000001"


async def test_status_changes_only_out_of_unpaid(db: Database, client: httpx.AsyncClient) -> None:
    clinic = await make_clinic(db)
    owner = await make_owner(db, clinic.clinic_id)
    item = {"name": "Exam", "price": 10, "quantity": 1}
    ids = []
    for _ in range(2):
        body = await gql(
            client, clinic, CREATE_INVOICE, {"input": {"ownerId": owner.id, "items": [item]}}
        )
        ids.append(body["data"]["createInvoice"]["id"])
    paid, cancelled = ids

    pay = "mutation ($id: ID!) { markInvoicePaid(id: $id) { status } }"
    cancel = "mutation ($id: ID!) { cancelInvoice(id: $id) { status } }"
    assert (await gql(client, clinic, pay, {"id": paid}))["data"]["markInvoicePaid"] == {
        "status": "PAID"
    }
    assert (await gql(client, clinic, cancel, {"id": cancelled}))["data"]["cancelInvoice"] == {
        "status": "CANCELLED"
    }
    for query, id_ in [(cancel, paid), (pay, cancelled), (pay, paid)]:
        refused = await gql(client, clinic, query, {"id": id_})
        assert codes(refused) == ["VALIDATION_ERROR"]
        assert "status" in refused["errors"][0]["extensions"]["details"]


async def test_deletes_never_destroy_history(db: Database, client: httpx.AsyncClient) -> None:
    clinic = await make_clinic(db)
    owner = await make_owner(db, clinic.clinic_id)
    pet = await make_pet(db, clinic.clinic_id, owner.id)
    await make_record(db, clinic.clinic_id, pet.id)

    owner_refused = await gql(
        client, clinic, "mutation ($id: ID!) { deleteOwner(id: $id) }", {"id": owner.id}
    )
    pet_refused = await gql(
        client, clinic, "mutation ($id: ID!) { deletePet(id: $id) }", {"id": pet.id}
    )

    assert codes(owner_refused) == ["VALIDATION_ERROR"]
    assert "pets" in owner_refused["errors"][0]["message"]
    assert codes(pet_refused) == ["VALIDATION_ERROR"]
    still = await gql(client, clinic, "query ($id: ID!) { pet(id: $id) { id } }", {"id": pet.id})
    assert still["data"]["pet"] == {"id": pet.id}


async def test_mutations_cannot_touch_another_clinic(
    db: Database, client: httpx.AsyncClient
) -> None:
    mine, theirs = await make_clinic(db), await make_clinic(db)
    their_owner = await make_owner(db, theirs.clinic_id, first_name="Theirs")

    body = await gql(
        client,
        mine,
        """mutation ($id: ID!) {
      updateOwner(id: $id, input: {firstName: "Hacked"}) { id } }""",
        {"id": their_owner.id},
    )
    deleted = await gql(
        client, mine, "mutation ($id: ID!) { deleteOwner(id: $id) }", {"id": their_owner.id}
    )

    assert codes(body) == ["RESOURCE_NOT_FOUND"] and codes(deleted) == ["RESOURCE_NOT_FOUND"]
    async with clinic_session(db, theirs.clinic_id) as session:
        assert (await session.get(Owner, their_owner.id)).first_name == "Theirs"  # type: ignore[union-attr]
