"""Per-request dataloaders: the one way relationships reach SQL.

Each loader batches the keys asked for in one tick into one statement. They
live on the request context, so their cache lasts one request, and they run
on the request's session, which tenancy binds to one clinic: a cached row of
another clinic cannot exist in them.

They answer plain rows of the model's columns (`app.rows`), not ORM objects:
reads never change what they load, and building an ORM object with its
identity-map bookkeeping costs several times more than the row itself, which a
dashboard of a thousand rows pays a thousand times.
"""

from collections import defaultdict
from collections.abc import Sequence
from functools import cached_property
from typing import Any, ClassVar, Generic, Self, TypeVar, cast

from aiodataloader import DataLoader
from sqlalchemy import ColumnElement, String, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.ids import looks_like_id
from app.models import Invoice, InvoiceItem, MedicalRecord, Owner, Pet, columns
from app.observability import LOADER_BATCH
from app.rows import read_rows

Row = TypeVar("Row", Owner, Pet, MedicalRecord, Invoice, InvoiceItem)


class _ModelLoader(DataLoader[str, Any]):
    model: ClassVar[type[Any]]
    # Columns every row carries whatever is asked: the key and what rows are grouped by.
    always: ClassVar[tuple[str, ...]] = ("id",)

    def __init__(self, session: AsyncSession, attributes: frozenset[str] | None = None) -> None:
        super().__init__()
        self.session = session
        self.attributes = attributes
        self._level_rows: dict[str, Any] = {}

    def reading(self, attributes: frozenset[str]) -> Self:
        """This loader over the same session, reading only these attributes (plus `always`)."""
        return type(self)(self.session, attributes)

    async def load_level(self, keys: Sequence[str]) -> list[Any]:
        """`load_many` for a whole level at once: one batch, no future per key.

        aiodataloader's load_many gathers a future per key, and even a cache of
        done futures costs one per row: for a level of 500 keys the event loop's
        bookkeeping cost more than reading the rows. Levels keep rows in a dict
        of their own; a loader serving levels (`Loaders.reading`) serves only them.
        """
        rows = self._level_rows
        unseen = [key for key in dict.fromkeys(keys) if key not in rows]
        if unseen:
            rows.update(zip(unseen, await self.batch_load_fn(unseen), strict=True))
        return list(map(rows.__getitem__, keys))

    def clear_all(self) -> Self:
        self._level_rows.clear()
        return super().clear_all()

    def among(self, column: Any, keys: Sequence[str]) -> ColumnElement[bool]:
        """`column IN keys`; on PostgreSQL one array parameter, not one per key.

        A level of 500 keys would otherwise render, send and parse 500 parameters.
        """
        if self.session.bind is not None and self.session.bind.dialect.name == "postgresql":
            among_keys: ColumnElement[bool] = column == any_(
                bindparam("keys", list(keys), type_=ARRAY(String))
            )
        else:
            among_keys = column.in_(keys)
        return among_keys

    def selected(self) -> tuple[Any, ...]:
        every = columns(self.model)
        if self.attributes is None:
            return every
        wanted = self.attributes.union(self.always)
        return tuple(column for column in every if column.key in wanted)


class _ByIdLoader(_ModelLoader, Generic[Row]):
    async def batch_load_fn(self, ids: Sequence[str]) -> list[Row | None]:
        LOADER_BATCH.labels(type(self).__name__).observe(len(ids))
        # What is not shaped like an id names no row, on either backend (and a
        # NUL, which PostgreSQL refuses in text, never reaches it).
        wanted = [id_ for id_ in ids if looks_like_id(id_)]
        by_id = {}
        if wanted:
            query = select(*self.selected()).where(self.among(self.model.id, wanted))
            by_id = {row.id: row for row in await read_rows(self.session, query)}
        # Rows read like the model (the same attribute names); typed as the model.
        return cast(list[Row | None], [by_id.get(id_) for id_ in ids])


