import uuid

import httpx
import pytest
from strawberry.extensions.validation_cache import _get_validate_cache

from app.database import Database
from graphql_schema.schema import VALIDATION_CACHE_SIZE
from tests.conftest import Backend, app_client
from tests.factories import make_clinic
from tests.graphql_client import codes, count_statements


def _deep(depth: int) -> str:
    # owners > nodes > pets > owner > pets > owner ... alternating to the wanted depth
    inner = "id"
    levels = ["pets", "owner"] * depth
    for field in reversed(levels[: depth - 2]):
        inner = f"{field} {{ {inner} }}"
    return f"{{ owners {{ nodes {{ {inner} }} }} }}"


def _aliases(count: int) -> str:
    aliases = " ".join(f"a{i}: id" for i in range(count))
    return f"{{ owners {{ nodes {{ ...F }} }} }} fragment F on Owner {{ {aliases} }}"


def _operations(tokens: int) -> str:
    # Many small operations (11 tokens each), the first of which runs: the token
    # bound applies to the whole document.
    count = tokens // 11
    ops = " ".join(f"query Q{i} {{ owners {{ nodes {{ id }} }} }}" for i in range(count - 1))
    return "query Q { owners { nodes { id } } } " + ops


@pytest.mark.parametrize(
    ("document", "allowed"),
    [
        (_deep(10), True),
        (_deep(11), False),
        (_aliases(20), True),
        (_aliases(21), False),
        (_operations(1996), True),
        (_operations(2004), False),
    ],
)
async def test_limits_refuse_before_any_sql(
    db: Database, client: httpx.AsyncClient, document: str, allowed: bool
) -> None:
    clinic = await make_clinic(db)
    with count_statements(db.engine) as counter:
        response = await client.post(
            "/graphql",
            json={"query": document, "operationName": "Q"}
            if "query Q" in document
            else {"query": document},
            headers=clinic.headers,
        )
    body = response.json()

    if allowed:
        assert "errors" not in body, body["errors"]
        return
    assert set(codes(body)) == {"QUERY_TOO_COMPLEX"}
    assert body["data"] is None
    # Only the key lookup ran: nothing of the document reached the database.
    assert len(counter) == 1, counter.statements


async def test_a_repeated_document_is_validated_once(backend: Backend) -> None:
    # The limiters add validation rules; if those were rebuilt per operation the
    # validation cache (keyed by the rules) would miss on every request. (Without
    # the planner: a planned document seen before is not validated again at all.)
    cache = _get_validate_cache(VALIDATION_CACHE_SIZE)
    clinic = await make_clinic(backend.db)
    document = f"{{ owners(first: 7) {{ nodes {{ id a{uuid.uuid4().hex}: lastName }} }} }}"
    before = cache.cache_info()
    async with app_client(backend.settings.database_url, graphql_planner=False) as client:
        for _ in range(3):
            payload = {"query": document}
            response = await client.post("/graphql", json=payload, headers=clinic.headers)
            assert "errors" not in response.json()
    after = cache.cache_info()
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 2)
