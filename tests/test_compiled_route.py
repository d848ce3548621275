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
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from starlette.datastructures import QueryParams
from starlette.responses import Response

from app import api_keys
from app.bounded import Bounded
from app.database import write_transaction
from app.observability import GRAPHQL_EXECUTIONS
from app.tenancy import mark_unscoped
from graphql_schema.planner import MAX_PLANS_PER_DOCUMENT, planned_document
from rest_compat import compiled_route
from rest_compat.router import V1_PREFIX, V1_ROUTERS
from tests.conftest import Backend, app_client
from tests.factories import make_clinic, make_owner
from tests.graphql_client import count_statements
from tests.test_planned_execution import _RESTORES_AT, UNLIMITED, _auth, seeded_corpus

CORPUS_SIZE = 120
SEED = 20261202
_WINDOW_HEADERS = frozenset({"x-ratelimit-reset"})
UNKNOWN_KEY = "sk_test_" + "0" * 40


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
    corpus, secrets, _their_key = await seeded_corpus(backend, rng, (21, 22))
    compiled_before = _compiled()
    async with (
        app_client(url, graphql_planner=True, **settings) as planned,
        app_client(url, graphql_planner=False, compiled_routes=False, **settings) as standard,
    ):
        for number in range(CORPUS_SIZE):
            document, variables = corpus.document()
            draw = rng.random()
            secret = secrets[0] if draw < 0.7 else rng.choice(secrets[1:])
            if draw > 0.95:
                secret = UNKNOWN_KEY
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


async def test_the_compiled_route_counts_the_named_operation_with_its_variables(
    backend: Backend,
) -> None:
    db = backend.db
    clinic = await make_clinic(db)
    for _ in range(4):
        await make_owner(db, clinic.clinic_id)
    # Two operations: the cost rules count the one asked for, with these variables.
    query = (
        "query Few($first: Int) { owners(first: $first) { nodes { id } } } "
        "query Pets { pets(first: 7) { nodes { name } } }"
    )
    asked = [("Few", {"first": 1}), ("Few", {"first": 3}), ("Pets", {}), ("Few", {"first": 1})]
    async with app_client(backend.settings.database_url) as client:
        for name, variables in asked:  # the first sight of each runs the standard path
            payload = {"query": query, "operationName": name, "variables": variables}
            await client.post("/graphql", json=payload, headers=clinic.headers)
        before = _compiled()
        answers = []
        for name, variables in asked:
            payload = {"query": query, "operationName": name, "variables": variables}
            answers.append(await client.post("/graphql", json=payload, headers=clinic.headers))
    assert _compiled() == before + len(asked)
    requested = [answer.json()["extensions"]["cost"]["requestedNodes"] for answer in answers]
    assert requested == [1 + 1, 1 + 3, 1 + 7, 1 + 1]
    assert [len(next(iter(answer.json()["data"].values()))["nodes"]) for answer in answers] == [
        1, 3, 0, 1
    ]  # fmt: skip


async def test_arguments_of_the_other_operations_are_bounded_as_on_the_standard_path(
    backend: Backend,
) -> None:
    # The standard path's argument bounds read every operation of the document;
    # a document planned for one of them must be refused as it refuses it.
    clinic = await make_clinic(backend.db)
    await make_owner(backend.db, clinic.clinic_id)
    query = (
        "query A { owners(first: 1) { nodes { id } } } "
        "query B($s: String) { owners(search: $s) { nodes { id } } }"
    )
    url = backend.settings.database_url
    async with (
        app_client(url, graphql_planner=True, **UNLIMITED) as planned,
        app_client(url, graphql_planner=False, compiled_routes=False, **UNLIMITED) as standard,
    ):
        for variables in ({"s": "x"}, {"s": "x"}, {"s": "x" * 300}):
            payload = {"query": query, "operationName": "A", "variables": variables}
            headers = {**clinic.headers, "X-Request-Id": "other-operations"}
            answers = [
                await client.post("/graphql", json=payload, headers=headers)
                for client in (planned, standard)
            ]
            fast, slow = map(_comparable, answers)
            assert fast == slow, (variables, answers[0].text, answers[1].text)
    assert answers[0].json()["errors"][0]["extensions"]["code"] == "VALIDATION_ERROR"


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


