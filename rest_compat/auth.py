"""Each route declares its scope by its context type: `ctx: OwnersRead`."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.context import RequestContext
from app.dependencies import request_context
from app.scopes import require_scope

# Documents bearer auth in OpenAPI; the key itself is checked by request_context.
_bearer = HTTPBearer(auto_error=False, description="An API key: sk_live_... or sk_test_...")


def _scoped(scope: str) -> Callable[..., Awaitable[RequestContext]]:
    async def dependency(
        _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        ctx: Annotated[RequestContext, Depends(request_context)],
    ) -> RequestContext:
        require_scope(ctx.principal, scope)
        return ctx

    return dependency


OwnersRead = Annotated[RequestContext, Depends(_scoped("owners:read"))]
OwnersWrite = Annotated[RequestContext, Depends(_scoped("owners:write"))]
PetsRead = Annotated[RequestContext, Depends(_scoped("pets:read"))]
PetsWrite = Annotated[RequestContext, Depends(_scoped("pets:write"))]
RecordsRead = Annotated[RequestContext, Depends(_scoped("records:read"))]
InvoicesRead = Annotated[RequestContext, Depends(_scoped("invoices:read"))]
