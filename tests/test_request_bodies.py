"""What a request body may cost before its key is known, and while it trickles in."""

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from graphql.language.parser import Parser

from tests.conftest import Backend
from tests.factories import make_clinic
from tests.live_server import live_server

# ~900 KB of one document: under the body limit, far over the token limit.
HUGE_DOCUMENT = "query { " + "__typename " * 80_000 + "}"
DEEP_JSON = b"[" * 100_000 + b"]" * 100_000


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every GraphQL document graphql-core parses, by size."""
    seen: list[int] = []
    parse_document = Parser.parse_document

    def spy(self: Parser) -> object:
        seen.append(len(self._lexer.source.body))
        return parse_document(self)

    monkeypatch.setattr(Parser, "parse_document", spy)
    return seen


async def test_no_document_is_parsed_before_the_key_is_checked(
    backend: Backend, client: httpx.AsyncClient, parsed: list[int]
) -> None:
    clinic = await make_clinic(backend.db)
    keyless: list[dict[str, str]] = [
        {},
        {"Authorization": "Bearer sk_test_" + "x" * 40},
        {"Authorization": "Bearer nonsense"},
    ]
    for headers in keyless:
        response = await client.post(
            "/graphql", json={"query": HUGE_DOCUMENT},
            headers={**headers, "Idempotency-Key": "huge-1"},
        )  # fmt: skip
        assert response.status_code == 401
        assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_API_KEY"
    assert parsed == []

    # With the key, the one place that parses refuses it by its token limit.
    keyed = await client.post(
        "/graphql", json={"query": HUGE_DOCUMENT},
        headers={**clinic.headers, "Idempotency-Key": "huge-1"},
    )  # fmt: skip
    assert keyed.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert len(parsed) == 1


@pytest.mark.parametrize("idempotency", [{}, {"Idempotency-Key": "deep-1"}])
async def test_deeply_nested_json_is_a_validation_error_everywhere(
    backend: Backend, client: httpx.AsyncClient, idempotency: dict[str, str]
) -> None:
    clinic = await make_clinic(backend.db)
    json_body = {"Content-Type": "application/json", **idempotency}
    deep_variables = json.dumps({"query": "{ __typename }"})[:-1].encode() + (
        b', "variables": ' + DEEP_JSON + b"}"
    )

    graphql = await client.post(
        "/graphql", content=DEEP_JSON, headers={**clinic.headers, **json_body}
    )
    variables = await client.post(
        "/graphql", content=deep_variables, headers={**clinic.headers, **json_body}
    )
    via_get = await client.get(
        "/graphql", params={"query": "{ __typename }", "variables": "[" * 5000 + "]" * 5000},
        headers=clinic.headers,
    )  # fmt: skip
    rest = await client.post(
        "/api/v1/owners", content=DEEP_JSON, headers={**clinic.headers, **json_body}
    )
    keyless = await client.post("/graphql", content=DEEP_JSON, headers=json_body)

    for response in (graphql, variables, via_get):
        assert response.status_code == 400, response.text
        assert response.json()["errors"][0]["extensions"]["code"] == "VALIDATION_ERROR"
    assert rest.status_code == 400
    assert rest.json()["error"]["code"] == "VALIDATION_ERROR"
    assert keyless.status_code == 401


async def _trickle(port: int, key: str) -> bytes:
    """A POST whose body comes a byte a second: the slow client of the review."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    body = json.dumps({"firstName": "Slow", "lastName": "Client"}).encode()
    writer.write(
        b"POST /api/v1/owners HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Authorization: Bearer " + key.encode() + b"\r\n"
        b"Content-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
    )

    # A byte a second until just before the server's body timeout, then silence:
    # a byte sent after the server closed would have it reset the connection.
    for byte in body[:3]:
        writer.write(bytes([byte]))
        await writer.drain()
        await asyncio.sleep(1)
    try:
        return await asyncio.wait_for(reader.read(), timeout=20)  # to the close
    finally:
        writer.close()


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
async def test_slow_bodies_hold_no_database_connection(
    tmp_path: Path, request: pytest.FixtureRequest, backend_name: str
) -> None:
    url = request.getfixturevalue("postgres_url") if backend_name == "postgresql" else None
    # A small pool, so that holding it would show within a second.
    env = {"CLINOVA_DB_POOL_SIZE": "2", "CLINOVA_DB_POOL_TIMEOUT": "1", "CLINOVA_BODY_TIMEOUT": "4"}
    with live_server(tmp_path, url, env) as server:
        port = int(server.base.rsplit(":", 1)[1])
        # Given: thirty clients sending their bodies a byte a second.
        slow = [asyncio.create_task(_trickle(port, server.key)) for _ in range(30)]
        await asyncio.sleep(1.5)
        headers = {"Authorization": f"Bearer {server.key}"}
        async with httpx.AsyncClient(base_url=server.base, headers=headers, timeout=10) as http:
            # When: other callers read and write meanwhile.
            answers = await asyncio.gather(
                *(http.get("/api/v1/owners", params={"limit": 5}) for _ in range(10)),
                *(http.post("/api/v1/owners", json={"firstName": "A", "lastName": f"B{n}"})
                  for n in range(5)),
                *(http.post("/graphql", json={"query": "{ owners(first: 2) { totalCount } }"})
                  for _ in range(5)),
            )  # fmt: skip
        # Then: they are answered as if nobody were slow.
        assert [a.status_code for a in answers] == [200] * 10 + [201] * 5 + [200] * 5
        # And the slow ones are cut off at the body timeout, with the envelope.
        late = await asyncio.gather(*slow)
    assert all(b" 400 " in answer.split(b"\r\n")[0] for answer in late), late[:1]
    assert all(b"did not arrive within 4 s" in answer for answer in late)
