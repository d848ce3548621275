"""GraphQL input types. Validation itself is `app.inputs`, shared with REST."""

import dataclasses
from typing import Any, TypeVar

import strawberry

from app import inputs
from graphql_schema.scalars import JSON, DateTime

Unset = strawberry.UNSET
Model = TypeVar("Model", bound=inputs.BaseModel)


def validated(model: type[Model], value: Any) -> Model:
    """The strawberry input as the shared pydantic model; omitted fields stay unset."""
    return inputs.parse_input(model, _plain(value), api_names=False)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if getattr(value, f.name) is not Unset
        }
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@strawberry.input(description="A new owner.")
class OwnerInput:
    first_name: str
    last_name: str
    middle_name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None


@strawberry.input(description="Changes to an owner; omitted fields stay as they are.")
class OwnerPatch:
    first_name: str | None = Unset
    last_name: str | None = Unset
    middle_name: str | None = Unset
    email: str | None = Unset
    phone: str | None = Unset
    address: str | None = Unset


@strawberry.input(description="A new pet of an existing owner.")
class PetInput:
    name: str
    species: str
    owner_id: strawberry.ID
    breed: str | None = None
    birthdate: DateTime | None = None
    weight: float | None = strawberry.field(default=None, description="Kilograms, >= 0.")
    neutered: bool = False


@strawberry.input(description="Changes to a pet; omitted fields stay as they are.")
class PetPatch:
    name: str | None = Unset
    species: str | None = Unset
    owner_id: strawberry.ID | None = Unset
    breed: str | None = Unset
    birthdate: DateTime | None = Unset
    weight: float | None = Unset
    neutered: bool | None = Unset


@strawberry.input(description="A new SOAP note for a pet.")
class MedicalRecordInput:
    pet_id: strawberry.ID
    date: DateTime
    title: str
    description: str | None = None
    diagnosis: str | None = None
    treatment: str | None = None
    differential_diagnosis: str | None = None
    blood_test: JSON | None = None
    urine_test: JSON | None = None


@strawberry.input(description="Changes to a SOAP note; omitted fields stay as they are.")
class MedicalRecordPatch:
    pet_id: strawberry.ID | None = Unset
    date: DateTime | None = Unset
    title: str | None = Unset
    description: str | None = Unset
    diagnosis: str | None = Unset
    treatment: str | None = Unset
    differential_diagnosis: str | None = Unset
    blood_test: JSON | None = Unset
    urine_test: JSON | None = Unset


@strawberry.input(description="One line of a new invoice.")
class InvoiceItemInput:
    name: str
    price: float = strawberry.field(description="Unit price, >= 0, at most 2 decimals.")
    quantity: int = strawberry.field(description="At least 1.")


@strawberry.input(description="A new invoice; its number and total are computed.")
class InvoiceInput:
    owner_id: strawberry.ID
    items: list[InvoiceItemInput]
    pet_id: strawberry.ID | None = None
    medical_record_id: strawberry.ID | None = strawberry.field(
        default=None, description="The visit billed; its pet is used when petId is omitted."
    )
