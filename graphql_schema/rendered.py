"""A relationship's objects written as JSON text by PostgreSQL, a level at a time.

Completing a dashboard in Python is thousands of objects and timestamps: each
row decoded, each datetime made, formatted and written again by orjson. On
PostgreSQL a level whose fields are plain columns is instead selected as the
text of its objects: `{"id":` || to_json(id) || `,"createdAt":` || to_char(...)
|| `}`. Python only joins each object's text with its children's and each
parent's list, and the answer takes the text verbatim (orjson.Fragment).

A relationship whose objects PostgreSQL writes whole (and their children's) is
written inside its parent's text, from a LATERAL aggregate over its rows that
also counts the objects it holds: the slim dashboard's levels below the owners
are one statement. Elsewhere an object's text is cut into segments at the
fields PostgreSQL does not write: a relationship below which something is
Python's (its own level, rendered the same way) and any field the planner
completes in Python as before (a JSON panel, a resolver without a declared
SQL form), for which the level also selects the column. A value PostgreSQL
would write differently from the standard executor is never rendered there:
only strings (to_json escapes as orjson does), booleans, integers in GraphQL's
32-bit range, doubles outside exponent notation, enum names, timestamp columns
(the contract's format, truncated to the millisecond as app.timestamps does)
and resolvers that declare their SQL with `written()`. A non-null field whose value is null or
out of range makes its segment NULL, and the plan declines: the standard
executor answers with its error.

A root list's `nodes` whose objects PostgreSQL writes whole are written in
the page's own statement (PageObjects, app.pagination's projection): its rows
carry the sort key and each object's text, and the flat list of 50 owners is
that one statement, and so is the slim dashboard, its levels inlined.

The level statement is a LevelRead (app.compiled_reads): the relationship's
declaration, tenancy's clinic predicate, compiled once; the tenancy test
inspects it with every other level.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import reduce
from itertools import count
from operator import add
from typing import TYPE_CHECKING, Any

import orjson
from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLString,
    get_named_type,
    get_nullable_type,
)
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ColumnElement,
    Enum,
    Float,
    Integer,
    String,
    Text,
    bindparam,
    case,
    cast,
    func,
    inspect,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import InstrumentedAttribute, aliased
from sqlalchemy.sql.elements import ColumnClause, Label
from sqlalchemy.sql.util import ClauseAdapter
from sqlalchemy.sql.visitors import ExternallyTraversible, iterate, replacement_traverse
from sqlalchemy.types import TypeEngine

from app import json_text
from app.column_types import UTCDateTime
from app.compiled_reads import CLINIC, LevelRead, rendered_level_read, shared
from app.json_text import constant, quoted
from app.models import columns
from app.relationships import Relation
from app.tenancy import clinic_predicate, is_clinic_owned
from graphql_schema.cost import is_json
from graphql_schema.scalars import DATETIME

if TYPE_CHECKING:
    from graphql_schema.planner import _ObjectPlan, _Selection

# GraphQL's Int: graphql-core refuses to serialize a value outside it.
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


class Unrendered(Exception):
    """A field PostgreSQL cannot write and the slots do not join: Python completes the level."""


@dataclass(frozen=True, eq=False)
class Slot:
    """A field between segments: its value is joined in by Python."""

    selection: "_Selection"
    inner: "Rendering | None"  # a relationship's objects; None: a leaf the planner completes
    # The row attribute holding a JSON column's text as stored, which Python reads
    # and writes again as the standard executor's JSON scalar does; None: not one.
    stored: str | None = None


@dataclass(frozen=True, eq=False)
class Rendering:
    """How one relationship's objects are read as text, and what Python joins into them."""

    relation: Relation
    read: LevelRead
    # The row attributes holding segments, and the slots between them: segment, slot, segment...
    segments: tuple[str, ...]
    slots: tuple[Slot, ...]
    # The row attribute counting the objects written inside its segments, if any are.
    inlined: str | None
    scopes: frozenset[str]  # every scope a field of these objects (and their children's) checks


