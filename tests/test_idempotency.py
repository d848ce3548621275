import json
from datetime import timedelta

import httpx
from sqlalchemy import func, select

from app.database import Database, write_transaction
from app.idempotency import request_digest
from app.models import IdempotencyKey, Owner
from app.tenancy import mark_unscoped
from app.timestamps import utc_now
from tests.factories import ClinicKey, clinic_session, make_clinic, make_key

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
                request_hash=request_digest(f"{clinic.key_id} /api/v1/owners", body),
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


TWO_OPERATIONS = """mutation B { createOwner(input: {firstName: "A", lastName: "B"}) { id } }
query A { __typename }"""


async def test_a_document_of_several_operations_must_name_one(
    db: Database, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(db)
    # Given: a document whose first operation writes, and no operationName.
    answers = [
        await client.post(
            "/graphql", json={"query": TWO_OPERATIONS}, headers=_with_key(clinic, "two-ops")
        )
        for _ in range(3)
    ]
    # Then: it is a request error, and nothing ran.
    for answer in answers:
        assert answer.json()["errors"][0]["extensions"]["code"] == "VALIDATION_ERROR"
        assert answer.json().get("data") is None
    assert await _owners(db, clinic) == 0

    # When it names the mutation, the key covers exactly what runs.
    named = {"query": TWO_OPERATIONS, "operationName": "B"}
    runs = [
        await client.post("/graphql", json=named, headers=_with_key(clinic, "two-ops"))
        for _ in range(3)
    ]
    assert len({r.json()["data"]["createOwner"]["id"] for r in runs}) == 1
    assert [r.headers.get("Idempotent-Replayed") for r in runs] == [None, "true", "true"]
    assert await _owners(db, clinic) == 1


async def test_a_replay_is_checked_like_any_request(
    db: Database, client: httpx.AsyncClient
) -> None:
    writer = await make_clinic(db)
    reader = await make_key(db, writer.clinic_id, scopes=["owners:read"])
    first = await client.post("/api/v1/owners", json=JANE, headers=_with_key(writer, "scoped"))
    mutation = {"query": 'mutation { createOwner(input: {firstName: "G", lastName: "Q"}) { id } }'}
    await client.post("/graphql", json=mutation, headers=_with_key(writer, "scoped-g"))

    # When: a key without owners:write replays the writer's requests.
    rest = await client.post("/api/v1/owners", json=JANE, headers=_with_key(reader, "scoped"))
    graphql = await client.post("/graphql", json=mutation, headers=_with_key(reader, "scoped-g"))

    # Then: it is refused as the same request without the key would be.
    assert first.status_code == 201
    assert rest.status_code == 403
    assert rest.json()["error"]["details"] == {"requiredScope": "owners:write"}
    assert "Idempotent-Replayed" not in rest.headers
    assert graphql.json()["errors"][0]["extensions"]["code"] == "INSUFFICIENT_PERMISSIONS"
    assert "Idempotent-Replayed" not in graphql.headers
    assert await _owners(db, writer) == 2


async def test_replays_spend_the_budget_and_carry_its_headers(
    db: Database, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(db)
    limited = await make_key(db, clinic.clinic_id, rate_limit=3)
    mutation = {"query": 'mutation { createOwner(input: {firstName: "R", lastName: "L"}) { id } }'}
    for path, body, created in (("/api/v1/owners", JANE, 201), ("/graphql", mutation, 200)):
        limited = await make_key(db, clinic.clinic_id, rate_limit=3)
        answers = [
            await client.post(path, json=body, headers=_with_key(limited, f"budget-{path}"))
            for _ in range(12)
        ]
        assert [a.status_code for a in answers] == [created] * 3 + [429] * 9
        assert [a.headers.get("Idempotent-Replayed") for a in answers[:3]] == [None, "true", "true"]
        for answer in answers:
            assert answer.headers["X-RateLimit-Limit"] == "3"
            assert "X-RateLimit-Remaining" in answer.headers
    assert await _owners(db, clinic) == 2


async def test_a_key_of_header_bytes_that_are_not_text_is_refused(
    db: Database, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(db)
    odd = {**clinic.headers, "Idempotency-Key": b"k\xff\x01"}
    response = await client.post("/api/v1/owners", json=JANE, headers=odd)  # type: ignore[arg-type]
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["details"]
    assert await _owners(db, clinic) == 0
