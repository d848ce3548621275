from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The embedded database lives in the working directory so that `make run` and a
# laptop user find it without configuration; operators point CLINOVA_DATABASE_URL
# elsewhere.
DEFAULT_SQLITE_PATH = Path("clinova.db")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLINOVA_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default=f"sqlite+aiosqlite:///{DEFAULT_SQLITE_PATH}",
        description="SQLAlchemy URL: sqlite+aiosqlite:///path or postgresql+asyncpg://...",
    )
    redis_url: str | None = Field(default=None, description="Optional Redis URL")
    host: str = Field(default="127.0.0.1", description="Address `clinova serve` binds")
    port: int = Field(default=8000, description="Port `clinova serve` listens on")
    workers: int = Field(default=1, description="Worker processes for `clinova serve`")
    # A stalled database costs at most a pre-ping (command timeout) plus a fresh
    # connect (connect timeout) before the request is answered 503: under 5 s.
    forwarded_allow_ips: str = Field(
        default="127.0.0.1", description="Proxies whose X-Forwarded-* headers are trusted"
    )
    shutdown_timeout: int = Field(
        default=20, description="Seconds in-flight requests get to finish on SIGTERM"
    )
    db_connect_timeout: float = Field(
        default=2.0, description="Seconds to wait for a database connection"
    )
    db_pool_timeout: float = Field(
        default=3.0, description="Seconds to wait for a free pooled connection"
    )
    db_command_timeout: float = Field(
        default=2.5, description="Seconds a PostgreSQL statement may take before a 503"
    )
    db_pool_size: int = Field(default=10, description="Pooled connections per process")
    rate_limit_per_minute: int = Field(
        default=100, description="Requests per minute per API key, unless the key sets its own"
    )
    cors_origins: list[str] = Field(
        default=[],
        description='Browser origins allowed to call the API, e.g. ["https://app.example"]',
    )
    metrics_enabled: bool = Field(default=True, description="Serve Prometheus metrics at /metrics")
    metrics_token: str | None = Field(
        default=None, description="If set, /metrics needs `Authorization: Bearer <token>`"
    )
    max_body_bytes: int = Field(
        default=1_048_576, description="Largest request body accepted, in bytes"
    )
    body_timeout: float = Field(
        default=10.0, description="Seconds a client has to send its whole request body"
    )
    max_response_bytes: int = Field(
        default=8_388_608, description="Largest GraphQL answer built, in bytes (QUERY_TOO_COMPLEX)"
    )
    compiled_routes: bool = Field(
        default=True,
        description=(
            "Answer v1 reads, and GraphQL queries already planned, without FastAPI's "
            "routing and dependencies (false: every request through them)"
        ),
    )
    graphql_planner: bool = Field(
        default=True,
        description=(
            "Compile read-only GraphQL queries into plans run a level at a time "
            "(false: field by field)"
        ),
    )
    sqlite_busy_timeout_ms: int = Field(
        default=5000, description="How long an SQLite writer waits for the lock"
    )
    events_retention_days: int = Field(
        default=30, ge=1, description="Days the change log keeps an event (the feed, webhooks)"
    )
    deliver_in_serve: bool = Field(
        default=True, description="`clinova serve` also delivers webhooks (else `clinova deliver`)"
    )
    webhook_encryption_key: str | None = Field(
        default=None,
        description="Fernet key encrypting webhook signing secrets at rest (webhooks need it)",
    )
    webhooks_allow_private: bool = Field(
        default=False,
        description="Allow http and loopback/private/link-local webhook URLs (development, tests)",
    )
    webhook_timeout: float = Field(
        default=10.0, gt=0, description="Seconds a webhook receiver has to answer"
    )
    webhook_retry_base: float = Field(
        default=30.0, gt=0, description="Seconds before the first webhook retry; doubling after"
    )
    webhook_retry_max_delay: float = Field(
        default=21_600.0, gt=0, description="Longest wait between two webhook retries, in seconds"
    )
    webhook_retry_window: float = Field(
        default=259_200.0, gt=0, description="Seconds a webhook is retried before it fails (3 days)"
    )
    delivery_lease: float = Field(
        default=60.0, gt=0, description="Seconds an instance holds an endpoint it delivers to"
    )
    delivery_concurrency: int = Field(
        default=4, ge=1, description="Webhook endpoints one process delivers to at once"
    )
    delivery_poll_interval: float = Field(
        default=1.0, gt=0, description="Seconds between looks for webhook work from other instances"
    )

    @field_validator("webhook_encryption_key")
    @classmethod
    def _fernet_key(cls, key: str | None) -> str | None:
        # A wrong key fails at start-up, not at the first webhook.
        if key:
            from cryptography.fernet import Fernet

            try:
                Fernet(key.encode())
            except ValueError:
                raise ValueError(
                    "must be a Fernet key: 32 url-safe base64-encoded bytes, e.g. from "
                    "`python -c 'from cryptography.fernet import Fernet; "
                    "print(Fernet.generate_key().decode())'`"
                ) from None
        return key or None

    @model_validator(mode="after")
    def _lease_outlasts_an_attempt(self) -> "Settings":
        # An instance renews its lease as it records attempts: one attempt (and the
        # few recorded with it) must fit in the lease, or another would take over.
        if self.delivery_lease < 2 * self.webhook_timeout:
            raise ValueError("delivery_lease must be at least twice webhook_timeout")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()


def settings_table() -> str:
    """The README's settings table, generated so it never drifts from this class."""
    rows = ["| setting | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default if field.default not in (None, []) else "unset"
        rows.append(f"| `CLINOVA_{name.upper()}` | `{default}` | {field.description} |")
    return "\n".join(rows)
