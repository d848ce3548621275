"""The one operation a request executes, as GraphQL over HTTP defines it.

Strawberry runs the first operation of a document that has several when the
request names none; GraphQL over HTTP (and graphql-core) make that a request
error, and so do we: otherwise an Idempotency-Key keyed by one operation could
see another one run. The operation that executes also names the request in
metrics, by its type and root field as the schema spells them, never by the
client's operationName: a label set finite by construction.
"""

from collections.abc import Iterator

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    OperationDefinitionNode,
    get_operation_ast,
)
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

# Longest client operationName kept for the access log (never a metric label).
LOGGED_NAME_LENGTH = 100


class SingleOperation(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        graphql_context = context.context
        requested: str | None = graphql_context.requested_operation
        operations = [
            d for d in (document.definitions if document else ())
            if isinstance(d, OperationDefinitionNode)
        ]  # fmt: skip
        if requested is None and len(operations) > 1:
            context.result = ExecutionResult(data=None, errors=[GraphQLError(
                "The document holds several operations: name the one to run in operationName.",
                extensions={"code": "VALIDATION_ERROR"},
            )])  # fmt: skip
        elif document is not None:
            state = graphql_context.request.state
            state.graphql_operation = metric_label(document, requested)
            state.graphql_operation_name = (context.operation_name or "anonymous")[
                :LOGGED_NAME_LENGTH
            ]
        yield


def metric_label(document: DocumentNode, operation_name: str | None) -> str:
    """`query owners`, `mutation createOwner`; `query several` for more root fields.

    Called on validated documents only, whose field names are the schema's.
    """
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return ""
    names = {s.name.value for s in operation.selection_set.selections if isinstance(s, FieldNode)}
    kind = operation.operation.value
    if len(names) == 1:
        return f"{kind} {names.pop()}"
    return f"{kind} several" if names else kind
