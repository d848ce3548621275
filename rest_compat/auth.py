"""Each route declares its scopes by its context type: `ctx: OwnersRead`."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.context import RequestContext
from app.http.dependencies import request_context
from app.http.idempotency import Replayed, begin
from app.scopes import require_scope

# Documents bearer auth in OpenAPI; the key itself is checked by request_context.
_bearer = HTTPBearer(auto_error=False, description="An API key: sk_live_... or sk_test_...")


def _scoped(*scopes: str, write: bool = False) -> Callable[..., Awaitable[RequestContext]]:
    async def dependency(
        request: Request,
        _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        ctx: Annotated[RequestContext, Depends(request_context)],
    ) -> RequestContext:
        for scope in scopes:
            require_scope(ctx.principal, scope)
        if write:
            # After the key, its scope and its budget: a replay is a request like any other.
            answer = await begin(request, ctx.principal)
            if answer is not None:
                raise Replayed(answer)
        return ctx

    return dependency


OwnersRead = Annotated[RequestContext, Depends(_scoped("owners:read"))]
# The owner detail embeds the owner's pets: it needs what reading them needs.
OwnerWithPetsRead = Annotated[RequestContext, Depends(_scoped("owners:read", "pets:read"))]
OwnersWrite = Annotated[RequestContext, Depends(_scoped("owners:write", write=True))]
PetsRead = Annotated[RequestContext, Depends(_scoped("pets:read"))]
PetsWrite = Annotated[RequestContext, Depends(_scoped("pets:write", write=True))]
RecordsRead = Annotated[RequestContext, Depends(_scoped("records:read"))]
InvoicesRead = Annotated[RequestContext, Depends(_scoped("invoices:read"))]
# The change feed: any valid key; what it shows is filtered by the key's read scopes.
AnyKey = Annotated[RequestContext, Depends(_scoped())]
