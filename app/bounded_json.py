"""The one JSON decoder for what callers send: bodies, GraphQL variables, extensions.

orjson refuses nesting deeper than 1,024 levels with a decode error instead of
recursing until Python's stack gives out (`[[[…]]]` 100k deep was a
RecursionError and a 500), and it refuses NaN and Infinity, which are not JSON.
"""

from typing import Any

import orjson

from app.errors import Invalid


def decode_json(data: bytes | str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        problem = {"body": "malformed JSON"}
        raise Invalid("Request body is not valid JSON", details=problem) from None
