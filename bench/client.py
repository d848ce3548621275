"""Single requests to a server under test: checks and the fixtures a client would look up."""

import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from bench import scenarios
from bench.scenarios import Scenario
from bench.servers import Server


def http(server: Server, scenario: Scenario, key: str | None) -> tuple[int, bytes]:
    request = urllib.request.Request(
        server.base_url + scenario.path,
        data=scenario.body_bytes(),
        method=scenario.method,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def preflight(server: Server, scenario: Scenario, key: str | None) -> tuple[str | None, int]:
    """One request first: a 200 carrying GraphQL errors would otherwise count as success."""
    status, body = http(server, scenario, key)
    if not 200 <= status < 300:
        return f"HTTP {status}: {body[:200]!r}", len(body)
    payload = json.loads(body)
    if isinstance(payload, dict) and payload.get("errors"):
        return f"GraphQL errors: {json.dumps(payload['errors'])[:200]}", len(body)
    return None, len(body)


@dataclass(frozen=True)
class Fixtures:
    owner_id: str  # the clinic's oldest owner
    owner_count: int  # owners of the key's clinic

    @property
    def deep(self) -> int:
        """Where the deep-list scenarios start: one full page before the end of the list."""
        return max(0, self.owner_count - 60)


def graphql_data(server: Server, key: str, name: str, query: str) -> dict[str, object]:
    status, body = http(server, scenarios.graphql(name, query), key)
    payload = json.loads(body) if body else {}
    if status != 200 or not isinstance(payload, dict) or payload.get("errors"):
        raise SystemExit(f"{name} failed (HTTP {status}): {body[:300]!r}")
    data = payload.get("data")
    assert isinstance(data, dict)
    return data


def fixtures(server: Server, key: str) -> Fixtures:
    """An owner id and the owner count, through the API as a client would get them."""
    data = graphql_data(server, key, "probe", "{ owners(first: 1) { totalCount nodes { id } } }")
    owners = data["owners"]
    assert isinstance(owners, dict)
    if not owners["nodes"]:
        raise SystemExit("the key's clinic has no owners")
    return Fixtures(owner_id=owners["nodes"][0]["id"], owner_count=int(owners["totalCount"]))


def cursor_before(server: Server, key: str, position: int) -> str | None:
    """The cursor to pass as `after` for a page that starts at `position` (0-based).

    Taken from an offset page's endCursor: walking 5,000 pages to the end of a
    1M-owner list would take longer than the measurement.
    """
    if position == 0:
        return None
    query = f"{{ owners(first: 1, offset: {position - 1}) {{ pageInfo {{ endCursor }} }} }}"
    owners = graphql_data(server, key, "cursor", query)["owners"]
    assert isinstance(owners, dict)
    cursor = owners["pageInfo"]["endCursor"]
    if not cursor:
        raise SystemExit(f"no owner at position {position - 1}")
    return str(cursor)
