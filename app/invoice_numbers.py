"""Invoice numbers: `INV-<year>-<6 digits>`, unique and gap-free per clinic and year.

A counter row per (clinic, year) is incremented by an upsert in the caller's
write transaction. The upsert holds the row lock (PostgreSQL) or the database
write lock (SQLite, BEGIN IMMEDIATE) until commit, so concurrent creators
queue, and a create that rolls back gives its number back.

The queue moves as fast as each writer lets go of the counter, so a create
inserts its invoice first and `number_invoice` numbers it as the last statement
before commit; on PostgreSQL one statement takes the number and sets it. A lock
wait that still outlasts the command timeout is `CounterBusy`: nothing of the
write was committed, and the caller may run it again.
"""

import secrets
from typing import Any

from sqlalchemy import ColumnElement, String, cast, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from app.models import Invoice, InvoiceCounter

DIGITS = 6


class CounterBusy(Exception):
    """Other writers held the counter past the command timeout."""


def format_invoice_number(year: int, sequence: int) -> str:
    return f"INV-{year}-{sequence:0{DIGITS}d}"


def formatted_in_sql(dialect: str, year: int, sequence: ColumnElement[int]) -> ColumnElement[str]:
    """format_invoice_number in SQL: zero-padded to six digits, all of them past 999,999."""
    if dialect == "sqlite":  # no lpad there; printf's width is a minimum
        return func.printf(f"INV-{year}-%0{DIGITS}d", sequence)
    digits = cast(sequence, String)
    padded = func.lpad(digits, func.greatest(DIGITS, func.length(digits)), "0")
    return literal(f"INV-{year}-") + padded


def unnumbered() -> str:
    """What an invoice is inserted with until `number_invoice`: unique, never committed."""
    return f"pending-{secrets.token_hex(6)}"


def _take(dialect: str, *, clinic_id: str, year: int, count: int) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(InvoiceCounter)
        .values(clinic_id=clinic_id, year=year, last_value=count)
        .on_conflict_do_update(
            index_elements=[InvoiceCounter.clinic_id, InvoiceCounter.year],
            set_={"last_value": InvoiceCounter.last_value + count},
        )
        .returning(InvoiceCounter.last_value)
    )


async def reserve_sequences(
    session: AsyncSession, *, clinic_id: str, year: int, count: int
) -> range:
    """Reserve the next `count` sequence numbers; call inside a write transaction."""
    statement = _take(session.get_bind().dialect.name, clinic_id=clinic_id, year=year, count=count)
    last: int = (await session.execute(statement)).scalar_one()
    return range(last - count + 1, last + 1)


async def allocate_invoice_numbers(
    session: AsyncSession, *, clinic_id: str, year: int, count: int = 1
) -> list[str]:
    """Reserve the next `count` numbers; call inside a write transaction."""
    sequences = await reserve_sequences(session, clinic_id=clinic_id, year=year, count=count)
    return [format_invoice_number(year, n) for n in sequences]


async def number_invoice(session: AsyncSession, invoice: Invoice) -> None:
    """Give a flushed invoice its clinic's next number; the write's last statement."""
    year = invoice.created_at.year
    # Numbering is part of creating: updated_at stays the created_at it was inserted with.
    numbered = update(Invoice).where(Invoice.id == invoice.id).returning(Invoice.invoice_number)
    numbered = numbered.execution_options(synchronize_session=False)
    dialect = session.get_bind().dialect.name
    if dialect != "postgresql":
        # SQLite's writers queue at BEGIN IMMEDIATE: the order costs nothing there.
        [number] = await allocate_invoice_numbers(session, clinic_id=invoice.clinic_id, year=year)
        numbered = numbered.values(invoice_number=number, updated_at=Invoice.updated_at)
    else:
        taken = _take(dialect, clinic_id=invoice.clinic_id, year=year, count=1).cte("taken")
        numbered = numbered.values(
            invoice_number=formatted_in_sql(
                dialect, year, select(taken.c.last_value).scalar_subquery()
            ),
            updated_at=Invoice.updated_at,
        )
    try:
        number = (await session.execute(numbered)).scalar_one()
    except TimeoutError as error:
        # asyncpg's command timeout: the one statement that waits here is for the counter.
        raise CounterBusy from error
    set_committed_value(invoice, "invoice_number", number)
