"""Idempotency-Key on writes, as Stripe does it: claim, run once, remember, replay.

A surface calls `claim` once it has authenticated the caller, checked its
scopes and charged its budget, and knows that what will execute is a write;
so a replay is a request like any other, and nothing here parses or
authenticates. The first request with a key claims it (committed before the
write runs); a retry with the same key and the same request gets the first
answer back, with no second row; the same key with a different request is a
400; a retry while the first still runs is a 409. Only successful (2xx) answers
are remembered, so a request that failed validation can be corrected and
retried with the same key. Keys belong to the clinic and expire after 24 hours.
"""

import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, exc
from sqlalchemy.ext.asyncio import AsyncSession

from app.database import Database, write_transaction
from app.errors import IdempotencyConflict, Invalid
from app.models import IdempotencyKey
from app.tenancy import mark_unscoped
from app.timestamps import utc_now

HEADER = "Idempotency-Key"
REMEMBER_FOR = timedelta(hours=24)
# A claim whose request never finished (the process died) is free again after this.
ABANDONED_AFTER = timedelta(minutes=2)
# Printable ASCII: a header's bytes are the caller's, and they end up in the database.
_KEY_FORMAT = re.compile(r"[\x21-\x7e]{1,255}")


@dataclass(frozen=True)
class StoredAnswer:
    status: int
    body: bytes
    content_type: str | None


@dataclass(frozen=True)
class Claimed:
    """This request runs the write; `remember` its answer when it is done."""

    clinic_id: str
    key: str


def parse_key(header: str) -> str:
    if _KEY_FORMAT.fullmatch(header) is None:
        raise Invalid(
            "Idempotency-Key is malformed",
            details={HEADER: "must be 1 to 255 printable ASCII characters"},
        )
    return header


def request_digest(route: str, body: bytes) -> str:
    """What makes two requests the same: the route they ask and the body they send."""
    return hashlib.sha256(f"{route}\n".encode() + body).hexdigest()


async def claim(db: Database, *, clinic_id: str, key: str, digest: str) -> Claimed | StoredAnswer:
    """Claims the key for this request, or answers what the first request answered.

    Raises Invalid (the key was used for another request) or IdempotencyConflict
    (the first request is still running).
    """
    now = utc_now()
    async with db.sessionmaker() as session:
        mark_unscoped(session)
        try:
            async with write_transaction(session):
                row = await session.get(IdempotencyKey, (clinic_id, key), with_for_update=True)
                if row is not None and row.expires_at > now:
                    if row.request_hash != digest:
                        raise Invalid(
                            "This Idempotency-Key was used for a different request",
                            details={HEADER: "already used with a different request"},
                        )
                    if row.response_status is not None:
                        return StoredAnswer(
                            row.response_status, row.response_body or b"", row.response_type
                        )
                    if row.locked_until > now:
                        raise _still_running()
                if row is None:
                    row = IdempotencyKey(clinic_id=clinic_id, key=key)
                    session.add(row)
                row.request_hash, row.response_status, row.response_body = digest, None, None
                row.locked_until, row.expires_at = now + ABANDONED_AFTER, now + REMEMBER_FOR
        except exc.IntegrityError:
            # Another instance claimed the same key between our read and our insert.
            raise _still_running() from None
    return Claimed(clinic_id=clinic_id, key=key)


async def remember(db: Database, claimed: Claimed, answer: StoredAnswer | None) -> None:
    """Stores the answer to replay, or (None) frees the key for a corrected retry."""
    async with db.sessionmaker() as session:
        mark_unscoped(session)
        async with write_transaction(session):
            await _settle(session, claimed, answer)


async def _settle(session: AsyncSession, claimed: Claimed, answer: StoredAnswer | None) -> None:
    row = await session.get(IdempotencyKey, (claimed.clinic_id, claimed.key))
    if row is None:
        return
    if answer is None or not 200 <= answer.status < 300:
        await session.delete(row)
        return
    row.response_status = answer.status
    row.response_body = answer.body
    row.response_type = answer.content_type
    await session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at < utc_now()))


def _still_running() -> IdempotencyConflict:
    return IdempotencyConflict(
        "A request with this Idempotency-Key is still running; retry shortly"
    )
