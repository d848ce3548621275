from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import exc, select

from app.database import Database, write_transaction
from app.last_visit import refresh_last_visit
from app.models import Invoice, Owner, Pet
from tests.factories import (
    clinic_session,
    insert,
    make_clinic,
    make_invoice,
    make_owner,
    make_pet,
    make_record,
)


async def test_money_is_exact(db: Database) -> None:
    clinic = await make_clinic(db)
    owner = await make_owner(db, clinic.clinic_id)
    await make_invoice(
        db,
        clinic.clinic_id,
        owner.id,
        number="INV-2026-000001",
        total_amount=Decimal("0.10") + Decimal("0.20"),
    )
    async with clinic_session(db, clinic.clinic_id) as session:
        total = await session.scalar(select(Invoice.total_amount))
    assert total == Decimal("0.30")
    assert str(total) == "0.30"


async def test_timestamps_are_utc_with_milliseconds(db: Database) -> None:
    clinic = await make_clinic(db)
    moment = datetime(2026, 1, 15, 9, 30, 0, 123456, tzinfo=UTC)
    owner = await make_owner(db, clinic.clinic_id, last_visit=moment)
    async with clinic_session(db, clinic.clinic_id) as session:
        stored = await session.scalar(select(Owner).where(Owner.id == owner.id))
    assert stored is not None
    assert stored.last_visit == datetime(2026, 1, 15, 9, 30, 0, 123000, tzinfo=UTC)
    assert stored.created_at.tzinfo is not None
    assert stored.created_at.microsecond % 1000 == 0


async def test_foreign_keys_are_enforced(db: Database) -> None:
    clinic = await make_clinic(db)
    with pytest.raises(exc.IntegrityError):
        await insert(db, clinic.clinic_id, Pet(name="Ghost", species="Cat", owner_id="c" * 25))


async def test_phone_digits_follow_the_phone(db: Database) -> None:
    clinic = await make_clinic(db)
    owner = await make_owner(db, clinic.clinic_id, phone="+1 (555) 123-4567")
    assert owner.phone_digits == "15551234567"


async def test_last_visit_is_the_latest_record_of_the_owners_pets(db: Database) -> None:
    clinic = await make_clinic(db)
    owner = await make_owner(db, clinic.clinic_id)
    cat = await make_pet(db, clinic.clinic_id, owner.id, name="Cat")
    dog = await make_pet(db, clinic.clinic_id, owner.id, name="Dog")
    await make_record(db, clinic.clinic_id, cat.id, date=datetime(2025, 3, 1, tzinfo=UTC))
    await make_record(db, clinic.clinic_id, dog.id, date=datetime(2026, 2, 1, tzinfo=UTC))

    async with clinic_session(db, clinic.clinic_id) as session:
        async with write_transaction(session):
            await refresh_last_visit(session, [owner.id])
        refreshed = await session.scalar(select(Owner.last_visit).where(Owner.id == owner.id))
    assert refreshed == datetime(2026, 2, 1, tzinfo=UTC)
