"""The contract's time format: UTC, milliseconds, `Z` (`2026-01-15T14:30:00.000Z`).

Every timestamp or date a caller hands us is read by `parse_timestamp` (or
checked by `in_range` once a GraphQL scalar or pydantic has made it a datetime),
so every surface accepts the same range: a value near year 1 or 9999 overflows
Python's datetime once its offset is applied, and would otherwise be a 500.
"""

from datetime import UTC, date, datetime, time

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, 23, 59, 59, 999_000, tzinfo=UTC)
# What a caller is told, under the field's name.
NOT_A_TIMESTAMP = "must be an ISO 8601 date or timestamp"
OUT_OF_RANGE = "must be from 1900-01-01 to 2999-12-31 (UTC)"


def utc_now() -> datetime:
    return to_millis(datetime.now(UTC))


def to_millis(value: datetime) -> datetime:
    if value.tzinfo is UTC and not value.microsecond % 1000:
        return value  # what the database hands back: nothing to do, and it is most calls
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def format_timestamp(value: datetime) -> str:
    value = to_millis(value)
    # The contract's Z, not isoformat's +00:00; and %-formatting the fields is half
    # the cost of isoformat(timespec=...), which a dashboard pays for every date.
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (  # noqa: UP031
        value.year, value.month, value.day, value.hour, value.minute, value.second,
        value.microsecond // 1000,
    )  # fmt: skip


def midnight_utc(value: date) -> datetime:
    return datetime.combine(value, time(0), tzinfo=UTC)


def in_range(value: datetime) -> datetime:
    """`value` in UTC to the millisecond, or ValueError(OUT_OF_RANGE); naive means UTC."""
    try:
        moment = to_millis(value)
    except OverflowError:  # the offset moved it before year 1 or past 9999
        raise ValueError(OUT_OF_RANGE) from None
    if not EARLIEST <= moment <= LATEST:
        raise ValueError(OUT_OF_RANGE)
    return moment


def parse_timestamp(text: str) -> datetime:
    """A date (`2026-01-15`, midnight UTC) or a full ISO 8601 timestamp; naive means UTC.

    A ValueError's message is what the caller is told: NOT_A_TIMESTAMP or OUT_OF_RANGE.
    """
    text = text.strip()
    try:
        if len(text) == 10:
            parsed = midnight_utc(date.fromisoformat(text))
        elif "T" in text.upper() or " " in text:
            parsed = datetime.fromisoformat(text.replace("z", "Z"))
        else:
            raise ValueError(NOT_A_TIMESTAMP)
    except ValueError:
        raise ValueError(NOT_A_TIMESTAMP) from None
    return in_range(parsed)


def parse_date(text: str) -> date:
    """`birthdate`: `YYYY-MM-DD` or a full timestamp, kept as its UTC date."""
    return parse_timestamp(text).date()