# Values for a v1 read's query parameters, by name: ours, wrong, out of bounds.
REST_VALUES: dict[str, tuple[Any, ...]] = {
    "limit": (1, 3, 50, 100, 0, 101, -1, "x"),
    "offset": (0, 2, 7, 10_000_001, -1, "y"),
    "search": ("a", "son", "555", "%_", " ", "a\x00b", "s" * 300),
    "species": ("dog", "Cat", "Dragon"),
    "startDate": ("2020-01-01", "2026-01-01T00:00:00Z", "yesterday"),
    "endDate": ("2030-12-31", "2021-06-01T12:00:00.000Z", "2026-13-45"),
    "status": ("PAID", "UNPAID", "CANCELLED", "paid"),
    "types": ("owner.created", "pet.updated,invoice.created", "no.such"),
    "after": ("0", "not-an-event"),
}
REST_CORPUS_SIZE = 150


@dataclass(frozen=True)
class _RestRead:
    path: str  # the route's path, under /api/v1
    parameters: tuple[str, ...]  # its query parameters


def _rest_reads() -> list[_RestRead]:
    """Every v1 GET route, from its declaration: a new read is in the corpus from the start."""
    return [
        _RestRead(route.path, tuple(field.alias for field in route.dependant.query_params))
        for router in V1_ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute) and route.methods == {"GET"}
    ]


async def _rest_ids(
    client: httpx.AsyncClient, secret: str, reads: list[_RestRead]
) -> dict[str, list[str]]:
    """Ids by list path, read through the list routes themselves."""
    ids: dict[str, list[str]] = {}
    for read in reads:
        if "{" not in read.path and "limit" in read.parameters and read.path != "/events":
            answer = await client.get(f"{V1_PREFIX}{read.path}?limit=100", headers=_auth(secret))
            ids[read.path] = [item["id"] for item in answer.json()["data"]][:6]
    return ids


