import enum
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, mapped_column, validates

from app.column_types import Money, UTCDateTime
from app.ids import new_id
from app.relationships import (
    WITH_PARENT,
    OnDelete,
    children,
    reference,
    require_children_declared,
)
from app.rows import InvoiceItemRow, InvoiceRow, MedicalRecordRow, OwnerRow, PetRow
from app.search_text import owner_search_text
from app.timestamps import utc_now

# Stable constraint names so that Alembic migrations are identical on both backends.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), Decimal: Money()}


def _same_as_created(context: Any) -> Any:
    # A new row was created and last changed at the same instant, to the millisecond.
    return context.get_current_parameters().get("created_at") or utc_now()


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=_same_as_created, onupdate=utc_now)


Read = TypeVar("Read", covariant=True)


class ClinicOwned(Timestamped, Generic[Read]):
    """Rows that belong to one clinic; `app.tenancy` filters and stamps them.

    `Read` is what reading one answers (app.rows): `class Owner(ClinicOwned[OwnerRow])`.
    """

    id: Mapped[str] = mapped_column(String(25), primary_key=True, default=new_id)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id"))


class Clinic(Timestamped, Base):
    __tablename__ = "clinics"

    id: Mapped[str] = mapped_column(String(25), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))


class ApiKey(Timestamped, Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(25), primary_key=True, default=new_id)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # The first characters of the secret, so an operator can tell keys apart.
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(Text)
    # Requests per minute; null means CLINOVA_RATE_LIMIT_PER_MINUTE.
    rate_limit: Mapped[int | None] = mapped_column(Integer)
    revoked_at: Mapped[datetime | None]

    @property
    def scope_set(self) -> frozenset[str]:
        return stored_scopes(self.scopes)


class ApiKeyChanges(Base):
    """How many times rows of api_keys changed: triggers keep it (migration 0010),
    and SQLite's key watcher (`app.key_changes`) reads it. One row."""

    __tablename__ = "api_key_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    changes: Mapped[int] = mapped_column(BigInteger)


def stored_scopes(text: str) -> frozenset[str]:
    """ApiKey.scopes as stored: comma-separated."""
    return frozenset(s for s in text.split(",") if s)


class Owner(ClinicOwned[OwnerRow], Base):
    __tablename__ = "owners"
    __table_args__ = (
        Index(None, "clinic_id", "created_at", "id"),
        Index(None, "clinic_id", "last_name", "first_name"),
        Index(None, "clinic_id", "email"),
        Index(None, "clinic_id", "phone_digits"),
    )

    first_name: Mapped[str] = mapped_column(String(100))
    middle_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    # The phone's digits alone, so a search ignores punctuation.
    phone_digits: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(500))
    # Denormalised: the latest medical record date of the owner's pets, kept by
    # `app.last_visit` in the same transaction as every write that can move it.
    last_visit: Mapped[datetime | None]

    # The text owner search matches, folded (`app.search_text`) whenever the row
    # is written (`_keep_search_text` below; migration 0009): stored, because a
    # search page filters thousands of rows walking the clinic's list, and
    # computing it for each was most of its time at 1M owners. Indexed with
    # trigrams on PostgreSQL (0007). Not read with the rows (deferred, and left
    # out of `columns`). Its planner statistics target is 1000 (migration 0008):
    # a rebuilt column must set it again.
    search_text: Mapped[str] = mapped_column(Text, deferred=True)

    # Fan-outs (children assumed per parent by the GraphQL cost estimate) follow the
    # demo data's shape with headroom: owners have 1-4 pets, pets ~4 records,
    # records ~0.6 invoices.
    pets: Mapped[list["Pet"]] = children(
        order_by=lambda: (Pet.name, Pet.id), scope="pets:read", fan_out=5, on_delete=OnDelete.REFUSE
    )
    invoices: Mapped[list["Invoice"]] = children(
        order_by=lambda: (Invoice.created_at.desc(), Invoice.id.desc()),
        scope="invoices:read", fan_out=10, on_delete=OnDelete.REFUSE,
    )  # fmt: skip

    @validates("phone")
    def _keep_phone_digits(self, _key: str, phone: str | None) -> str | None:
        self.phone_digits = re.sub(r"\D", "", phone) if phone else None
        return phone


class Pet(ClinicOwned[PetRow], Base):
    __tablename__ = "pets"
    __table_args__ = (
        Index(None, "clinic_id", "owner_id", "name"),
        Index(None, "clinic_id", "species_key"),
        Index(None, "clinic_id", "created_at", "id"),
    )

    name: Mapped[str] = mapped_column(String(100))
    species: Mapped[str] = mapped_column(String(50))
    # The species lowercased: the case-insensitive filter is an index lookup.
    species_key: Mapped[str] = mapped_column(String(50), server_default="")
    breed: Mapped[str | None] = mapped_column(String(100))
    birthdate: Mapped[date | None] = mapped_column(Date)
    weight: Mapped[float | None] = mapped_column(Float)
    neutered: Mapped[bool] = mapped_column(Boolean, default=False)
    owner_id: Mapped[str] = mapped_column(ForeignKey("owners.id"))

    owner: Mapped[Owner] = reference(scope="owners:read")
    medical_records: Mapped[list["MedicalRecord"]] = children(
        order_by=lambda: (MedicalRecord.date.desc(), MedicalRecord.id.desc()),
        scope="records:read", fan_out=10, on_delete=OnDelete.REFUSE,
    )  # fmt: skip
    invoices: Mapped[list["Invoice"]] = children(
        order_by=lambda: (Invoice.created_at.desc(), Invoice.id.desc()),
        scope="invoices:read", fan_out=5, on_delete=OnDelete.REFUSE,
    )  # fmt: skip

    @validates("species")
    def _keep_species_key(self, _key: str, species: str) -> str:
        self.species_key = species.lower()
        return species


