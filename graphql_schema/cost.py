"""What a GraphQL request may cost, and what it did cost.

Before execution the document's nodes are estimated the way GitHub limits
them: a connection counts its `first` (default 50, at most 100), a nested list
counts an assumed fan-out (its relationship's, as the model declares it), and
nested lists multiply; a JSON field (a lab panel) weighs an assumed size, like
the fan-outs (JSON_FIELD_NODES).
Over MAX_REQUESTED_NODES the request is refused with QUERY_TOO_COMPLEX before
any SQL. Otherwise the estimate's units, ceil(nodes / 100) and at least 1, are
reserved from the key's budget before any resolver runs (429 when none is
left), so concurrent requests never answer more than the budget allows. After
execution the reservation is settled to the actual cost: ceil(actual nodes /
100) units, at least 1, where the actual nodes are the objects the executor
built and each JSON value weighs one node per JSON_BYTES_PER_NODE bytes of it
(at least one). A REST call (1 unit) and a GraphQL call share one budget
fairly. Every response reports it in `extensions.cost`, as Shopify does; the
budget refills whole (restoreRate units) when its one-minute window ends
(restoresAt).
"""

import math
from collections.abc import AsyncIterator, Iterator
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_operation_ast,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from app.errors import RateLimited
from app.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from app.rate_limits import Budget, Reservation
from graphql_schema.limits import TOO_COMPLEX
from graphql_schema.response_size import json_size

MAX_REQUESTED_NODES = 100_000
NODES_PER_UNIT = 100
# A JSON value weighs a node per this many bytes: about one record with its fields.
JSON_BYTES_PER_NODE = 1_000
# A lab panel as clinics record them is well under a kilobyte; two nodes leave
# headroom. The largest accepted (20,000 characters, app.inputs) is not assumed:
# the dashboard (every field of 50 owners down to invoices) would then
# be estimated over the node limit, and an answer that really is that large is
# refused by its size (CLINOVA_MAX_RESPONSE_BYTES) before it is built.
JSON_FIELD_NODES = 2
# The metadata key of a list field's assumed items per parent: a relationship's
# as its model declares it (graphql_schema.relations), a page's 1 per item.
FAN_OUT = "clinova_fan_out"


class UnknownFanOut(TypeError):
    """A list field with no assumed fan-out: the estimate cannot count it."""


def fan_out(type_: GraphQLObjectType, name: str, definition: GraphQLField) -> int:
    """Nodes of the field's type per parent object, as the estimate counts them."""
    key = (type_, name)
    if key not in _FAN_OUTS:
        field = definition.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
        declared = field.metadata.get(FAN_OUT) if isinstance(field, StrawberryField) else None
        if declared is None and _is_list(definition.type):
            raise UnknownFanOut(f"{type_.name}.{name} is a list with no fan-out ({FAN_OUT})")
        _FAN_OUTS[key] = 1 if declared is None else int(declared)
    return _FAN_OUTS[key]


_FAN_OUTS: dict[tuple[GraphQLObjectType, str], int] = {}


def _is_list(type_: GraphQLOutputType) -> bool:
    return isinstance(type_.of_type if isinstance(type_, GraphQLNonNull) else type_, GraphQLList)


def estimate_nodes(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: dict[str, Any] | None,
    operation_name: str | None,
) -> int:
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    root = schema.get_root_type(operation.operation)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    walker = _Walker(schema, fragments, variables or {})
    return walker.count(operation.selection_set, root, 1) if root else 0


class _Walker:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
    ) -> None:
        self.schema, self.fragments, self.variables = schema, fragments, variables

    def count(self, selections: SelectionSetNode, parent: Any, multiplier: int) -> int:
        total = 0
        for field, owner in self._fields(selections, parent):
            if field.name.value.startswith("__"):
                continue
            definition = owner.fields.get(field.name.value)
            target = get_named_type(definition.type) if definition else None
            if is_json(target):
                total += multiplier * JSON_FIELD_NODES
            if not isinstance(target, GraphQLObjectType) or field.selection_set is None:
                continue
            nodes = multiplier * fan_out(owner, field.name.value, definition)
            children = nodes
            if target.name.endswith("Connection"):
                children = nodes * self._page_size(field)
            total += nodes + self.count(field.selection_set, target, children)
        return total

    def _fields(self, selections: SelectionSetNode, parent: Any) -> Iterator[tuple[FieldNode, Any]]:
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                yield selection, parent
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                owner = self.schema.get_type(condition.name.value) if condition else parent
                yield from self._fields(selection.selection_set, owner)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    owner = self.schema.get_type(fragment.type_condition.name.value)
                    yield from self._fields(fragment.selection_set, owner)

    def _page_size(self, field: FieldNode) -> int:
        for argument in field.arguments or ():
            if argument.name.value != "first":
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return max(1, min(int(value.value), MAX_PAGE_SIZE))
            if isinstance(value, VariableNode):
                given = self.variables.get(value.name.value)
                if isinstance(given, int):
                    return max(1, min(given, MAX_PAGE_SIZE))
        return DEFAULT_PAGE_SIZE


