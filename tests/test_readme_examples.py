"""Every `curl` in README.md's "Using it" section, run against a live server.

The README is what callers copy, so a wrong path, parameter or body there is a
bug. Each command runs as written under `bash -c` with `set -euo pipefail`, only
BASE, KEY and the ids in its environment (an unknown variable fails), and `curl`
wrapped by a shell function that adds `--write-out` with the status, method and
URL curl actually used. So the README keeps plain `curl`, and the test knows
what each command really requested: every v1 route and /graphql must have an
example that answers 2xx JSON, and the list routes must show their filters.
"""

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.routing import APIRoute

from rest_compat.router import api_router
from tests.live_server import LiveServer, live_server

README = Path(__file__).resolve().parent.parent / "README.md"
SECTION = "## Using it"
IN_CI = os.environ.get("CI") == "true"
COMMAND_TIMEOUT = 15.0
# Marks the line --write-out adds, so a body can never be mistaken for it.
MARK = "@@readme-example@@"

# The filters each list route's example must show (what callers most often get wrong).
REQUIRED_QUERY: dict[tuple[str, str], set[str]] = {
    ("GET", "/api/v1/owners"): {"limit", "search"},
    ("GET", "/api/v1/pets"): {"ownerId", "species"},
    ("GET", "/api/v1/medical-records"): {"petId", "startDate", "endDate"},
    ("GET", "/api/v1/invoices"): {"status", "ownerId"},
}

WRAPPER = f"""set -euo pipefail
curl() {{
    command curl --silent --show-error --max-time {COMMAND_TIMEOUT:.0f} \\
        --write-out '\\n{MARK} %{{http_code}} %{{method}} %{{url_effective}}\\n' "$@"
}}
"""


@dataclass(frozen=True)
class Run:
    command: str
    returncode: int
    stdout: str
    stderr: str

    @property
    def marks(self) -> list[list[str]]:
        return [line.split()[1:] for line in self.stdout.splitlines() if line.startswith(MARK)]

    @property
    def body(self) -> str:
        return self.stdout.split(f"\n{MARK}", 1)[0]

    def describe(self) -> str:
        return f"$ {self.command}\nexit {self.returncode}\n{self.stdout}{self.stderr}"


def using_it_commands(text: str) -> list[str]:
    """The curl commands of the ```sh blocks of "Using it", continuation lines joined."""
    start = text.index(f"\n{SECTION}\n")
    end = text.find("\n## ", start + 1)
    section = text[start : end if end != -1 else len(text)]
    commands: list[str] = []
    for block in re.findall(r"^```sh\n(.*?)^```$", section, flags=re.DOTALL | re.MULTILINE):
        # A trailing backslash continues the command; bash reads the joined line the same way.
        for command in block.replace("\\\n", " ").splitlines():
            if command.strip().startswith("curl "):
                commands.append(command.strip())
    return commands


@pytest.fixture(scope="module")
def curl() -> str:
    found = shutil.which("curl")
    if found is None:
        if IN_CI:
            pytest.fail("CI requires curl to run the README examples", pytrace=False)
        pytest.skip("curl is not installed")
    return found


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, curl: str) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("readme")) as running:
        yield running


@pytest.fixture(scope="module")
def ids(server: LiveServer) -> dict[str, str]:
    """Ids of seeded rows that belong together, so the filtered examples find something."""
    headers = {"Authorization": f"Bearer {server.key}"}
    with httpx.Client(base_url=server.base, headers=headers, timeout=10) as http:
        invoice = http.get("/api/v1/invoices", params={"limit": 1}).json()["data"][0]
        pet_id = invoice["petId"] or http.get("/api/v1/pets").json()["data"][0]["id"]
        record = http.get("/api/v1/medical-records", params={"limit": 1}).json()["data"][0]
    return {
        "OWNER_ID": invoice["ownerId"],
        "PET_ID": pet_id,
        "RECORD_ID": record["id"],
        "INVOICE_ID": invoice["id"],
    }


@pytest.fixture(scope="module")
def runs(server: LiveServer, ids: dict[str, str]) -> list[Run]:
    commands = using_it_commands(README.read_text(encoding="utf-8"))
    assert commands, f"no curl commands in the ```sh blocks of {SECTION!r}"
    # Only what the README says to set (plus PATH): nothing else from this shell leaks in.
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "NO_PROXY": "127.0.0.1,localhost",
        "BASE": server.base,
        "KEY": server.key,
        **ids,
    }
    results = []
    for command in commands:
        done = subprocess.run(
            ["bash", "-c", WRAPPER + command],
            env=env, capture_output=True, text=True, timeout=COMMAND_TIMEOUT + 5, check=False,
        )  # fmt: skip
        results.append(Run(command, done.returncode, done.stdout, done.stderr))
    return results


def _problem(run: Run, base: str) -> str | None:
    """Why this command is not a working example, or None."""
    if run.returncode != 0:
        return "the command failed"
    if len(run.marks) != 1:
        return f"expected one curl request, saw {len(run.marks)}"
    status, _method, url = run.marks[0]
    if not status.startswith("2"):
        return f"HTTP {status}"
    if not url.startswith(base + "/"):
        return f"requested {url}, not the server at $BASE"
    try:
        body: Any = json.loads(run.body)
    except ValueError:
        return "the answer is not JSON"
    if isinstance(body, dict) and ("errors" in body or "error" in body):
        return "the answer carries errors"
    return None


def _route(method: str, url: str, ids: dict[str, str]) -> tuple[str, str]:
    # The ids the test handed in become the route's {id} again.
    known = set(ids.values())
    path = "/".join("{id}" if part in known else part for part in urlsplit(url).path.split("/"))
    return method, path


def test_every_readme_example_answers_2xx_json(runs: list[Run], server: LiveServer) -> None:
    failures = [
        f"{problem}:\n{run.describe()}"
        for run in runs
        if (problem := _problem(run, server.base)) is not None
    ]
    assert not failures, "README examples that do not work:\n\n" + "\n\n".join(failures)


def test_readme_examples_cover_every_route_and_filter(runs: list[Run], ids: dict[str, str]) -> None:
    shown: dict[tuple[str, str], set[str]] = {}
    for run in runs:
        for _status, method, url in run.marks:
            params = set(parse_qs(urlsplit(url).query))
            shown.setdefault(_route(method, url, ids), set()).update(params)
    routes = {("POST", "/graphql")} | {
        (method, route.path)
        for route in api_router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }
    missing = sorted(routes - shown.keys())
    assert not missing, f"routes without a README example: {missing}"
    unshown = {
        route: sorted(params - shown[route])
        for route, params in REQUIRED_QUERY.items()
        if params - shown[route]
    }
    assert not unshown, f"README examples missing these query parameters: {unshown}"
