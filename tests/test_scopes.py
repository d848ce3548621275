"""What a key may read, decided by one function and asked by both surfaces."""

import httpx

from app.scopes import Principal, may
from tests.conftest import Backend
from tests.factories import make_clinic, make_key, make_owner, make_pet, make_record

UPDATE_RECORD = """mutation($id: ID!) { updateMedicalRecord(id: $id, input: {}) {
  title diagnosis bloodTest } }"""
READ_RECORD = "query($id: ID!) { medicalRecord(id: $id) { title diagnosis bloodTest } }"


def test_write_implies_read_of_the_same_resource_only() -> None:
    writer = Principal(clinic_id="c", key_id="k", scopes=frozenset({"records:write"}))
    reader = Principal(clinic_id="c", key_id="k", scopes=frozenset({"records:read"}))

    assert may(writer, "records:read") and may(writer, "records:write")
    assert not may(writer, "pets:read") and not may(writer, "invoices:read")
    assert may(reader, "records:read") and not may(reader, "records:write")


async def test_what_a_mutation_answers_a_query_with_the_same_key_may_read(
    backend: Backend, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(backend.db)
    owner = await make_owner(backend.db, clinic.clinic_id)
    pet = await make_pet(backend.db, clinic.clinic_id, owner.id)
    record = await make_record(backend.db, clinic.clinic_id, pet.id, diagnosis="Otitis")
    writer = await make_key(backend.db, clinic.clinic_id, scopes=["records:write"])
    variables = {"id": record.id}

    updated = await client.post(
        "/graphql", json={"query": UPDATE_RECORD, "variables": variables}, headers=writer.headers
    )
    read = await client.post(
        "/graphql", json={"query": READ_RECORD, "variables": variables}, headers=writer.headers
    )
    rest = await client.get(f"/api/v1/medical-records/{record.id}", headers=writer.headers)

    assert updated.json()["data"]["updateMedicalRecord"]["diagnosis"] == "Otitis"
    assert "errors" not in read.json()
    assert read.json()["data"]["medicalRecord"] == updated.json()["data"]["updateMedicalRecord"]
    assert rest.status_code == 200 and rest.json()["diagnosis"] == "Otitis"


async def test_the_v1_owner_detail_needs_the_scope_of_the_pets_it_embeds(
    backend: Backend, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(backend.db)
    owner = await make_owner(backend.db, clinic.clinic_id)
    await make_pet(backend.db, clinic.clinic_id, owner.id, name="Rex")
    owners_only = await make_key(backend.db, clinic.clinic_id, scopes=["owners:read"])
    with_pets = await make_key(backend.db, clinic.clinic_id, scopes=["owners:read", "pets:read"])

    refused = await client.get(f"/api/v1/owners/{owner.id}", headers=owners_only.headers)
    allowed = await client.get(f"/api/v1/owners/{owner.id}", headers=with_pets.headers)
    graphql = await client.post(
        "/graphql", json={"query": f'{{ owner(id: "{owner.id}") {{ pets {{ name }} }} }}'},
        headers=owners_only.headers,
    )  # fmt: skip

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "INSUFFICIENT_PERMISSIONS"
    assert refused.json()["error"]["details"] == {"requiredScope": "pets:read"}
    assert allowed.status_code == 200 and [p["name"] for p in allowed.json()["pets"]] == ["Rex"]
    # The same key sees no pets through GraphQL either: both surfaces asked `may`.
    assert graphql.json()["errors"][0]["extensions"]["details"] == {"requiredScope": "pets:read"}
