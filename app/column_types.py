from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect
from sqlalchemy.types import TypeDecorator

from app.timestamps import to_millis

CENT = Decimal("0.01")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in Python, millisecond precision on both backends.

    SQLite has no timezone type, so values are stored there as naive UTC text;
    every bind goes through here so comparisons stay consistent.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = to_millis(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return to_millis(value)

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        if self.impl_instance.result_processor(dialect, coltype) is None:
            # asyncpg hands back aware datetimes: one call per value instead of
            # three layers of TypeDecorator's (a page reads 150 of them).
            return _millis_or_none
        return super().result_processor(dialect, coltype)


def _millis_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else to_millis(value)


class Money(TypeDecorator[Decimal]):
    """Exact money: a Decimal with 2 places in Python, integer cents in the database.

    Integer cents keep SQLite exact too (its NUMERIC affinity would store a float).
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        return int(quantize_money(value) * 100)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        # Cents shifted two places: the same Decimal as dividing and quantizing, for less.
        return Decimal(int(value)).scaleb(-2)


def quantize_money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)