def rendering(relation: Relation, plan: "_ObjectPlan") -> Rendering:
    """The rendering of `plan`'s objects, read through `relation`."""
    model = relation.model
    written = _Objects(model, plan, model, count(1))
    labels = tuple(f"segment{i}" for i in range(len(written.segments)))
    labelled = zip(written.segments, labels, strict=True)
    selected = (
        relation.key,  # the rows are grouped by it
        *(column for name, column in written.raw.items() if name != relation.key.key),
        *(segment.label(label) for segment, label in labelled),
    )
    inlined = None
    if written.nodes is not None:
        inlined = "inlined"
        selected = (*selected, written.nodes.label(inlined))
    order_by = relation.order_by if relation.many else ()
    read = rendered_level_read(model, relation.key, order_by, selected)
    return Rendering(
        relation, read, labels, tuple(written.slots), inlined, frozenset(written.scopes)
    )


# What a projected page's rows carry: each object's text, and the objects inlined in it.
OBJECT, HELD = "object", "held"


class PageObjects:
    """A page's objects written whole by PostgreSQL: app.pagination's projection.

    Made for the `nodes` of a root list; the page's statement selects each
    object's text (and how many objects are inlined in it) where it would
    select the model's columns, and the planner joins them into the list.
    Objects of which anything is Python's are not projected: None, and the
    page's rows are the model's as before.
    """

    def __init__(self, plan: "_ObjectPlan") -> None:
        self._plan = plan
        self._made: dict[type[Any], tuple[ColumnElement[Any], ...] | None] = {}
        self.scopes = frozenset(_scopes(plan))  # every scope a field of the objects checks

    def columns(self, model: type[Any], dialect: str) -> tuple[ColumnElement[Any], ...] | None:
        if dialect != "postgresql":
            return None
        if model not in self._made:
            made: tuple[ColumnElement[Any], ...] | None = None
            try:
                written = _Objects(model, self._plan, model, count(1))
            except Unrendered:
                written = None
            if written is not None and written.closed:
                (text,) = written.segments
                made = (text.label(OBJECT),)
                if written.nodes is not None:
                    made = (*made, written.nodes.label(HELD))
                made = shared(made)
            self._made[model] = made
        return self._made[model]


def _scopes(plan: "_ObjectPlan") -> Iterator[str]:
    for selection in plan.selections:
        if selection.plan is not None:
            yield from selection.plan.scopes
        if selection.inner is not None:
            yield from _scopes(selection.inner)


