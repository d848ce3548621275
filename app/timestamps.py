"""The contract's time format: UTC, milliseconds, `Z` (`2026-01-15T14:30:00.000Z`)."""

from datetime import UTC, date, datetime, time


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


def parse_timestamp(text: str) -> datetime:
    """A date (`2026-01-15`, midnight UTC) or a full ISO 8601 timestamp; naive means UTC."""
    text = text.strip()
    if len(text) == 10:
        return midnight_utc(date.fromisoformat(text))
    parsed = datetime.fromisoformat(text.replace("z", "Z"))
    if "T" not in text.upper() and " " not in text:
        raise ValueError("not a timestamp")
    return to_millis(parsed)


def parse_date(text: str) -> date:
    """`birthdate`: `YYYY-MM-DD` or a full timestamp, kept as its UTC date."""
    return parse_timestamp(text).date()
