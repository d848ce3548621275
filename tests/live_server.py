"""A real `clinova serve` in a subprocess, for tests that need a live HTTP server."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT = 20.0


def clinova() -> str:
    beside_python = Path(sys.executable).with_name("clinova")
    if beside_python.exists():
        return str(beside_python)
    return str(REPO / ".venv" / "bin" / "clinova")


def _server_env(database_url: str) -> dict[str, str]:
    # Only this test's settings: no CLINOVA_* from the caller's shell leaks in.
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINOVA_")}
    env["CLINOVA_DATABASE_URL"] = database_url
    env["CLINOVA_RATE_LIMIT_PER_MINUTE"] = "1000000"
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _run(env: dict[str, str], cwd: Path, *args: str) -> str:
    done = subprocess.run(
        [clinova(), *args],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"clinova {' '.join(args)} failed:\n{done.stderr}"
    return done.stdout


def _seed(env: dict[str, str], cwd: Path) -> dict[str, str]:
    """A demo clinic and its full-scope key, from `clinova seed --json`."""
    result: dict[str, str] = json.loads(
        _run(env, cwd, "seed", "--owners", "3", "--json").strip().splitlines()[-1]
    )
    return result


def _demo(env: dict[str, str], cwd: Path) -> dict[str, str]:
    """The clinic `clinova demo` seeds (as `make run` does) and the key it keeps."""
    printed = _run(env, cwd, "demo", "--owners", "3")
    key = next(line for line in printed.splitlines() if line.startswith("demo API key: "))
    listed = json.loads(_run(env, cwd, "keys", "list", "--json").strip().splitlines()[-1])
    return {"apiKey": key.removeprefix("demo API key: "), "clinicId": listed["keys"][0]["clinicId"]}


def _wait_healthy(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(
                f"`clinova serve` exited with {server.returncode}:\n{log.read_text()}",
                pytrace=False,
            )
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    pytest.fail(
        f"`clinova serve` not healthy after {STARTUP_TIMEOUT:.0f}s:\n{log.read_text()}",
        pytrace=False,
    )


@dataclass(frozen=True)
class LiveServer:
    base: str
    key: str  # a full-scope API key of the seeded clinic
    clinic_id: str
    process: "subprocess.Popen[bytes]"
    log: Path


@contextmanager
def live_server(
    tmp_path: Path,
    database_url: str | None = None,
    extra_env: dict[str, str] | None = None,
    *,
    demo: bool = False,
    host: str = "127.0.0.1",
    workers: int = 1,
) -> Iterator[LiveServer]:
    """A real `clinova serve` (of `workers` processes), on a fresh SQLite file by default.

    `demo` seeds with `clinova demo` instead of `clinova seed`; `host` is the
    address bound, and the tests reach the server on 127.0.0.1 whatever it is.
    """
    database_url = database_url or f"sqlite+aiosqlite:///{tmp_path / 'live.db'}"
    env = {**_server_env(database_url), **(extra_env or {})}
    migrated = subprocess.run(
        [clinova(), "migrate"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert migrated.returncode == 0, f"clinova migrate failed:\n{migrated.stderr}"
    seeded = _demo(env, tmp_path) if demo else _seed(env, tmp_path)

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [clinova(), "serve", "--host", host, "--port", str(port),
             "--workers", str(workers)],
            env=env, cwd=tmp_path, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_healthy(base, server, log)
        yield LiveServer(base, seeded["apiKey"], seeded["clinicId"], server, log)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
