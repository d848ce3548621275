"""The v1 document's JSON shapes, field for field and in its order.

Each model pins one object of the document; `from_row` is the one place a row
(app.rows: a read's, or the ORM object a write answers) becomes that object, so
timestamps, nulls and JSON strings are uniform.
"""

import json
from decimal import Decimal
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from app import models
from app.pagination import Page
from app.rows import InvoiceItemRow, InvoiceRow, MedicalRecordRow, OwnerRow, PetRow
from app.timestamps import format_timestamp, midnight_utc

Item = TypeVar("Item", bound=BaseModel)


def _example(**fields: Any) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": [fields]})


def _json_text(value: Any) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"))


def _items_json(items: list[InvoiceItemRow]) -> str:
    # Prices keep their two decimals inside the string, as the document shows them.
    parts = [
        f'{{"name":{json.dumps(i.name)},"price":{i.price:.2f},"quantity":{i.quantity}}}'
        for i in items
    ]
    return "[" + ",".join(parts) + "]"


OWNER_EXAMPLE: dict[str, Any] = dict(
    id="cku9g6x2p0000ab0f0s1z2z3z", firstName="John", middleName=None, lastName="Smith",
    email="john.smith@example.com", phone="+1-555-123-4567",
    address="123 Main St, New York, NY 10001", lastVisit="2026-01-15T14:30:00.000Z",
    createdAt="2024-03-01T10:00:00.000Z", updatedAt="2026-01-15T14:30:00.000Z",
)  # fmt: skip


class Owner(BaseModel):
    model_config = _example(**OWNER_EXAMPLE)

    id: str
    firstName: str
    middleName: str | None
    lastName: str
    email: str | None
    phone: str | None
    address: str | None
    lastVisit: str | None
    createdAt: str
    updatedAt: str

    @classmethod
    def from_row(cls, owner: OwnerRow) -> "Owner":
        return cls(
            id=owner.id, firstName=owner.first_name, middleName=owner.middle_name,
            lastName=owner.last_name, email=owner.email, phone=owner.phone,
            address=owner.address,
            lastVisit=format_timestamp(owner.last_visit) if owner.last_visit else None,
            createdAt=format_timestamp(owner.created_at),
            updatedAt=format_timestamp(owner.updated_at),
        )  # fmt: skip


class PetSummary(BaseModel):
    id: str
    name: str
    species: str
    breed: str | None

    @classmethod
    def from_row(cls, pet: PetRow) -> "PetSummary":
        return cls(id=pet.id, name=pet.name, species=pet.species, breed=pet.breed)


class OwnerWithPets(Owner):
    model_config = _example(
        **OWNER_EXAMPLE,
        pets=[{"id": "cku9g7y3q0001ab0f0t2a3b4c", "name": "Max", "species": "Dog",
               "breed": "Golden Retriever"}],
    )  # fmt: skip

    pets: list[PetSummary]

    @classmethod
    def with_pets(cls, owner: OwnerRow, pets: list[PetRow]) -> "OwnerWithPets":
        return cls(**Owner.from_row(owner).model_dump(),
                   pets=[PetSummary.from_row(p) for p in pets])  # fmt: skip


class Pet(BaseModel):
    model_config = _example(
        id="cku9g7y3q0001ab0f0t2a3b4c", name="Max", species="Dog", breed="Golden Retriever",
        birthdate="2020-05-15T00:00:00.000Z", weight=32.5, neutered=True,
        ownerId="cku9g6x2p0000ab0f0s1z2z3z", createdAt="2024-03-01T10:15:00.000Z",
    )  # fmt: skip

    id: str
    name: str
    species: str
    breed: str | None
    birthdate: str | None
    weight: float | None
    neutered: bool
    ownerId: str
    createdAt: str

    @classmethod
    def from_row(cls, pet: PetRow) -> "Pet":
        birthdate = format_timestamp(midnight_utc(pet.birthdate)) if pet.birthdate else None
        return cls(
            id=pet.id, name=pet.name, species=pet.species, breed=pet.breed,
            birthdate=birthdate, weight=pet.weight, neutered=pet.neutered,
            ownerId=pet.owner_id, createdAt=format_timestamp(pet.created_at),
        )  # fmt: skip


class MedicalRecord(BaseModel):
    model_config = _example(
        id="cku9i9a5s0003ab0f0v4c5d6e", date="2026-01-15T14:30:00.000Z", title="Annual Checkup",
        description="Patient alert and responsive...", diagnosis="Healthy, no concerns",
        treatment="Continue current diet, schedule next checkup", differentialDiagnosis=None,
        bloodTestJson=None, urineTestJson=None, petId="cku9g7y3q0001ab0f0t2a3b4c",
        createdById="auth0|123456", createdAt="2026-01-15T14:30:00.000Z",
    )  # fmt: skip

    id: str
    date: str
    title: str
    description: str | None
    diagnosis: str | None
    treatment: str | None
    differentialDiagnosis: str | None
    bloodTestJson: str | None
    urineTestJson: str | None
    petId: str
    createdById: str
    createdAt: str

    @classmethod
    def from_row(cls, record: MedicalRecordRow) -> "MedicalRecord":
        return cls(
            id=record.id, date=format_timestamp(record.date), title=record.title,
            description=record.description, diagnosis=record.diagnosis,
            treatment=record.treatment, differentialDiagnosis=record.differential_diagnosis,
            bloodTestJson=_json_text(record.blood_test),
            urineTestJson=_json_text(record.urine_test), petId=record.pet_id,
            createdById=record.created_by_id, createdAt=format_timestamp(record.created_at),
        )  # fmt: skip


class Invoice(BaseModel):
    model_config = _example(
        id="cku9j0b6t0004ab0f0w5d6e7f", invoiceNumber="INV-2026-001523", totalAmount=245.50,
        status="PAID", ownerId="cku9g6x2p0000ab0f0s1z2z3z", petId="cku9g7y3q0001ab0f0t2a3b4c",
        itemsJson='[{"name":"Rabies Vaccine","price":45.00,"quantity":1}]',
        createdAt="2026-01-15T15:00:00.000Z",
    )  # fmt: skip

    id: str
    invoiceNumber: str
    totalAmount: float
    status: models.InvoiceStatus
    ownerId: str
    petId: str | None
    itemsJson: str
    createdAt: str

    @classmethod
    def with_items(cls, invoice: InvoiceRow, items: list[InvoiceItemRow]) -> "Invoice":
        return cls(
            id=invoice.id, invoiceNumber=invoice.invoice_number,
            totalAmount=float(invoice.total_amount or Decimal(0)), status=invoice.status,
            ownerId=invoice.owner_id, petId=invoice.pet_id, itemsJson=_items_json(items),
            createdAt=format_timestamp(invoice.created_at),
        )  # fmt: skip


class Pagination(BaseModel):
    total: int
    limit: int
    offset: int
    hasMore: bool


class ListOf(BaseModel, Generic[Item]):
    data: list[Item]
    pagination: Pagination

    @classmethod
    async def of(cls, page: Page[Any], data: list[Item], *, limit: int, offset: int) -> Any:
        return cls(
            data=data,
            pagination=Pagination(
                total=await page.total(), limit=limit, offset=offset, hasMore=page.has_next
            ),
        )


class ErrorBody(BaseModel):
    code: str
    message: str
    details: dict[str, Any]


class ErrorEnvelope(BaseModel):
    model_config = _example(
        error={"code": "RESOURCE_NOT_FOUND", "message": "Owner with ID 'invalid-id' not found",
               "details": {}}
    )  # fmt: skip

    error: ErrorBody
