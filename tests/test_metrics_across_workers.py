"""`clinova serve --workers N`: /metrics answers the sum over every worker."""

import re
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from tests.live_server import LiveServer, live_server

ROUND = 40  # requests sent at once, until both workers have answered some
ROUTE = "/api/v1/owners"


def _get(server: LiveServer, path: str) -> bytes:
    # urllib opens a new connection each time, so each request is accepted by
    # whichever worker is waiting on the shared socket then.
    request = urllib.request.Request(
        f"{server.base}{path}", headers={"Authorization": f"Bearer {server.key}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body: bytes = response.read()
        return body


def _route_total(families: list[Metric], sample_name: str) -> float:
    return sum(
        sample.value
        for family in families
        for sample in family.samples
        if sample.name == sample_name and sample.labels.get("route") == ROUTE
    )


def _answered_per_worker(directory: Path) -> Counter[int]:
    """Each worker's own count, read from the file it writes its counters to."""
    answered: Counter[int] = Counter()
    for path in directory.glob("counter_*.db"):
        pid = int(re.fullmatch(r"counter_(\d+)\.db", path.name).group(1))  # type: ignore[union-attr]
        families = list(MultiProcessCollector.merge([str(path)], accumulate=False))
        answered[pid] = int(_route_total(families, "clinova_requests_total"))
    return answered


def _settled(directory: Path, sent: int) -> Counter[int]:
    # A request is counted just after its answer is sent.
    deadline = time.monotonic() + 10
    while sum((answered := _answered_per_worker(directory)).values()) < sent:
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    return answered


def _all_serving(server: LiveServer, workers: int) -> None:
    # The server is healthy once one worker answers; the other may still be starting.
    deadline = time.monotonic() + 30
    while server.log.read_text().count("Application startup complete.") < workers:
        assert time.monotonic() < deadline, server.log.read_text()
        time.sleep(0.1)


def _both_answered(server: LiveServer, directory: Path) -> tuple[int, Counter[int]]:
    """Requests on new connections from several clients at once, in rounds until
    each worker has answered some: which worker accepts is the kernel's choice,
    and on a busy machine one worker can take a whole round."""
    sent, deadline = 0, time.monotonic() + 60
    while True:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda _: _get(server, f"{ROUTE}?limit=1"), range(ROUND)))
        sent += ROUND
        answered = _settled(directory, sent)
        if (len(answered) == 2 and all(answered.values())) or time.monotonic() > deadline:
            return sent, answered


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_metrics_add_up_across_two_workers(
    request: pytest.FixtureRequest, tmp_path: Path, backend_name: str
) -> None:
    database_url = (request.getfixturevalue("postgres_url") if backend_name == "postgresql"
                    else f"sqlite+aiosqlite:///{tmp_path / 'live.db'}")  # fmt: skip
    # The metrics directory is made under TMPDIR, where this test can look into it.
    with live_server(tmp_path, database_url, {"TMPDIR": str(tmp_path)}, workers=2) as server:
        (directory,) = tmp_path.glob("clinova-metrics-*")
        # Given: requests that both workers answered.
        _all_serving(server, 2)
        sent, answered = _both_answered(server, directory)

        # When: scraped several times, by whichever worker each scrape reaches.
        scrapes = [
            list(text_string_to_metric_families(_get(server, "/metrics").decode()))
            for _ in range(6)
        ]

    # Then: both workers answered, and every scrape counts all of their requests.
    assert len(answered) == 2 and all(answered.values()), answered
    assert sum(answered.values()) == sent
    for families in scrapes:
        assert _route_total(families, "clinova_requests_total") == sent
        assert _route_total(families, "clinova_request_duration_seconds_count") == sent
        # The pool gauge is one series, the sum over live workers, not one per worker.
        # Its value is not always 0: a worker's background tasks (the webhook
        # deliverer's polls) may hold connections at the moment of a scrape.
        (pool_use,) = [f for f in families if f.name == "clinova_db_pool_connections_in_use"]
        ((labels, in_use),) = [(s.labels, s.value) for s in pool_use.samples]
        assert labels == {} and in_use >= 0 and in_use.is_integer(), (labels, in_use)
    # And `clinova serve` removed the directory on its way out.
    assert not directory.exists()
