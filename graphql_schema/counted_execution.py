"""graphql-core's executor, counting the answer while it builds it.

An answer's two measures are counted once, as its values are completed, by
whichever executor builds it (this one, or graphql_schema.planner's, which
extends it): its nodes for graphql_schema.cost (objects, and JSON values by
their size) and its bytes for graphql_schema.response_size. Once the answer is
over its byte bound no further field is resolved.
"""

from typing import Any

from graphql import GraphQLLeafType, GraphQLObjectType
from graphql.execution.collect_fields import FieldDetails
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from graphql_schema.cost import leaf_cost
from graphql_schema.response_size import KEY_OVERHEAD


class CountingExecutor(StrawberryGraphQLCoreExecutionContext):
    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: list[FieldDetails],
        path: Path,
        position_context: Any,
    ) -> Any:
        budget = self.context_value.response_budget
        if budget.exceeded:
            # The answer is refused whole (graphql_schema.schema): build no more of it.
            return None
        budget.spend(len(str(path.key)) + KEY_OVERHEAD)
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )

    def collect_and_execute_subfields(
        self,
        return_type: GraphQLObjectType,
        field_details_list: list[FieldDetails],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        # Introspection describes the schema, not the clinic's data: not costed.
        if not return_type.name.startswith("__"):
            self.context_value.nodes += 1
        return super().collect_and_execute_subfields(
            return_type, field_details_list, path, result, position_context
        )

    def complete_leaf_value(self, return_type: GraphQLLeafType, result: Any) -> Any:  # type: ignore[override]
        coerced = super().complete_leaf_value(return_type, result)
        nodes, size = leaf_cost(coerced)
        self.context_value.nodes += nodes
        self.context_value.response_budget.spend(size)
        return coerced
