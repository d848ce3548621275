"""Owner → Pet → MedicalRecord → Invoice, resolved from rows (app.rows) through the
request's dataloaders, or from the ORM objects a mutation answers. A relationship
is the model's (app.models); one guarded by a scope the key lacks is null, with
an INSUFFICIENT_PERMISSIONS error, and the rest of the data stays."""

from datetime import datetime
from typing import Annotated

import strawberry

from app import models
from app.json_text import midnight, money
from app.rows import InvoiceItemRow, InvoiceRow, PetRow
from app.timestamps import midnight_utc
from graphql_schema.permissions import requires
from graphql_schema.relations import relation
from graphql_schema.rendered import written
from graphql_schema.scalars import JSON, DateTime

# Registers the core enum with GraphQL; annotations use models.InvoiceStatus itself.
strawberry.enum(models.InvoiceStatus, name="InvoiceStatus", description="Where an invoice stands.")
InvoiceStatus = models.InvoiceStatus

OWNERS, PETS = [requires("owners:read")], [requires("pets:read")]
RECORDS, INVOICES = [requires("records:read")], [requires("invoices:read")]

# Types defined further down, for the relationship fields that name them first.
_Pet = Annotated["Pet", strawberry.lazy("graphql_schema.types")]
_MedicalRecord = Annotated["MedicalRecord", strawberry.lazy("graphql_schema.types")]
_Invoice = Annotated["Invoice", strawberry.lazy("graphql_schema.types")]


@strawberry.type(description="A client of the clinic: the person who owns and pays for pets.")
class Owner:
    id: strawberry.ID = strawberry.field(description="cuid of the owner.")
    first_name: str = strawberry.field(description="Given name.")
    middle_name: str | None = strawberry.field(description="Middle name, if any.")
    last_name: str = strawberry.field(description="Family name.")
    email: str | None = strawberry.field(description="Email address.")
    phone: str | None = strawberry.field(description="Phone number as entered.")
    address: str | None = strawberry.field(description="Postal address.")
    last_visit: DateTime | None = strawberry.field(
        description="Date of the latest medical record of any of the owner's pets."
    )
    created_at: DateTime = strawberry.field(description="When the owner was created.")
    updated_at: DateTime = strawberry.field(description="When the owner last changed.")

    pets = relation(models.Owner.pets, list[_Pet] | None, description="The owner's pets, by name.")
    invoices = relation(
        models.Owner.invoices, list[_Invoice] | None,
        description="The owner's invoices, newest first.",
    )  # fmt: skip


@strawberry.type(description="A patient of the clinic.")
class Pet:
    id: strawberry.ID = strawberry.field(description="cuid of the pet.")
    name: str = strawberry.field(description="The pet's name.")
    species: str = strawberry.field(description="Dog, Cat, Bird, Rabbit, ...")
    breed: str | None = strawberry.field(description="Breed, if known.")
    weight: float | None = strawberry.field(description="Weight in kilograms.")
    neutered: bool = strawberry.field(description="Whether the pet is neutered or spayed.")
    created_at: DateTime = strawberry.field(description="When the pet was created.")
    updated_at: DateTime = strawberry.field(description="When the pet last changed.")

    @strawberry.field(
        description="Date of birth, as midnight UTC.",
        graphql_type=DateTime | None,
        metadata=written(models.Pet.birthdate, midnight),
    )
    def birthdate(self, root: strawberry.Parent[PetRow]) -> datetime | None:
        return midnight_utc(root.birthdate) if root.birthdate else None

    owner = relation(models.Pet.owner, Owner | None, description="The pet's owner.")
    medical_records = relation(
        models.Pet.medical_records, list[_MedicalRecord] | None,
        description="The pet's SOAP notes, newest first.",
    )  # fmt: skip
    invoices = relation(
        models.Pet.invoices, list[_Invoice] | None,
        description="Invoices for the pet, newest first.",
    )  # fmt: skip


@strawberry.type(description="A SOAP note: one visit or finding for one pet.")
class MedicalRecord:
    id: strawberry.ID = strawberry.field(description="cuid of the record.")
    date: DateTime = strawberry.field(description="When the visit took place.")
    title: str = strawberry.field(description="Short title, e.g. Annual Checkup.")
    description: str | None = strawberry.field(description="Subjective and objective notes.")
    diagnosis: str | None = strawberry.field(description="Assessment.")
    treatment: str | None = strawberry.field(description="Plan.")
    differential_diagnosis: str | None = strawberry.field(description="Other diagnoses considered.")
    blood_test: JSON | None = strawberry.field(description="Blood panel, as recorded.")
    urine_test: JSON | None = strawberry.field(description="Urine panel, as recorded.")
    created_by_id: str = strawberry.field(
        description="Who created the record; for an API key, apikey|<key id>."
    )
    created_at: DateTime = strawberry.field(description="When the record was created.")
    updated_at: DateTime = strawberry.field(description="When the record last changed.")

    pet = relation(models.MedicalRecord.pet, Pet | None, description="The patient.")
    invoices = relation(
        models.MedicalRecord.invoices, list[_Invoice] | None,
        description="Invoices billing this visit, newest first.",
    )  # fmt: skip


@strawberry.type(description="One line of an invoice.")
class InvoiceItem:
    name: str = strawberry.field(description="What was billed.")
    quantity: int = strawberry.field(description="How many.")

    @strawberry.field(description="Unit price.", metadata=written(models.InvoiceItem.price, money))
    def price(self, root: strawberry.Parent[InvoiceItemRow]) -> float:
        return float(root.price)


@strawberry.type(description="A bill to an owner, usually for one visit of one pet.")
class Invoice:
    id: strawberry.ID = strawberry.field(description="cuid of the invoice.")
    invoice_number: str = strawberry.field(description="INV-<year>-<6 digits>, gap-free.")
    status: InvoiceStatus = strawberry.field(description="PAID, UNPAID or CANCELLED.")
    created_at: DateTime = strawberry.field(description="When the invoice was created.")
    updated_at: DateTime = strawberry.field(description="When the invoice last changed.")

    @strawberry.field(
        description="Sum of price * quantity over the items.",
        metadata=written(models.Invoice.total_amount, money),
    )
    def total_amount(self, root: strawberry.Parent[InvoiceRow]) -> float:
        return float(root.total_amount)

    items = relation(
        models.Invoice.items, list[InvoiceItem], description="The invoice's lines, in order."
    )
    owner = relation(models.Invoice.owner, Owner | None, description="Who is billed.")
    pet = relation(models.Invoice.pet, Pet | None, description="The pet billed for, if any.")
    medical_record = relation(
        models.Invoice.medical_record, MedicalRecord | None,
        description="The visit billed, if any.",
    )  # fmt: skip
