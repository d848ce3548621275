import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Enum,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.ids import new_id
from app.models import Base, Timestamped
from app.tenancy import ClinicScoped

# An autoincrementing id on both backends (SQLite's must be INTEGER PRIMARY KEY).
SERIAL = BigInteger().with_variant(Integer(), "sqlite")


class WebhookEndpoint(ClinicScoped, Timestamped, Base):
    """Not an entity of the API (ClinicOwned, app.rows): no event, no compiled read."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index(None, "clinic_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(25), primary_key=True, default=new_id)
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str | None] = mapped_column(String(500))
    # Comma-separated event types; empty: every type.
    types: Mapped[str] = mapped_column(Text, default="")
    # Fernet tokens (app.webhooks.signing): a dump of the table holds no usable secret.
    secret: Mapped[str] = mapped_column(Text)
    previous_secret: Mapped[str | None] = mapped_column(Text)
    previous_secret_expires_at: Mapped[datetime | None]
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(300))
    # The last event of the clinic's log considered for this endpoint (app.webhooks.queue).
    cursor_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # Which instance delivers to it, until when (app.webhooks.queue.claim).
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    leased_until: Mapped[datetime | None]
    # When it was last claimed: the least recently served goes first.
    claimed_at: Mapped[datetime | None]

    @property
    def type_set(self) -> frozenset[str]:
        return frozenset(t for t in self.types.split(",") if t)


class DeliveryState(enum.StrEnum):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


class WebhookDelivery(ClinicScoped, Base):
    """One event for one endpoint: pending until a 2xx, or failed after the retry window."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        ForeignKeyConstraint(
            ["clinic_id", "event_seq"],
            ["change_events.clinic_id", "change_events.seq"],
            ondelete="CASCADE",
        ),
        # The endpoint's queue, head first (app.webhooks.queue), and its log, newest first.
        Index(None, "endpoint_id", "state", "id"),
        Index(None, "endpoint_id", "id"),
        Index(None, "clinic_id", "event_seq"),
    )

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True, autoincrement=True)
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_seq: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[DeliveryState] = mapped_column(
        Enum(DeliveryState, native_enum=False, length=10, name="state"),
        default=DeliveryState.PENDING,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(300))


class WebhookAttempt(ClinicScoped, Base):
    """One POST of a delivery: the endpoint's delivery log."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index(None, "delivery_id", "attempt"),)

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("webhook_deliveries.id", ondelete="CASCADE")
    )
    attempt: Mapped[int] = mapped_column(Integer)
    attempted_at: Mapped[datetime]
    status_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(300))
    # Which instance sent it (host:pid:random), for operators; never shown to API callers.
    sent_by: Mapped[str] = mapped_column(String(100))
