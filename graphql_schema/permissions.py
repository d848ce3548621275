"""Scopes declared on fields: `permission_classes=[requires("pets:read")]`."""

from functools import cache
from typing import Any

from strawberry import Schema
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


def required_scopes(schema: Schema, type_name: str, field_name: str) -> tuple[str, ...]:
    """The scopes a field declares, as `requires` put them on it."""
    field = schema.get_field_for_type(field_name=field_name, type_name=type_name)
    classes = field.permission_classes if field is not None else ()
    return tuple(getattr(p, "required_scope", "") for p in classes)
