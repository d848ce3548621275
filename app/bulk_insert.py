"""Many plain rows into one table: on SQLite straight to the driver's executemany.

Core's executemany spends most of a big insert per value, in its own
bookkeeping; on SQLite the rows go to aiosqlite as tuples instead, each value
through its column type's bind processor (only where the type has one), so
what is stored is what Core would store (tests/test_bulk_insert.py). The
statement runs in the session's transaction, on the connection it holds.
PostgreSQL keeps Core's executemany, which asyncpg already batches.
"""

from collections.abc import Callable
from operator import itemgetter
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from app.column_types import UTCDateTime

Row = dict[str, Any]


async def insert_rows(session: AsyncSession, table: Table, rows: list[Row]) -> None:
    """Insert `rows`, which all have the same keys (column names)."""
    if not rows:
        return
    dialect = session.get_bind().dialect
    if dialect.name != "sqlite":
        await session.execute(table.insert(), rows)
        return
    names = list(rows[0])
    processors: list[tuple[int, Callable[[Any], Any]]] = [
        (index, processor)
        for index, name in enumerate(names)
        if (processor := _processor(table, name, dialect))
    ]
    values = itemgetter(*names)
    params = []
    for row in rows:
        row_values = list(values(row)) if len(names) > 1 else [values(row)]
        for index, processor in processors:
            row_values[index] = processor(row_values[index])
        params.append(row_values)
    quote = dialect.identifier_preparer.quote
    statement = (
        f"INSERT INTO {quote(table.name)} ({', '.join(map(quote, names))}) "
        f"VALUES ({', '.join('?' * len(names))})"
    )
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None  # a connection the session holds is open
    await driver.executemany(statement, params)


def _processor(table: Table, name: str, dialect: Any) -> Callable[[Any], Any] | None:
    column_type = table.c[name].type
    processor = column_type.dialect_impl(dialect).bind_processor(dialect)
    if processor is None or not isinstance(column_type, UTCDateTime):
        return processor
    # Timestamps repeat (visits keep 15-minute slots, created_at is updated_at)
    # and converting one was the costliest bind: each is converted once.
    converted: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        if (stored := converted.get(value)) is None:
            stored = converted[value] = processor(value)
        return stored

    return convert
