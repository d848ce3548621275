"""GraphQL over HTTP conformance: the graphql-http audit suite against the live server.

Starts the real `clinova serve` on a fresh SQLite file and runs graphql-http's
`auditServer` (Node) at /graphql with a full-scope key. Every MUST audit has to
pass; SHOULD/MAY findings are printed (see them with `pytest -s` or `-rA`).

graphql-http is installed with npm into `.cache/graphql-http/` at the repo root
(git-ignored) on first run. Without node/npm the test skips, except under CI=true,
where it fails.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.live_server import live_server

REPO = Path(__file__).resolve().parent.parent
AUDIT_SCRIPT = Path(__file__).with_name("graphql_http_audit.mjs")
NPM_PREFIX = REPO / ".cache" / "graphql-http"
GRAPHQL_HTTP = NPM_PREFIX / "node_modules" / "graphql-http" / "package.json"
IN_CI = os.environ.get("CI") == "true"

AUDIT_TIMEOUT = 30.0
NPM_TIMEOUT = 120.0


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI requires the graphql-http audit: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def audit_node() -> str:
    """The node binary, once graphql-http is installed; checked before the server starts."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        _unavailable("node and npm are needed for the graphql-http audit")
    assert node is not None and npm is not None
    if not GRAPHQL_HTTP.exists():
        NPM_PREFIX.mkdir(parents=True, exist_ok=True)
        command = [
            npm, "install", "--no-save", "--no-audit", "--no-fund",
            "--prefix", str(NPM_PREFIX), "graphql-http@1",
        ]  # fmt: skip
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=NPM_TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired:
            _unavailable(f"npm install graphql-http took over {NPM_TIMEOUT:.0f}s")
        if done.returncode != 0 or not GRAPHQL_HTTP.exists():
            _unavailable(f"npm install graphql-http failed:\n{done.stdout}\n{done.stderr}")
    return node


def _run_audit(node: str, url: str, key: str) -> list[dict[str, Any]]:
    env = {**os.environ, "AUDIT_URL": url, "AUDIT_KEY": key, "GRAPHQL_HTTP_PREFIX": str(NPM_PREFIX)}
    try:
        done = subprocess.run(
            [node, str(AUDIT_SCRIPT)],
            env=env, capture_output=True, text=True, timeout=AUDIT_TIMEOUT, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail(f"the graphql-http audit took over {AUDIT_TIMEOUT:.0f}s", pytrace=False)
    assert done.returncode == 0, f"audit script failed:\n{done.stderr}"
    results: list[dict[str, Any]] = json.loads(done.stdout.strip().splitlines()[-1])
    return results


def test_graphql_over_http_audit(audit_node: str, tmp_path: Path) -> None:
    with live_server(tmp_path) as server:
        base, key = server.base, server.key
        results = _run_audit(audit_node, f"{base}/graphql", key)
    url = f"{base}/graphql"
    assert results, "the audit returned no results"

    print(f"\ngraphql-http audit of {url}: {len(results)} audits")
    for result in results:
        line = f"  [{result['status']:>6}] {result['id']} {result['name']}"
        if result["status"] != "ok":
            line += f"\n           -> {result['reason']}"
        print(line)

    warnings = [r for r in results if r["status"] != "ok" and not r["name"].startswith("MUST")]
    print(f"\n{len(warnings)} SHOULD/MAY findings:")
    for result in warnings:
        print(f"  {result['id']} {result['name']}: {result['reason']}")

    musts_failed = [r for r in results if r["name"].startswith("MUST") and r["status"] != "ok"]
    assert not musts_failed, "MUST audits failed:\n" + "\n".join(
        f"- {r['id']} {r['name']}: {r['reason']}" for r in musts_failed
    )
    # Every SHOULD passes too (application/graphql-response+json is negotiated):
    # a new warning is a regression worth a look.
    assert not warnings, warnings
