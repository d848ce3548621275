"""JSON text written by PostgreSQL, value by value, as the service's own writers write it.

Both surfaces can have a page's objects written by the database instead of
reading rows and writing them in Python (graphql_schema.rendered for GraphQL,
rest_compat.shapes for v1). What is written here is only what PostgreSQL
writes exactly as orjson and pydantic do: strings (to_json escapes as they
do), booleans, timestamps in the contract's format, midnight of a date, and
doubles outside exponent notation. Where the two would differ the text is
NULL, and the caller writes that object in Python instead.
"""

from collections.abc import Sequence
from functools import reduce
from operator import add
from typing import Any

import orjson
from sqlalchemy import BigInteger, ColumnElement, Float, Text, case, cast, func, literal_column

# app.timestamps.format_timestamp's format; AT TIME ZONE makes it the session's zone's no matter.
_TIMESTAMP = 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'


def constant(value: str) -> ColumnElement[str]:
    """A constant of the SQL text: in the statement, not a parameter of each execution."""
    return literal_column(quoted(value), Text)


def quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def string(value: ColumnElement[Any]) -> ColumnElement[str]:
    return cast(func.to_json(value), Text)


def boolean(value: ColumnElement[Any]) -> ColumnElement[str]:
    return case((value, constant("true")), (~value, constant("false")))


def timestamp(value: ColumnElement[Any]) -> ColumnElement[str]:
    """app.timestamps.format_timestamp of a timestamp column, quoted."""
    written = func.to_char(value.op("AT TIME ZONE")(constant("UTC")), constant(_TIMESTAMP))
    return constant('"') + written + constant('"')  # digits, dashes and colons: nothing to escape


def midnight(day: ColumnElement[Any]) -> ColumnElement[str]:
    """app.timestamps.midnight_utc of a date, formatted and quoted."""
    return constant('"') + func.to_char(day, constant("YYYY-MM-DD")) + constant('T00:00:00.000Z"')


def double(value: ColumnElement[Any]) -> ColumnElement[str]:
    """A double as orjson and pydantic write it (shortest, with `.0` when integral), or NULL.

    NULL where they would differ (exponents: below 1e-4 or from 1e15) and where
    JSON has no value for it (NaN, infinities; PostgreSQL sorts NaN above every number).
    """
    text = cast(value, Text)
    magnitude = func.abs(value)
    return case(
        (
            value == literal_column("0"),
            case((text == constant("-0"), constant("-0.0")), else_=constant("0.0")),
        ),
        (
            (value == func.trunc(value)) & (magnitude < literal_column("1e15")),
            cast(cast(func.trunc(value), BigInteger), Text) + constant(".0"),
        ),
        ((magnitude >= literal_column("1e-4")) & (magnitude < literal_column("1e15")), text),
    )


def money(cents: ColumnElement[Any]) -> ColumnElement[str]:
    """float() of app.column_types.Money's Decimal, from its integer cents, or NULL.

    Whole units are the integer and `.0`; any other amount is at least 0.01, so
    never in exponent notation, and below 2**53 cents (exact as a double) cents /
    100 rounds to the same double as the Decimal does; beyond, NULL. `double` of
    it would divide and cast in each of its branches.
    """
    within = func.abs(cents) < literal_column(str(2**53))
    whole = cents.op("%")(literal_column("100")) == literal_column("0")
    return case(
        (within & whole, cast(cents.op("/")(literal_column("100")), Text) + constant(".0")),
        (within, cast(cast(cents, Float) / literal_column("100.0", Float), Text)),
    )


def or_null(value: ColumnElement[Any], json: ColumnElement[str]) -> ColumnElement[str]:
    """`json`, or `null` where the value is NULL."""
    return case((value.is_(None), constant("null")), else_=json)


def object_text(members: Sequence[tuple[str, ColumnElement[str]]]) -> ColumnElement[str]:
    """`{"name":value,...}` of the members in order; NULL if any member's text is."""
    if not members:
        return constant("{}")
    pieces: list[ColumnElement[str]] = []
    for position, (name, json) in enumerate(members):
        pieces += [member(position, name), json]
    pieces.append(constant("}"))
    return reduce(add, pieces)


def member(position: int, name: str) -> ColumnElement[str]:
    """What opens the object (`{"name":`) or its next member (`,"name":`)."""
    return constant(("{" if position == 0 else ",") + orjson.dumps(name).decode() + ":")
