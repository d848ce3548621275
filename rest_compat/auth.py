"""Each route declares its scopes by its context type: `ctx: OwnersRead`."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.context import RequestContext
from app.http.dependencies import request_context
from app.http.idempotency import Replayed, begin
from app.scopes import require_scope

# Documents bearer auth in OpenAPI; the key itself is checked by request_context.
_bearer = HTTPBearer(auto_error=False, description="An API key: sk_live_... or sk_test_...")


class Scoped:
    """A route's context: the request's key, holding `scopes`; a write may be a replay.

    A class rather than a closure, so that rest_compat.compiled_route can read
    what a read route requires from its declaration.
    """

    def __init__(self, *scopes: str, write: bool = False) -> None:
        self.scopes, self.write = scopes, write

    async def __call__(
        self,
        request: Request,
        _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        ctx: Annotated[RequestContext, Depends(request_context)],
    ) -> RequestContext:
        for scope in self.scopes:
            require_scope(ctx.principal, scope)
        if self.write:
            # After the key, its scope and its budget: a replay is a request like any other.
            answer = await begin(request, ctx.principal)
            if answer is not None:
                raise Replayed(answer)
        return ctx


OwnersRead = Annotated[RequestContext, Depends(Scoped("owners:read"))]
# The owner detail embeds the owner's pets: it needs what reading them needs.
OwnerWithPetsRead = Annotated[RequestContext, Depends(Scoped("owners:read", "pets:read"))]
OwnersWrite = Annotated[RequestContext, Depends(Scoped("owners:write", write=True))]
PetsRead = Annotated[RequestContext, Depends(Scoped("pets:read"))]
PetsWrite = Annotated[RequestContext, Depends(Scoped("pets:write", write=True))]
RecordsRead = Annotated[RequestContext, Depends(Scoped("records:read"))]
InvoicesRead = Annotated[RequestContext, Depends(Scoped("invoices:read"))]
# The change feed: any valid key; what it shows is filtered by the key's read scopes.
AnyKey = Annotated[RequestContext, Depends(Scoped())]
