"""Every documented route: shapes exactly as the v1 document shows them."""

import json
from datetime import UTC, datetime
from typing import Any

import httpx

from app.database import Database
from tests.factories import (
    ClinicKey,
    make_clinic,
    make_invoice,
    make_owner,
    make_pet,
    make_record,
)
from tests.graphql_client import count_statements

# The v1 document's examples: key order and JSON types are the contract.
OWNER_EXAMPLE = {
    "id": "cku9g6x2p0000ab0f0s1z2z3z", "firstName": "John", "middleName": None,
    "lastName": "Smith", "email": "john.smith@example.com", "phone": "+1-555-123-4567",
    "address": "123 Main St, New York, NY 10001", "lastVisit": "2026-01-15T14:30:00.000Z",
    "createdAt": "2024-03-01T10:00:00.000Z", "updatedAt": "2026-01-15T14:30:00.000Z",
}  # fmt: skip
PET_EXAMPLE = {
    "id": "cku9g7y3q0001ab0f0t2a3b4c", "name": "Max", "species": "Dog",
    "breed": "Golden Retriever", "birthdate": "2020-05-15T00:00:00.000Z", "weight": 32.5,
    "neutered": True, "ownerId": "cku9g6x2p0000ab0f0s1z2z3z",
    "createdAt": "2024-03-01T10:15:00.000Z",
}  # fmt: skip
RECORD_EXAMPLE = {
    "id": "cku9i9a5s0003ab0f0v4c5d6e", "date": "2026-01-15T14:30:00.000Z",
    "title": "Annual Checkup", "description": "Patient alert and responsive...",
    "diagnosis": "Healthy, no concerns",
    "treatment": "Continue current diet, schedule next checkup",
    "differentialDiagnosis": None, "bloodTestJson": None, "urineTestJson": None,
    "petId": "cku9g7y3q0001ab0f0t2a3b4c", "createdById": "auth0|123456",
    "createdAt": "2026-01-15T14:30:00.000Z",
}  # fmt: skip
INVOICE_EXAMPLE = {
    "id": "cku9j0b6t0004ab0f0w5d6e7f", "invoiceNumber": "INV-2026-001523",
    "totalAmount": 245.50, "status": "PAID", "ownerId": "cku9g6x2p0000ab0f0s1z2z3z",
    "petId": "cku9g7y3q0001ab0f0t2a3b4c",
    "itemsJson": '[{"name":"Rabies Vaccine","price":45.00,"quantity":1}]',
    "createdAt": "2026-01-15T15:00:00.000Z",
}  # fmt: skip
TIMESTAMP = "%Y-%m-%dT%H:%M:%S.%fZ"


def assert_same_shape(got: dict[str, Any], example: dict[str, Any]) -> None:
    assert list(got) == list(example), "keys and their order"
    for key, value in example.items():
        if value is None or got[key] is None:
            continue
        assert type(got[key]) is type(value) or {type(got[key]), type(value)} <= {int, float}, key
        if isinstance(value, str) and value.endswith("Z") and value[:2] == "20":
            datetime.strptime(got[key], TIMESTAMP)
            assert len(got[key]) == 24


async def _clinic_with_history(db: Database) -> tuple[ClinicKey, dict[str, str]]:
    clinic = await make_clinic(db)
    owner = await make_owner(
        db, clinic.clinic_id, first_name="John", last_name="Smith",
        email="john.smith@example.com", phone="+1-555-123-4567",
        address="123 Main St, New York, NY 10001",
        last_visit=datetime(2026, 1, 15, 14, 30, tzinfo=UTC),
    )  # fmt: skip
    pet = await make_pet(
        db,
        clinic.clinic_id,
        owner.id,
        breed="Golden Retriever",
        birthdate=datetime(2020, 5, 15).date(),
        weight=32.5,
        neutered=True,
    )
    record = await make_record(
        db,
        clinic.clinic_id,
        pet.id,
        description="Alert",
        diagnosis="Healthy",
        treatment="Diet",
        blood_test={"WBC": {"value": 8.2}},
    )
    invoice = await make_invoice(
        db,
        clinic.clinic_id,
        owner.id,
        number="INV-2026-000001",
        pet_id=pet.id,
        medical_record_id=record.id,
        status="PAID",
    )
    ids = {"owner": owner.id, "pet": pet.id, "record": record.id, "invoice": invoice.id}
    return clinic, ids


