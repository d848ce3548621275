"""`clinova demo` keeps its key beside its database, for that database alone."""

import os
import stat
import subprocess
from pathlib import Path

import pytest

from app.demo_key import RECORD_NAME, recorded_demo_key, remember_demo_key, servable_demo_key
from app.settings import Settings
from tests.live_server import clinova

KEY = "sk_test_" + "K" * 40


def _demo(database_url: str, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINOVA_")}
    env["CLINOVA_DATABASE_URL"] = database_url
    for command in ("migrate", "demo"):
        done = subprocess.run(
            [clinova(), command, "--owners", "2"] if command == "demo" else [clinova(), command],
            env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    return done.stdout


def test_clinova_demo_keeps_its_key_beside_the_database_for_its_owner(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "elsewhere").mkdir()
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'clinova.db'}"

    first = _demo(database_url, tmp_path / "elsewhere")
    again = _demo(database_url, tmp_path / "elsewhere")

    record = tmp_path / "data" / RECORD_NAME
    key = recorded_demo_key(database_url)
    assert key is not None and f"demo API key: {key}" in first
    assert f"demo API key: {key}" in again  # not seeded twice: the same key, shown again
    assert stat.S_IMODE(record.stat().st_mode) == 0o600
    assert not (tmp_path / "elsewhere" / RECORD_NAME).exists()


def test_a_record_names_its_database(tmp_path: Path) -> None:
    ours = f"sqlite+aiosqlite:///{tmp_path / 'clinova.db'}"
    remember_demo_key(ours, KEY)

    assert recorded_demo_key(ours) == KEY
    # Another file in the same directory shares the record's place, not its key.
    assert recorded_demo_key(f"sqlite+aiosqlite:///{tmp_path / 'other.db'}") is None


def test_a_server_database_is_named_without_its_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "postgresql+asyncpg://clinova:hunter2@db:5432/clinova"
    # No file to sit beside: the record is in the working directory, as `make run`'s is.
    monkeypatch.chdir(tmp_path)

    remember_demo_key(url, KEY)

    assert recorded_demo_key(url) == KEY
    assert recorded_demo_key(url.replace("db:5432", "other:5432")) is None
    assert "hunter2" not in (tmp_path / RECORD_NAME).read_text()


def test_a_broken_record_is_no_key(tmp_path: Path) -> None:
    (tmp_path / RECORD_NAME).write_text("{not json")

    assert recorded_demo_key(f"sqlite+aiosqlite:///{tmp_path / 'clinova.db'}") is None


def test_only_a_loopback_address_may_serve_the_key(tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'clinova.db'}"
    remember_demo_key(database_url, KEY)

    def served_on(host: str) -> str | None:
        return servable_demo_key(Settings(database_url=database_url, host=host, _env_file=None))  # type: ignore[call-arg]

    assert served_on("127.0.0.1") == served_on("localhost") == served_on("::1") == KEY
    assert served_on("0.0.0.0") is None
    assert served_on("192.168.1.20") is None
    assert served_on("clinic.example") is None
