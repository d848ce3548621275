"""Scopes declared on fields: `permission_classes=[requires("pets:read")]`."""

from functools import cache
from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from app.scopes import require_scope
from graphql_schema.context import ctx


@cache
def requires(scope: str) -> type[BasePermission]:
    class RequiresScope(BasePermission):
        message = f"This API key lacks the '{scope}' scope"
        required_scope = scope

        def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
            # Raises our Forbidden, which the error extension codes and the
            # executor turns into a nulled field with the rest of the data intact.
            require_scope(ctx(info).principal, scope)
            return True

    RequiresScope.__name__ = f"Requires_{scope.replace(':', '_')}"
    return RequiresScope
