"""examples/*.py run as a reader would run them, against a live server.

The scripts are subprocesses with only CLINOVA_BASE_URL and CLINOVA_API_KEY set,
so they exercise the real HTTP surface. Their retry on 429 can't be provoked
quickly on a live server (the window is a minute), so it is checked against
httpx's MockTransport instead.
"""

import importlib.util
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from gql import Client, GraphQLRequest
from gql.transport.httpx import HTTPXTransport

from tests.live_server import LiveServer, live_server

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SCRIPT_TIMEOUT = 30.0


def _load(name: str) -> ModuleType:
    # examples/ is a folder of scripts, not a package: load one by its path.
    spec = importlib.util.spec_from_file_location(f"examples_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("examples")) as running:
        yield running


@pytest.fixture
def api(server: LiveServer) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {server.key}"}
    with httpx.Client(base_url=server.base, headers=headers, timeout=10) as client:
        yield client


def _run_example(server: LiveServer, name: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINOVA_")}
    env |= {"CLINOVA_BASE_URL": server.base, "CLINOVA_API_KEY": server.key}
    env["NO_PROXY"] = "127.0.0.1,localhost"
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), *args],
        env=env, capture_output=True, text=True, timeout=SCRIPT_TIMEOUT, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"{name} exited {done.returncode}:\n{done.stdout}{done.stderr}"
    return done


def _owner_count(api: httpx.Client) -> int:
    # Both tests create owners, so each reads the count it should see just before running.
    total: int = api.get("/api/v1/owners", params={"limit": 1}).json()["pagination"]["total"]
    return total


def test_rest_client_pages_creates_and_reads_back(server: LiveServer, api: httpx.Client) -> None:
    owners = _owner_count(api)
    lines = _run_example(server, "rest_client", "--page-size", "2").stdout.splitlines()

    # Page size 2 over the 3 seeded owners: hasMore had to be followed.
    assert f"owners: {owners} in {math.ceil(owners / 2)} page(s) of up to 2" in lines
    assert any(line.startswith("search '") and "0 match" not in line for line in lines)
    assert any(line.startswith("created owner: Robin Example (") for line in lines)
    assert "created pet: Pixel (Cat) for Robin Example" in lines
    assert "Robin Example has 1 pet(s): Pixel" in lines
    assert any(line.startswith("missing owner: 404 RESOURCE_NOT_FOUND") for line in lines)

    # The writes really happened, once each.
    found = api.get("/api/v1/owners", params={"search": "Robin Example"}).json()["data"]
    assert [(o["firstName"], o["lastName"]) for o in found] == [("Robin", "Example")]
    pets = api.get("/api/v1/pets", params={"ownerId": found[0]["id"]}).json()["data"]
    assert [p["name"] for p in pets] == ["Pixel"]


def test_graphql_client_runs_dashboard_and_mutation(server: LiveServer, api: httpx.Client) -> None:
    owners = _owner_count(api)
    lines = _run_example(server, "graphql_client").stdout.splitlines()

    assert f"owners: {owners} (showing {min(owners, 10)})" in lines
    assert any(" pet(s), " in line and " invoice(s), " in line for line in lines)
    assert any(line.startswith("created owner: Ada Example (") for line in lines)
    # Both operations report what they cost, from extensions.cost.
    assert sum(line.strip().startswith("cost: ") for line in lines) == 2

    found = api.get("/api/v1/owners", params={"search": "Ada Example"}).json()["data"]
    assert [(o["firstName"], o["lastName"]) for o in found] == [("Ada", "Example")]


def test_examples_refuse_to_run_without_a_key() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINOVA_")}
    for name in ("rest_client", "graphql_client"):
        done = subprocess.run(
            [sys.executable, str(EXAMPLES / f"{name}.py")],
            env=env, capture_output=True, text=True, timeout=SCRIPT_TIMEOUT, check=False,
        )  # fmt: skip
        assert done.returncode == 2, done.stderr
        assert "CLINOVA_API_KEY" in done.stderr


def test_rest_client_retries_a_429_once_with_the_same_idempotency_key() -> None:
    rest_client = _load("rest_client")
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            return httpx.Response(
                429,
                headers={"Retry-After": "0"},
                json={"error": {"code": "RATE_LIMIT_EXCEEDED", "message": "slow", "details": {}}},
            )
        return httpx.Response(201, json={"id": "o1"})

    with httpx.Client(base_url="http://api.test", transport=httpx.MockTransport(answer)) as http:
        body = rest_client.call(http, "POST", "/api/v1/owners", body={"firstName": "A"})
    assert body == {"id": "o1"}
    assert len(seen) == 2
    keys = {request.headers["Idempotency-Key"] for request in seen}
    assert len(keys) == 1, "the retry must reuse the first attempt's Idempotency-Key"


def test_rest_client_gives_up_after_one_retry_and_reads_the_envelope() -> None:
    rest_client = _load("rest_client")
    error = {"code": "RATE_LIMIT_EXCEEDED", "message": "slow down", "details": {"limit": 1}}
    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "0"}, json={"error": error}),
            httpx.Response(429, headers={"Retry-After": "0"}, json={"error": error}),
            httpx.Response(502, text="<html>Bad Gateway</html>"),
        ]
    )
    transport = httpx.MockTransport(lambda _request: next(answers))
    with httpx.Client(base_url="http://api.test", transport=transport) as http:
        with pytest.raises(rest_client.ApiError) as raised:
            rest_client.call(http, "GET", "/api/v1/owners")
        assert (raised.value.status, raised.value.code) == (429, "RATE_LIMIT_EXCEEDED")
        assert raised.value.details == {"limit": 1}
        # Not the envelope (a proxy's page): still an ApiError, named by its status.
        with pytest.raises(rest_client.ApiError) as raised:
            rest_client.call(http, "GET", "/api/v1/owners")
        assert raised.value.code == "HTTP_502"


def test_graphql_client_retries_a_rate_limited_request_once() -> None:
    graphql_client = _load("graphql_client")
    cost = {"requestedNodes": 1, "actualNodes": 1, "unitsCharged": 1}
    calls: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(dict(request.headers))
        if len(calls) == 1:
            limited = {"message": "slow", "extensions": {"code": "RATE_LIMIT_EXCEEDED"}}
            return httpx.Response(429, headers={"Retry-After": "0"}, json={"errors": [limited]})
        return httpx.Response(
            200, json={"data": {"createOwner": {"id": "o1"}}, "extensions": {"cost": cost}}
        )

    transport = HTTPXTransport(url="http://api.test/graphql", transport=httpx.MockTransport(answer))
    with Client(transport=transport) as session:
        request = GraphQLRequest(graphql_client.CREATE_OWNER, variable_values={"input": {}})
        result = graphql_client.execute(session, transport, request, {"Idempotency-Key": "k1"})
    assert result.data == {"createOwner": {"id": "o1"}}
    assert result.extensions == {"cost": cost}
    assert [c.get("idempotency-key") for c in calls] == ["k1", "k1"]
