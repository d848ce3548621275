"""Read-only operations compiled once into a plan, then run a whole level at a time.

graphql-core resolves and completes every field of every object on its own: a
resolve info, strawberry's resolver wrappers, an awaitable check, completion,
about 10 µs each; a 50-owner dashboard is several thousand of them. A query
made only of fields the plan knows is compiled once, the first time it runs,
from graphql-core's own collected fields into a `Plan`: per object type, its
response keys with what answers each. Plans are kept by the document's text,
its operation name and the values of the variables its @include/@skip read
(the only inputs that change what is collected), never by data. Running one, a
relationship loads the whole level in one statement compiled once from its
declaration (app.compiled_reads: the clinic predicate of app.tenancy, only the
columns asked for, run on the raw driver connection of the request's session),
plain fields are read and coerced in a loop. The same plan answers inside
strawberry's execution (the first sight of a document) and, afterwards, on
graphql_schema.compiled_route's path, which skips strawberry's view.

Whatever it does not know (introspection, @defer, abstract types, field
extensions other than scope checks) and whatever would answer with an error (a
missing scope, an unknown id, a bad argument, a database failure) declines, and
graphql-core executes the operation as usual. So the answer is always the
standard executor's; `tests/test_planned_execution.py` checks that byte for
byte on a generated corpus of documents. It counts what it builds as the
standard executor does (graphql_schema.counted_execution), a level at a time,
and stops once the answer is over its byte bound.
"""

import dataclasses
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from itertools import chain
from operator import attrgetter
from types import NoneType
from typing import Any, cast

import orjson
from graphql import (
    DocumentNode,
    ExecutableDefinitionNode,
    GraphQLBoolean,
    GraphQLField,
    GraphQLID,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLString,
    SelectionSetNode,
    Undefined,
    VariableNode,
    get_named_type,
)
from graphql.execution.collect_fields import FieldDetails, GroupedFieldSet
from graphql.execution.values import get_argument_values
from strawberry.permission import PermissionExtension
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.arguments import convert_arguments
from strawberry.types.field import StrawberryField

from app.bounded import Bounded
from app.compiled_reads import LevelRead, fetch_level, load_level
from app.context import RequestContext
from app.ids import looks_like_id
from app.observability import GRAPHQL_EXECUTIONS
from app.relationships import Relation
from app.scopes import require_scope
from graphql_schema.connections import PAGE_NODES, PAGE_TOTAL, Connection, PlannedInfo
from graphql_schema.cost import FAN_OUT, is_json, leaf_cost, leaf_nodes
from graphql_schema.counted_execution import CountingExecutor
from graphql_schema.relations import RELATION
from graphql_schema.rendered import (
    HELD,
    OBJECT,
    PageObjects,
    Rendering,
    Slot,
    Unrendered,
    rendering,
)
from graphql_schema.response_size import KEY_OVERHEAD, column_size

# Scalars whose output coercion returns a value of this Python type unchanged
# (graphql-core's serialize_string, serialize_id, serialize_boolean).
_VERBATIM: dict[GraphQLOutputType, frozenset[type]] = {
    GraphQLString: frozenset((str, NoneType)),
    GraphQLID: frozenset((str, NoneType)),
    GraphQLBoolean: frozenset((bool, NoneType)),
}


class _Decline(Exception):
    """The standard executor must answer this operation."""


@dataclass(frozen=True)
class _FieldPlan:
    field: StrawberryField
    scopes: tuple[str, ...]
    relation: Relation | None


_PLANS: dict[tuple[str, str], _FieldPlan | None] = {}


def _present(values: list[Any]) -> list[Any]:
    """`values` without its nulls (the same list when it has none)."""
    return [value for value in values if value is not None] if None in values else values


def _is_nodes(selection: "_Selection") -> bool:
    return selection.plan is not None and bool(selection.plan.field.metadata.get(PAGE_NODES))


