"""Schemathesis against our own OpenAPI, on a live server, with a valid key.

Every check runs except positive_data_acceptance: some rules (a birthdate not
in the future, an owner that exists in the caller's clinic) cannot be said in
JSON Schema, so "schema-valid but refused with 400" is expected there.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.live_server import live_server

MAX_EXAMPLES = 15
MAX_SECONDS = 50


def _schemathesis() -> str:
    return str(Path(sys.executable).with_name("st"))


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_fuzzing_finds_no_server_error_or_schema_violation(
    request: pytest.FixtureRequest, tmp_path: Path, backend_name: str
) -> None:
    database_url = request.getfixturevalue("postgres_url") if backend_name == "postgresql" else None
    with live_server(tmp_path, database_url) as server:
        base, key = server.base, server.key
        run = subprocess.run(
            [
                _schemathesis(), "run", f"{base}/openapi.json",
                "--header", f"Authorization: Bearer {key}",
                "--checks", "all", "--exclude-checks", "positive_data_acceptance",
                "--max-examples", str(MAX_EXAMPLES), "--max-time", str(MAX_SECONDS),
                "--seed", "20261125", "--no-color", "--output-truncate", "true",
            ],
            capture_output=True, text=True, timeout=MAX_SECONDS + 60, check=False, cwd=tmp_path,
        )  # fmt: skip
    summary = run.stdout[run.stdout.rfind("SUMMARY") :]
    print(summary)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert re.search(r"\d+ generated", summary), "schemathesis generated no test cases"
