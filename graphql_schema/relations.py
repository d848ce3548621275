"""Relationship fields, derived from the model's declaration (app.relationships).

`relation(models.Owner.pets, ...)` takes the key, the order and the loader from
the relationship, the scope check from its scope, and puts the declaration in
the field's metadata, where the planner (a whole level at once, with only the
columns asked for, app.compiled_reads) and the cost estimate (its fan-out)
read it. Field by field, it resolves through the request's loader. Deriving
the declaration here, at import, makes a relationship declared without a
scope or fan-out fail the schema build.
"""

from typing import Any

import strawberry
from sqlalchemy.orm import InstrumentedAttribute
from strawberry.types import Info

from app.relationships import relation_of
from graphql_schema.context import ctx
from graphql_schema.cost import FAN_OUT
from graphql_schema.permissions import requires

RELATION = "clinova_relation"


def relation(attribute: InstrumentedAttribute[Any], graphql_type: Any, *, description: str) -> Any:
    declared = relation_of(attribute)

    async def resolve(root: strawberry.Parent[object], info: Info) -> object:
        return await ctx(info).loaders.load(declared, root)

    return strawberry.field(
        resolver=resolve,
        graphql_type=graphql_type,
        description=description,
        permission_classes=[requires(declared.scope)] if declared.scope else [],
        metadata={RELATION: declared, FAN_OUT: declared.fan_out},
    )
