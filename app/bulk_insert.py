"""Many plain rows into one table: on SQLite straight to the driver's executemany.

Core's executemany spends most of a big insert per value, in its own
bookkeeping; on SQLite the rows go to aiosqlite as tuples instead, each value
through its column type's bind processor (only where the type has one), so
what is stored is what Core would store (tests/test_bulk_insert.py). The
statement runs in the session's transaction, on the connection it holds.
PostgreSQL keeps Core's executemany, which asyncpg already batches.

Preparing (binding) and inserting are two steps so that the first can run in
another process: a `PreparedInsert` holds only names, text and plain values,
and pickles (`app.demo_data` prepares its chunks in worker processes).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Dialect, Table
from sqlalchemy.ext.asyncio import AsyncSession

from app.column_types import UTCDateTime
from app.models import Base
from app.timestamps import to_millis

Row = dict[str, Any]


@dataclass(frozen=True)
class PreparedInsert:
    table: str
    # SQLite: the driver's statement and its bound tuples. Otherwise no
    # statement, and the rows as given, for Core's executemany.
    statement: str | None
    rows: list[Any]


def prepare_rows(dialect: Dialect, table: Table, rows: list[Row]) -> PreparedInsert:
    """Bind `rows`, which all have the same keys (column names), for `dialect`."""
    if dialect.name != "sqlite" or not rows:
        return PreparedInsert(table.name, None, rows)
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
    return PreparedInsert(table.name, statement, params)


async def insert_prepared(session: AsyncSession, prepared: PreparedInsert) -> None:
    if not prepared.rows:
        return
    if prepared.statement is None:
        await session.execute(Base.metadata.tables[prepared.table].insert(), prepared.rows)
        return
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None  # a connection the session holds is open
    await driver.executemany(prepared.statement, prepared.rows)


def _processor(table: Table, name: str, dialect: Any) -> Callable[[Any], Any] | None:
    column_type = table.c[name].type
    if isinstance(column_type, UTCDateTime) and dialect.name == "sqlite":
        return _sqlite_timestamps()
    return column_type.dialect_impl(dialect).bind_processor(dialect)


def _sqlite_timestamps() -> Callable[[datetime | None], str | None]:
    """The text Core's two processors (ours, then SQLite's DATETIME format)
    would make, in one call: the costliest bind, and the most frequent. Values
    repeat (created_at is updated_at), so each is converted once."""
    converted: dict[datetime, str] = {}

    def convert(value: datetime | None) -> str | None:
        if value is None:
            return None
        if (stored := converted.get(value)) is None:
            # UTC-aware after to_millis: isoformat's "+00:00" is all that differs.
            stored = converted[value] = to_millis(value).isoformat(" ", "microseconds")[:-6]
        return stored

    return convert
