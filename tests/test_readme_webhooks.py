"""README's "Changes and webhooks" as written: its Python receiver and its feed loop run."""

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.factories import make_clinic
from tests.graphql_client import gql
from tests.live_server import LiveServer, live_server
from tests.webhook_support import Hooks, hooks_fixture  # noqa: F401  (the fixture)

README = Path(__file__).resolve().parent.parent / "README.md"
SECTION = "## Changes and webhooks"


def _blocks(language: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n{SECTION}\n")
    section = text[start : text.index("\n## ", start + 1)]
    return re.findall(rf"^```{language}\n(.*?)^```$", section, flags=re.DOTALL | re.MULTILINE)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ReadmeReceiver:
    """The README's receiver as a process of its own, on a free port."""

    def __init__(self, script: Path) -> None:
        self.script = script
        self.port = _free_port()
        self.process: subprocess.Popen[str] | None = None

    def start(self, secret: str) -> None:
        env = {"PATH": os.environ["PATH"], "PORT": str(self.port), "CLINOVA_WEBHOOK_SECRET": secret}
        self.process = subprocess.Popen(
            [sys.executable, str(self.script)], env=env, stdout=subprocess.PIPE, text=True
        )

    def printed(self) -> list[str]:
        assert self.process is not None
        self.process.kill()
        return self.process.communicate()[0].splitlines()


@pytest.fixture
def readme_receiver(tmp_path: Path) -> Iterator[ReadmeReceiver]:
    [code] = _blocks("python")
    (tmp_path / "receiver.py").write_text(code)
    receiver = ReadmeReceiver(tmp_path / "receiver.py")
    yield receiver
    if receiver.process is not None:
        receiver.process.kill()
        receiver.process.wait()


async def _listening(port: int) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            assert time.monotonic() < deadline, "the README receiver did not start"
            await asyncio.sleep(0.05)
        else:
            writer.close()
            return


async def test_the_readme_receiver_verifies_and_handles_each_event_once(
    hooks: Hooks, readme_receiver: ReadmeReceiver
) -> None:
    clinic = await make_clinic(hooks.db)
    url = f"http://127.0.0.1:{readme_receiver.port}/"
    endpoint, secret = await hooks.create(clinic, url)
    readme_receiver.start(secret)
    await _listening(readme_receiver.port)

    owner = await hooks.owner(clinic)
    await hooks.deliverer.drain()
    await gql(
        hooks.client, clinic,
        "mutation($e: ID!) { redeliverEvent(endpointId: $e, eventId: \"1\") { id } }",
        {"e": endpoint},
    )  # fmt: skip
    await hooks.deliverer.drain()
    async with httpx.AsyncClient() as http:
        forged = await http.post(
            url,
            content=b'{"id": "2"}',
            headers={"Clinova-Signature": f"t={int(time.time())},v1=00"},
        )

    assert forged.status_code == 400
    log = (await hooks.deliveries(clinic, endpoint))["nodes"]
    assert [(n["state"], n["lastStatus"]) for n in log] == [("DELIVERED", 204)] * 2
    # Delivered twice (a redelivery), handled once.
    assert readme_receiver.printed() == [f"1 owner.created {owner}"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("feed")) as running:
        yield running


def _run_loop(server: LiveServer, cwd: Path) -> list[str]:
    [loop] = [block for block in _blocks("sh") if "while" in block]
    done = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + loop],
        env={"PATH": os.environ["PATH"], "BASE": server.base, "KEY": server.key},
        cwd=cwd, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return [json.loads(line)["id"] for line in done.stdout.splitlines()]


async def _owners(server: LiveServer, count: int) -> None:
    headers = {"Authorization": f"Bearer {server.key}"}
    async with httpx.AsyncClient(base_url=server.base, headers=headers) as http:
        for n in range(count):
            body = {"firstName": f"Feed{n}", "lastName": "Loop"}
            assert (await http.post("/api/v1/owners", json=body)).status_code == 201


async def test_the_readme_feed_loop_catches_up_and_resumes(
    server: LiveServer, tmp_path: Path
) -> None:
    await _owners(server, 101)  # more than a page
    first = _run_loop(server, tmp_path)
    await _owners(server, 2)
    then = _run_loop(server, tmp_path)
    caught_up = _run_loop(server, tmp_path)

    assert first == [str(n) for n in range(1, 102)]
    assert then == ["102", "103"]
    assert caught_up == []
    assert (tmp_path / ".clinova-cursor").read_text().strip() == "103"
