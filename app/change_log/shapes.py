"""What an event carries: the entity as GraphQL shows it, its scalar fields by their
GraphQL names, without relationships (tests/test_change_log.py compares the two)."""

from collections.abc import Callable
from typing import Any

from app.models import Invoice, MedicalRecord, Owner, Pet
from app.timestamps import format_timestamp, midnight_utc

Data = dict[str, Any]


def _at(value: Any) -> str | None:
    return None if value is None else format_timestamp(value)


def _owner(owner: Owner) -> Data:
    return {
        "id": owner.id, "firstName": owner.first_name, "middleName": owner.middle_name,
        "lastName": owner.last_name, "email": owner.email, "phone": owner.phone,
        "address": owner.address, "lastVisit": _at(owner.last_visit),
        "createdAt": _at(owner.created_at), "updatedAt": _at(owner.updated_at),
    }  # fmt: skip


def _pet(pet: Pet) -> Data:
    return {
        "id": pet.id, "name": pet.name, "species": pet.species, "breed": pet.breed,
        "weight": pet.weight, "neutered": pet.neutered,
        "createdAt": _at(pet.created_at), "updatedAt": _at(pet.updated_at),
        "birthdate": _at(midnight_utc(pet.birthdate)) if pet.birthdate else None,
    }  # fmt: skip


def _medical_record(record: MedicalRecord) -> Data:
    return {
        "id": record.id, "date": _at(record.date), "title": record.title,
        "description": record.description, "diagnosis": record.diagnosis,
        "treatment": record.treatment, "differentialDiagnosis": record.differential_diagnosis,
        "bloodTest": record.blood_test, "urineTest": record.urine_test,
        "createdById": record.created_by_id,
        "createdAt": _at(record.created_at), "updatedAt": _at(record.updated_at),
    }  # fmt: skip


def _invoice(invoice: Invoice) -> Data:
    return {
        "id": invoice.id, "invoiceNumber": invoice.invoice_number, "status": invoice.status.value,
        "createdAt": _at(invoice.created_at), "updatedAt": _at(invoice.updated_at),
        "totalAmount": float(invoice.total_amount),
    }  # fmt: skip


# The entities whose writes the log records: their name in event types, how they look.
SHAPES: dict[type[Any], tuple[str, Callable[[Any], Data]]] = {
    Owner: ("owner", _owner),
    Pet: ("pet", _pet),
    MedicalRecord: ("medical_record", _medical_record),
    Invoice: ("invoice", _invoice),
}
# Who may read an entity's events: the key that may read the entity (app.scopes.may).
READ_SCOPES: dict[str, str] = {
    "owner": "owners:read",
    "pet": "pets:read",
    "medical_record": "records:read",
    "invoice": "invoices:read",
}
EVENT_TYPES: tuple[str, ...] = (
    *(f"{entity}.{kind}" for entity in READ_SCOPES for kind in ("created", "updated", "deleted")),
    "invoice.paid",
    "invoice.cancelled",
)


def entity_of(event_type: str) -> str:
    return event_type.partition(".")[0]
