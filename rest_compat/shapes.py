"""The v1 document's JSON shapes, field for field and in its order.

Each model pins one object of the document, and declares once, key by key,
where its value comes from (`Written`): `from_row` is the one place a row
(app.rows: a read's, or the ORM object a write answers) becomes that object, so
timestamps, nulls and JSON strings are uniform, and on PostgreSQL a list's
page can select the same object as JSON text instead (`listed`): the rows
are not read into Python at all.
"""

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar, Generic, Self, TypeVar, get_args

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Boolean, ColumnElement, Float, Label, String
from sqlalchemy.orm import InstrumentedAttribute
from starlette.responses import Response

from app import json_text, models
from app.compiled_reads import shared
from app.context import RequestContext
from app.pagination import Page, Projection
from app.rows import InvoiceItemRow, InvoiceRow, OwnerRow, PetRow
from app.timestamps import format_timestamp, midnight_utc

Item = TypeVar("Item", bound=BaseModel)


@dataclass(frozen=True)
class Written:
    """One key of a v1 object: its value read from a row, and the same JSON in SQL."""

    attribute: str  # the row's
    read: Callable[[Any], Any]  # the attribute's value -> the key's (not called with None)
    sql: Callable[[ColumnElement[Any]], ColumnElement[str]] | None  # None: Python's only

    def value(self, row: Any) -> Any:
        value = getattr(row, self.attribute)
        return None if value is None else self.read(value)


def stored(attribute: InstrumentedAttribute[Any]) -> Written:
    """The column's value as it is: a string, a boolean, a double."""
    type_ = attribute.property.columns[0].type
    sql = None
    if isinstance(type_, String) and not getattr(type_, "enums", None):
        sql = json_text.string
    elif isinstance(type_, Boolean):
        sql = json_text.boolean
    elif isinstance(type_, Float):
        sql = json_text.double
    return Written(attribute.key, _same, sql)


def timestamp(attribute: InstrumentedAttribute[Any]) -> Written:
    return Written(attribute.key, format_timestamp, json_text.timestamp)


def midnight(attribute: InstrumentedAttribute[Any]) -> Written:
    """A date, as the timestamp of its midnight UTC."""
    return Written(
        attribute.key, lambda day: format_timestamp(midnight_utc(day)), json_text.midnight
    )


def json_string(attribute: InstrumentedAttribute[Any]) -> Written:
    """A JSON column written as a string of its compact JSON (PostgreSQL spaces jsonb's text)."""
    return Written(attribute.key, _json_text, None)


def _same(value: Any) -> Any:
    return value


class Shaped(BaseModel):
    """A v1 object whose every key is declared in WRITTEN, in the model's field order."""

    WRITTEN: ClassVar[dict[str, Written]]
    OBJECTS: ClassVar["WrittenObjects"]  # its objects as PostgreSQL writes them

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return cls(**{name: written.value(row) for name, written in cls.WRITTEN.items()})


S = TypeVar("S", bound=Shaped)
Key = Written | Callable[[InstrumentedAttribute[Any]], Written]


def shaped(rows: type[Any], **keys: Key) -> Callable[[type[S]], type[S]]:
    """Where each key of the decorated shape comes from, in rows of `rows`.

    A key is by default the column of its name in snake case, stored as it is;
    `keys` names the others: how to write that column, or a Written of its own.
    """

    def declare(shape: type[S]) -> type[S]:
        unknown = set(keys) - set(shape.model_fields)
        if unknown:
            raise TypeError(f"{shape.__name__} has no keys {sorted(unknown)}")
        shape.WRITTEN = {
            name: _key(rows, name, keys.get(name, stored)) for name in shape.model_fields
        }
        shape.OBJECTS = WrittenObjects(shape)
        return shape

    return declare


def _key(rows: type[Any], name: str, key: Key) -> Written:
    if isinstance(key, Written):
        return key
    return key(getattr(rows, re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()))


class WrittenObjects:
    """A page's `shape` objects as PostgreSQL writes them: app.pagination's projection.

    Only where every key is written in SQL, and only on PostgreSQL; a key the
    model requires that is NULL makes the object's text NULL, and `listed`
    writes that page in Python, where the model refuses it as it always has.
    """

    def __init__(self, shape: type[Shaped]) -> None:
        self._shape = shape
        self._made: dict[type[Any], tuple[ColumnElement[Any], ...] | None] = {}

    def columns(self, model: type[Any], dialect: str) -> tuple[ColumnElement[Any], ...] | None:
        if dialect != "postgresql":
            return None
        if model not in self._made:
            self._made[model] = self._columns(model)
        return self._made[model]

    def _columns(self, model: type[Any]) -> tuple[ColumnElement[Any], ...] | None:
        members = []
        for name, field in self._shape.model_fields.items():
            written = self._shape.WRITTEN[name]
            if written.sql is None:
                return None
            column = getattr(model, written.attribute)
            json = written.sql(column)
            if type(None) in get_args(field.annotation):
                json = json_text.or_null(column, json)
            members.append((name, json))
        text: Label[str] = json_text.object_text(members).label(_OBJECT)
        return shared((text,))


_OBJECT = "v1_object"


def _example(**fields: Any) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": [fields]})


def _json_text(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


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


@shaped(models.Owner, lastVisit=timestamp, createdAt=timestamp, updatedAt=timestamp)
class Owner(Shaped):
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


@shaped(models.Pet, birthdate=midnight, createdAt=timestamp)
class Pet(Shaped):
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


@shaped(
    models.MedicalRecord, date=timestamp, createdAt=timestamp,
    bloodTestJson=json_string(models.MedicalRecord.blood_test),
    urineTestJson=json_string(models.MedicalRecord.urine_test),
)  # fmt: skip
class MedicalRecord(Shaped):
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
        return cls(data=data, pagination=await _pagination(page, limit, offset))


async def _pagination(page: Page[Any], limit: int, offset: int) -> Pagination:
    return Pagination(total=await page.total(), limit=limit, offset=offset, hasMore=page.has_next)


async def listed(
    ctx: RequestContext,
    shape: type[Shaped],
    read: Callable[[Projection | None], Awaitable[Page[Any]]],
    *,
    limit: int,
    offset: int,
) -> Any:
    """A v1 list of `shape` objects: `read` is the domain's page, given what its rows carry.

    On the short path (rest_compat.compiled_route) PostgreSQL writes the objects,
    and the answer is their text with the pagination, as the response model
    would write it (`tests/test_compiled_route.py` holds the two to the same
    bytes); where it wrote one NULL, the page is read again as rows.
    """
    page = await read(shape.OBJECTS if ctx.rendered else None)
    if page.projected:
        texts = [getattr(row, _OBJECT) for row in page.items]
        if None not in texts:
            pagination = (await _pagination(page, limit, offset)).model_dump_json()
            body = f'{{"data":[{",".join(texts)}],"pagination":{pagination}}}'
            return Response(body.encode(), media_type="application/json")
        page = await read(None)
    data = [shape.from_row(row) for row in page.items]
    return await ListOf[shape].of(page, data, limit=limit, offset=offset)  # type: ignore[valid-type]


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
