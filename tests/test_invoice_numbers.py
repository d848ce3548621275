import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.database import Database, write_transaction
from app.invoice_numbers import allocate_invoice_numbers
from app.models import Invoice, Owner
from tests.factories import clinic_session, make_clinic, make_owner

YEAR = datetime.now(UTC).year


async def _create_invoice(db: Database, clinic_id: str, owner_id: str) -> str:
    async with clinic_session(db, clinic_id) as session, write_transaction(session):
        # Read before writing, as a real create validates its owner: on SQLite a
        # deferred transaction could not upgrade to a writer under contention.
        assert await session.get(Owner, owner_id) is not None
        [number] = await allocate_invoice_numbers(session, clinic_id=clinic_id, year=YEAR)
        session.add(
            Invoice(invoice_number=number, total_amount=Decimal("10.00"), owner_id=owner_id)
        )
    return number


async def test_fifty_concurrent_creates_get_gap_free_unique_numbers(db: Database) -> None:
    clinic = await make_clinic(db)
    owner = await make_owner(db, clinic.clinic_id)

    numbers = await asyncio.gather(
        *(_create_invoice(db, clinic.clinic_id, owner.id) for _ in range(50))
    )

    expected = [f"INV-{YEAR}-{n:06d}" for n in range(1, 51)]
    assert sorted(numbers) == expected
    async with clinic_session(db, clinic.clinic_id) as session:
        stored = (await session.scalars(select(Invoice.invoice_number))).all()
    assert sorted(stored) == expected


async def test_a_failed_create_gives_its_number_back(db: Database) -> None:
    clinic = await make_clinic(db)
    owner = await make_owner(db, clinic.clinic_id)
    await _create_invoice(db, clinic.clinic_id, owner.id)

    with pytest.raises(RuntimeError):
        async with clinic_session(db, clinic.clinic_id) as session, write_transaction(session):
            await allocate_invoice_numbers(session, clinic_id=clinic.clinic_id, year=YEAR)
            raise RuntimeError("the insert failed after allocating")

    assert await _create_invoice(db, clinic.clinic_id, owner.id) == f"INV-{YEAR}-000002"


async def test_numbers_are_per_clinic(db: Database) -> None:
    first, second = await make_clinic(db), await make_clinic(db)
    first_owner = await make_owner(db, first.clinic_id)
    second_owner = await make_owner(db, second.clinic_id)
    assert await _create_invoice(db, first.clinic_id, first_owner.id) == f"INV-{YEAR}-000001"
    assert await _create_invoice(db, second.clinic_id, second_owner.id) == f"INV-{YEAR}-000001"
