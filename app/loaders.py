"""Per-request dataloaders: the one way relationships reach SQL.

Each loader batches the keys asked for in one tick into one statement. They
live on the request context, so their cache lasts one request, and they run
on the request's session, which tenancy binds to one clinic: a cached row of
another clinic cannot exist in them.

There are two kinds, rows by id and rows by a foreign key (saleor's XByYLoader),
made on first use from the model or from a relationship's declaration
(app.relationships): Pet.owner and Invoice.owner share the owners-by-id loader.

They answer plain rows of the model's columns (`app.rows`), not ORM objects:
reads never change what they load, and building an ORM object with its
identity-map bookkeeping costs several times more than the row itself, which a
dashboard of a thousand rows pays a thousand times. A batch is the planner's
level read (app.compiled_reads): one statement per loader compiled once for the
process, with tenancy's clinic predicate, run on the raw driver connection.
"""

from collections import defaultdict
from collections.abc import Sequence
from operator import attrgetter
from typing import Any, Generic, TypeVar, cast

from aiodataloader import DataLoader
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.compiled_reads import LevelRead, fetch_level, level_read
from app.ids import looks_like_id
from app.models import ClinicOwned
from app.observability import LOADER_BATCH
from app.relationships import Relation, relation_of

Row = TypeVar("Row")


class _RowLoader(DataLoader[str, Row], Generic[Row]):
    def __init__(self, session: AsyncSession, read: LevelRead) -> None:
        super().__init__()
        self.session = session
        # The statement of a batch, compiled once for the process (app.compiled_reads).
        self.read = read
        # The batch-size metric's label: saleor's XByYLoader, PetsByOwnerIdLoader.
        self.name = read.name


class RowsById(_RowLoader[Row | None]):
    def __init__(
        self, session: AsyncSession, model: type[Any], key: InstrumentedAttribute[Any]
    ) -> None:
        super().__init__(session, level_read(model, key, (), None))

    async def batch_load_fn(self, ids: Sequence[str]) -> list[Row | None]:
        LOADER_BATCH.labels(self.name).observe(len(ids))
        # What is not shaped like an id names no row, on either backend (and a
        # NUL, which PostgreSQL refuses in text, never reaches it).
        wanted = [id_ for id_ in ids if looks_like_id(id_)]
        by_id: dict[str, Row] = {}
        if wanted:
            by_id = {row.id: row for row in await fetch_level(self.session, self.read, wanted)}
        return [by_id.get(id_) for id_ in ids]


class RowsByKey(_RowLoader[list[Row]]):
    """Children of many parents in one statement, grouped and ordered per parent."""

    def __init__(self, session: AsyncSession, relation: Relation) -> None:
        super().__init__(session, level_read(relation.model, relation.key, relation.order_by, None))
        self._parent_of = attrgetter(relation.key.key)

    async def batch_load_fn(self, parent_ids: Sequence[str]) -> list[list[Row]]:
        LOADER_BATCH.labels(self.name).observe(len(parent_ids))
        groups: dict[str, list[Row]] = defaultdict(list)
        parent_of = self._parent_of
        for row in await fetch_level(self.session, self.read, parent_ids):
            groups[parent_of(row)].append(row)
        return [groups.get(parent_id, []) for parent_id in parent_ids]


class Loaders:
    """The loaders of one request, each made on first use (most requests need one or two)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        # By what they read: a model by id, or a list relationship.
        self._loaders: dict[object, Any] = {}

    def by_id(self, model: type[ClinicOwned[Row]]) -> RowsById[Row]:
        loader: RowsById[Row] | None = self._loaders.get(model)
        if loader is None:
            loader = self._loaders[model] = RowsById(self._session, model, model.id)
        return loader

    def children(
        self, attribute: InstrumentedAttribute[Sequence[ClinicOwned[Row]]]
    ) -> RowsByKey[Row]:
        """The loader of a list relationship: `children(Owner.pets).load(owner.id)`."""
        return cast(RowsByKey[Row], self.serving(relation_of(attribute)))

    def serving(self, relation: Relation) -> RowsById[object] | RowsByKey[object]:
        """The loader behind a relationship."""
        key = relation if relation.many else relation.model
        loader: RowsById[object] | RowsByKey[object] | None = self._loaders.get(key)
        if loader is None:
            loader = self._loaders[key] = (
                RowsByKey(self._session, relation)
                if relation.many
                else RowsById(self._session, relation.model, relation.key)
            )
        return loader

    async def load(self, relation: Relation, parent: object) -> object:
        """The relationship's rows for one parent (None: its key is null, or no row)."""
        key = getattr(parent, relation.parent_key)
        return None if key is None else await self.serving(relation).load(key)

    def clear(self) -> None:
        """After a write: the next read must see it."""
        for loader in self._loaders.values():
            loader.clear_all()
