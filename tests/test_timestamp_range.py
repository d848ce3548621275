"""Every timestamp a caller sends is read by one parser, from 1900-01-01 to 2999-12-31 UTC.

Values at the calendar's edges overflow Python's datetime once their offset is
applied: each surface must answer them as the caller's mistake, naming the field.
"""

import base64
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from app.database import Database
from app.timestamps import OUT_OF_RANGE, parse_timestamp
from tests.factories import make_clinic, make_owner, make_pet, make_record
from tests.graphql_client import codes, gql

OVERFLOWING = ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"]
# In Python's calendar, outside ours; the last one only once its offset is applied.
OUTSIDE = [
    "1899-12-31T23:59:59.999Z",
    "3000-01-01",
    "3000-01-01T00:00:00Z",
    "1900-01-01T00:30:00+01:00",
]
REFUSED = OVERFLOWING + OUTSIDE

CREATE_PET = """mutation ($input: PetInput!) { createPet(input: $input) { id birthdate } }"""
UPDATE_PET = """mutation ($id: ID!, $input: PetPatch!) {
  updatePet(id: $id, input: $input) { id birthdate } }"""
CREATE_RECORD = """mutation ($input: MedicalRecordInput!) {
  createMedicalRecord(input: $input) { id date } }"""
UPDATE_RECORD = """mutation ($id: ID!, $input: MedicalRecordPatch!) {
  updateMedicalRecord(id: $id, input: $input) { id date } }"""
OWNERS_AFTER = """query ($after: String) { owners(first: 1, after: $after) { nodes { id } } }"""
RECORDS_BETWEEN = """query ($start: String, $end: String) {
  medicalRecords(startDate: $start, endDate: $end) { nodes { id } } }"""


@pytest.mark.parametrize("text", REFUSED)
def test_the_parser_refuses_what_lies_outside_the_range(text: str) -> None:
    with pytest.raises(ValueError, match="1900-01-01 to 2999-12-31"):
        parse_timestamp(text)


def test_the_parser_accepts_the_range_inclusive_in_utc() -> None:
    assert parse_timestamp("1900-01-01") == datetime(1900, 1, 1, tzinfo=UTC)
    assert parse_timestamp("1900-01-01T01:00:00+01:00") == datetime(1900, 1, 1, tzinfo=UTC)
    assert parse_timestamp("2999-12-31T23:59:59.999Z") == datetime(
        2999, 12, 31, 23, 59, 59, 999_000, tzinfo=UTC
    )
    assert parse_timestamp("3000-01-01T00:59:59+01:00").year == 2999


