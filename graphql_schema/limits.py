"""What a document may ask: strawberry's limiters, and bounded string arguments.

The limiters carry the contract's QUERY_TOO_COMPLEX code on their errors.
They are passed to the schema as classes, so each operation gets fresh instances.
Their rule classes are built once, here: the validation cache is keyed by the
rules, and rules made per operation would make every request a cache miss.
"""

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    ExecutableDefinitionNode,
    FieldNode,
    GraphQLError,
    ListValueNode,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    VariableNode,
    get_operation_ast,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.validation import ASTValidationRule, ValidationContext
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

from app.text_bounds import max_length, too_long

TOO_COMPLEX = "QUERY_TOO_COMPLEX"
MAX_DEPTH = 10
MAX_ALIASES = 20
MAX_TOKENS = 2000


class _CodingContext:
    """A validation context whose reported errors carry QUERY_TOO_COMPLEX."""

    def __init__(self, inner: ValidationContext) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def report_error(self, error: GraphQLError) -> None:
        error.extensions = {**(error.extensions or {}), "code": TOO_COMPLEX}
        self._inner.report_error(error)


def _coded(rule: type[ASTValidationRule]) -> type[ASTValidationRule]:
    class Coded(rule):  # type: ignore[valid-type,misc]
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(_CodingContext(context))

    return Coded


_DEPTH_RULES = [_coded(rule) for rule in QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules]
_ALIAS_RULES = [
    _coded(rule) for rule in MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules
]


class DepthLimit(AddValidationRules):
    def __init__(self) -> None:
        super().__init__(_DEPTH_RULES)


class AliasLimit(AddValidationRules):
    def __init__(self) -> None:
        super().__init__(_ALIAS_RULES)


class TokenLimit(MaxTokensLimiter):
    """graphql-core aborts the parse; `graphql_schema.errors` codes that syntax error."""

    def __init__(self) -> None:
        super().__init__(max_token_count=MAX_TOKENS)


def is_token_limit_error(error: GraphQLError) -> bool:
    return error.message.startswith(f"Syntax Error: Document contains more than {MAX_TOKENS}")


class ArgumentBounds(SchemaExtension):
    """Every string argument within app.text_bounds, before any resolver runs.

    Once the document is valid, so every argument is one the schema declares;
    by name, so REST and GraphQL share each bound, and by value, literal or
    variable, so no argument is left out. Input objects are app.inputs' to bound.
    """

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            errors = overlong_arguments(document, context.operation_name, context.variables or {})
            if errors:
                # A result set here makes strawberry skip execution: no resolver, no SQL.
                context.result = GraphQLExecutionResult(data=None, errors=errors)
        yield


def overlong_arguments(
    document: DocumentNode, operation_name: str | None, variables: Mapping[str, Any]
) -> list[GraphQLError]:
    operation = get_operation_ast(document, operation_name)
    defaults = {
        definition.variable.name.value: definition.default_value
        for definition in (operation.variable_definitions or () if operation else ())
        if definition.default_value is not None
    }
    errors = []
    for argument in _arguments(document):
        name = argument.name.value
        bound = max_length(name)
        if any(len(text) > bound for text in _texts(argument.value, variables, defaults)):
            error = too_long(name)
            errors.append(GraphQLError(error.message, argument, original_error=error))
    return errors


def _arguments(document: DocumentNode) -> Iterator[ArgumentNode]:
    pending: list[SelectionSetNode] = [
        d.selection_set for d in document.definitions if isinstance(d, ExecutableDefinitionNode)
    ]
    while pending:
        for selection in pending.pop().selections:
            for directive in selection.directives or ():
                yield from directive.arguments or ()
            if isinstance(selection, FieldNode):
                yield from selection.arguments or ()
            inner = getattr(selection, "selection_set", None)
            if inner is not None:
                pending.append(inner)


def _texts(
    value: ValueNode, variables: Mapping[str, Any], defaults: Mapping[str, ValueNode]
) -> Iterator[str]:
    if isinstance(value, StringValueNode):
        yield value.value
    elif isinstance(value, ListValueNode):
        for item in value.values:
            yield from _texts(item, variables, defaults)
    elif isinstance(value, VariableNode):
        name = value.name.value
        if name not in variables:
            default = defaults.get(name)
            if default is not None:
                yield from _texts(default, variables, defaults)
            return
        given = variables[name]
        for item in given if isinstance(given, list) else (given,):
            if isinstance(item, str):
                yield item