def is_json(type_: Any) -> bool:
    return isinstance(type_, GraphQLScalarType) and type_.name == "JSON"


def leaf_cost(value: Any) -> tuple[int, int]:
    """The nodes and bytes a completed leaf adds: a JSON object or list weighs by its size."""
    size = json_size(value)
    return leaf_nodes(value, size), size


def leaf_nodes(value: Any, size: int) -> int:
    """The nodes of a completed leaf whose JSON is `size` bytes."""
    return max(1, math.ceil(size / JSON_BYTES_PER_NODE)) if isinstance(value, dict | list) else 0


def units_for(nodes: int) -> int:
    return max(1, math.ceil(nodes / NODES_PER_UNIT))


class QueryCost(SchemaExtension):
    def __init__(self) -> None:
        super().__init__()
        self.requested = 0
        self.reservation: Reservation | None = None
        self.refused = False

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        if context.result is None:  # an earlier extension may have refused the document
            self.requested = estimate_nodes(
                context.schema._schema, context.graphql_document,  # type: ignore[arg-type]
                context.variables, context.operation_name,
            )  # fmt: skip
            if self.requested > MAX_REQUESTED_NODES:
                # A result set here makes strawberry skip execution: no resolver, no SQL.
                context.result = GraphQLExecutionResult(data=None, errors=[GraphQLError(
                    f"Query would return up to {self.requested} nodes; the maximum is "
                    f"{MAX_REQUESTED_NODES}. Ask for fewer items (first) or less nesting.",
                    extensions={"code": TOO_COMPLEX, "cost": {
                        "requestedNodes": self.requested, "maximumNodes": MAX_REQUESTED_NODES}},
                )])  # fmt: skip
            else:
                await self._reserve()
        yield

    async def _reserve(self) -> None:
        context = self.execution_context
        clinova = getattr(context.context, "clinova", None)
        if clinova is None:
            return
        request = context.context.request
        limiter = request.app.state.rate_limiter
        try:
            self.reservation = await limiter.reserve(clinova.principal, units_for(self.requested))
        except RateLimited as refusal:
            self.refused = True
            # graphql_schema.router answers it 429 with its headers, as REST does.
            context.context.answer = refusal
            context.result = GraphQLExecutionResult(
                data=None, errors=[GraphQLError(refusal.message, original_error=refusal)]
            )

    async def get_results(self) -> dict[str, Any]:
        context = self.execution_context
        clinova = getattr(context.context, "clinova", None)
        if clinova is None or self.refused:
            return {}
        actual = context.context.nodes
        units = units_for(actual)
        request = context.context.request
        limiter = request.app.state.rate_limiter
        budget: Budget = (
            await limiter.settle(self.reservation, units)
            if self.reservation is not None
            # Refused before execution (parse, validation, limits): like a REST call.
            else await limiter.charge(clinova.principal, units, strict=False)
        )
        request.state.budget = budget
        return cost_extension(self.requested, actual, budget)


def cost_extension(requested: int, actual: int, budget: Budget) -> dict[str, Any]:
    """The answer's `extensions`: what it was estimated at, what it cost, what is left."""
    return {"cost": {
        "requestedNodes": requested,
        "actualNodes": actual,
        "unitsCharged": units_for(actual),
        "throttleStatus": {
            "maximumAvailable": budget.limit,
            "currentlyAvailable": budget.remaining,
            "restoreRate": budget.limit,
            "restoresAt": budget.reset_at,
        },
    }}  # fmt: skip