@pytest.mark.parametrize("field", ["startDate", "endDate"])
@pytest.mark.parametrize("text", REFUSED)
async def test_rest_record_bounds_outside_the_range_are_400_naming_them(
    db: Database, client: httpx.AsyncClient, field: str, text: str
) -> None:
    clinic = await make_clinic(db)

    response = await client.get(
        "/api/v1/medical-records", params={field: text}, headers=clinic.headers
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"] == {field: OUT_OF_RANGE}


async def test_rest_record_bounds_at_the_range_edges_are_accepted(
    db: Database, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(db)
    owner = await make_owner(db, clinic.clinic_id)
    pet = await make_pet(db, clinic.clinic_id, owner.id)
    record = await make_record(db, clinic.clinic_id, pet.id)

    response = await client.get(
        "/api/v1/medical-records",
        params={"startDate": "1900-01-01", "endDate": "2999-12-31"},
        headers=clinic.headers,
    )

    assert response.status_code == 200
    assert [r["id"] for r in response.json()["data"]] == [record.id]


@pytest.mark.parametrize("text", [*OVERFLOWING, "1899-12-31", "1900-01-01T00:30:00+01:00"])
async def test_a_rest_birthdate_outside_the_range_is_400_naming_it(
    db: Database, client: httpx.AsyncClient, text: str
) -> None:
    clinic = await make_clinic(db)
    owner = await make_owner(db, clinic.clinic_id)

    response = await client.post(
        "/api/v1/pets",
        json={"name": "Rex", "species": "Dog", "ownerId": owner.id, "birthdate": text},
        headers=clinic.headers,
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"] == {"birthdate": OUT_OF_RANGE}


async def test_a_rest_birthdate_on_the_first_day_is_accepted(
    db: Database, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(db)
    owner = await make_owner(db, clinic.clinic_id)

    response = await client.post(
        "/api/v1/pets",
        json={"name": "Rex", "species": "Dog", "ownerId": owner.id, "birthdate": "1900-01-01"},
        headers=clinic.headers,
    )

    assert response.status_code == 201
    assert response.json()["birthdate"] == "1900-01-01T00:00:00.000Z"


def _refused(body: dict[str, Any], field: str) -> None:
    assert body["data"] is None
    assert codes(body) == ["VALIDATION_ERROR"]
    [error] = body["errors"]
    assert field in error["message"] and "1900-01-01 to 2999-12-31" in error["message"]


@pytest.mark.parametrize("text", [*OVERFLOWING, "1899-12-31"])
async def test_graphql_birthdates_outside_the_range_are_validation_errors(
    db: Database, client: httpx.AsyncClient, text: str
) -> None:
    clinic = await make_clinic(db)
    owner = await make_owner(db, clinic.clinic_id)
    pet = await make_pet(db, clinic.clinic_id, owner.id)

    created = await gql(
        client, clinic, CREATE_PET,
        {"input": {"name": "Rex", "species": "Dog", "ownerId": owner.id, "birthdate": text}},
    )  # fmt: skip
    updated = await gql(client, clinic, UPDATE_PET, {"id": pet.id, "input": {"birthdate": text}})

    _refused(created, "birthdate")
    _refused(updated, "birthdate")


@pytest.mark.parametrize("text", REFUSED)
async def test_graphql_record_dates_outside_the_range_are_validation_errors(
    db: Database, client: httpx.AsyncClient, text: str
) -> None:
    clinic = await make_clinic(db)
    owner = await make_owner(db, clinic.clinic_id)
    pet = await make_pet(db, clinic.clinic_id, owner.id)
    record = await make_record(db, clinic.clinic_id, pet.id)

    created = await gql(
        client, clinic, CREATE_RECORD, {"input": {"petId": pet.id, "date": text, "title": "X"}}
    )
    updated = await gql(client, clinic, UPDATE_RECORD, {"id": record.id, "input": {"date": text}})

    _refused(created, "date")
    _refused(updated, "date")


async def test_a_graphql_record_date_in_a_document_is_bounded_too(
    db: Database, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(db)
    owner = await make_owner(db, clinic.clinic_id)
    pet = await make_pet(db, clinic.clinic_id, owner.id)
    literal = f'"{OVERFLOWING[0]}"'
    document = (
        f'mutation {{ createMedicalRecord(input: {{petId: "{pet.id}", '
        f'date: {literal}, title: "X"}}) {{ id }} }}'
    )

    body = await gql(client, clinic, document)

    assert body["data"] is None
    assert codes(body) == ["VALIDATION_ERROR"]
    [error] = body["errors"]
    assert "1900-01-01 to 2999-12-31" in error["message"]
    # A literal's error points at it in the document rather than naming its field.
    [at] = error["locations"]
    assert document.splitlines()[at["line"] - 1][at["column"] - 1 :].startswith(literal)


@pytest.mark.parametrize("argument", ["start", "end"])
async def test_graphql_record_bounds_outside_the_range_name_the_argument(
    db: Database, client: httpx.AsyncClient, argument: str
) -> None:
    clinic = await make_clinic(db)

    body = await gql(client, clinic, RECORDS_BETWEEN, {argument: OVERFLOWING[1]})

    assert codes(body) == ["VALIDATION_ERROR"]
    field = f"{argument}Date"
    assert body["errors"][0]["extensions"]["details"] == {field: OUT_OF_RANGE}


@pytest.mark.parametrize("moment", [*REFUSED, "not a time"])
async def test_a_forged_cursor_is_an_invalid_cursor_naming_after(
    db: Database, client: httpx.AsyncClient, moment: str
) -> None:
    clinic = await make_clinic(db)
    await make_owner(db, clinic.clinic_id)
    forged = base64.urlsafe_b64encode(f"{moment}|c{'0' * 24}".encode()).decode()

    body = await gql(client, clinic, OWNERS_AFTER, {"after": forged})

    assert codes(body) == ["VALIDATION_ERROR"]
    [error] = body["errors"]
    assert error["message"] == "Invalid cursor"
    assert list(error["extensions"]["details"]) == ["after"]
