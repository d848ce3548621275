"""Reads on PostgreSQL run outside transactions; writes run inside one."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import event, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.database import create_engine
from app.settings import Settings
from tests.conftest import Backend
from tests.factories import make_clinic, make_owner
from tests.graphql_client import count_statements, gql


@contextmanager
def driver_queries(engine: AsyncEngine) -> Iterator[list[str]]:
    """Every query asyncpg sends while this is open, BEGIN and ROLLBACK included."""
    sent: list[str] = []

    def log(record: Any) -> None:
        sent.append(record.query)

    def attach(dbapi_connection: Any, *_args: Any) -> None:
        dbapi_connection.driver_connection.add_query_logger(log)

    def detach(dbapi_connection: Any, *_args: Any) -> None:
        dbapi_connection.driver_connection.remove_query_logger(log)

    pool = engine.sync_engine.pool
    event.listen(pool, "checkout", attach)
    event.listen(pool, "checkin", detach)
    try:
        yield sent
    finally:
        event.remove(pool, "checkout", attach)
        event.remove(pool, "checkin", detach)


def _transaction_control(queries: list[str]) -> list[str]:
    words = [q.split()[0].upper().rstrip(";") for q in queries]
    return [word for word in words if word in {"BEGIN", "COMMIT", "ROLLBACK"}]


async def test_reads_open_no_transaction_and_writes_one(
    backend: Backend, client: httpx.AsyncClient
) -> None:
    if backend.name != "postgresql":
        pytest.skip("SQLite reads keep their snapshot in a deferred transaction")
    clinic = await make_clinic(backend.db)
    await make_owner(backend.db, clinic.clinic_id)
    with driver_queries(backend.db.engine) as sent, count_statements(backend.db.engine) as ran:
        # When a key reads a REST page (its lookup, the page with its total) and a GraphQL one
        rest = await client.get("/api/v1/owners", headers=clinic.headers)
        graphql = await gql(client, clinic, "{ owners { nodes { id pets { id } } } }")
    # then its statements went out without BEGIN or ROLLBACK around them
    assert rest.status_code == 200 and "errors" not in graphql
    assert len(ran) == 5
    assert _transaction_control(sent) == [], sent

    with driver_queries(backend.db.engine) as sent:
        # when it writes
        created = await client.post(
            "/api/v1/owners", headers=clinic.headers, json={"firstName": "Ada", "lastName": "Lee"}
        )
    # then the insert runs in a read-committed transaction that commits
    assert created.status_code == 201
    control = _transaction_control(sent)
    assert control == ["BEGIN", "COMMIT"], sent
    assert "READ COMMITTED" in next(q for q in sent if q.upper().startswith("BEGIN")).upper()


async def test_doubles_keep_their_shortest_digits_whatever_the_servers_default(
    scratch_postgres_url: str,
) -> None:
    # app.json_text writes doubles with PostgreSQL's float8 output: a database (or
    # pooler) defaulting extra_float_digits to 0 would make 0.1 + 0.2 read 0.3.
    url = make_url(scratch_postgres_url)
    name = url.database
    admin = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'ALTER DATABASE "{name}" SET extra_float_digits = 0'))
    await admin.dispose()
    engine = create_engine(Settings(database_url=scratch_postgres_url, _env_file=None))  # type: ignore[call-arg]
    try:
        async with engine.connect() as connection:
            written = await connection.scalar(text("SELECT CAST(0.1::float8 + 0.2 AS text)"))
    finally:
        await engine.dispose()
    assert written == "0.30000000000000004"
