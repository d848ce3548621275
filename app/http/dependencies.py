"""The one place a request's context is built, shared by GraphQL and REST."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.api_keys import authenticate
from app.context import RequestContext
from app.database import Database
from app.errors import Unauthorized
from app.key_cache import KeyCache
from app.rate_limits import RateLimiter
from app.scopes import Principal
from app.secrets_in_logs import SECRET
from app.tenancy import bind_clinic, mark_unscoped


def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def key_cache(request: Request) -> KeyCache:
    cache: KeyCache = request.app.state.key_cache
    return cache


def rate_limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.rate_limiter
    return limiter


@asynccontextmanager
async def clinic_session(
    db: Database, cache: KeyCache, authorization: str | None, url_query: str
) -> AsyncIterator[tuple[AsyncSession, Principal]]:
    """A session bound to the clinic of the request's key, and who the key is."""
    async with db.sessionmaker() as session:
        # The key is looked up before its clinic is known, then the session is
        # bound to that clinic for everything else the request does.
        mark_unscoped(session)
        if SECRET.search(url_query):
            # A key in a URL ends up in proxies' and browsers' logs: refuse it outright.
            raise Unauthorized("API keys go in the Authorization header, never in the URL")
        principal = await authenticate(session, authorization, cache)
        bind_clinic(session, principal.clinic_id)
        yield session, principal


@asynccontextmanager
async def open_request_context(request: Request, *, cost: int) -> AsyncIterator[RequestContext]:
    """Authenticates, spends `cost` of the key's budget (0: only check some is left)."""
    async with clinic_session(
        database(request), key_cache(request), request.headers.get("authorization"),
        request.url.query,
    ) as (session, principal):  # fmt: skip
        request.state.principal = principal
        limiter = rate_limiter(request)
        if cost:
            request.state.budget = await limiter.charge(principal, cost)
        else:
            request.state.budget = await limiter.check(principal)
        yield RequestContext(
            session=session,
            principal=principal,
            request_id=request.state.request_id,
            settings=database(request).settings,
        )


async def request_context(request: Request) -> AsyncIterator[RequestContext]:
    """A REST request: one unit of the key's budget."""
    async with open_request_context(request, cost=1) as context:
        yield context


ContextDep = Annotated[RequestContext, Depends(request_context)]
