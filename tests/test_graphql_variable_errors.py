"""Variables the caller got wrong are VALIDATION_ERROR, never INTERNAL_ERROR.

graphql-core 3.3 wraps a variable's coercion error in another GraphQLError;
graphql_schema.errors decides by where an error arose, so these are the
request's, answered as GraphQL over HTTP prescribes for each media type.
"""

import json
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from app.database import Database
from app.domain import owners
from tests.factories import make_clinic

GRAPHQL_RESPONSE = "application/graphql-response+json"

# (document, variables as JSON text, the variable named in the message)
QUERIES = {
    "missing Int!": ("query($n: Int!) { owners(first: $n) { totalCount } }", "{}", "$n"),
    "text for Int": (
        "query($n: Int) { owners(first: $n) { totalCount } }",
        '{"n": "abc"}',
        "$n",
    ),
    "unknown enum value": (
        "query($s: InvoiceStatus) { invoices(status: $s) { totalCount } }",
        '{"s": "REFUNDED"}',
        "$s",
    ),
    "object for ID": ("query($i: ID!) { owner(id: $i) { id } }", '{"i": {"id": "x"}}', "$i"),
}
MUTATIONS = {
    "number for a String field": (
        "mutation($in: OwnerInput!) { createOwner(input: $in) { id } }",
        '{"in": {"firstName": 5, "lastName": "Doe"}}',
        "$in",
    ),
    "text the DateTime scalar refuses": (
        'mutation($d: DateTime!) { createMedicalRecord(input: {petId: "x", date: $d, title: "T"})'
        " { id } }",
        '{"d": "yesterday"}',
        "$d",
    ),
}


async def _ask(
    client: httpx.AsyncClient, headers: dict[str, str], method: str, case: tuple[str, str, str]
) -> httpx.Response:
    document, variables, _name = case
    if method == "GET":
        params = {"query": document, "variables": variables}
        return await client.get("/graphql", params=params, headers=headers)
    body = f'{{"query": {json.dumps(document)}, "variables": {variables}}}'
    headers = {**headers, "Content-Type": "application/json"}
    return await client.post("/graphql", content=body, headers=headers)


def _assert_validation_error(answer: httpx.Response, variable: str) -> dict[str, Any]:
    body: dict[str, Any] = answer.json()
    [error] = body["errors"]
    assert error["extensions"]["code"] == "VALIDATION_ERROR", body
    assert variable in error["message"]
    assert "requestId" not in error["extensions"]
    return body


@pytest.mark.parametrize("method", ["POST", "GET"])
@pytest.mark.parametrize("case", QUERIES.values(), ids=QUERIES.keys())
async def test_bad_variables_are_a_request_error(
    db: Database, client: httpx.AsyncClient, method: str, case: tuple[str, str, str]
) -> None:
    clinic = await make_clinic(db)
    # GraphQL over HTTP: the newer media type answers a request error 400, without data
    preferred = await _ask(client, {**clinic.headers, "Accept": GRAPHQL_RESPONSE}, method, case)
    assert preferred.status_code == 400
    assert "data" not in _assert_validation_error(preferred, case[2])
    # and application/json answers 200 to every well-formed request
    legacy = await _ask(client, {**clinic.headers, "Accept": "application/json"}, method, case)
    assert legacy.status_code == 200
    assert _assert_validation_error(legacy, case[2])["data"] is None


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_nan_is_not_json_so_its_body_is_malformed(
    db: Database, client: httpx.AsyncClient, method: str
) -> None:
    clinic = await make_clinic(db)
    case = ("query($n: Int) { owners(first: $n) { totalCount } }", '{"n": NaN}', "$n")
    for accept in (GRAPHQL_RESPONSE, "application/json"):
        answer = await _ask(client, {**clinic.headers, "Accept": accept}, method, case)
        # One bounded JSON decoder for every body (app.bounded_json): NaN is not JSON.
        assert answer.status_code == 400
        assert answer.json()["errors"][0]["extensions"]["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize("case", MUTATIONS.values(), ids=MUTATIONS.keys())
async def test_bad_mutation_variables_are_a_request_error(
    db: Database, client: httpx.AsyncClient, case: tuple[str, str, str]
) -> None:
    clinic = await make_clinic(db)
    answer = await _ask(client, {**clinic.headers, "Accept": GRAPHQL_RESPONSE}, "POST", case)
    assert answer.status_code == 400
    _assert_validation_error(answer, case[2])


async def test_a_literal_the_scalar_refuses_is_a_validation_error(
    db: Database, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(db)
    document = (
        'mutation { createMedicalRecord(input: {petId: "x", date: "yesterday", title: "T"})'
        " { id } }"
    )
    answer = await client.post(
        "/graphql",
        json={"query": document},
        headers={**clinic.headers, "Accept": GRAPHQL_RESPONSE},
    )
    assert answer.status_code == 400
    [error] = answer.json()["errors"]
    assert error["extensions"]["code"] == "VALIDATION_ERROR"
    assert "DateTime" in error["message"]


async def test_a_null_for_a_non_null_argument_is_the_fields_validation_error(
    db: Database, client: httpx.AsyncClient
) -> None:
    # A nullable variable with a default may stand where a non-null is expected;
    # an explicit null only fails once the field executes.
    clinic = await make_clinic(db)
    answer = await client.post(
        "/graphql",
        json={"query": 'query($i: ID = "x") { owner(id: $i) { id } }', "variables": {"i": None}},
        headers=clinic.headers,
    )
    body = answer.json()
    assert body["data"] == {"owner": None}
    [error] = body["errors"]
    assert error["path"] == ["owner"]
    assert error["extensions"]["code"] == "VALIDATION_ERROR"


async def test_a_value_our_resolver_returns_that_its_type_cannot_hold_stays_internal(
    db: Database, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # graphql-core raises its own GraphQLError here too, but the fault is ours.
    async def broken(*_args: object) -> SimpleNamespace:
        return SimpleNamespace(id={"not": "an id"})

    monkeypatch.setattr(owners, "get_owner", broken)
    clinic = await make_clinic(db)
    answer = await client.post(
        "/graphql", json={"query": '{ owner(id: "x") { id } }'}, headers=clinic.headers
    )
    [error] = answer.json()["errors"]
    assert error["extensions"]["code"] == "INTERNAL_ERROR"
    assert "not" not in error["message"]
