"""Small async factories: each test makes its own clinic and the rows it needs."""

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app import api_keys
from app.database import Database, write_transaction
from app.models import Clinic, Invoice, InvoiceItem, MedicalRecord, Owner, Pet
from app.scopes import ALL_SCOPES, Principal
from app.tenancy import bind_clinic, mark_unscoped


@dataclass(frozen=True)
class ClinicKey:
    clinic_id: str
    key_id: str
    secret: str
    principal: Principal

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}"}


async def make_clinic(db: Database, *, scopes: Iterable[str] = ALL_SCOPES) -> ClinicKey:
    async with db.sessionmaker() as session:
        mark_unscoped(session)
        async with write_transaction(session):
            clinic = Clinic(name="Test Clinic")
            session.add(clinic)
            await session.flush()
            created = await api_keys.create_key(
                session, clinic_id=clinic.id, name="test", scopes=scopes
            )
    principal = Principal(clinic_id=clinic.id, key_id=created.key.id, scopes=created.key.scope_set)
    return ClinicKey(clinic.id, created.key.id, created.secret, principal)


async def make_key(
    db: Database,
    clinic_id: str,
    *,
    scopes: Iterable[str] = ALL_SCOPES,
    rate_limit: int | None = None,
) -> ClinicKey:
    async with db.sessionmaker() as session:
        mark_unscoped(session)
        async with write_transaction(session):
            created = await api_keys.create_key(
                session, clinic_id=clinic_id, name="test", scopes=scopes, rate_limit=rate_limit
            )
    principal = Principal(
        clinic_id=clinic_id, key_id=created.key.id, scopes=created.key.scope_set,
        rate_limit=rate_limit,
    )  # fmt: skip
    return ClinicKey(clinic_id, created.key.id, created.secret, principal)


@asynccontextmanager
async def clinic_session(db: Database, clinic_id: str) -> AsyncIterator[AsyncSession]:
    async with db.sessionmaker() as session:
        bind_clinic(session, clinic_id)
        yield session


async def insert(db: Database, clinic_id: str, *rows: Any) -> None:
    async with clinic_session(db, clinic_id) as session, write_transaction(session):
        session.add_all(rows)


async def make_owner(db: Database, clinic_id: str, **fields: Any) -> Owner:
    owner = Owner(**{"first_name": "Jane", "last_name": "Doe", **fields})
    await insert(db, clinic_id, owner)
    return owner


async def make_pet(db: Database, clinic_id: str, owner_id: str, **fields: Any) -> Pet:
    pet = Pet(**{"name": "Max", "species": "Dog", "owner_id": owner_id, **fields})
    await insert(db, clinic_id, pet)
    return pet


async def make_record(db: Database, clinic_id: str, pet_id: str, **fields: Any) -> MedicalRecord:
    record = MedicalRecord(
        **{
            "date": datetime(2026, 1, 15, 14, 30, tzinfo=UTC),
            "title": "Annual Checkup",
            "pet_id": pet_id,
            "created_by_id": "apikey|test",
            **fields,
        }
    )
    await insert(db, clinic_id, record)
    return record


async def make_invoice(
    db: Database, clinic_id: str, owner_id: str, *, number: str, **fields: Any
) -> Invoice:
    invoice = Invoice(
        **{
            "invoice_number": number,
            "total_amount": Decimal("45.00"),
            "owner_id": owner_id,
            **fields,
        }
    )
    invoice.items = [
        InvoiceItem(position=0, name="Rabies Vaccine", price=Decimal("45.00"), quantity=1)
    ]
    await insert(db, clinic_id, invoice)
    return invoice
