"""Invoices keep the owner and pet that were billed, whatever moves after them."""

import asyncio
from decimal import Decimal
from typing import Any

import httpx

from app.database import Database, write_transaction
from app.models import Invoice, MedicalRecord
from tests.factories import (
    ClinicKey,
    clinic_session,
    make_clinic,
    make_owner,
    make_pet,
    make_record,
)
from tests.graphql_client import codes, gql

UPDATE_PET = """mutation ($id: ID!, $owner: ID!) {
  updatePet(id: $id, input: {ownerId: $owner}) { id owner { id } } }"""
UPDATE_RECORD = """mutation ($id: ID!, $input: MedicalRecordPatch!) {
  updateMedicalRecord(id: $id, input: $input) { id pet { id } } }"""
CREATE_INVOICE = """mutation ($input: InvoiceInput!) {
  createInvoice(input: $input) { id owner { id } pet { id } medicalRecord { id } } }"""
HISTORY = """query ($pet: ID!, $first: ID!, $second: ID!) {
  pet(id: $pet) { owner { id } medicalRecords { id } invoices { id owner { id } } }
  first: owner(id: $first) { pets { id } invoices { id } }
  second: owner(id: $second) { pets { id } invoices { id } } }"""
ITEM = {"name": "Consultation", "price": 45, "quantity": 1}


async def _bill(client: httpx.AsyncClient, clinic: ClinicKey, **ids: str | None) -> dict[str, Any]:
    body = await gql(client, clinic, CREATE_INVOICE, {"input": {**ids, "items": [ITEM]}})
    return body