class _ByParentLoader(_ModelLoader, Generic[Row]):
    """Children of many parents in one statement, grouped and ordered per parent."""

    parent_key: ClassVar[str]
    order_by: ClassVar[tuple[str, ...]]
    descending: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "parent_key" in vars(cls):
            cls.always = ("id", cls.parent_key)

    async def batch_load_fn(self, parent_ids: Sequence[str]) -> list[list[Row]]:
        LOADER_BATCH.labels(type(self).__name__).observe(len(parent_ids))
        column: InstrumentedAttribute[str] = getattr(self.model, self.parent_key)
        ordering = [getattr(self.model, name) for name in self.order_by]
        if self.descending:
            ordering = [c.desc() for c in ordering]
        query = select(*self.selected()).where(self.among(column, parent_ids)).order_by(*ordering)
        groups: dict[str, list[Row]] = defaultdict(list)
        for row in await read_rows(self.session, query):
            groups[getattr(row, self.parent_key)].append(cast(Row, row))
        return [groups.get(parent_id, []) for parent_id in parent_ids]


class OwnerByIdLoader(_ByIdLoader[Owner]):
    model = Owner


class PetByIdLoader(_ByIdLoader[Pet]):
    model = Pet


class MedicalRecordByIdLoader(_ByIdLoader[MedicalRecord]):
    model = MedicalRecord


class InvoiceByIdLoader(_ByIdLoader[Invoice]):
    model = Invoice


class PetsByOwnerIdLoader(_ByParentLoader[Pet]):
    model, parent_key, order_by = Pet, "owner_id", ("name", "id")


class MedicalRecordsByPetIdLoader(_ByParentLoader[MedicalRecord]):
    model, parent_key, order_by, descending = MedicalRecord, "pet_id", ("date", "id"), True


class InvoicesByOwnerIdLoader(_ByParentLoader[Invoice]):
    model, parent_key, order_by, descending = Invoice, "owner_id", ("created_at", "id"), True


class InvoicesByPetIdLoader(_ByParentLoader[Invoice]):
    model, parent_key, order_by, descending = Invoice, "pet_id", ("created_at", "id"), True


class InvoicesByMedicalRecordIdLoader(_ByParentLoader[Invoice]):
    model, parent_key = Invoice, "medical_record_id"
    order_by, descending = ("created_at", "id"), True


class InvoiceItemsByInvoiceIdLoader(_ByParentLoader[InvoiceItem]):
    model, parent_key, order_by = InvoiceItem, "invoice_id", ("position",)


class Loaders:
    """The loaders of one request, each made on first use (most requests need one or two)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._reading: dict[tuple[str, frozenset[str]], _ModelLoader] = {}

    def reading(self, name: str, attributes: frozenset[str]) -> _ModelLoader:
        """Loader `name` reading only these attributes, one per set for the request.

        For a query that asks for a few fields of a thousand rows, the columns it
        does not ask for (notes, lab panels as JSON) would be most of the work.
        """
        key = (name, attributes)
        if key not in self._reading:
            self._reading[key] = getattr(self, name).reading(attributes)
        return self._reading[key]

    @cached_property
    def owner_by_id(self) -> OwnerByIdLoader:
        return OwnerByIdLoader(self._session)

    @cached_property
    def pet_by_id(self) -> PetByIdLoader:
        return PetByIdLoader(self._session)

    @cached_property
    def medical_record_by_id(self) -> MedicalRecordByIdLoader:
        return MedicalRecordByIdLoader(self._session)

    @cached_property
    def invoice_by_id(self) -> InvoiceByIdLoader:
        return InvoiceByIdLoader(self._session)

    @cached_property
    def pets_by_owner_id(self) -> PetsByOwnerIdLoader:
        return PetsByOwnerIdLoader(self._session)

    @cached_property
    def medical_records_by_pet_id(self) -> MedicalRecordsByPetIdLoader:
        return MedicalRecordsByPetIdLoader(self._session)

    @cached_property
    def invoices_by_owner_id(self) -> InvoicesByOwnerIdLoader:
        return InvoicesByOwnerIdLoader(self._session)

    @cached_property
    def invoices_by_pet_id(self) -> InvoicesByPetIdLoader:
        return InvoicesByPetIdLoader(self._session)

    @cached_property
    def invoices_by_medical_record_id(self) -> InvoicesByMedicalRecordIdLoader:
        return InvoicesByMedicalRecordIdLoader(self._session)

    @cached_property
    def invoice_items_by_invoice_id(self) -> InvoiceItemsByInvoiceIdLoader:
        return InvoiceItemsByInvoiceIdLoader(self._session)

    def clear(self) -> None:
        """After a write: the next read must see it."""
        for loader in [*vars(self).values(), *self._reading.values()]:
            if isinstance(loader, DataLoader):
                loader.clear_all()
