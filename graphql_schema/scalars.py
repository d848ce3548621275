from datetime import datetime
from typing import Any, NewType

import strawberry
from strawberry.scalars import JSON

from app.timestamps import format_timestamp, parse_timestamp

DateTime = NewType("DateTime", datetime)


def _parse(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("DateTime must be a string")
    return parse_timestamp(value)


SCALAR_MAP: dict[object, Any] = {
    DateTime: strawberry.scalar(
        name="DateTime",
        description=(
            "A UTC instant as ISO 8601 with milliseconds and Z (2026-01-15T14:30:00.000Z). "
            "As input, a date (2026-01-15, midnight UTC) or any ISO 8601 timestamp."
        ),
        serialize=format_timestamp,
        parse_value=_parse,
    )
}

__all__ = ["JSON", "SCALAR_MAP", "DateTime"]