async def test_v1_reads_match_the_standard_path(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = backend.settings.database_url
    rng = random.Random(SEED + 1)
    _corpus, secrets, their_key = await seeded_corpus(backend, rng, (31, 32))
    reads = _rest_reads()
    assert any("{id}" in read.path for read in reads), reads
    answered: list[str] = []
    respond = compiled_route._response

    async def counted(route: APIRoute, answer: Any) -> Response:
        answered.append(route.path)
        return await respond(route, answer)

    async with app_client(url, **UNLIMITED) as explorer:
        ids = await _rest_ids(explorer, secrets[0], reads)
        theirs = await _rest_ids(explorer, their_key, reads)
    monkeypatch.setattr(compiled_route, "_response", counted)
    # Two fresh instances, whose rate-limit counters see the same requests.
    async with (
        app_client(url, **UNLIMITED) as compiled,
        app_client(url, compiled_routes=False, **UNLIMITED) as standard,
    ):
        for number in range(REST_CORPUS_SIZE):
            read = rng.choice(reads)
            listed = read.path.split("/{")[0]
            path = read.path
            if "{id}" in path:
                known = [*ids[listed], *theirs[listed][:1]]
                path = path.replace("{id}", rng.choice([*known, "ck-no-such-id", "%00", "x" * 40]))
            query = [
                (name, rng.choice(REST_VALUES.get(name, ("x",))))
                for name in read.parameters
                if rng.random() < 0.5
            ]
            if rng.random() < 0.05:
                query.append(("unknown", "ignored"))
            if rng.random() < 0.05 and query:
                query.append(query[0])
            headers = {"X-Request-Id": f"rest-{number}"}
            key = rng.random()
            if key < 0.7:
                headers |= _auth(secrets[0])
            elif key < 0.9:
                headers |= _auth(rng.choice(secrets[1:]))
            elif key < 0.95:
                headers |= _auth(UNKNOWN_KEY)
            elif key < 0.98:
                query.append(("api_key", secrets[0]))
            target = f"{V1_PREFIX}{path}"
            answers = [
                await client.get(target, params=query, headers=headers)
                for client in (compiled, standard)
            ]
            fast, slow = map(_comparable, answers)
            assert fast == slow, (
                f"request {number}: {target} {query}\ncompiled: {fast}\nstandard: {slow}"
            )
    # Most reads are answered on the short path, every route among them.
    assert len(answered) >= REST_CORPUS_SIZE * 0.3, len(answered)
    assert {read.path for read in reads} <= set(answered), set(answered)


async def test_a_refused_key_is_looked_up_once_on_the_compiled_route(
    backend: Backend, client: httpx.AsyncClient
) -> None:
    db = backend.db
    clinic = await make_clinic(db)
    await _owner_query(client, clinic.headers)  # the document is planned
    with count_statements(db.engine) as counter:
        refused = await _owner_query(client, _auth(UNKNOWN_KEY))
    assert refused.status_code == 401
    assert sum("api_keys" in statement for statement in counter.statements) == 1


async def test_one_document_keeps_a_bounded_number_of_plans(
    backend: Backend, client: httpx.AsyncClient
) -> None:
    # Given a document whose six flags take 64 values
    clinic = await make_clinic(backend.db)
    await make_owner(backend.db, clinic.clinic_id)
    flags = [f"f{i}" for i in range(6)]
    declared = ", ".join(f"${flag}: Boolean!" for flag in flags)
    fields = " ".join(f"{flag}: firstName @include(if: ${flag})" for flag in flags)
    query = f"query Flags({declared}) {{ owners(first: 1) {{ nodes {{ id {fields} }} }} }}"
    # when every value is asked for, twice
    for _ in range(2):
        for value in range(2 ** len(flags)):
            variables = {flag: bool(value >> i & 1) for i, flag in enumerate(flags)}
            payload = {"query": query, "variables": variables}
            answer = await client.post("/graphql", json=payload, headers=clinic.headers)
            (owner,) = answer.json()["data"]["owners"]["nodes"]
            assert len(owner) == 1 + bin(value).count("1")
    # then each answers, and the document keeps no more plans than its bound
    planned = planned_document(query, None)
    assert planned is not None
    assert len(planned.plans) == MAX_PLANS_PER_DOCUMENT


async def test_a_v1_query_string_is_validated_once(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    clinic = await make_clinic(backend.db)
    await make_owner(backend.db, clinic.clinic_id)
    validate = compiled_route.request_params_to_args
    calls: list[object] = []

    def counted(fields: Any, values: Any) -> Any:
        calls.append(values)
        return validate(fields, values)

    monkeypatch.setattr(compiled_route, "request_params_to_args", counted)
    monkeypatch.setattr(compiled_route, "_VALIDATED", Bounded(1024))
    async with app_client(backend.settings.database_url, **UNLIMITED) as client:
        statuses = [
            (await client.get(f"{V1_PREFIX}/owners?{query}", headers=clinic.headers)).status_code
            for query in ("limit=2", "limit=0", "limit=2", "limit=0", "limit=2&offset=0")
        ]
    # Refused again as FastAPI refuses it; path and query validated once per query string.
    assert statuses == [200, 400, 200, 400, 200]
    assert len(calls) == 3 * 2


def test_kept_validation_hands_each_request_its_own_lists() -> None:
    (route,) = [
        r for router in V1_ROUTERS for r in router.routes
        if isinstance(r, APIRoute) and r.path == "/events"
    ]  # fmt: skip
    query = QueryParams("types=owner.created&types=pet.created")
    first = compiled_route._parameters(route, {}, query, b"types=owner.created&types=pet.created")
    second = compiled_route._parameters(route, {}, query, b"types=owner.created&types=pet.created")
    assert first is not None and second is not None
    assert first["types"] == second["types"] == ["owner.created", "pet.created"]
    assert first["types"] is not second["types"]
