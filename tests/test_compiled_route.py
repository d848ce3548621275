"""The compiled route answers exactly what the standard path answers, headers included.

test_planned_execution's generated corpus (roots derived from the schema;
fragments, aliases, variables, directives, `__typename`, nulls, every
relationship, keys lacking scopes, other clinics' ids, bad arguments, costs
over the limit) goes twice to an instance whose planner is on, so that the
second time a document that planned is answered by graphql_schema.compiled_route,
and twice to one whose planner is off. Status, headers and body must be the
same bytes; only what names the rate-limit window (`restoresAt`,
X-RateLimit-Reset), which two requests a moment apart may straddle, is masked.
"""

import random
from typing import Any

import httpx
import pytest

from app import api_keys
from app.database import write_transaction
from app.observability import GRAPHQL_EXECUTIONS
from app.tenancy import mark_unscoped
from tests.conftest import Backend, app_client
from tests.factories import make_clinic, make_owner
from tests.test_planned_execution import _RESTORES_AT, UNLIMITED, _auth, seeded_corpus

CORPUS_SIZE = 120
SEED = 20261202
_WINDOW_HEADERS = frozenset({"x-ratelimit-reset"})


def _compiled() -> float:
    value: float = GRAPHQL_EXECUTIONS.labels("compiled")._value.get()
    return value


def _comparable(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [
        (name, "" if name in _WINDOW_HEADERS else value)
        for name, value in response.headers.multi_items()
    ]
    return response.status_code, headers, _RESTORES_AT.sub(b"", response.content)


async def test_compiled_answers_match_the_standard_path(backend: Backend) -> None:
    url = backend.settings.database_url
    settings = UNLIMITED
    rng = random.Random(SEED)
    corpus, secrets = await seeded_corpus(backend, rng, (21, 22))
    compiled_before = _compiled()
    async with (
        app_client(url, graphql_planner=True, **settings) as planned,
        app_client(url, graphql_planner=False, **settings) as standard,
    ):
        for number in range(CORPUS_SIZE):
            document, variables = corpus.document()
            secret = secrets[0] if rng.random() < 0.75 else rng.choice(secrets[1:])
            payload = {"query": document, "variables": variables}
            accept = rng.choice(("application/json", "application/graphql-response+json", "*/*"))
            headers = {**_auth(secret), "X-Request-Id": f"corpus-{number}", "Accept": accept}
            for sight in ("first", "second"):
                answers = [
                    await client.post("/graphql", json=payload, headers=headers)
                    for client in (planned, standard)
                ]
                fast, slow = map(_comparable, answers)
                assert fast == slow, (
                    f"document {number}, {sight} sight: {document} {variables}\n"
                    f"planned:  {fast}\nstandard: {slow}"
                )
    compiled = _compiled() - compiled_before
    # Most second sights of a document that planned are answered on the short path.
    assert compiled >= CORPUS_SIZE * 0.4, compiled


async def _owner_query(client: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    query = "query Names($first: Int) { owners(first: $first) { nodes { firstName } } }"
    payload = {"query": query, "variables": {"first": 1}}
    return await client.post("/graphql", json=payload, headers=headers)


async def test_a_revoked_key_is_refused_on_the_compiled_route(backend: Backend) -> None:
    db = backend.db
    clinic = await make_clinic(db)
    await make_owner(db, clinic.clinic_id)
    async with app_client(backend.settings.database_url) as client:
        assert (await _owner_query(client, clinic.headers)).status_code == 200
        before = _compiled()
        assert (await _owner_query(client, clinic.headers)).status_code == 200
        assert _compiled() == before + 1
        await _revoke(backend, clinic.key_id)
        refused = await _owner_query(client, clinic.headers)
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["extensions"]["code"] == "INVALID_API_KEY"


async def _revoke(backend: Backend, key_id: str) -> None:
    async with backend.db.sessionmaker() as session:
        mark_unscoped(session)
        async with write_transaction(session):
            await api_keys.revoke_key(session, key_id)


async def test_the_compiled_route_charges_and_reports_what_the_answer_cost(
    backend: Backend,
) -> None:
    db = backend.db
    clinic = await make_clinic(db)
    for _ in range(3):
        await make_owner(db, clinic.clinic_id)
    async with app_client(backend.settings.database_url, rate_limit_per_minute=50) as client:
        first = await _owner_query(client, clinic.headers)
        second = await _owner_query(client, clinic.headers)
    costs = [answer.json()["extensions"]["cost"] for answer in (first, second)]
    # 1 connection + 1 owner: one unit each; the reservation of the estimate is given back.
    assert [cost["actualNodes"] for cost in costs] == [2, 2]
    assert [cost["throttleStatus"]["currentlyAvailable"] for cost in costs] == [49, 48]
    assert second.headers["X-RateLimit-Remaining"] == "48"


@pytest.mark.parametrize(
    "change",
    [
        {"headers": {"Idempotency-Key": "same-query-1"}},
        {"variables": {"first": "many"}},
        {"operationName": "Other"},
    ],
    ids=["idempotency-key", "bad-variable", "unknown-operation"],
)
async def test_what_the_compiled_route_does_not_know_the_standard_path_answers(
    backend: Backend, change: dict[str, Any]
) -> None:
    db = backend.db
    clinic = await make_clinic(db)
    await make_owner(db, clinic.clinic_id)
    query = "query Names($first: Int) { owners(first: $first) { nodes { firstName } } }"
    async with app_client(backend.settings.database_url) as client:
        warm = {"query": query, "variables": {"first": 1}}
        await client.post("/graphql", json=warm, headers=clinic.headers)
        payload = {**warm, **{k: v for k, v in change.items() if k != "headers"}}
        headers = {**clinic.headers, **change.get("headers", {})}
        before = _compiled()
        answer = await client.post("/graphql", json=payload, headers=headers)
    assert _compiled() == before
    assert answer.status_code in (200, 400)
