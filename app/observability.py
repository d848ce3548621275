"""The Prometheus metrics of the service, and the SQL statements of the current request.

With several workers (`clinova serve --workers N`) every worker writes its
metrics to files in one directory (prometheus_client's multiprocess mode,
PROMETHEUS_MULTIPROC_DIR, set before any worker imports prometheus_client)
and `/metrics` answers their sum, whichever worker the scrape reaches.
"""

import glob
import os
import tempfile
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Literal, get_args

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

MULTIPROCESS_DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter(
    "clinova_requests_total", "Requests answered", ["method", "route", "operation", "status"]
)
LATENCY = Histogram(
    "clinova_request_duration_seconds", "Time to answer a request", ["route", "operation"]
)
ERRORS = Counter("clinova_errors_total", "Errors answered, by contract code", ["code"])
RATE_LIMIT_REFUSALS = Counter("clinova_rate_limit_refusals_total", "Requests refused with 429")
# Workers come and go; the sum over the live ones is what is in use now.
POOL_IN_USE = Gauge(
    "clinova_db_pool_connections_in_use", "Database connections checked out",
    multiprocess_mode="livesum",
)  # fmt: skip
GRAPHQL_EXECUTIONS = Counter(
    "clinova_graphql_executions_total",
    "Query operations by executor: planned (a plan, in strawberry), compiled (a known plan, "
    "on the short route) or standard (field by field)",
    ["executor"],
)
LOADER_BATCH = Histogram(
    "clinova_dataloader_batch_size", "Keys per dataloader batch", ["loader"],
    buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000),
)  # fmt: skip

WebhookOutcome = Literal["delivered", "retrying", "failed", "disabled"]
# Incremented by the webhook delivery worker, once per attempt, through
# `note_webhook_delivery`: a 2xx is delivered, another answer or a timeout is
# retrying (or failed once the retries are over), a 410 disabled its endpoint.
WEBHOOK_DELIVERIES = Counter(
    "clinova_webhook_deliveries_total", "Webhook delivery attempts, by outcome", ["outcome"]
)
# Every outcome is exported from the start (at 0), so rates and alerts see it.
for _outcome in get_args(WebhookOutcome):
    WEBHOOK_DELIVERIES.labels(_outcome)


def note_webhook_delivery(outcome: WebhookOutcome) -> None:
    WEBHOOK_DELIVERIES.labels(outcome).inc()


# The statements of the current request; a ContextVar reaches SQLAlchemy's
# cursor events, which run in the request's task (and the tasks it spawns).
_statements: ContextVar[list[int] | None] = ContextVar("clinova_statements", default=None)


_IN_USE = "clinova_counted_in_use"


def count_statements(engine: AsyncEngine) -> None:
    """Counts the statements of each request, and the pool's connections in use."""

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _count(*_args: Any) -> None:
        counter = _statements.get()
        if counter is not None:
            counter[0] += 1

    # Counted as they move, not read off the pool at scrape time: a worker's
    # file must hold its value when another worker answers the scrape. A
    # checkout that fails is checked in without having been counted, so each
    # connection remembers whether it was.
    @event.listens_for(engine.sync_engine, "checkout")
    def _checked_out(_dbapi: Any, record: Any, _proxy: Any) -> None:
        record.record_info[_IN_USE] = True
        POOL_IN_USE.inc()

    @event.listens_for(engine.sync_engine, "checkin")
    def _checked_in(_dbapi: Any, record: Any) -> None:
        if record.record_info.pop(_IN_USE, False):
            POOL_IN_USE.dec()


def metrics_exposition() -> bytes:
    """This process's metrics, or with several workers the sum of all of theirs."""
    if MULTIPROCESS_DIRECTORY not in os.environ:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    # prometheus_client's multiprocess module has no type hints.
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


@contextmanager
def worker_metrics(workers: int) -> Iterator[None]:
    """Around serving: several workers share a fresh metrics directory, removed after.

    Fresh, because files left by another run would add its counts to this one's.
    """
    if workers <= 1:
        yield
        return
    with tempfile.TemporaryDirectory(prefix="clinova-metrics-") as directory:
        os.environ[MULTIPROCESS_DIRECTORY] = directory
        try:
            yield
        finally:
            del os.environ[MULTIPROCESS_DIRECTORY]


def forget_dead_workers() -> None:
    """A worker that died (uvicorn starts another) leaves its in-use gauge behind.

    Its counters stay in the sum, as they should; its gauge must not, or the
    connections it held would count as in use forever.
    """
    directory = os.environ.get(MULTIPROCESS_DIRECTORY)
    if directory is None:
        return
    for path in glob.glob(os.path.join(directory, "gauge_live*_*.db")):
        pid = int(path.removesuffix(".db").rsplit("_", 1)[1])  # gauge_livesum_<pid>.db
        if not _alive(pid):
            multiprocess.mark_process_dead(pid, directory)  # type: ignore[no-untyped-call]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0 only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it does, under another user
        pass
    return True


def note_error(scope: MutableMapping[str, Any], code: str) -> None:
    """Called where errors are rendered, so the request's line and metrics carry the code."""
    scope.setdefault("state", {}).setdefault("error_codes", []).append(code)


@contextmanager
def counting_statements() -> Iterator[list[int]]:
    """The statements run inside, counted: `count_statements` reports to it."""
    statements = [0]
    token = _statements.set(statements)
    try:
        yield statements
    finally:
        _statements.reset(token)
