"""The Prometheus metrics of the service, and the SQL statements of the current request."""

from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

REQUESTS = Counter(
    "clinova_requests_total", "Requests answered", ["method", "route", "operation", "status"]
)
LATENCY = Histogram(
    "clinova_request_duration_seconds", "Time to answer a request", ["route", "operation"]
)
ERRORS = Counter("clinova_errors_total", "Errors answered, by contract code", ["code"])
RATE_LIMIT_REFUSALS = Counter("clinova_rate_limit_refusals_total", "Requests refused with 429")
POOL_IN_USE = Gauge("clinova_db_pool_connections_in_use", "Database connections checked out")
GRAPHQL_EXECUTIONS = Counter(
    "clinova_graphql_executions_total",
    "Query operations by executor: planned (a level at a time) or standard (field by field)",
    ["executor"],
)
LOADER_BATCH = Histogram(
    "clinova_dataloader_batch_size", "Keys per dataloader batch", ["loader"],
    buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000),
)  # fmt: skip

# The statements of the current request; a ContextVar reaches SQLAlchemy's
# cursor events, which run in the request's task (and the tasks it spawns).
_statements: ContextVar[list[int] | None] = ContextVar("clinova_statements", default=None)


def count_statements(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _count(*_args: Any) -> None:
        counter = _statements.get()
        if counter is not None:
            counter[0] += 1

    pool = engine.sync_engine.pool
    POOL_IN_USE.set_function(lambda: float(getattr(pool, "checkedout", lambda: 0)()))


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
