"""Read-only operations executed a whole level at a time.

graphql-core resolves and completes every field of every object on its own: a
resolve info, strawberry's resolver wrappers, an awaitable check, completion,
about 10 µs each; a 50-owner dashboard is several thousand of them. For a query
made only of fields it knows, this executor walks graphql-core's own collected
fields once per level instead: a relationship loads the whole level in one
statement compiled once from its declaration (app.compiled_reads: the clinic
predicate of app.tenancy, only the columns asked for, run on the raw driver
connection of the request's session), plain fields are read and coerced in a loop.

Whatever it does not know (introspection, @defer, abstract types, field
extensions other than scope checks) and whatever would answer with an error (a
missing scope, an unknown id, a bad argument, a database failure) declines, and
graphql-core executes the operation as usual. So the answer is always the
standard executor's; `tests/test_planned_execution.py` checks that byte for
byte on a generated corpus of documents. It counts what it builds as the
standard executor does (graphql_schema.counted_execution), a level at a time,
and stops once the answer is over its byte bound.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain
from operator import attrgetter
from types import NoneType
from typing import Any, cast

from graphql import (
    GraphQLBoolean,
    GraphQLField,
    GraphQLID,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLString,
    Undefined,
    get_named_type,
)
from graphql.execution.collect_fields import FieldDetails, GroupedFieldSet
from graphql.execution.values import get_argument_values
from strawberry.permission import PermissionExtension
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.arguments import convert_arguments
from strawberry.types.field import StrawberryField

from app.compiled_reads import LevelRead, load_level
from app.context import RequestContext
from app.observability import GRAPHQL_EXECUTIONS
from app.relationships import Relation
from app.scopes import require_scope
from graphql_schema.cost import is_json, leaf_cost
from graphql_schema.counted_execution import CountingExecutor
from graphql_schema.relations import RELATION
from graphql_schema.response_size import KEY_OVERHEAD, column_size

FieldDetailsList = list[FieldDetails]

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
class _RootInfo:
    # What root resolvers read from their `info`: the request context, reached
    # through `graphql_schema.context.ctx`. Nested fields never get an info.
    context: Any


@dataclass(frozen=True)
class _FieldPlan:
    field: StrawberryField
    scopes: tuple[str, ...]
    relation: Relation | None


_PLANS: dict[tuple[str, str], _FieldPlan | None] = {}


def _present(values: list[Any]) -> list[Any]:
    """`values` without its nulls (the same list when it has none)."""
    return [value for value in values if value is not None] if None in values else values


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


class PlannedExecutor(CountingExecutor):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
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
        try:
            (data,) = await self._objects(root_type, [root_value], grouped_field_set)
        except Exception:  # any failure is the standard executor's to answer
            if answer.response_budget.exceeded:
                return None  # refused whole: the standard executor would build as much
            GRAPHQL_EXECUTIONS.labels("standard").inc()
            # As if the planner had never run: the session is rolled back after
            # a database error (SQLite's read transaction; the session's own
            # state), and warm loaders would change the order in which the
            # standard executor awaits, and so the order of its errors.
            await self._request.session.rollback()
            self._request.loaders.clear()
            answer.nodes = answer.response_budget.spent = 0
        else:
            GRAPHQL_EXECUTIONS.labels("planned").inc()
            return data
        result = super().execute_collected_root_fields(
            root_type, root_value, grouped_field_set, False, new_defer_usages
        )
        return await result if self.is_awaitable(result) else result

    @property
    def _request(self) -> RequestContext:
        clinova: RequestContext = self.context_value.clinova
        return clinova

    async def _objects(
        self, type_: GraphQLObjectType, objects: list[Any], fields: GroupedFieldSet
    ) -> list[dict[str, Any]]:
        """Complete one level: every object of `type_` with the same selection."""
        results: list[dict[str, Any]] = [{} for _ in objects]
        budget = self.context_value.response_budget
        for response_key, details in fields.items():
            budget.spend((len(response_key) + KEY_OVERHEAD) * len(results))
            name = details[0].node.name.value
            if name == "__typename":
                for result in results:
                    result[response_key] = type_.name
                budget.spend(column_size([type_.name]) * len(results))
                continue
            field_def = self.schema.get_field(type_, name)
            if field_def is None or name.startswith("__"):
                raise _Decline(name)
            values = await self._resolve(type_, field_def, details, objects)
            completed = await self._complete(field_def.type, details, values)
            for result, value in zip(results, completed, strict=True):
                result[response_key] = value
            if budget.exceeded:
                raise _Decline("over the answer's byte bound")
        return results

    async def _resolve(
        self,
        type_: GraphQLObjectType,
        field_def: GraphQLField,
        details: FieldDetailsList,
        objects: list[Any],
    ) -> list[Any]:
        plan = _plan_field(type_, details[0].node.name.value, field_def)
        if plan is None:
            raise _Decline(details[0].node.name.value)
        for scope in plan.scopes:
            # Forbidden declines like any error: the standard executor nulls the field.
            require_scope(self._request.principal, scope)
        if plan.relation is not None:
            related = get_named_type(field_def.type)
            attributes = self._attributes(related, details)  # type: ignore[arg-type]
            return await load_level(
                self._request.session, plan.relation, objects, attributes, self._levels
            )
        field = plan.field
        if field.base_resolver is None:
            return list(map(attrgetter(field.python_name), objects))
        resolver = field.base_resolver
        first = details[0]
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
            kwargs[resolver.info_parameter.name] = _RootInfo(self.context_value)
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

    def _attributes(self, type_: GraphQLObjectType, details: FieldDetailsList) -> frozenset[str]:
        """What rows of `type_` must carry for this selection: its fields and relation keys."""
        grouped, _new_defer_usages, _forbidden = self.collect_subfields(type_, details)
        attributes = set()
        for sub_details in grouped.values():
            name = sub_details[0].node.name.value
            field_def = type_.fields.get(name)
            if field_def is None:
                continue  # __typename; other meta fields decline when completed
            plan = _plan_field(type_, name, field_def)
            if plan is None:
                raise _Decline(name)
            attributes.add(plan.relation.parent_key if plan.relation else plan.field.python_name)
        return frozenset(attributes)

    async def _complete(
        self, type_: GraphQLOutputType, details: FieldDetailsList, values: list[Any]
    ) -> list[Any]:
        if isinstance(type_, GraphQLNonNull):
            completed = await self._complete(type_.of_type, details, values)
            if None in completed:
                raise _Decline("null in a non-null position")
            return completed
        if isinstance(type_, GraphQLList):
            present = _present(values)
            items = await self._complete(type_.of_type, details, list(chain.from_iterable(present)))
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
            grouped, new_defer_usages, _forbidden = self.collect_subfields(type_, details)
            if new_defer_usages:
                raise _Decline("@defer")
            present = _present(values)
            if not type_.name.startswith("__"):
                self.context_value.nodes += len(present)
            completed = await self._objects(type_, present, grouped)
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
