"""What people probing a public clinic API try (OWASP API Top 10), refused cleanly."""

import json
import urllib.error
import urllib.request
from pathlib import Path

import httpx

from app.database import Database
from tests.factories import make_clinic
from tests.graphql_client import codes, gql
from tests.live_server import live_server


async def test_a_key_in_the_query_string_is_refused(
    db: Database, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(db)
    rest = await client.get(f"/api/v1/owners?api_key={clinic.secret}", headers=clinic.headers)
    graphql = await client.post(
        f"/graphql?key={clinic.secret}",
        headers=clinic.headers,
        json={"query": "{ owners { totalCount } }"},
    )

    assert rest.status_code == 401 and rest.json()["error"]["code"] == "INVALID_API_KEY"
    assert graphql.status_code == 401 and codes(graphql.json()) == ["INVALID_API_KEY"]


async def test_huge_strings_and_deep_json_are_refused_cleanly(
    db: Database, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(db)
    long_name = await gql(
        client,
        clinic,
        'mutation ($n: String!) { createOwner(input: {firstName: $n, lastName: "B"}) { id } }',
        {"n": "x" * 100_000},
    )
    record = ("mutation ($p: JSON) { createMedicalRecord(input: {petId: "
              '"c000000000000000000000000", date: "2026-01-01", title: "T", bloodTest: $p}) '
              "{ id } }")  # fmt: skip
    deep_list = await gql(client, clinic, record, {"p": json.loads("[" * 500 + "]" * 500)})
    deep = await gql(client, clinic, record, {"p": json.loads('{"a":' * 500 + "1" + "}" * 500)})

    assert codes(long_name) == ["VALIDATION_ERROR"]
    assert "firstName" in long_name["errors"][0]["extensions"]["details"]
    assert codes(deep_list) == ["VALIDATION_ERROR"]
    assert codes(deep) == ["VALIDATION_ERROR"]
    assert deep["errors"][0]["extensions"]["details"]["bloodTest"].startswith("must not nest")


def test_no_log_line_holds_a_key_secret(tmp_path: Path) -> None:
    with live_server(tmp_path) as server:
        base, key = server.base, server.key
        good = urllib.request.Request(
            f"{base}/api/v1/owners", headers={"Authorization": f"Bearer {key}"}
        )
        with urllib.request.urlopen(good, timeout=10) as response:
            assert response.status == 200
        for url in (
            f"{base}/api/v1/owners?api_key={key}",
            f"{base}/graphql?query=%7B__typename%7D&key={key}",
        ):
            try:
                urllib.request.urlopen(urllib.request.Request(url), timeout=10)
            except urllib.error.HTTPError as refused:
                assert refused.code == 401
        log = (tmp_path / "server.log").read_text()

    assert '"route": "/api/v1/owners"' in log  # the access log was captured
    assert key not in log
    assert key[8:] not in log
