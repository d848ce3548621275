from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models import Base
from app.tenancy import ClinicScoped


class ChangeEvent(ClinicScoped, Base):
    """One write of one entity. `seq` is the event's id: 1, 2, 3, ... per clinic, in
    commit order (app.change_log.recording), so a reader never sees a gap fill in."""

    __tablename__ = "change_events"
    __table_args__ = (PrimaryKeyConstraint("clinic_id", "seq"), Index(None, "occurred_at"))

    seq: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[str] = mapped_column(String(25))
    occurred_at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
    # The object as GraphQL shows it (app.change_log.shapes); a deleted one: its id.
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class ChangeCounter(ClinicScoped, Base):
    """The clinic's last event id, and the last one retention has removed."""

    __tablename__ = "change_counters"
    __table_args__ = (PrimaryKeyConstraint("clinic_id"),)

    last_seq: Mapped[int] = mapped_column(BigInteger)
    # Cursors before this are expired: events after them are gone (app.change_log.feed).
    purged_through: Mapped[int] = mapped_column(BigInteger, default=0)
