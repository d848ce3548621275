"""The contract's timestamps: UTC, milliseconds, Z."""

import random
from datetime import UTC, datetime, timedelta, timezone

from app.timestamps import format_timestamp


def test_timestamps_are_utc_with_milliseconds_and_z() -> None:
    moment = datetime(2026, 1, 15, 14, 30, 0, 123_456, tzinfo=UTC)
    assert format_timestamp(moment) == "2026-01-15T14:30:00.123Z"
    # naive means UTC; other offsets are converted; early years keep four digits
    assert format_timestamp(moment.replace(tzinfo=None)) == "2026-01-15T14:30:00.123Z"
    assert format_timestamp(moment.astimezone(timezone(timedelta(hours=-5)))) == (
        "2026-01-15T14:30:00.123Z"
    )
    assert format_timestamp(datetime(7, 3, 4, 5, 6, 7, tzinfo=UTC)) == "0007-03-04T05:06:07.000Z"


def test_timestamps_read_as_isoformat_would_write_them() -> None:
    rng = random.Random(20261201)
    for _ in range(2000):
        offset = timezone(timedelta(minutes=rng.randint(-720, 720)))
        moment = datetime(
            rng.randint(2, 9998), rng.randint(1, 12), rng.randint(1, 28),
            rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59), rng.randint(0, 999_999),
            tzinfo=rng.choice((UTC, offset)),
        )  # fmt: skip
        expected = moment.astimezone(UTC).isoformat(timespec="milliseconds")
        assert format_timestamp(moment) == expected.replace("+00:00", "Z")
