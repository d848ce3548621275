"""Every error a REST caller can meet comes in the envelope with its code."""

import logging
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app import api_keys
from app.database import Database, write_transaction
from app.models import Owner, Pet
from app.tenancy import mark_unscoped
from tests.conftest import Backend, app_client
from tests.factories import clinic_session, make_clinic, make_key, make_owner


def envelope(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert list(body) == ["error"]
    assert list(body["error"]) == ["code", "message", "details"]
    return body["error"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/owners?limit=0", "limit"),
        ("/api/v1/owners?limit=101", "limit"),
        ("/api/v1/owners?limit=ten", "limit"),
        ("/api/v1/owners?offset=-1", "offset"),
        ("/api/v1/pets?limit=1000", "limit"),
        ("/api/v1/invoices?status=OVERDUE", "status"),
        ("/api/v1/medical-records?startDate=yesterday", "startDate"),
        ("/api/v1/medical-records?endDate=2026-13-40", "endDate"),
    ],
)
async def test_bad_query_parameters_are_400_naming_the_parameter(
    db: Database, client: httpx.AsyncClient, path: str, field: str
) -> None:
    clinic = await make_clinic(db)
    response = await client.get(path, headers=clinic.headers)
    assert response.status_code == 400
    error = envelope(response)
    assert error["code"] == "VALIDATION_ERROR"
    assert field in error["details"]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"firstName", "lastName"}),
        ({"firstName": "", "lastName": "  "}, {"firstName", "lastName"}),
        ({"firstName": 5, "lastName": ["x"]}, {"firstName", "lastName"}),
        ({"firstName": "A", "lastName": "B", "email": "nope"}, {"email"}),
        ({"firstName": "A", "lastName": "B", "id": "c" * 25}, {"id"}),
        ({"firstName": "A", "lastName": "B", "createdAt": "2026-01-01"}, {"createdAt"}),
        (
            {"firstName": "A", "lastName": "B", "clinicId": "x", "nickname": "y"},
            {"clinicId", "nickname"},
        ),
        ({"firstName": "A" * 101, "lastName": "B"}, {"firstName"}),
    ],
)
async def test_bad_owner_bodies_name_every_bad_field_and_write_nothing(
    db: Database, client: httpx.AsyncClient, body: dict[str, Any], fields: set[str]
) -> None:
    clinic = await make_clinic(db)
    response = await client.post("/api/v1/owners", headers=clinic.headers, json=body)
    assert response.status_code == 400
    error = envelope(response)
    assert error["code"] == "VALIDATION_ERROR"
    assert set(error["details"]) == fields
    async with clinic_session(db, clinic.clinic_id) as session:
        assert await session.scalar(select(func.count()).select_from(Owner)) == 0


async def test_bad_pet_bodies(db: Database, client: httpx.AsyncClient) -> None:
    mine, theirs = await make_clinic(db), await make_clinic(db)
    my_owner = await make_owner(db, mine.clinic_id)
    their_owner = await make_owner(db, theirs.clinic_id)
    cases = [
        ({"name": "Rex", "species": "Dog", "ownerId": their_owner.id}, {"ownerId"}),
        ({"name": "Rex", "species": "Dog", "ownerId": "c" + "0" * 24}, {"ownerId"}),
        ({"name": "Rex", "species": "Dog", "ownerId": my_owner.id, "weight": -2,
          "neutered": "yes", "birthdate": "someday"}, {"weight", "neutered", "birthdate"}),
        ({"name": "Rex", "species": "Dog", "ownerId": my_owner.id, "weight": "4"}, {"weight"}),
        ({"name": "Rex", "species": "Dog", "ownerId": my_owner.id,
          "birthdate": "2999-01-01"}, {"birthdate"}),
    ]  # fmt: skip
    for body, fields in cases:
        response = await client.post("/api/v1/pets", headers=mine.headers, json=body)
        assert response.status_code == 400, body
        assert set(envelope(response)["details"]) == fields, body
    async with clinic_session(db, mine.clinic_id) as session:
        assert await session.scalar(select(func.count()).select_from(Pet)) == 0


