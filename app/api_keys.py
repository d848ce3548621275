"""API keys: generated, stored only as a hash, resolved to a principal, revoked."""

import hashlib
import hmac
import re
import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import NotFound, Unauthorized
from app.key_cache import KeyCache
from app.models import ApiKey, stored_scopes
from app.scopes import ALL_SCOPES, Principal
from app.timestamps import utc_now

SECRET_LENGTH = 40
_BASE62 = string.ascii_letters + string.digits
_KEY_FORMAT = re.compile(r"sk_(live|test)_[0-9A-Za-z]{32,200}")
_BEARER = re.compile(r"Bearer +(\S+)", re.IGNORECASE)


@dataclass(frozen=True)
class CreatedKey:
    key: ApiKey
    secret: str


def generate_secret(*, live: bool) -> str:
    body = "".join(secrets.choice(_BASE62) for _ in range(SECRET_LENGTH))
    return f"sk_{'live' if live else 'test'}_{body}"


def hash_secret(secret: str) -> str:
    # Keys carry ~238 bits of randomness, so a fast hash cannot be brute-forced;
    # a slow KDF would only cost latency on every request.
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_key(
    session: AsyncSession,
    *,
    clinic_id: str,
    name: str,
    scopes: Iterable[str] = ALL_SCOPES,
    live: bool = False,
    rate_limit: int | None = None,
) -> CreatedKey:
    secret = generate_secret(live=live)
    key = ApiKey(
        clinic_id=clinic_id,
        name=name,
        prefix=secret[:12],
        key_hash=hash_secret(secret),
        scopes=",".join(sorted(set(scopes))),
        rate_limit=rate_limit,
    )
    session.add(key)
    await session.flush()
    return CreatedKey(key=key, secret=secret)


async def revoke_key(session: AsyncSession, key_id: str) -> ApiKey:
    key = await session.get(ApiKey, key_id)
    if key is None:
        raise NotFound.for_id("API key", key_id)
    if key.revoked_at is None:
        key.revoked_at = utc_now()
    await session.flush()
    return key


async def list_keys(session: AsyncSession, clinic_id: str | None = None) -> list[ApiKey]:
    query = select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)
    if clinic_id is not None:
        query = query.where(ApiKey.clinic_id == clinic_id)
    return list((await session.scalars(query)).all())


def secret_from_header(authorization: str | None) -> str:
    if not authorization:
        raise Unauthorized("Missing API key: send 'Authorization: Bearer sk_...'")
    match = _BEARER.fullmatch(authorization.strip())
    if match is None or _KEY_FORMAT.fullmatch(match.group(1)) is None:
        raise Unauthorized("Malformed API key")
    return match.group(1)


async def authenticate(
    session: AsyncSession, authorization: str | None, cache: KeyCache
) -> Principal:
    secret = secret_from_header(authorization)
    presented = hash_secret(secret)
    principal = cache.get(presented)
    if principal is None:
        ticket = cache.ticket()
        principal = await _look_up(session, presented)
        cache.put(presented, principal, ticket)
    return principal


async def _look_up(session: AsyncSession, presented: str) -> Principal:
    key = (await session.execute(_BY_HASH, {"key_hash": presented})).one_or_none()
    if key is None or not hmac.compare_digest(key.key_hash, presented):
        raise Unauthorized("Invalid API key")
    if key.revoked_at is not None:
        raise Unauthorized("This API key has been revoked")
    return Principal(
        clinic_id=key.clinic_id,
        key_id=key.id,
        scopes=stored_scopes(key.scopes),
        rate_limit=key.rate_limit,
    )


# Every request the cache cannot answer runs this lookup: the statement is built once, and answers a
# row of the columns the principal needs rather than an ORM object.
_BY_HASH = select(
    ApiKey.id,
    ApiKey.clinic_id,
    ApiKey.key_hash,
    ApiKey.scopes,
    ApiKey.rate_limit,
    ApiKey.revoked_at,
).where(ApiKey.key_hash == bindparam("key_hash"))