class MedicalRecord(ClinicOwned[MedicalRecordRow], Base):
    __tablename__ = "medical_records"
    __table_args__ = (
        Index(None, "clinic_id", "pet_id", "date"),
        Index(None, "clinic_id", "date", "id"),
    )

    date: Mapped[datetime]
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    diagnosis: Mapped[str | None] = mapped_column(Text)
    treatment: Mapped[str | None] = mapped_column(Text)
    differential_diagnosis: Mapped[str | None] = mapped_column(Text)
    # none_as_null: "no panel" is SQL NULL, not the JSON text 'null'.
    blood_test: Mapped[Any | None] = mapped_column(JSON(none_as_null=True))
    urine_test: Mapped[Any | None] = mapped_column(JSON(none_as_null=True))
    pet_id: Mapped[str] = mapped_column(ForeignKey("pets.id"))
    created_by_id: Mapped[str] = mapped_column(String(100))

    pet: Mapped[Pet] = reference(scope="pets:read")
    invoices: Mapped[list["Invoice"]] = children(
        order_by=lambda: (Invoice.created_at.desc(), Invoice.id.desc()),
        scope="invoices:read", fan_out=2, on_delete=OnDelete.REFUSE,
    )  # fmt: skip


class InvoiceStatus(enum.StrEnum):
    PAID = "PAID"
    UNPAID = "UNPAID"
    CANCELLED = "CANCELLED"


class Invoice(ClinicOwned[InvoiceRow], Base):
    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("clinic_id", "invoice_number"),
        Index(None, "clinic_id", "status", "created_at"),
        Index(None, "clinic_id", "owner_id", "created_at"),
        Index(None, "clinic_id", "created_at", "id"),
        Index(None, "pet_id"),
        Index(None, "medical_record_id"),
    )

    invoice_number: Mapped[str] = mapped_column(String(20))
    total_amount: Mapped[Decimal] = mapped_column("total_amount_cents", Money())
    status: Mapped[InvoiceStatus] = mapped_column(
        Enum(InvoiceStatus, native_enum=False, length=10, name="status"),
        default=InvoiceStatus.UNPAID,
    )
    owner_id: Mapped[str] = mapped_column(ForeignKey("owners.id"))
    pet_id: Mapped[str | None] = mapped_column(ForeignKey("pets.id"))
    medical_record_id: Mapped[str | None] = mapped_column(ForeignKey("medical_records.id"))

    items: Mapped[list["InvoiceItem"]] = children(
        order_by=lambda: (InvoiceItem.position,),
        scope=WITH_PARENT, fan_out=5, on_delete=OnDelete.CASCADE,
    )  # fmt: skip
    owner: Mapped[Owner] = reference(scope="owners:read")
    pet: Mapped[Pet | None] = reference(scope="pets:read")
    medical_record: Mapped[MedicalRecord | None] = reference(scope="records:read")


class InvoiceItem(ClinicOwned[InvoiceItemRow], Base):
    __tablename__ = "invoice_items"
    __table_args__ = (
        UniqueConstraint("invoice_id", "position"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("price_cents >= 0", name="price_not_negative"),
    )

    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    price: Mapped[Decimal] = mapped_column("price_cents", Money())
    quantity: Mapped[int] = mapped_column(Integer)


class IdempotencyKey(Base):
    """A write request remembered by its Idempotency-Key (see `app.idempotency`)."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index(None, "expires_at"),)

    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    # Null while the first request runs; then the response to replay.
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    response_type: Mapped[str | None] = mapped_column(String(100))
    locked_until: Mapped[datetime]
    expires_at: Mapped[datetime]


class InvoiceCounter(Base):
    """The last invoice number handed out per clinic and year (see `app.invoice_numbers`)."""

    __tablename__ = "invoice_counters"

    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer)


class ClinicCount(Base):
    """Part of a clinic's rows of one entity (a table name): the count is the sum
    of its shards (see `app.clinic_counts`, which keeps them)."""

    __tablename__ = "clinic_counts"

    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id"), primary_key=True)
    entity: Mapped[str] = mapped_column(String(50), primary_key=True)
    shard: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)


@event.listens_for(Owner, "before_insert")
@event.listens_for(Owner, "before_update")
def _keep_search_text(_mapper: Mapper[Owner], _connection: Any, owner: Owner) -> None:
    # At flush, when every field is final, whichever of them the write changed.
    owner.search_text = owner_search_text(owner.first_name, owner.last_name, owner.email)


# Every foreign key between clinic-owned tables has its parent's delete rule.
require_children_declared(
    mapper.class_ for mapper in Base.registry.mappers if issubclass(mapper.class_, ClinicOwned)
)

# Every FK column of a clinic-owned table is indexed through a composite above or here.
Index(None, MedicalRecord.pet_id)
Index(None, InvoiceItem.invoice_id)


def columns(model: type[Any]) -> tuple[Any, ...]:
    """The model's column attributes, to select rows instead of ORM objects.

    Deferred columns (what only queries filter on) are not among them.
    """
    if model not in _COLUMNS:
        attributes = [a for a in inspect(model).column_attrs if not a.deferred]
        _COLUMNS[model] = tuple(getattr(model, a.key) for a in attributes)
    return _COLUMNS[model]


_COLUMNS: dict[type[Any], tuple[Any, ...]] = {}
