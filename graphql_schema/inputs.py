"""GraphQL input types. Validation itself is `app.inputs`, shared with REST."""

import dataclasses
from typing import Any, TypeVar

import strawberry

from app import inputs
from graphql_schema.scalars import JSON, DateTime

Unset = strawberry.UNSET
Model = TypeVar("Model", bound=inputs.InputModel)


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
        # Lists of inputs (invoice items); a JSON value is passed through untouched.
        return [_plain(v) if dataclasses.is_dataclass(v) else v for v in value]
    return value


_DESCRIPTIONS = {
    "first_name": "Given name (1-100 characters).",
    "last_name": "Family name (1-100 characters).",
    "middle_name": "Middle name.",
    "email": "Email address.",
    "phone": "Phone number; punctuation is kept as entered.",
    "address": "Postal address.",
    "name": "Name (1-100 characters).",
    "species": "Dog, Cat, Bird, Rabbit, ...",
    "owner_id": "Id of an owner of this clinic.",
    "breed": "Breed.",
    "birthdate": "Date of birth (a date, or a timestamp whose UTC date is used).",
    "weight": "Weight in kilograms, >= 0.",
    "neutered": "Neutered or spayed.",
    "pet_id": "Id of a pet of this clinic.",
    "date": "When the visit took place.",
    "title": "Short title (1-200 characters).",
    "description": "Subjective and objective notes.",
    "diagnosis": "Assessment.",
    "treatment": "Plan.",
    "differential_diagnosis": "Other diagnoses considered.",
    "blood_test": "Blood panel as a JSON object.",
    "urine_test": "Urine panel as a JSON object.",
    "item_name": "What is billed (1-200 characters).",
    "price": "Unit price, >= 0, at most 2 decimals.",
    "quantity": "How many, at least 1.",
    "items": "The lines, 1 to 100.",
    "medical_record_id": "The visit billed; its pet is used when petId is omitted.",
}


def field(name: str, default: Any = dataclasses.MISSING) -> Any:
    """An input field described once, whichever input it appears in."""
    if default is dataclasses.MISSING:
        return strawberry.field(description=_DESCRIPTIONS[name])
    return strawberry.field(description=_DESCRIPTIONS[name], default=default)


@strawberry.input(description="A new owner.")
class OwnerInput:
    first_name: str = field("first_name")
    last_name: str = field("last_name")
    middle_name: str | None = field("middle_name", None)
    email: str | None = field("email", None)
    phone: str | None = field("phone", None)
    address: str | None = field("address", None)


@strawberry.input(description="Changes to an owner; omitted fields stay as they are.")
class OwnerPatch:
    first_name: str | None = field("first_name", Unset)
    last_name: str | None = field("last_name", Unset)
    middle_name: str | None = field("middle_name", Unset)
    email: str | None = field("email", Unset)
    phone: str | None = field("phone", Unset)
    address: str | None = field("address", Unset)


@strawberry.input(description="A new pet of an existing owner.")
class PetInput:
    name: str = field("name")
    species: str = field("species")
    owner_id: strawberry.ID = field("owner_id")
    breed: str | None = field("breed", None)
    birthdate: DateTime | None = field("birthdate", None)
    weight: float | None = field("weight", None)
    neutered: bool = field("neutered", False)


@strawberry.input(description="Changes to a pet; omitted fields stay as they are.")
class PetPatch:
    name: str | None = field("name", Unset)
    species: str | None = field("species", Unset)
    owner_id: strawberry.ID | None = field("owner_id", Unset)
    breed: str | None = field("breed", Unset)
    birthdate: DateTime | None = field("birthdate", Unset)
    weight: float | None = field("weight", Unset)
    neutered: bool | None = field("neutered", Unset)


@strawberry.input(description="A new SOAP note for a pet.")
class MedicalRecordInput:
    pet_id: strawberry.ID = field("pet_id")
    date: DateTime = field("date")
    title: str = field("title")
    description: str | None = field("description", None)
    diagnosis: str | None = field("diagnosis", None)
    treatment: str | None = field("treatment", None)
    differential_diagnosis: str | None = field("differential_diagnosis", None)
    blood_test: JSON | None = field("blood_test", None)
    urine_test: JSON | None = field("urine_test", None)


@strawberry.input(description="Changes to a SOAP note; omitted fields stay as they are.")
class MedicalRecordPatch:
    pet_id: strawberry.ID | None = field("pet_id", Unset)
    date: DateTime | None = field("date", Unset)
    title: str | None = field("title", Unset)
    description: str | None = field("description", Unset)
    diagnosis: str | None = field("diagnosis", Unset)
    treatment: str | None = field("treatment", Unset)
    differential_diagnosis: str | None = field("differential_diagnosis", Unset)
    blood_test: JSON | None = field("blood_test", Unset)
    urine_test: JSON | None = field("urine_test", Unset)


@strawberry.input(description="One line of a new invoice.")
class InvoiceItemInput:
    name: str = field("item_name")
    price: float = field("price")
    quantity: int = field("quantity")


@strawberry.input(description="A new invoice; its number and total are computed.")
class InvoiceInput:
    owner_id: strawberry.ID = field("owner_id")
    items: list[InvoiceItemInput] = field("items")
    pet_id: strawberry.ID | None = field("pet_id", None)
    medical_record_id: strawberry.ID | None = field("medical_record_id", None)