@pytest.mark.parametrize(
    ("content", "content_type", "field"),
    [
        (b'{"firstName": "A",', "application/json", "body"),
        (b'["firstName"]', "application/json", "body"),
        (b"firstName=A&lastName=B", "application/x-www-form-urlencoded", "Content-Type"),
        (b'{"firstName": "A", "lastName": "B"}', "text/plain", "Content-Type"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json", "body"),
    ],
)
async def test_malformed_bodies_are_400(
    db: Database, client: httpx.AsyncClient, content: bytes, content_type: str, field: str
) -> None:
    clinic = await make_clinic(db)
    response = await client.post(
        "/api/v1/owners", content=content,
        headers={**clinic.headers, "Content-Type": content_type},
    )  # fmt: skip
    assert response.status_code == 400
    assert field in envelope(response)["details"]


async def test_oversize_bodies_are_413(db: Database, client: httpx.AsyncClient) -> None:
    clinic = await make_clinic(db)
    huge = {"firstName": "A", "lastName": "B", "address": "x" * 2_000_000}
    response = await client.post("/api/v1/owners", headers=clinic.headers, json=huge)
    assert response.status_code == 413
    assert envelope(response)["code"] == "PAYLOAD_TOO_LARGE"


async def test_keys_missing_malformed_unknown_or_revoked_are_401(
    db: Database, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(db)
    async with db.sessionmaker() as session:
        mark_unscoped(session)
        async with write_transaction(session):
            await api_keys.revoke_key(session, clinic.key_id)
    for headers in (
        {},
        {"Authorization": "Bearer nope"},
        {"Authorization": "Bearer sk_test_" + "x" * 40},
        clinic.headers,
    ):
        response = await client.get("/api/v1/owners", headers=headers)
        assert response.status_code == 401
        assert envelope(response)["code"] == "INVALID_API_KEY"


async def test_a_missing_scope_is_403_naming_it(db: Database, client: httpx.AsyncClient) -> None:
    clinic = await make_clinic(db)
    reader = await make_key(db, clinic.clinic_id, scopes=["owners:read"])
    for method, path, scope in [
        ("POST", "/api/v1/owners", "owners:write"),
        ("GET", "/api/v1/pets", "pets:read"),
        ("GET", "/api/v1/medical-records", "records:read"),
        ("GET", "/api/v1/invoices/x", "invoices:read"),
    ]:
        response = await client.request(
            method, path, headers=reader.headers, json={"firstName": "A", "lastName": "B"}
        )
        assert response.status_code == 403, path
        error = envelope(response)
        assert error["code"] == "INSUFFICIENT_PERMISSIONS"
        assert error["details"] == {"requiredScope": scope}


async def test_unknown_ids_and_routes_are_404_and_wrong_methods_405(
    db: Database, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(db)
    unknown = await client.get("/api/v1/owners/invalid-id", headers=clinic.headers)
    no_route = await client.get("/api/v1/appointments", headers=clinic.headers)
    wrong = await client.delete("/api/v1/owners", headers=clinic.headers)

    assert unknown.status_code == 404
    assert envelope(unknown) == {
        "code": "RESOURCE_NOT_FOUND",
        "message": "Owner with ID 'invalid-id' not found",
        "details": {},
    }
    assert no_route.status_code == 404 and envelope(no_route)["code"] == "RESOURCE_NOT_FOUND"
    assert wrong.status_code == 405 and envelope(wrong)["code"] == "METHOD_NOT_ALLOWED"


async def test_unexpected_errors_are_masked_500_with_a_request_id(
    db: Database,
    client: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
    owner_listing_breaks: str,
) -> None:
    clinic = await make_clinic(db)
    with caplog.at_level(logging.ERROR):
        response = await client.get(
            "/api/v1/owners", headers={**clinic.headers, "X-Request-Id": "req-123"}
        )

    assert response.status_code == 500
    error = envelope(response)
    assert error["code"] == "INTERNAL_ERROR"
    assert error["details"] == {"requestId": "req-123"}
    assert "SELECT" not in response.text and "owners.py" not in response.text
    assert response.headers["X-Request-Id"] == "req-123"
    assert any(r.exc_info and owner_listing_breaks in str(r.exc_info[1]) for r in caplog.records)


async def test_an_unreachable_database_is_503_fast() -> None:
    async with app_client("postgresql+asyncpg://postgres@127.0.0.1:9/x") as http:
        started = time.monotonic()
        response = await http.get(
            "/api/v1/owners", headers={"Authorization": "Bearer sk_test_" + "a" * 40}
        )
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert envelope(response)["code"] == "SERVICE_UNAVAILABLE"
    assert response.headers["Retry-After"]
    assert elapsed < 5


async def test_nul_characters_are_refused_by_name(db: Database, client: httpx.AsyncClient) -> None:
    clinic = await make_clinic(db)
    body = await client.post(
        "/api/v1/owners", headers=clinic.headers, json={"firstName": "A\u0000", "lastName": "B"}
    )
    query = await client.get("/api/v1/owners?search=a%00b", headers=clinic.headers)

    assert body.status_code == 400 and "firstName" in envelope(body)["details"]
    assert query.status_code == 400 and "search" in envelope(query)["details"]


async def test_a_client_leaving_mid_body_is_not_a_server_error(
    backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    clinic = await make_clinic(backend.db)
    scope = {
        "type": "http", "method": "POST", "path": "/api/v1/owners", "raw_path": b"",
        "root_path": "", "scheme": "http", "query_string": b"", "http_version": "1.1",
        "server": ("clinova.test", 80), "client": ("127.0.0.1", 1),
        "headers": [(b"authorization", clinic.headers["Authorization"].encode()),
                    (b"content-type", b"application/json"), (b"content-length", b"40")],
    }  # fmt: skip
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}  # the client is gone before its body arrives

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    with caplog.at_level(logging.ERROR):
        await backend.app(scope, receive, send)

    assert sent[0]["status"] == 400
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_header_bytes_that_are_not_text_are_a_wrong_key(
    db: Database, client: httpx.AsyncClient
) -> None:
    odd = {"Authorization": b"Bearer \xff", "Idempotency-Key": b"k-\xff"}
    rest = await client.post(
        "/api/v1/owners", json={"firstName": "A", "lastName": "B"}, headers=odd
    )  # type: ignore[arg-type]
    graphql = await client.post("/graphql", json={"query": "{ __typename }"}, headers=odd)  # type: ignore[arg-type]

    assert rest.status_code == 401 and envelope(rest)["code"] == "INVALID_API_KEY"
    assert graphql.status_code == 401


async def test_a_405_names_the_methods_of_its_route(
    db: Database, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(db)
    owners = await client.put("/api/v1/owners", headers=clinic.headers)
    owner = await client.delete("/api/v1/owners/c" + "0" * 24, headers=clinic.headers)
    graphql = await client.put("/graphql", headers=clinic.headers)

    assert owners.status_code == 405 and owners.headers["Allow"] == "GET, POST"
    assert owner.status_code == 405 and owner.headers["Allow"] == "GET"
    assert graphql.status_code == 405 and graphql.headers["Allow"] == "GET, POST"


async def test_no_redirect_is_built_from_request_headers(
    db: Database, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(db)
    response = await client.get(
        "/api/v1/owners/", headers={**clinic.headers, "Host": "evil.example"}
    )
    assert response.status_code == 404
    assert "Location" not in response.headers
    assert envelope(response)["code"] == "RESOURCE_NOT_FOUND"


async def test_an_id_that_is_not_an_id_is_not_found_on_every_backend(
    db: Database, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(db)
    for path in ("/api/v1/owners/%00", "/api/v1/pets/a%00b", "/api/v1/invoices/%FF%00"):
        response = await client.get(path, headers=clinic.headers)
        assert response.status_code == 404, path
        assert envelope(response)["code"] == "RESOURCE_NOT_FOUND"
    graphql = await client.post(
        "/graphql", json={"query": 'mutation { deletePet(id: "\\u0000") }'}, headers=clinic.headers
    )
    assert graphql.json()["errors"][0]["extensions"]["code"] == "RESOURCE_NOT_FOUND"