async def test_owner_list_and_detail(db: Database, client: httpx.AsyncClient) -> None:
    clinic, ids = await _clinic_with_history(db)

    listed = (await client.get("/api/v1/owners", headers=clinic.headers)).json()
    detail = await client.get(f"/api/v1/owners/{ids['owner']}", headers=clinic.headers)

    assert list(listed) == ["data", "pagination"]
    assert listed["pagination"] == {"total": 1, "limit": 50, "offset": 0, "hasMore": False}
    assert_same_shape(listed["data"][0], OWNER_EXAMPLE)
    assert listed["data"][0]["lastVisit"] == "2026-01-15T14:30:00.000Z"
    body = detail.json()
    assert_same_shape({k: v for k, v in body.items() if k != "pets"}, OWNER_EXAMPLE)
    assert list(body)[-1] == "pets"
    assert body["pets"] == [
        {"id": ids["pet"], "name": "Max", "species": "Dog", "breed": "Golden Retriever"}
    ]


async def test_create_owner_answers_201_with_the_owner(
    db: Database, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(db)
    response = await client.post(
        "/api/v1/owners",
        headers=clinic.headers,
        json={
            "firstName": "Jane",
            "lastName": "Doe",
            "email": "jane.doe@example.com",
            "phone": "+1-555-987-6543",
            "address": "456 Oak Ave, Brooklyn, NY 11201",
        },
    )

    assert response.status_code == 201
    created = response.json()
    assert_same_shape(created, OWNER_EXAMPLE)
    assert created["middleName"] is None and created["lastVisit"] is None
    assert created["createdAt"] == created["updatedAt"]
    fetched = await client.get(f"/api/v1/owners/{created['id']}", headers=clinic.headers)
    assert fetched.json()["pets"] == []


async def test_pets_list_detail_and_create(db: Database, client: httpx.AsyncClient) -> None:
    clinic, ids = await _clinic_with_history(db)

    listed = (await client.get("/api/v1/pets", headers=clinic.headers)).json()
    detail = (await client.get(f"/api/v1/pets/{ids['pet']}", headers=clinic.headers)).json()
    created = await client.post(
        "/api/v1/pets",
        headers=clinic.headers,
        json={
            "name": "Bella",
            "species": "Cat",
            "breed": "Siamese",
            "ownerId": ids["owner"],
            "birthdate": "2022-08-20",
            "weight": 4.2,
            "neutered": True,
        },
    )

    assert_same_shape(listed["data"][0], PET_EXAMPLE)
    assert detail == listed["data"][0]
    assert detail["birthdate"] == "2020-05-15T00:00:00.000Z"
    assert created.status_code == 201
    assert_same_shape(created.json(), PET_EXAMPLE)
    assert created.json()["birthdate"] == "2022-08-20T00:00:00.000Z"


async def test_medical_records_list_and_detail(db: Database, client: httpx.AsyncClient) -> None:
    clinic, ids = await _clinic_with_history(db)

    listed = (await client.get("/api/v1/medical-records", headers=clinic.headers)).json()
    detail = await client.get(f"/api/v1/medical-records/{ids['record']}", headers=clinic.headers)

    assert_same_shape(listed["data"][0], RECORD_EXAMPLE)
    assert json.loads(listed["data"][0]["bloodTestJson"]) == {"WBC": {"value": 8.2}}
    assert detail.json() == listed["data"][0]
    assert listed["pagination"]["total"] == 1


async def test_invoices_list_and_detail(db: Database, client: httpx.AsyncClient) -> None:
    clinic, ids = await _clinic_with_history(db)

    listed = (await client.get("/api/v1/invoices", headers=clinic.headers)).json()
    detail = await client.get(f"/api/v1/invoices/{ids['invoice']}", headers=clinic.headers)

    assert_same_shape(listed["data"][0], INVOICE_EXAMPLE)
    assert listed["data"][0]["itemsJson"] == (
        '[{"name":"Rabies Vaccine","price":45.00,"quantity":1}]'
    )
    assert listed["data"][0]["totalAmount"] == 45.0
    assert detail.json() == listed["data"][0]
    assert '"totalAmount":45.0' in detail.text


async def test_filters_and_paging(db: Database, client: httpx.AsyncClient) -> None:
    clinic = await make_clinic(db)
    smith = await make_owner(
        db, clinic.clinic_id, first_name="John", last_name="Smith", phone="(555) 123-4567"
    )
    doe = await make_owner(
        db, clinic.clinic_id, first_name="Jane", last_name="Doe", email="jane@example.org"
    )
    dog = await make_pet(db, clinic.clinic_id, smith.id)
    await make_pet(db, clinic.clinic_id, doe.id, name="Tom", species="Cat")
    for day in (1, 15, 28):
        await make_record(
            db,
            clinic.clinic_id,
            dog.id,
            title=f"Jan {day}",
            date=datetime(2026, 1, day, 9, tzinfo=UTC),
        )
    await make_invoice(db, clinic.clinic_id, smith.id, number="INV-2026-000001", status="PAID")
    await make_invoice(db, clinic.clinic_id, doe.id, number="INV-2026-000002")

    async def get(path: str) -> Any:
        response = await client.get(path, headers=clinic.headers)
        assert response.status_code == 200, response.text
        return response.json()

    assert [o["lastName"] for o in (await get("/api/v1/owners?search=SMITH"))["data"]] == ["Smith"]
    assert [o["lastName"] for o in (await get("/api/v1/owners?search=john%20smith"))["data"]] == [
        "Smith"
    ]
    assert [o["lastName"] for o in (await get("/api/v1/owners?search=555-1234"))["data"]] == [
        "Smith"
    ]
    assert [o["lastName"] for o in (await get("/api/v1/owners?search=example.org"))["data"]] == [
        "Doe"
    ]
    page = await get("/api/v1/owners?limit=1&offset=1")
    assert page["pagination"] == {"total": 2, "limit": 1, "offset": 1, "hasMore": False}
    assert (await get("/api/v1/owners?limit=1"))["pagination"]["hasMore"] is True

    assert [p["name"] for p in (await get("/api/v1/pets?species=cat"))["data"]] == ["Tom"]
    assert [p["name"] for p in (await get(f"/api/v1/pets?ownerId={smith.id}"))["data"]] == ["Max"]

    titles = [r["title"] for r in (await get("/api/v1/medical-records"))["data"]]
    assert titles == ["Jan 28", "Jan 15", "Jan 1"]
    ranged = await get("/api/v1/medical-records?startDate=2026-01-15&endDate=2026-01-28")
    assert [r["title"] for r in ranged["data"]] == ["Jan 28", "Jan 15"]
    until = await get("/api/v1/medical-records?endDate=2026-01-15T09:00:00.000Z")
    assert [r["title"] for r in until["data"]] == ["Jan 15", "Jan 1"]
    by_pet = await get(f"/api/v1/medical-records?petId={dog.id}&limit=2")
    assert by_pet["pagination"] == {"total": 3, "limit": 2, "offset": 0, "hasMore": True}

    paid = await get("/api/v1/invoices?status=PAID")
    assert [i["invoiceNumber"] for i in paid["data"]] == ["INV-2026-000001"]
    hers = await get(f"/api/v1/invoices?ownerId={doe.id}")
    assert [i["invoiceNumber"] for i in hers["data"]] == ["INV-2026-000002"]
    newest_first = await get("/api/v1/invoices")
    assert [i["invoiceNumber"] for i in newest_first["data"]] == [
        "INV-2026-000002",
        "INV-2026-000001",
    ]


async def test_another_clinics_ids_are_404_everywhere(
    db: Database, client: httpx.AsyncClient
) -> None:
    theirs, ids = await _clinic_with_history(db)
    mine = await make_clinic(db)
    paths = {
        "owner": "/api/v1/owners/{}", "pet": "/api/v1/pets/{}",
        "record": "/api/v1/medical-records/{}", "invoice": "/api/v1/invoices/{}",
    }  # fmt: skip
    for name, path in paths.items():
        response = await client.get(path.format(ids[name]), headers=mine.headers)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "RESOURCE_NOT_FOUND"
        assert ids[name] in response.json()["error"]["message"]
    for path in ("/api/v1/owners", "/api/v1/pets", "/api/v1/medical-records", "/api/v1/invoices"):
        listed = (await client.get(path, headers=mine.headers)).json()
        assert listed["data"] == [] and listed["pagination"]["total"] == 0
    assert theirs.clinic_id != mine.clinic_id


async def test_offset_pages_skip_through_the_sort_index(
    db: Database, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(db)
    ids = [(await make_owner(db, clinic.clinic_id, last_name=f"O{n}")).id for n in range(5)]
    with count_statements(db.engine) as counter:
        response = await client.get("/api/v1/owners?limit=2&offset=2", headers=clinic.headers)

    assert [owner["id"] for owner in response.json()["data"]] == ids[2:4]
    # The skipped rows are counted off in a subquery of ids alone (an index-only
    # scan on PostgreSQL), and only the page's rows are read whole.
    (page,) = [s for s in counter.statements if "OFFSET" in s]
    assert "JOIN (SELECT owners.id AS id \nFROM owners" in page
