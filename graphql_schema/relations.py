"""Relationship fields, declared once: which request loader serves them, keyed by what.

A relationship resolves one parent at a time through the standard executor,
and a whole level of parents at once through `graphql_schema.planner`; both
go through the same loader, so the SQL and its batching are the same.
"""

from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import strawberry
from strawberry.types import Info

from app.loaders import Loaders
from graphql_schema.context import ctx
from graphql_schema.permissions import requires

RELATION = "clinova_relation"


@dataclass(frozen=True)
class Relation:
    loader: str  # a loader of app.loaders.Loaders
    key: str  # the parent's attribute the loader is keyed by; None means no related row

    async def load(self, loaders: Loaders, parent: Any) -> Any:
        key = getattr(parent, self.key)
        return None if key is None else await getattr(loaders, self.loader).load(key)

    async def load_level(
        self, loaders: Loaders, parents: list[Any], attributes: frozenset[str]
    ) -> list[Any]:
        """Related rows of every parent, reading only `attributes` of them."""
        keys = list(map(attrgetter(self.key), parents))
        present = [key for key in keys if key is not None]
        loaded = iter(await loaders.reading(self.loader, attributes).load_level(present))
        return [None if key is None else next(loaded) for key in keys]


def relation(
    loader: str, key: str, graphql_type: Any, *, description: str, scope: str | None = None
) -> Any:
    spec = Relation(loader, key)

    async def resolve(root: strawberry.Parent[Any], info: Info) -> Any:
        return await spec.load(ctx(info).loaders, root)

    return strawberry.field(
        resolver=resolve,
        graphql_type=graphql_type,
        description=description,
        permission_classes=[requires(scope)] if scope else [],
        metadata={RELATION: spec},
    )
