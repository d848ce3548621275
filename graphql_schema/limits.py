"""Strawberry's limiters, with the contract's QUERY_TOO_COMPLEX code on their errors.

They are passed to the schema as classes, so each operation gets fresh instances.
Their rule classes are built once, here: the validation cache is keyed by the
rules, and rules made per operation would make every request a cache miss.
"""

from typing import Any

from graphql import GraphQLError
from graphql.validation import ASTValidationRule, ValidationContext
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)

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