def _counts_total(selection: "_Selection") -> bool:
    """Whether a root list's `totalCount` is asked for."""
    return selection.inner is not None and any(
        s.plan is not None and s.plan.field.metadata.get(PAGE_TOTAL)
        for s in selection.inner.selections
    )


def _page_nodes(selection: "_Selection", objects: list[Any]) -> bool:
    """Whether these are a root list's `nodes`, their pages' rows carrying their text."""
    return (
        _is_nodes(selection)
        and all(isinstance(o, Connection) and o.page.projected for o in objects)
        and bool(objects)
    )


def _plan_field(type_: GraphQLObjectType, name: str, field_def: GraphQLField) -> _FieldPlan | None:
    key = (type_.name, name)
    if key not in _PLANS:
        _PLANS[key] = _make_plan(field_def)
    return _PLANS[key]


def _make_plan(field_def: GraphQLField) -> _FieldPlan | None:
    field = field_def.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(field, StrawberryField):
        return None
    if any(not isinstance(extension, PermissionExtension) for extension in field.extensions):
        return None
    scopes: list[str] = []
    for permission in field.permission_classes:
        scope = getattr(permission, "required_scope", None)
        if not isinstance(scope, str):
            return None
        scopes.append(scope)
    relation = field.metadata.get(RELATION)
    return _FieldPlan(field, tuple(scopes), relation if isinstance(relation, Relation) else None)


@dataclass(frozen=True, eq=False)
class _Selection:
    """One response key of an object, and what answers it."""

    key: str
    field: FieldDetails  # the first of its nodes: its arguments
    field_def: GraphQLField | None  # None: __typename
    plan: _FieldPlan | None
    inner: "_ObjectPlan | None"  # an object-typed field's own selection
    attributes: frozenset[str]  # what a relationship's rows must carry for `inner`
    # A relationship's objects as PostgreSQL writes them (graphql_schema.rendered), by
    # dialect, made on the first run there; None: completed in Python.
    renderings: dict[str, Rendering | None] = dataclasses.field(default_factory=dict, compare=False)
    # A root list's `nodes` as its page's rows carry them (graphql_schema.rendered), by dialect.
    projections: dict[str, PageObjects | None] = dataclasses.field(
        default_factory=dict, compare=False
    )


@dataclass(frozen=True, eq=False)
class _ObjectPlan:
    type_: GraphQLObjectType
    selections: tuple[_Selection, ...]


@dataclass(frozen=True, eq=False)
class Plan:
    root: _ObjectPlan
    # Every scope a field of the plan checks: a key lacking one may get an
    # error somewhere, which only the standard executor answers.
    scopes: frozenset[str]


@dataclass(eq=False)
class PlannedDocument:
    """A document's plans, by the values of the variables its @include/@skip read."""

    # The request's whole document, as strawberry parsed it: its other operations
    # too, whose arguments the standard path's bounds read as well (.limits).
    document: DocumentNode
    flags: tuple[str, ...]  # of the planned operation alone
    plans: dict[tuple[Any, ...], Plan | None]
    # What the short path worked out of the document and one set of variables
    # (graphql_schema.compiled_route): by the variables' canonical JSON.
    requested: dict[bytes, int | None] = dataclasses.field(default_factory=dict)

    def plan(self, variable_values: dict[str, Any]) -> Plan | None:
        return self.plans.get(tuple(variable_values.get(flag) for flag in self.flags))


# A document's flags take 2^n values: only the first few are kept (the others are
# compiled each time they run), so that one document cannot fill the process.
MAX_PLANS_PER_DOCUMENT = 16
# Like strawberry's parser and validation caches, bounded; the oldest goes first.
_DOCUMENTS: Bounded[tuple[str, str | None], PlannedDocument] = Bounded(256)


def planned_document(text: str, operation_name: str | None) -> PlannedDocument | None:
    """The plans of a document that has run here, by its text and requested operation."""
    return _DOCUMENTS.get((text, operation_name))


