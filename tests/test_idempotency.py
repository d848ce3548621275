import hashlib
import json
from datetime import timedelta

import httpx
from sqlalchemy import func, select

from app.database import Database, write_transaction
from app.models import IdempotencyKey, Owner
from app.tenancy import mark_unscoped
from app.timestamps import utc_now
from tests.factories import ClinicKey, clinic_session, make_clinic

JANE = {"firstName": "Jane", "lastName": "Doe"}


async def _owners(db: Database, clinic: ClinicKey) -> int:
    async with clinic_session(db, clinic.clinic_id) as session:
        return int(await session.scalar(select(func.count()).select_from(Owner)) or 0)


def _with_key(clinic: ClinicKey, key: str) -> dict[str, str]:
    return {**clinic.headers, "Idempotency-Key": key}


async def test_a_retry_replays_the_first_response_without_a_second_row(
    db: Database, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(db)
    first = await client.post("/api/v1/owners", json=JANE, headers=_with_key(clinic, "k-1"))
    retry = await client.post("/api/v1/owners", json=JANE, headers=_with_key(clinic, "k-1"))

    assert first.status_code == retry.status_code == 201
    assert retry.content == first.content
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert await _owners(db, clinic) == 1


async def test_the_same_key_for_a_different_request_is_refused(
    db: Database, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(db)
    await client.post("/api/v1/owners", json=JANE, headers=_with_key(clinic, "k-2"))
    other = await client.post(
        "/api/v1/owners", json={**JANE, "firstName": "Joan"}, headers=_with_key(clinic, "k-2")
    )

    assert other.status_code == 400
    assert other.json()["error"]["details"] == {
        "Idempotency-Key": "already used with a different request"
    }
    assert await _owners(db, clinic) == 1


async def test_a_failed_validation_is_not_remembered(
    db: Database, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(db)
    bad = await client.post(
        "/api/v1/owners", json={"firstName": "Jane"}, headers=_with_key(clinic, "k-3")
    )
    fixed = await client.post("/api/v1/owners", json=JANE, headers=_with_key(clinic, "k-3"))

    assert bad.status_code == 400 and fixed.status_code == 201
    assert await _owners(db, clinic) == 1


async def test_keys_belong_to_their_clinic(db: Database, client: httpx.AsyncClient) -> None:
    first, second = await make_clinic(db), await make_clinic(db)
    mine = await client.post("/api/v1/owners", json=JANE, headers=_with_key(first, "shared"))
    theirs = await client.post("/api/v1/owners", json=JANE, headers=_with_key(second, "shared"))

    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]
    assert "Idempotent-Replayed" not in theirs.headers


async def test_a_key_still_running_is_a_409(db: Database, client: httpx.AsyncClient) -> None:
    clinic = await make_clinic(db)
    body = json.dumps(JANE).encode()
    # Given: the same request under this key has been claimed and has not finished.
    async with db.sessionmaker() as session:
        mark_unscoped(session)
        async with write_transaction(session):
            session.add(IdempotencyKey(
                clinic_id=clinic.clinic_id, key="k-busy",
                request_hash=hashlib.sha256(b"/api/v1/owners\n" + body).hexdigest(),
                locked_until=utc_now() + timedelta(minutes=1),
                expires_at=utc_now() + timedelta(hours=24),
            ))  # fmt: skip

    response = await client.post(
        "/api/v1/owners", content=body,
        headers={**_with_key(clinic, "k-busy"), "Content-Type": "application/json"},
    )  # fmt: skip

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "IDEMPOTENCY_CONFLICT"
    assert response.headers["Retry-After"] == "1"
    assert await _owners(db, clinic) == 0


async def test_graphql_mutations_are_idempotent_too(
    db: Database, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(db)
    mutation = {"query": 'mutation { createOwner(input: {firstName: "A", lastName: "B"}) { id } }'}
    first = await client.post("/graphql", json=mutation, headers=_with_key(clinic, "g-1"))
    retry = await client.post("/graphql", json=mutation, headers=_with_key(clinic, "g-1"))

    assert first.json()["data"]["createOwner"]["id"] == retry.json()["data"]["createOwner"]["id"]
    assert await _owners(db, clinic) == 1


async def test_an_overlong_key_is_refused(db: Database, client: httpx.AsyncClient) -> None:
    clinic = await make_clinic(db)
    response = await client.post("/api/v1/owners", json=JANE, headers=_with_key(clinic, "k" * 256))
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["details"]
    assert await _owners(db, clinic) == 0
