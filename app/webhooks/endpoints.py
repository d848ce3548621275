"""Webhook endpoints of a clinic: created, changed, rotated, removed; redeliveries.

An endpoint receives only event types that the key which set its URL and types
may read, so `webhooks:manage` alone never opens a way to data the key cannot
see; the operator's CLI may subscribe to anything.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.change_log.feed import parse_types
from app.change_log.models import ChangeCounter
from app.change_log.recording import announce
from app.change_log.shapes import EVENT_TYPES, READ_SCOPES, entity_of
from app.context import RequestContext
from app.errors import Forbidden, Invalid, NotFound
from app.ids import looks_like_id
from app.scopes import may
from app.settings import Settings
from app.timestamps import utc_now
from app.webhooks.models import DeliveryState, WebhookDelivery, WebhookEndpoint
from app.webhooks.signing import SecretBox, new_secret
from app.webhooks.urls import checked_url

MAX_ENDPOINTS = 20
MAX_DESCRIPTION = 500
# How long the secret a rotation replaces keeps signing.
PREVIOUS_SECRET_LIFETIME = timedelta(hours=24)
MayRead = Callable[[str], bool]


def everything(_scope: str) -> bool:
    """What the operator's command line may subscribe an endpoint to."""
    return True


@dataclass(frozen=True)
class EndpointSecret:
    """An endpoint with its signing secret, shown once: at creation and rotation."""

    endpoint: WebhookEndpoint
    secret: str


@dataclass(frozen=True)
class EndpointPatch:
    """What an update changes; None leaves a field as it is ("" clears the description)."""

    url: str | None = None
    types: Sequence[str] | None = None
    description: str | None = None
    enabled: bool | None = None


def stored_types(requested: Sequence[str] | None, may_read: MayRead) -> str:
    """The types an endpoint receives, as stored ("" for every type)."""
    wanted = parse_types(requested)
    if wanted:
        require_readable(wanted, may_read)
        return ",".join(sorted(wanted))
    readable = [t for t in EVENT_TYPES if may_read(READ_SCOPES[entity_of(t)])]
    if not readable:
        raise Forbidden(
            "This API key may read no event type", details={"requiredScope": READ_SCOPES["owner"]}
        )
    return "" if len(readable) == len(EVENT_TYPES) else ",".join(readable)


def require_readable(types: Iterable[str], may_read: MayRead) -> None:
    for event_type in sorted(types):
        scope = READ_SCOPES[entity_of(event_type)]
        if not may_read(scope):
            raise Forbidden(
                f"This API key lacks the '{scope}' scope that {event_type} events need",
                details={"requiredScope": scope},
            )


def _description(text: str | None) -> str | None:
    if text is not None and len(text) > MAX_DESCRIPTION:
        reason = f"must be at most {MAX_DESCRIPTION} characters"
        raise Invalid(f"description {reason}", details={"description": reason})
    return text.strip() or None if text is not None else None


async def add_endpoint(
    session: AsyncSession,
    settings: Settings,
    *,
    clinic_id: str,
    url: str,
    types: str,
    description: str | None,
) -> EndpointSecret:
    """Inside a write transaction, with the URL checked (`checked_url`) before it began."""
    count = select(func.count()).select_from(WebhookEndpoint)
    count = count.where(WebhookEndpoint.clinic_id == clinic_id)
    if (await session.scalar(count) or 0) >= MAX_ENDPOINTS:
        reason = f"a clinic has at most {MAX_ENDPOINTS} webhook endpoints"
        raise Invalid(reason, details={"url": reason})
    # Events from now on: what was written before is the feed's to tell.
    last = select(ChangeCounter.last_seq).where(ChangeCounter.clinic_id == clinic_id)
    secret = new_secret()
    endpoint = WebhookEndpoint(
        clinic_id=clinic_id,
        url=url,
        types=types,
        description=_description(description),
        secret=SecretBox(settings).seal(secret),
        enabled=True,
        cursor_seq=await session.scalar(last) or 0,
    )
    session.add(endpoint)
    await session.flush()
    return EndpointSecret(endpoint, secret)


async def create_endpoint(
    ctx: RequestContext, *, url: str, types: Sequence[str] | None, description: str | None
) -> EndpointSecret:
    SecretBox(ctx.settings).key()  # before anything else: whether webhooks work here at all
    checked = await checked_url(url, allow_private=ctx.settings.webhooks_allow_private)
    subscribed = stored_types(types, partial(may, ctx.principal))
    async with ctx.writing() as session:
        return await add_endpoint(
            session, ctx.settings, clinic_id=ctx.principal.clinic_id, url=checked,
            types=subscribed, description=description,
        )  # fmt: skip


async def endpoint_by_id(session: AsyncSession, endpoint_id: str) -> WebhookEndpoint:
    endpoint = None
    if looks_like_id(endpoint_id):
        endpoint = await session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound.for_id("Webhook endpoint", endpoint_id)
    return endpoint


async def list_endpoints(ctx: RequestContext) -> list[WebhookEndpoint]:
    query = select(WebhookEndpoint).order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
    return list((await ctx.session.scalars(query)).all())


async def update_endpoint(
    ctx: RequestContext, endpoint_id: str, patch: EndpointPatch
) -> WebhookEndpoint:
    url = patch.url
    if url is not None:
        url = await checked_url(url, allow_private=ctx.settings.webhooks_allow_private)
    async with ctx.writing() as session:
        endpoint = await endpoint_by_id(session, endpoint_id)
        # Whoever points an endpoint somewhere answers for everything it receives.
        may_read = partial(may, ctx.principal)
        if patch.types is not None:
            endpoint.types = stored_types(patch.types, may_read)
        elif url is not None:
            require_readable(endpoint.type_set or EVENT_TYPES, may_read)
        if url is not None:
            endpoint.url = url
        if patch.description is not None:
            endpoint.description = _description(patch.description)
        if patch.enabled is not None and patch.enabled != endpoint.enabled:
            endpoint.enabled = patch.enabled
            endpoint.disabled_reason = None if patch.enabled else f"by {ctx.principal.actor_id}"
            if patch.enabled:
                await _resume(session, endpoint.id)
    if patch.enabled:
        announce()
    return endpoint


async def _resume(session: AsyncSession, endpoint_id: str) -> None:
    # Re-enabled: what waited behind its backoff is due at once, oldest first.
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .where(WebhookDelivery.state == DeliveryState.PENDING)
        .values(next_attempt_at=utc_now())
    )


async def delete_endpoint(ctx: RequestContext, endpoint_id: str) -> str:
    async with ctx.writing() as session:
        # Its deliveries and their attempts go with it (ON DELETE CASCADE).
        await session.delete(await endpoint_by_id(session, endpoint_id))
    return endpoint_id


def rotate(endpoint: WebhookEndpoint, settings: Settings, now: datetime) -> str:
    secret = new_secret()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + PREVIOUS_SECRET_LIFETIME
    endpoint.secret = SecretBox(settings).seal(secret)
    return secret


async def rotate_secret(ctx: RequestContext, endpoint_id: str) -> EndpointSecret:
    async with ctx.writing() as session:
        endpoint = await endpoint_by_id(session, endpoint_id)
        secret = rotate(endpoint, ctx.settings, utc_now())
    return EndpointSecret(endpoint, secret)
