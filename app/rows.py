"""Rows of columns, as loaders and pages answer them, and the read type of each entity.

A row is a named tuple of the statement's columns: it has the model's attribute
names, not its class. SQLAlchemy's own Row resolves each attribute through a
Python `__getattr__`, ~0.2 µs a read; a named tuple's fields are C descriptors,
ten times faster, and a dashboard reads several thousand of them.

What a read answers is typed by its entity's row protocol below, which the
ORM model satisfies too (mypy checks it where a mutation answers a model): a
reader is written once for a query's row and a mutation's object. A model
names its row type as it declares itself (`ClinicOwned[OwnerRow]`, app.models),
so loaders and pages are typed by the model they read. A protocol lists what
typed code reads; Strawberry reads the rest by name. tests/test_rows.py checks
that each of its attributes is a column the rows carry, of the model's type.
Rows are tuples: read-only, whatever the protocol's plain attributes allow.
"""

from collections import namedtuple
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

if TYPE_CHECKING:  # app.models names these protocols, so it cannot be imported here
    from app.models import InvoiceStatus


class _Row(Protocol):
    id: str
    created_at: datetime
    updated_at: datetime


class OwnerRow(_Row, Protocol):
    first_name: str
    middle_name: str | None
    last_name: str
    email: str | None
    phone: str | None
    address: str | None
    last_visit: datetime | None


class PetRow(_Row, Protocol):
    name: str
    species: str
    breed: str | None
    birthdate: date | None
    weight: float | None
    neutered: bool
    owner_id: str


class MedicalRecordRow(_Row, Protocol):
    date: datetime
    title: str
    description: str | None
    diagnosis: str | None
    treatment: str | None
    differential_diagnosis: str | None
    blood_test: Any | None
    urine_test: Any | None
    pet_id: str
    created_by_id: str


class InvoiceRow(_Row, Protocol):
    invoice_number: str
    total_amount: Decimal
    status: "InvoiceStatus"
    owner_id: str
    pet_id: str | None
    medical_record_id: str | None


class InvoiceItemRow(_Row, Protocol):
    invoice_id: str
    name: str
    price: Decimal
    quantity: int


# A query chooses its columns (the planner reads only those asked for), so the
# column sets are many in principle and few in practice: keep the recent ones.
@lru_cache(maxsize=1024)
def row_type(names: tuple[str, ...]) -> Any:
    # The fields are the statement's columns, known only at run time.
    return namedtuple("Row", names)


async def read_rows(session: AsyncSession, query: Select[Any]) -> list[Any]:
    """The statement's rows. Untyped: its caller knows the model it selected from."""
    result = await session.execute(query)
    make = row_type(tuple(result.keys()))._make
    return [make(row) for row in result]