def _remember(
    text: str,
    operation_name: str | None,
    document: DocumentNode,
    operation: DocumentNode,
    variable_values: dict[str, Any],
    plan: Plan | None,
) -> None:
    key = (text, operation_name)
    planned = _DOCUMENTS.get(key)
    if planned is None:
        planned = _DOCUMENTS.keep(key, PlannedDocument(document, _flags(operation), {}))
    if len(planned.plans) < MAX_PLANS_PER_DOCUMENT:
        planned.plans[tuple(variable_values.get(flag) for flag in planned.flags)] = plan


def _flags(document: DocumentNode) -> tuple[str, ...]:
    """The variables that @include and @skip read anywhere in the document."""
    names: set[str] = set()
    for selection in _selections(document):
        for directive in selection.directives or ():
            if directive.name.value in ("include", "skip"):
                for argument in directive.arguments or ():
                    if isinstance(argument.value, VariableNode):
                        names.add(argument.value.name.value)
    return tuple(sorted(names))


def _selections(document: DocumentNode) -> Iterator[Any]:
    pending: list[SelectionSetNode] = [
        d.selection_set for d in document.definitions if isinstance(d, ExecutableDefinitionNode)
    ]
    while pending:
        for selection in pending.pop().selections:
            yield selection
            inner = getattr(selection, "selection_set", None)
            if inner is not None:
                pending.append(inner)