class _Objects:
    """The text of `plan`'s objects in rows of `entity` (`model`, or an alias of it).

    A relationship whose objects are all written in SQL is written inside the
    text, from a LATERAL aggregate over its rows (its text and how many objects
    it holds); any other is a slot, its own level.
    """

    def __init__(
        self, model: type[Any], plan: "_ObjectPlan", entity: Any, names: Iterator[int]
    ) -> None:
        self.segments: list[ColumnElement[str]] = []
        self.slots: list[Slot] = []
        self.raw: dict[str, Any] = {}
        self.scopes: set[str] = set()
        self.nodes: ColumnElement[int] | None = None
        by_name = {column.key: getattr(entity, column.key) for column in columns(model)}
        pieces: list[ColumnElement[str]] = []
        for position, selection in enumerate(plan.selections):
            pieces.append(json_text.member(position, selection.key))
            if selection.field_def is None:
                pieces.append(constant(orjson.dumps(plan.type_.name).decode()))
                continue
            assert selection.plan is not None
            self.scopes.update(selection.plan.scopes)
            json = _written(selection, by_name)
            if json is None and selection.plan.relation is not None:
                json = self._inlined(selection, selection.plan.relation, entity, names)
            if json is not None:
                pieces.append(json)
                continue
            self.segments.append(reduce(add, pieces))
            pieces = []
            self._slot(selection, entity, by_name)
        pieces.append(constant("}" if plan.selections else "{}"))  # @skip can leave none
        self.segments.append(reduce(add, pieces))

    @property
    def closed(self) -> bool:
        """Whether SQL writes the whole object: nothing is joined in by Python."""
        return not self.slots

    def _inlined(
        self, selection: "_Selection", relation: Relation, entity: Any, names: Iterator[int]
    ) -> ColumnElement[str] | None:
        """The relationship's JSON written in SQL, or None if any of it is Python's."""
        assert selection.inner is not None and selection.field_def is not None
        name = f"inline{next(names)}"
        inner = aliased(relation.model, name=name)
        objects = _Objects(relation.model, selection.inner, inner, names)
        if not objects.closed:
            return None
        (text,) = objects.segments
        rows = getattr(inner, relation.key.key) == getattr(entity, relation.parent_key)
        if is_clinic_owned(relation.model):
            rows = rows & clinic_predicate(inner, bindparam(CLINIC, type_=String))
        # Each object's text is made once, in a fenced subquery (OFFSET 0), then
        # aggregated: written straight into the aggregates it was made twice per row.
        adapt = ClauseAdapter(inspect(inner).selectable).traverse
        order = [adapt(element) for element in relation.order_by] if relation.many else []
        sorts = {
            column: column.label(f"sort{index}")
            for index, column in enumerate(
                dict.fromkeys(c for e in order for c in iterate(e) if isinstance(c, ColumnClause))
            )
        }
        made = [text.label("object"), *sorts.values()]
        if objects.nodes is not None:
            made.append(objects.nodes.label("nodes"))
        each = (
            select(*made).select_from(inner).where(rows).offset(literal_column("0")).correlate(entity)
            .lateral(f"{name}_objects")
        )  # fmt: skip
        written = each.c.object
        held = func.count() if objects.nodes is None else func.count() + func.sum(each.c.nodes)
        if relation.many:
            ordered = aggregate_order_by(
                constant(","), *(_over(element, sorts, each) for element in order)
            )
            json = (
                constant("[")
                + func.coalesce(func.string_agg(written, ordered), constant(""))
                + constant("]")
            )
        else:
            json = func.min(written)  # its one row, or NULL: an aggregate answers even for none
        held = cast(func.coalesce(held, literal_column("0")), BigInteger)
        # An object whose text is NULL (a value to decline) must not vanish into the
        # aggregate: the parent's segment is NULL then, and the plan declines.
        whole = func.count(written) == func.count()
        lateral = (
            select(json.label("json"), held.label("held"), whole.label("whole"))
            .select_from(each)
            .correlate(entity)
            .lateral(f"{name}_json")
        )
        self.scopes.update(objects.scopes)
        self.nodes = lateral.c.held if self.nodes is None else self.nodes + lateral.c.held
        if relation.many or isinstance(selection.field_def.type, GraphQLNonNull):
            json = lateral.c.json  # a list is never null; a missing non-null object declines
        else:
            json = func.coalesce(lateral.c.json, constant("null"))
        return case((lateral.c.whole, json))

    def _slot(self, selection: "_Selection", entity: Any, by_name: dict[str, Any]) -> None:
        assert selection.plan is not None and selection.field_def is not None
        relation = selection.plan.relation
        if relation is not None:
            assert selection.inner is not None
            inner = rendering(relation, selection.inner)
            self.scopes.update(inner.scopes)
            self.raw[relation.parent_key] = getattr(entity, relation.parent_key)
            self.slots.append(Slot(selection, inner))
            return
        if isinstance(get_nullable_type(selection.field_def.type), GraphQLList):
            raise Unrendered(selection.key)  # its items' nodes are counted one by one
        column = by_name.get(selection.plan.field.python_name)
        if (
            selection.plan.field.base_resolver is None
            and column is not None
            and isinstance(column.type, JSON)
            and is_json(get_named_type(selection.field_def.type))
        ):
            # As text: no json.loads per row by SQLAlchemy, then three writes for the cost.
            stored = f"{column.key}_stored"
            self.raw[stored] = cast(column, Text).label(stored)
            self.slots.append(Slot(selection, None, stored))
            return
        # What a resolver reads, as the planner's levels select it: the field's own
        # column, and the row's id.
        for name in (selection.plan.field.python_name, "id"):
            if name in by_name:
                self.raw[name] = by_name[name]
        self.slots.append(Slot(selection, None))


