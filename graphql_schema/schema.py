from typing import Any

import strawberry
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionResult

from app.observability import note_error
from graphql_schema.changes import ChangeQueries
from graphql_schema.cost import QueryCost
from graphql_schema.errors import code_errors
from graphql_schema.idempotency import IdempotentMutations
from graphql_schema.limits import AliasLimit, ArgumentBounds, DepthLimit, TokenLimit
from graphql_schema.mutations import Mutation
from graphql_schema.operations import SingleOperation
from graphql_schema.planner import PlannedExecutor
from graphql_schema.queries import Query
from graphql_schema.scalars import SCALAR_MAP
from graphql_schema.webhooks import WebhookMutations, WebhookQueries

PARSER_CACHE_SIZE = VALIDATION_CACHE_SIZE = 256


# The change feed and webhooks are declared in their own modules and join the roots here.
@strawberry.type(name="Query", description="Reads of the caller's clinic.")
class RootQuery(Query, ChangeQueries, WebhookQueries):
    pass


@strawberry.type(
    name="Mutation", description="Writes to the caller's clinic, each in one transaction."
)
class RootMutation(Mutation, WebhookMutations):
    pass


class ClinovaSchema(strawberry.Schema):
    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any = None,
        *args: Any,
        **kwargs: Any,
    ) -> ExecutionResult:
        # Every result leaves through here, including errors raised while parsing,
        # which never reach an extension's on_operation exit.
        result = await super().execute(query, variable_values, context_value, *args, **kwargs)
        budget = getattr(context_value, "response_budget", None)
        if budget is not None and budget.exceeded:
            # What was built of an answer over its bound is dropped whole; its cost stays.
            result = ExecutionResult(
                data=None, errors=[budget.refusal()], extensions=result.extensions
            )
        if result.errors:
            clinova = getattr(context_value, "clinova", None)
            result.errors = code_errors(result.errors, clinova.request_id if clinova else "")
            for error in result.errors:
                note_error(context_value.request.scope, (error.extensions or {})["code"])
        return result

    def process_errors(self, errors: list[Any], execution_context: Any = None) -> None:
        # code_errors logs what is unexpected, with its traceback; callers' mistakes
        # (bad ids, missing scopes, invalid documents) are not server log noise.
        return None


schema = ClinovaSchema(
    query=RootQuery,
    mutation=RootMutation,
    # Classes and factories: each operation gets fresh extension instances (the
    # parser and validation caches themselves live at module level in strawberry).
    extensions=[
        # In this order: one operation, within its bounds (a document refused here
        # reserves no budget), its budget reserved, then its Idempotency-Key.
        SingleOperation,
        ArgumentBounds,
        QueryCost,
        IdempotentMutations,
        DepthLimit,
        AliasLimit,
        TokenLimit,
        lambda: ParserCache(maxsize=PARSER_CACHE_SIZE),
        lambda: ValidationCache(maxsize=VALIDATION_CACHE_SIZE),
    ],
    config=StrawberryConfig(scalar_map=SCALAR_MAP),
    execution_context_class=PlannedExecutor,
)