async def test_a_moved_pet_keeps_its_records_and_its_invoices_stay_with_who_was_billed(
    db: Database, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(db)
    first = await make_owner(db, clinic.clinic_id, first_name="First")
    second = await make_owner(db, clinic.clinic_id, first_name="Second")
    pet = await make_pet(db, clinic.clinic_id, first.id)
    record = await make_record(db, clinic.clinic_id, pet.id)
    billed = await _bill(client, clinic, ownerId=first.id, medicalRecordId=record.id)
    invoice = billed["data"]["createInvoice"]["id"]

    moved = await gql(client, clinic, UPDATE_PET, {"id": pet.id, "owner": second.id})

    assert moved["data"]["updatePet"]["owner"] == {"id": second.id}
    history = await gql(
        client, clinic, HISTORY, {"pet": pet.id, "first": first.id, "second": second.id}
    )
    assert history["data"] == {
        "pet": {
            "owner": {"id": second.id},
            "medicalRecords": [{"id": record.id}],
            "invoices": [{"id": invoice, "owner": {"id": first.id}}],
        },
        "first": {"pets": [], "invoices": [{"id": invoice}]},
        "second": {"pets": [{"id": pet.id}], "invoices": []},
    }


async def test_a_moved_pet_is_billed_to_its_new_owner_only(
    db: Database, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(db)
    first = await make_owner(db, clinic.clinic_id)
    second = await make_owner(db, clinic.clinic_id)
    pet = await make_pet(db, clinic.clinic_id, first.id)
    record = await make_record(db, clinic.clinic_id, pet.id)
    await gql(client, clinic, UPDATE_PET, {"id": pet.id, "owner": second.id})

    to_the_old_owner = await _bill(client, clinic, ownerId=first.id, petId=pet.id)
    for_the_pet = await _bill(client, clinic, ownerId=second.id, petId=pet.id)
    for_its_record = await _bill(client, clinic, ownerId=second.id, medicalRecordId=record.id)

    assert codes(to_the_old_owner) == ["VALIDATION_ERROR"]
    assert list(to_the_old_owner["errors"][0]["extensions"]["details"]) == ["petId"]
    assert for_the_pet["data"]["createInvoice"]["owner"] == {"id": second.id}
    assert for_its_record["data"]["createInvoice"]["pet"] == {"id": pet.id}


async def test_a_billed_record_cannot_move_to_another_pet(
    db: Database, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(db)
    owner = await make_owner(db, clinic.clinic_id)
    pet = await make_pet(db, clinic.clinic_id, owner.id, name="Billed")
    other = await make_pet(db, clinic.clinic_id, owner.id, name="Other")
    record = await make_record(db, clinic.clinic_id, pet.id)
    await _bill(client, clinic, ownerId=owner.id, medicalRecordId=record.id)

    moved = await gql(
        client, clinic, UPDATE_RECORD, {"id": record.id, "input": {"petId": other.id}}
    )
    retitled = await gql(
        client, clinic, UPDATE_RECORD, {"id": record.id, "input": {"petId": pet.id, "title": "X"}}
    )

    assert moved["data"] is None and codes(moved) == ["VALIDATION_ERROR"]
    assert list(moved["errors"][0]["extensions"]["details"]) == ["petId"]
    # Naming the pet it already has is no move.
    assert retitled["data"]["updateMedicalRecord"]["pet"] == {"id": pet.id}
    async with clinic_session(db, clinic.clinic_id) as session:
        assert (await session.get(MedicalRecord, record.id)).pet_id == pet.id  # type: ignore[union-attr]


async def test_an_unbilled_record_still_moves(db: Database, client: httpx.AsyncClient) -> None:
    clinic = await make_clinic(db)
    owner = await make_owner(db, clinic.clinic_id)
    pet = await make_pet(db, clinic.clinic_id, owner.id)
    other = await make_pet(db, clinic.clinic_id, owner.id)
    record = await make_record(db, clinic.clinic_id, pet.id)

    moved = await gql(
        client, clinic, UPDATE_RECORD, {"id": record.id, "input": {"petId": other.id}}
    )

    assert moved["data"]["updateMedicalRecord"]["pet"] == {"id": other.id}


async def test_a_record_billed_while_it_is_moved_stays_with_its_pet(
    db: Database, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(db)
    owner = await make_owner(db, clinic.clinic_id)
    pet = await make_pet(db, clinic.clinic_id, owner.id)
    other = await make_pet(db, clinic.clinic_id, owner.id)
    record = await make_record(db, clinic.clinic_id, pet.id)

    # Given an invoice for the record being created, not yet committed...
    async with clinic_session(db, clinic.clinic_id) as session, write_transaction(session):
        session.add(
            Invoice(
                invoice_number="INV-1900-000001", total_amount=Decimal("45.00"),
                owner_id=owner.id, pet_id=pet.id, medical_record_id=record.id,
            )
        )  # fmt: skip
        await session.flush()
        # ...a move of the record waits for it...
        moving = asyncio.create_task(
            gql(client, clinic, UPDATE_RECORD, {"id": record.id, "input": {"petId": other.id}})
        )
        await asyncio.sleep(0.3)
        assert not moving.done()

    # ...and, once it is committed, is refused.
    assert codes(await moving) == ["VALIDATION_ERROR"]


async def test_a_record_moved_while_it_is_billed_is_billed_as_moved(
    db: Database, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(db)
    owner = await make_owner(db, clinic.clinic_id)
    pet = await make_pet(db, clinic.clinic_id, owner.id)
    other = await make_pet(db, clinic.clinic_id, owner.id)
    record = await make_record(db, clinic.clinic_id, pet.id)

    # Given a move of the record to another pet, not yet committed...
    async with clinic_session(db, clinic.clinic_id) as session, write_transaction(session):
        moved = await session.get(MedicalRecord, record.id, with_for_update=True)
        moved.pet_id = other.id  # type: ignore[union-attr]
        await session.flush()
        # ...an invoice pairing it with its old pet waits for it...
        billing = asyncio.create_task(
            _bill(client, clinic, ownerId=owner.id, petId=pet.id, medicalRecordId=record.id)
        )
        await asyncio.sleep(0.3)
        assert not billing.done()

    # ...and then sees the record where it is now.
    refused = await billing
    assert codes(refused) == ["VALIDATION_ERROR"]
    assert refused["errors"][0]["extensions"]["details"] == {
        "medicalRecordId": "is not a record of petId"
    }
