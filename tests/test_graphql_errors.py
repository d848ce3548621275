import logging

import httpx
import pytest

from app.database import Database
from tests.factories import make_clinic
from tests.graphql_client import codes, gql


async def test_unexpected_errors_are_masked_with_the_request_id(
    db: Database,
    client: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
    owner_listing_breaks: str,
) -> None:
    clinic = await make_clinic(db)
    with caplog.at_level(logging.ERROR):
        response = await client.post(
            "/graphql", json={"query": "{ owners { totalCount } pets { totalCount } }"},
            headers={**clinic.headers, "X-Request-Id": "req-gql-1"},
        )  # fmt: skip

    body = response.json()
    assert body["data"] == {"owners": None, "pets": {"totalCount": 0}}
    [error] = body["errors"]
    assert error["extensions"] == {"code": "INTERNAL_ERROR", "requestId": "req-gql-1"}
    assert "SELECT" not in response.text and "owners.py" not in response.text
    assert any(r.exc_info and owner_listing_breaks in str(r.exc_info[1]) for r in caplog.records)


async def test_queries_run_over_get_but_mutations_do_not(
    db: Database, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(db)
    query = await client.get(
        "/graphql",
        params={"query": "{ owners { totalCount } }"},
        headers={**clinic.headers, "Accept": "application/json"},
    )
    mutation = await client.get(
        "/graphql",
        params={"query": 'mutation { createOwner(input: {firstName: "A", lastName: "B"}) '
                         "{ id } }"},
        headers={**clinic.headers, "Accept": "application/json"},
    )  # fmt: skip

    assert query.json()["data"] == {"owners": {"totalCount": 0}}
    assert mutation.status_code == 405
    assert codes(mutation.json()) == ["METHOD_NOT_ALLOWED"]
    listed = await gql(client, clinic, "{ owners { totalCount } }")
    assert listed["data"]["owners"]["totalCount"] == 0


async def test_batched_arrays_are_refused(db: Database, client: httpx.AsyncClient) -> None:
    clinic = await make_clinic(db)
    batch = [{"query": "{ owners { totalCount } }"}] * 50
    response = await client.post("/graphql", json=batch, headers=clinic.headers)
    assert response.status_code == 400
    assert codes(response.json()) == ["VALIDATION_ERROR"]


async def test_malformed_json_gets_a_graphql_error(db: Database, client: httpx.AsyncClient) -> None:
    clinic = await make_clinic(db)
    response = await client.post(
        "/graphql",
        content=b'{"query": ',
        headers={**clinic.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert codes(response.json()) == ["VALIDATION_ERROR"]