class PlannedExecutor(CountingExecutor):
    @classmethod
    def build(cls, schema: GraphQLSchema, document: DocumentNode, *args: Any, **kwargs: Any) -> Any:
        # The executor keeps only the operation; a plan is kept with the whole document.
        return super().build(schema, document, *args, request_document=document, **kwargs)

    def __init__(self, *args: Any, request_document: DocumentNode, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._request_document = request_document
        # The rows this execution read by key, per compiled level (app.compiled_reads).
        self._levels: dict[LevelRead, dict[str, Any]] = {}

    def execute_collected_root_fields(
        self,
        root_type: GraphQLObjectType,
        root_value: Any,
        grouped_field_set: GroupedFieldSet,
        serially: bool,
        new_defer_usages: Sequence[Any],
    ) -> Any:
        graphql_context = self.context_value
        if serially or new_defer_usages or not getattr(graphql_context, "planned", False):
            return super().execute_collected_root_fields(
                root_type, root_value, grouped_field_set, serially, new_defer_usages
            )
        return self._planned(root_type, root_value, grouped_field_set, new_defer_usages)

    async def _planned(
        self,
        root_type: GraphQLObjectType,
        root_value: Any,
        grouped_field_set: GroupedFieldSet,
        new_defer_usages: Sequence[Any],
    ) -> Any:
        answer = self.context_value
        plan = self._plan(root_type, grouped_field_set)
        if plan is not None:
            try:
                data = await self.run(plan, root_value)
            except Exception:  # any failure is the standard executor's to answer
                if answer.response_budget.exceeded:
                    return None  # refused whole: the standard executor would build as much
                await self.forget_run()
            else:
                GRAPHQL_EXECUTIONS.labels("planned").inc()
                return data
        GRAPHQL_EXECUTIONS.labels("standard").inc()
        result = super().execute_collected_root_fields(
            root_type, root_value, grouped_field_set, False, new_defer_usages
        )
        return await result if self.is_awaitable(result) else result

    def _plan(self, root_type: GraphQLObjectType, fields: GroupedFieldSet) -> Plan | None:
        """The operation's plan: compiled here, and kept if the document's text is known."""
        text: str | None = getattr(self.context_value, "query_text", None)
        coerced = self.variable_values.coerced
        if text is not None:
            planned = planned_document(text, self.context_value.requested_operation)
            if planned is not None:
                key = tuple(coerced.get(flag) for flag in planned.flags)
                if key in planned.plans:
                    return planned.plans[key]
        try:
            plan: Plan | None = self.compile(root_type, fields)
        except _Decline:
            plan = None
        if text is not None:
            _remember(
                text, self.context_value.requested_operation, self._request_document,
                self.operation_document, coerced, plan,
            )  # fmt: skip
        return plan

    @property
    def operation_document(self) -> DocumentNode:
        """The operation with its fragments: where its @include and @skip flags are read."""
        fragments = (details.definition for details in self.fragments.values())
        return DocumentNode(definitions=(self.operation, *fragments))

    async def forget_run(self) -> None:
        """As if the plan had never run, for the standard executor after it.

        The session is rolled back after a database error (SQLite's read
        transaction; the session's own state), and warm loaders would change
        the order in which the standard executor awaits, and so the order of
        its errors.
        """
        answer = self.context_value
        await self._request.session.rollback()
        self._request.loaders.clear()
        self._levels.clear()
        answer.nodes = answer.response_budget.spent = 0

    @property
    def _request(self) -> RequestContext:
        clinova: RequestContext = self.context_value.clinova
        return clinova

    # Compiling: what graphql-core collects for each object, once.

    def compile(self, root_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet) -> Plan:
        scopes: set[str] = set()
        root = self._compile_object(root_type, grouped_field_set, scopes)
        return Plan(root, frozenset(scopes))

    def _compile_object(
        self, type_: GraphQLObjectType, fields: GroupedFieldSet, scopes: set[str]
    ) -> _ObjectPlan:
        selections = []
        for response_key, details in fields.items():
            first = details[0]
            name = first.node.name.value
            if name == "__typename":
                selections.append(_Selection(response_key, first, None, None, None, frozenset()))
                continue
            field_def = self.schema.get_field(type_, name)
            if field_def is None or name.startswith("__"):
                raise _Decline(name)
            plan = _plan_field(type_, name, field_def)
            if plan is None:
                raise _Decline(name)
            scopes.update(plan.scopes)
            named = get_named_type(field_def.type)
            inner = None
            if isinstance(named, GraphQLObjectType):
                grouped, new_defer_usages, _forbidden = self.collect_subfields(named, details)
                if new_defer_usages:
                    raise _Decline("@defer")
                inner = self._compile_object(named, grouped, scopes)
            elif not isinstance(named, GraphQLLeafType):
                raise _Decline(f"abstract type {named}")
            attributes = frozenset(
                s.plan.relation.parent_key if s.plan.relation else s.plan.field.python_name
                for s in (inner.selections if inner and plan.relation else ())
                if s.plan is not None
            )
            selections.append(_Selection(response_key, first, field_def, plan, inner, attributes))
        return _ObjectPlan(type_, tuple(selections))

    # Running: a whole level of objects at a time.

    async def run(self, plan: Plan, root_value: Any = None) -> dict[str, Any]:
        """The operation's data; raises whatever the standard executor must answer instead."""
        (data,) = await self._objects(plan.root, [root_value])
        return data

    async def _objects(self, plan: _ObjectPlan, objects: list[Any]) -> list[dict[str, Any]]:
        """Complete one level: every object of the plan's type with the same selection."""
        results: list[dict[str, Any]] = [{} for _ in objects]
        budget = self.context_value.response_budget
        type_name = plan.type_.name
        for selection in plan.selections:
            response_key = selection.key
            budget.spend((len(response_key) + KEY_OVERHEAD) * len(results))
            if selection.field_def is None:
                for result in results:
                    result[response_key] = type_name
                budget.spend(column_size([type_name]) * len(results))
                continue
            if _page_nodes(selection, objects):
                completed = self._page_texts(objects)
            elif (rendered := self._rendering(selection)) is None:
                values = await self._resolve(selection, objects)
                completed = await self._complete(selection.field_def.type, selection, values)
            else:
                completed = await self._rendered(selection, rendered, objects)
            for result, value in zip(results, completed, strict=True):
                result[response_key] = value
            if budget.exceeded:
                raise _Decline("over the answer's byte bound")
        return results

    # A root list's objects written by PostgreSQL, in its page's rows.

    def _projection(self, selection: _Selection) -> PageObjects | None:
        """What the page of this root list's resolver should carry for its `nodes`, if not rows."""
        if selection.inner is None or not self.context_value.rendered:
            return None
        dialect = self._request.session.get_bind().dialect.name
        if dialect not in selection.projections:
            made = None
            fanning = [
                s for s in selection.inner.selections
                if s.plan is not None and FAN_OUT in s.plan.field.metadata
            ]  # fmt: skip
            # One `nodes`, and nothing else reading the items as objects (edges).
            if dialect == "postgresql" and len(fanning) == 1 and _is_nodes(fanning[0]):
                assert fanning[0].inner is not None
                made = PageObjects(fanning[0].inner)
            selection.projections[dialect] = made
        made = selection.projections[dialect]
        if made is not None:
            for scope in made.scopes:  # as the fields' own checks would, before anything is read
                require_scope(self._request.principal, scope)
        return made

    def _page_texts(self, connections: list[Any]) -> list[Any]:
        """Each connection's `nodes`: its page's objects' text, joined into a list."""
        answer = self.context_value
        values: list[Any] = []
        for connection in connections:
            texts = []
            for row in connection.page.items:
                text = getattr(row, OBJECT)
                if text is None:  # a null or a value the standard executor refuses
                    raise _Decline("a value the standard executor refuses")
                texts.append(text)
                answer.nodes += 1 + (getattr(row, HELD, 0) or 0)
            encoded = ("[" + ",".join(texts) + "]").encode()
            answer.response_budget.spend(len(encoded))
            values.append(orjson.Fragment(encoded))
        return values

    # A relationship's objects written by PostgreSQL (graphql_schema.rendered).

    def _rendering(self, selection: _Selection) -> Rendering | None:
        plan = selection.plan
        if plan is None or plan.relation is None or not self.context_value.rendered:
            return None
        dialect = self._request.session.get_bind().dialect.name
        if dialect not in selection.renderings:
            made = None
            if dialect == "postgresql":
                assert selection.inner is not None
                with suppress(Unrendered):  # Python completes the level
                    made = rendering(plan.relation, selection.inner)
            selection.renderings[dialect] = made
        return selection.renderings[dialect]

    async def _rendered(
        self, selection: _Selection, rendered: Rendering, objects: list[Any]
    ) -> list[Any]:
        """The field's value for every object: its JSON text, or None (null)."""
        for scope in rendered.scopes:
            require_scope(self._request.principal, scope)
        keys = list(map(attrgetter(rendered.relation.parent_key), objects))
        answer = self.context_value
        values: list[Any] = []
        assert selection.field_def is not None
        non_null = isinstance(selection.field_def.type, GraphQLNonNull)
        for text, nodes in await self._texts(rendered, keys):
            if text is None:
                if non_null:
                    raise _Decline("null in a non-null position")
                values.append(None)
                continue
            encoded = text.encode()
            answer.nodes += nodes
            # More than the standard executor counts (it leaves out brackets and
            # commas): where this is over the bound, it decides.
            answer.response_budget.spend(len(encoded))
            values.append(orjson.Fragment(encoded))
        return values

    async def _texts(self, rendered: Rendering, keys: list[Any]) -> list[tuple[str | None, int]]:
        """For each parent's key, the field's JSON text (None: null) and the nodes it holds."""
        relation = rendered.relation
        wanted = [key for key in dict.fromkeys(keys) if key is not None]
        if not relation.many:
            # What is not shaped like an id names no row (and a NUL never reaches PostgreSQL).
            wanted = [key for key in wanted if looks_like_id(key)]
        rows = await fetch_level(self._request.session, rendered.read, wanted) if wanted else []
        filled = [await self._slot_texts(slot, rows) for slot in rendered.slots]
        # Column by column: each segment's text for every row, then the slot's between them.
        columns: list[list[str]] = []
        for index, label in enumerate(rendered.segments):
            texts = list(map(attrgetter(label), rows))
            if None in texts:  # a null or a value the standard executor refuses
                raise _Decline("a value the standard executor refuses")
            columns.append(texts)
            if index < len(filled):
                columns.append([text for text, _nodes in filled[index]])
        written = (
            columns[0] if len(columns) == 1 else list(map("".join, zip(*columns, strict=True)))
        )
        counts = (
            [1] * len(rows)
            if rendered.inlined is None
            else [1 + inlined for inlined in map(attrgetter(rendered.inlined), rows)]
        )
        for texts_and_nodes in filled:
            counts = [n + inner for n, (_text, inner) in zip(counts, texts_and_nodes, strict=True)]
        objects: dict[Any, list[str]] = {}
        held: dict[Any, int] = {}
        keyed = zip(map(attrgetter(relation.key.key), rows), written, counts, strict=True)
        for key, text, nodes in keyed:
            objects.setdefault(key, []).append(text)
            held[key] = held.get(key, 0) + nodes
        if relation.many:
            return [
                (None, 0)
                if key is None
                else ("[" + ",".join(objects.get(key, ())) + "]", held.get(key, 0))
                for key in keys
            ]
        return [(objects[key][0], held[key]) if key in objects else (None, 0) for key in keys]

    async def _slot_texts(self, slot: Slot, rows: list[Any]) -> list[tuple[str, int]]:
        """A slot's JSON text for each row, and the nodes of each."""
        selection = slot.selection
        assert selection.field_def is not None
        non_null = isinstance(selection.field_def.type, GraphQLNonNull)
        if slot.inner is not None:
            keys = list(map(attrgetter(slot.inner.relation.parent_key), rows))
            texts = await self._texts(slot.inner, keys)
            if non_null and any(text is None for text, _nodes in texts):
                raise _Decline("null in a non-null position")
            return [("null", 0) if text is None else (text, nodes) for text, nodes in texts]
        if slot.stored is not None:
            return self._stored_json(slot.stored, rows, non_null)
        # Completed as the planner completes any leaf; what it spent is spent again
        # with the whole text, and its nodes are counted per value, for each object.
        answer = self.context_value
        spent, nodes = answer.response_budget.spent, answer.nodes
        values = await self._resolve(selection, rows)
        completed = await self._complete(selection.field_def.type, selection, values)
        answer.response_budget.spent, answer.nodes = spent, nodes
        try:
            written = list(map(orjson.dumps, completed))
        except TypeError:  # beyond orjson: the router writes the whole answer otherwise
            raise _Decline("a value orjson cannot write") from None
        if not is_json(get_named_type(selection.field_def.type)):
            return [(text.decode(), 0) for text in written]
        return [
            (text.decode(), leaf_nodes(value, len(text)))
            for value, text in zip(completed, written, strict=True)
        ]

    @staticmethod
    def _stored_json(stored: str, rows: list[Any], non_null: bool) -> list[tuple[str, int]]:
        """A JSON column's values as the standard executor writes them, and their nodes.

        Read as SQLAlchemy's JSON type reads them (json.loads: the engine sets no
        deserializer) and written by orjson as the answer is; what orjson cannot
        write (an integer beyond 64 bits, which the router writes with json) declines.
        """
        texts: list[tuple[str, int]] = []
        for text in map(attrgetter(stored), rows):
            if text is None:
                if non_null:
                    raise _Decline("null in a non-null position")
                texts.append(("null", 0))
                continue
            try:
                value = json.loads(text)
                written = orjson.dumps(value)
            except (ValueError, TypeError, RecursionError):
                raise _Decline("a JSON value the standard path writes otherwise") from None
            texts.append((written.decode(), leaf_nodes(value, len(written))))
        return texts

    async def _resolve(self, selection: _Selection, objects: list[Any]) -> list[Any]:
        plan, field_def = selection.plan, selection.field_def
        assert plan is not None and field_def is not None
        for scope in plan.scopes:
            # Forbidden declines like any error: the standard executor nulls the field.
            require_scope(self._request.principal, scope)
        if plan.relation is not None:
            return await load_level(
                self._request.session, plan.relation, objects, selection.attributes, self._levels
            )
        field = plan.field
        if field.base_resolver is None:
            return list(map(attrgetter(field.python_name), objects))
        resolver = field.base_resolver
        first = selection.field
        raw = (
            get_argument_values(
                field_def,
                first.node,
                self.variable_values,
                first.fragment_variable_values,
                self.hide_suggestions,
            )
            if field_def.args or first.node.arguments
            else {}
        )
        kwargs: dict[str, Any] = {}
        if field.arguments:
            strawberry_schema = self.schema._strawberry_schema  # type: ignore[attr-defined]
            kwargs = convert_arguments(
                raw,
                field.arguments,
                scalar_registry=strawberry_schema.schema_converter.scalar_registry,
                config=strawberry_schema.config,
            )
        if resolver.info_parameter:
            kwargs[resolver.info_parameter.name] = PlannedInfo(
                self.context_value, self._projection(selection), _counts_total(selection)
            )
        # Strawberry's calling convention (schema_converter.get_arguments): the
        # source as `self`, and again as the `root`/`Parent` parameter. Called
        # through the wrapped function: StrawberryResolver.__call__ adds only a
        # check that it is callable (a failure declines here anyway), and cost
        # more than most resolvers' bodies.
        call = cast(Callable[..., Any], resolver.wrapped_func)
        takes_self = resolver.self_parameter is not None
        parents = [p.name for p in (resolver.parent_parameter, resolver.root_parameter) if p]
        values = [
            call(*((source,) if takes_self else ()), **kwargs, **dict.fromkeys(parents, source))
            for source in objects
        ]
        # Coroutines run when awaited, so one at a time in order, as before.
        return [await value for value in values] if field.is_async else values

    async def _complete(
        self, type_: GraphQLOutputType, selection: _Selection, values: list[Any]
    ) -> list[Any]:
        if isinstance(type_, GraphQLNonNull):
            completed = await self._complete(type_.of_type, selection, values)
            if None in completed:
                raise _Decline("null in a non-null position")
            return completed
        if isinstance(type_, GraphQLList):
            present = _present(values)
            items = await self._complete(
                type_.of_type, selection, list(chain.from_iterable(present))
            )
            lists: list[Any] = []
            start = 0
            for value in values:
                if value is None:
                    lists.append(None)
                else:
                    end = start + len(value)
                    lists.append(items[start:end])
                    start = end
            return lists
        if isinstance(type_, GraphQLObjectType):
            assert selection.inner is not None
            present = _present(values)
            if not type_.name.startswith("__"):
                self.context_value.nodes += len(present)
            completed = await self._objects(selection.inner, present)
            if present is values:
                return completed
            position = iter(completed)
            return [None if value is None else next(position) for value in values]
        if isinstance(type_, GraphQLLeafType):
            verbatim = _VERBATIM.get(type_)
            if verbatim is not None and verbatim.issuperset(map(type, values)):
                self.context_value.response_budget.spend(column_size(_present(values)))
                return values
            coerce: Callable[[Any], Any] = type_.coerce_output_value
            coerced = [None if value is None else coerce(value) for value in values]
            if coerced.count(None) != values.count(None) or any(c is Undefined for c in coerced):
                raise _Decline("a value the scalar cannot represent")
            self._spend_leaves(type_, _present(coerced))
            return coerced
        raise _Decline(f"abstract type {type_}")

    def _spend_leaves(self, type_: GraphQLLeafType, values: list[Any]) -> None:
        """What completed leaves add to the answer, as CountingExecutor counts each."""
        answer = self.context_value
        if not is_json(type_):
            answer.response_budget.spend(column_size(values))
            return
        for value in values:  # JSON values weigh one by one, by their size
            nodes, size = leaf_cost(value)
            answer.nodes += nodes
            answer.response_budget.spend(size)
