"""How large a GraphQL answer may grow, counted while it is built.

The cost estimate sees how many objects a document asks for, not how large
their values are: twenty aliases of a pet's records with 20 KB lab panels are
220 requested nodes and a 48 MB answer. So the answer itself is bounded by
CLINOVA_MAX_RESPONSE_BYTES. Both executors spend one budget per request as
they complete values (each field's key, each leaf's JSON); once it is spent no
further field is resolved, and `graphql_schema.schema` answers the single
QUERY_TOO_COMPLEX error of `refusal` instead of what was built.
"""

import json
from typing import Any

import orjson
from graphql import GraphQLError

from graphql_schema.limits import TOO_COMPLEX

# What JSON puts around a field's value: quotes around its key, a colon, a comma.
KEY_OVERHEAD = 4


class ResponseBudget:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.spent = 0

    @property
    def exceeded(self) -> bool:
        return self.spent > self.max_bytes

    def spend(self, size: int) -> None:
        self.spent += size

    def refusal(self) -> GraphQLError:
        return GraphQLError(
            f"The answer would be larger than {self.max_bytes} bytes, the maximum; "
            "ask for fewer items (first), fewer aliases or fewer lab panels.",
            extensions={"code": TOO_COMPLEX, "details": {"maxResponseBytes": self.max_bytes}},
        )


def json_size(value: Any) -> int:
    """Bytes of `value` as the answer's JSON (graphql_schema.router writes it with orjson)."""
    try:
        return len(orjson.dumps(value))
    except TypeError:  # orjson's limits, where the router falls back to json
        return len(json.dumps(value, separators=(",", ":")).encode())


def column_size(values: list[Any]) -> int:
    """The bytes of every value in `values` together, measured in one call: `[a,b,c]`."""
    return json_size(values) - len(values) - 1 if values else 0
