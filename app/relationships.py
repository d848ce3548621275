"""Relationships, declared once on the model with what every reader of them needs.

A model declares each relationship with `children()` (a list) or `reference()`
(the row its key names): SQLAlchemy's own `relationship()`, which finds the
key from the foreign key, plus the scope that guards reading it, its assumed
fan-out for the GraphQL cost estimate and what deleting the parent does. The
loaders (app.loaders), the GraphQL fields (graphql_schema.relations), the
planner's column pruning, the cost estimate and the delete rules
(app.domain._lookup) all read `relation_of(Model.attribute)`; none restates it.

The ORM never loads them (lazy="raise"): reads go through the loaders, a level
at a time. They are view-only, except children deleted with their parent,
which the parent writes (an invoice's lines).
"""

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

from sqlalchemy import ColumnElement, inspect
from sqlalchemy.orm import (
    InstrumentedAttribute,
    Mapper,
    QueryableAttribute,
    Relationship,
    RelationshipDirection,
    RelationshipProperty,
    configure_mappers,
    relationship,
)

from app.scopes import ALL_SCOPES

_DECLARED = "clinova"


class OnDelete(enum.Enum):
    # Clinical and billing history is never lost: the parent stays while it has any.
    REFUSE = "refuse"
    # Part of the parent (an invoice's lines): deleted with it.
    CASCADE = "cascade"


class WithParent(enum.Enum):
    """The scope of children that are part of their parent: whoever reads it reads them."""

    SCOPE = "the parent's scope"


WITH_PARENT: Final = WithParent.SCOPE


class UndeclaredRelationship(TypeError):
    """A relationship without what its readers need: raised as the models or the schema load."""


@dataclass(frozen=True)
class _Declared:
    many: bool
    scope: str | WithParent
    fan_out: int
    on_delete: OnDelete | None


def children(
    *,
    order_by: Callable[[], Iterable[ColumnElement[Any] | QueryableAttribute[Any]]],
    scope: str | WithParent,
    fan_out: int,
    on_delete: OnDelete,
) -> Relationship[Any]:
    """The parent's rows of another model, found by its foreign key, in `order_by` order.

    `fan_out` is how many a parent is assumed to have when a query is estimated.
    """
    declared = _Declared(many=True, scope=scope, fan_out=fan_out, on_delete=on_delete)
    _check("children()", declared)
    if on_delete is OnDelete.CASCADE:
        # Written through the parent (session.add of it adds them), and removed with it.
        return relationship(
            lazy="raise",
            order_by=order_by,
            cascade="all, delete-orphan",
            info={_DECLARED: declared},
        )
    return relationship(lazy="raise", order_by=order_by, viewonly=True, info={_DECLARED: declared})


def reference(*, scope: str) -> Relationship[Any]:
    """The row this one's foreign key names (none while it is null)."""
    declared = _Declared(many=False, scope=scope, fan_out=1, on_delete=None)
    _check("reference()", declared)
    return relationship(lazy="raise", viewonly=True, info={_DECLARED: declared})


def _check(where: str, declared: _Declared) -> None:
    if not declared.scope:
        raise UndeclaredRelationship(f"{where} needs the scope that guards reading it")
    if isinstance(declared.scope, str) and declared.scope not in ALL_SCOPES:
        raise UndeclaredRelationship(f"{where}: {declared.scope!r} is not a scope of app.scopes")
    if declared.fan_out < 1:
        raise UndeclaredRelationship(f"{where} needs a fan-out of at least 1")


@dataclass(frozen=True, eq=False)
class Relation:
    """A declared relationship as its readers use it; `relation_of` derives it."""

    name: str  # Owner.pets
    noun: str  # "pets", as a refused delete names it
    parent: type[Any]
    model: type[Any]  # what it reads
    many: bool
    # The parent row's attribute holding the key, and the column of `model` it matches.
    parent_key: str
    key: InstrumentedAttribute[Any]
    order_by: tuple[ColumnElement[Any], ...]
    scope: str | None  # None: read with its parent
    fan_out: int
    on_delete: OnDelete | None


def relation_of(attribute: InstrumentedAttribute[Any]) -> Relation:
    prop = attribute.property
    if not isinstance(prop, RelationshipProperty):
        raise UndeclaredRelationship(f"{attribute} is not a relationship")
    return _derive(prop)


@cache
def _derive(prop: RelationshipProperty[Any]) -> Relation:
    configure_mappers()  # the foreign keys and order_by of every model, resolved
    name = f"{prop.parent.class_.__name__}.{prop.key}"
    declared = prop.info.get(_DECLARED)
    if not isinstance(declared, _Declared):
        raise UndeclaredRelationship(
            f"{name} has no scope, fan-out or delete rule: declare it with "
            "app.relationships.children() or reference(), not relationship()"
        )
    many = prop.direction is not RelationshipDirection.MANYTOONE
    if many != declared.many:
        helper = "children()" if many else "reference()"
        raise UndeclaredRelationship(f"{name} is {'a list' if many else 'one row'}: use {helper}")
    ((local, remote),) = prop.local_remote_pairs or ()
    target = prop.mapper
    key = getattr(target.class_, target.get_property_by_column(remote).key)
    return Relation(
        name=name,
        noun=prop.key.replace("_", " "),
        parent=prop.parent.class_,
        model=target.class_,
        many=many,
        parent_key=prop.parent.get_property_by_column(local).key,
        key=key,
        order_by=tuple(prop.order_by or ()),
        scope=None if isinstance(declared.scope, WithParent) else declared.scope,
        fan_out=declared.fan_out,
        on_delete=declared.on_delete,
    )


def relations_of(model: type[Any]) -> list[Relation]:
    """The model's relationships, in the order it declares them."""
    configure_mappers()
    mapper: Mapper[Any] = inspect(model)
    return [_derive(prop) for prop in mapper.relationships]


def require_children_declared(models: Iterable[type[Any]]) -> None:
    """Every foreign key between these models is a relationship its parent declares.

    A child whose parent declares no `children()` for it has no delete rule: deleting
    the parent would meet the foreign key in the database (a 500), not a refusal.
    """
    configure_mappers()
    mappers: list[Mapper[Any]] = [inspect(model) for model in models]
    by_table = {mapper.local_table: mapper for mapper in mappers}
    for mapper in mappers:
        for column in mapper.local_table.columns:
            for foreign_key in column.foreign_keys:
                parent = by_table.get(foreign_key.column.table)
                if parent is None:
                    continue
                if not any(
                    prop.direction is RelationshipDirection.ONETOMANY and column in prop.remote_side
                    for prop in parent.relationships
                ):
                    raise UndeclaredRelationship(
                        f"{mapper.class_.__name__}.{column.key} names a "
                        f"{parent.class_.__name__}, which declares no children() for it: "
                        "deleting one would fail in the database instead of by its rule"
                    )
