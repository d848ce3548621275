"""Idempotency-Key on GraphQL mutations, claimed once the executing operation is known.

It runs after the document is parsed and validated (through the one place that
applies the limits), after the key was authenticated (the context) and the
budget reserved (QueryCost, before it in the schema's extensions), and only for
the operation that executes (`graphql_schema.operations` refuses ambiguous
documents). A replay or a refusal skips execution; the router answers it.
"""

from collections.abc import AsyncIterator

from graphql import FieldNode, get_operation_ast
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult
from strawberry.types.execution import ExecutionContext
from strawberry.types.graphql import OperationType

from app.errors import ClinovaError
from app.http.idempotency import begin
from app.scopes import Principal, may
from graphql_schema.permissions import required_scopes


class IdempotentMutations(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        clinova = context.context.clinova
        if (
            context.result is None
            and clinova is not None
            and context.operation_type is OperationType.MUTATION
            and _may_run_any(context, clinova.principal)
        ):
            try:
                answer = await begin(context.context.request, clinova.principal)
            except ClinovaError as refusal:
                context.context.answer = refusal
                context.result = ExecutionResult(data=None, errors=None)
            else:
                if answer is not None:
                    context.context.answer = answer
                    context.result = ExecutionResult(data=None, errors=None)
        yield


def _may_run_any(context: ExecutionContext, principal: Principal) -> bool:
    """Whether any root field would run for this key: the scope check before a replay.

    A key allowed none of them gets each refused by execution, as without a key;
    one allowed some claims the key, which then replays only to it.
    """
    assert context.graphql_document is not None
    operation = get_operation_ast(context.graphql_document, context.context.requested_operation)
    if operation is None:
        return False
    fields = [s for s in operation.selection_set.selections if isinstance(s, FieldNode)]
    if len(fields) < len(operation.selection_set.selections):
        return True  # fragments on the root: claim, and let execution check each field
    return any(
        all(
            may(principal, scope)
            for scope in required_scopes(context.schema, "Mutation", f.name.value)
        )
        for f in fields
    )
