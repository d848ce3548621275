"""The `clinova` command as operators and tooling run it: real processes, real databases."""

import json
import os
import subprocess
from typing import Any

import pytest

from tests.live_server import clinova


def run(database_url: str, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINOVA_")}
    env["CLINOVA_DATABASE_URL"] = database_url
    done = subprocess.run(
        [clinova(), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    if ok:
        assert done.returncode == 0, done.stderr
    return done


def last_json(done: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "postgresql":
        url: str = request.getfixturevalue("postgres_url")
        return url
    return f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"


def test_migrate_seed_and_keys_end_to_end(database_url: str) -> None:
    run(database_url, "migrate")
    run(database_url, "migrate")  # idempotent

    seeded = last_json(run(database_url, "seed", "--owners", "5", "--seed", "7", "--json"))
    assert set(seeded) == {"clinicId", "apiKey"}
    assert seeded["apiKey"].startswith("sk_test_")

    created = last_json(
        run(
            database_url,
            "keys",
            "create",
            "--clinic",
            seeded["clinicId"],
            "--scopes",
            "owners:read",
            "--rate-limit",
            "30",
            "--json",
        )
    )
    assert set(created) == {"id", "apiKey"}

    listed = last_json(run(database_url, "keys", "list", "--clinic", seeded["clinicId"], "--json"))[
        "keys"
    ]
    mine = next(k for k in listed if k["id"] == created["id"])
    assert mine["scopes"] == ["owners:read"] and mine["revoked"] is False
    assert mine["rateLimit"] == 30
    assert all(created["apiKey"] not in json.dumps(k) for k in listed)

    run(database_url, "keys", "revoke", created["id"])
    listed = last_json(run(database_url, "keys", "list", "--json"))["keys"]
    assert next(k for k in listed if k["id"] == created["id"])["revoked"] is True


def test_bad_key_requests_fail_without_a_traceback(database_url: str) -> None:
    run(database_url, "migrate")
    unknown_clinic = run(database_url, "keys", "create", "--clinic", "nope", ok=False)
    bad_scope = run(
        database_url, "keys", "create", "--clinic", "x", "--scopes", "pets:eat", ok=False
    )
    unknown_key = run(database_url, "keys", "revoke", "nope", ok=False)

    for done in (unknown_clinic, bad_scope, unknown_key):
        assert done.returncode != 0
        assert "Traceback" not in done.stderr
    assert "pets:eat" in bad_scope.stderr


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_commands_on_a_database_never_migrated_say_so_in_one_line(
    request: pytest.FixtureRequest, tmp_path: Any, backend_name: str
) -> None:
    if backend_name == "postgresql":
        url: str = request.getfixturevalue("scratch_postgres_url")
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'never.db'}"
    for command in (["seed", "--owners", "2"], ["keys", "list"]):
        done = run(url, *command, ok=False)
        assert done.returncode != 0
        assert done.stderr.strip().splitlines() == [
            "Error: the database has never been migrated: run `clinova migrate` first"
        ]
    run(url, "migrate")
    run(url, "seed", "--owners", "2")