def _over(
    element: ColumnElement[Any], sorts: dict[Any, Label[Any]], each: Any
) -> ColumnElement[Any]:
    """An order_by element of the aliased rows, over the fenced subquery's sort columns."""
    replaced: dict[Any, ExternallyTraversible] = {
        column: each.c[label.name] for column, label in sorts.items()
    }

    def over(element: Any, **_: Any) -> Any:
        return replaced.get(element)

    options: dict[str, Any] = {}
    over_sorts: ColumnElement[Any] = replacement_traverse(element, options, over)
    return over_sorts


@dataclass(frozen=True)
class _Written:
    column: str  # the model's attribute the resolver reads
    sql: Callable[[ColumnElement[Any]], ColumnElement[str]]


_WRITTEN = "clinova.written"


def written(
    attribute: InstrumentedAttribute[Any], sql: Callable[[ColumnElement[Any]], ColumnElement[str]]
) -> dict[str, Any]:
    """A resolver field's metadata: its value is `sql` of the column, as PostgreSQL writes it.

    What the resolver returns and what `sql` writes must be the same JSON: the
    differential corpus (tests/test_compiled_route.py) compares them.
    """
    return {_WRITTEN: _Written(attribute.key, sql)}


def _written(selection: "_Selection", by_name: dict[str, Any]) -> ColumnElement[str] | None:
    """The field's JSON as PostgreSQL writes it, or None: Python completes it."""
    plan, field_def = selection.plan, selection.field_def
    assert plan is not None and field_def is not None
    if plan.relation is not None or field_def.args:
        return None
    declared = plan.field.metadata.get(_WRITTEN)
    if plan.field.base_resolver is not None:
        if not isinstance(declared, _Written) or declared.column not in by_name:
            return None
        column = by_name[declared.column]
        json: ColumnElement[str] | None = declared.sql(column)
    else:
        column = by_name.get(plan.field.python_name)
        if column is None:
            return None
        json = _json(get_named_type(field_def.type), column, column.type)
    if json is None:
        return None
    if isinstance(field_def.type, GraphQLNonNull):
        return json  # NULL when the value is: the segment is NULL, and the plan declines
    return json_text.or_null(column, json)


def _json(named: Any, column: Any, type_: TypeEngine[Any]) -> ColumnElement[str] | None:
    if isinstance(named, GraphQLEnumType) and isinstance(type_, Enum):
        # SQLAlchemy stores a member's name, which is the GraphQL enum's value; a
        # name it does not know the standard executor refuses.
        if set(type_.enums) != set(named.values):
            return None
        known = column.in_([literal_column(quoted(name)) for name in type_.enums])
        return case((known, json_text.string(column)))
    if named in (GraphQLString, GraphQLID) and isinstance(type_, String) and not _enum(type_):
        return json_text.string(column)
    if named is GraphQLFloat and isinstance(type_, Float):
        return json_text.double(column)
    if named is GraphQLBoolean and isinstance(type_, Boolean):
        return json_text.boolean(column)
    if named is GraphQLInt and isinstance(type_, Integer):
        within = column.between(literal_column(str(_INT_MIN)), literal_column(str(_INT_MAX)))
        return case((within, cast(column, Text)))
    if named.name == DATETIME and isinstance(type_, UTCDateTime):
        return json_text.timestamp(column)
    return None


def _enum(type_: TypeEngine[Any]) -> bool:
    # SQLAlchemy's Enum is a String; its GraphQL type is an enum, but not if a schema said String.
    return bool(getattr(type_, "enums", None))
