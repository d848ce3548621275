import httpx

from app import api_keys
from app.database import Database, write_transaction
from app.tenancy import mark_unscoped
from tests.factories import make_clinic, make_key, make_owner, make_pet, make_record
from tests.graphql_client import codes, gql

OWNER_WITH_RECORDS = """query ($id: ID!) {
  owner(id: $id) { firstName pets { name medicalRecords { title } } } }"""


async def test_every_operation_needs_a_valid_key(db: Database, client: httpx.AsyncClient) -> None:
    clinic = await make_clinic(db)
    async with db.sessionmaker() as session:
        mark_unscoped(session)
        async with write_transaction(session):
            await api_keys.revoke_key(session, clinic.key_id)

    missing = await gql(client, None, "{ owners { totalCount } }")
    revoked = await gql(client, clinic, "{ owners { totalCount } }")
    by_get = await client.get(
        "/graphql",
        params={"query": "{ owners { totalCount } }"},
        headers={"accept": "application/json"},
    )

    for body in (missing, revoked):
        assert body["status"] == 401
        assert codes(body) == ["INVALID_API_KEY"]
        assert "data" not in body
    assert by_get.status_code == 401


async def test_a_missing_scope_nulls_only_that_field(
    db: Database, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(db)
    owner = await make_owner(db, clinic.clinic_id, first_name="Ann")
    pet = await make_pet(db, clinic.clinic_id, owner.id)
    await make_record(db, clinic.clinic_id, pet.id)
    limited = await make_key(db, clinic.clinic_id, scopes=["owners:read", "pets:read"])

    body = await gql(client, limited, OWNER_WITH_RECORDS, {"id": owner.id})

    assert body["status"] == 200
    assert body["data"] == {
        "owner": {"firstName": "Ann", "pets": [{"name": "Max", "medicalRecords": None}]}
    }
    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "INSUFFICIENT_PERMISSIONS",
        "details": {"requiredScope": "records:read"},
    }
    assert error["path"] == ["owner", "pets", 0, "medicalRecords"]


async def test_writes_need_write_scopes(db: Database, client: httpx.AsyncClient) -> None:
    clinic = await make_clinic(db)
    reader = await make_key(db, clinic.clinic_id, scopes=["owners:read"])

    body = await gql(
        client, reader, 'mutation { createOwner(input: {firstName: "A", lastName: "B"}) { id } }'
    )

    assert body["data"] is None
    assert body["errors"][0]["extensions"]["details"] == {"requiredScope": "owners:write"}
