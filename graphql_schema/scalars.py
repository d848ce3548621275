from datetime import datetime
from typing import Any, NewType

import strawberry
from strawberry.scalars import JSON

from app.timestamps import format_timestamp, parse_timestamp

DateTime = NewType("DateTime", datetime)
# The scalar's GraphQL name (graphql_schema.rendered writes its columns in SQL).
DATETIME = "DateTime"


def _parse(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("DateTime must be a string")
    try:
        return parse_timestamp(value)
    except ValueError as error:
        # graphql-core names the argument or input field the value was given for.
        raise ValueError(f"DateTime {error}") from None


SCALAR_MAP: dict[object, Any] = {
    DateTime: strawberry.scalar(
        name=DATETIME,
        description=(
            "A UTC instant as ISO 8601 with milliseconds and Z (2026-01-15T14:30:00.000Z). "
            "As input, a date (2026-01-15, midnight UTC) or any ISO 8601 timestamp, "
            "from 1900-01-01 to 2999-12-31 UTC."
        ),
        serialize=format_timestamp,
        parse_value=_parse,
    )
}

__all__ = ["DATETIME", "JSON", "SCALAR_MAP", "DateTime"]
