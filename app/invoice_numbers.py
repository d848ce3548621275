"""Invoice numbers: `INV-<year>-<6 digits>`, unique and gap-free per clinic and year.

A counter row per (clinic, year) is incremented by an upsert in the caller's
write transaction. The upsert holds the row lock (PostgreSQL) or the database
write lock (SQLite, BEGIN IMMEDIATE) until commit, so concurrent creators
queue, and a create that rolls back gives its number back.
"""

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import InvoiceCounter


def format_invoice_number(year: int, sequence: int) -> str:
    return f"INV-{year}-{sequence:06d}"


async def allocate_invoice_numbers(
    session: AsyncSession, *, clinic_id: str, year: int, count: int = 1
) -> list[str]:
    """Reserve the next `count` numbers; call inside a write transaction."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(InvoiceCounter)
        .values(clinic_id=clinic_id, year=year, last_value=count)
        .on_conflict_do_update(
            index_elements=[InvoiceCounter.clinic_id, InvoiceCounter.year],
            set_={"last_value": InvoiceCounter.last_value + count},
        )
        .returning(InvoiceCounter.last_value)
    )
    last = (await session.execute(statement)).scalar_one()
    return [format_invoice_number(year, n) for n in range(last - count + 1, last + 1)]
