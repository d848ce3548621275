from dataclasses import dataclass

from app.errors import Forbidden

ALL_SCOPES: tuple[str, ...] = (
    "owners:read",
    "owners:write",
    "pets:read",
    "pets:write",
    "records:read",
    "records:write",
    "invoices:read",
    "invoices:write",
    "webhooks:manage",
)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: an API key of one clinic with its scopes."""

    clinic_id: str
    key_id: str
    scopes: frozenset[str]
    # Requests per minute for this key; None means the service default.
    rate_limit: int | None = None

    @property
    def actor_id(self) -> str:
        return f"apikey|{self.key_id}"


def may(principal: Principal, scope: str) -> bool:
    """What a key may do. `x:write` implies `x:read`, as Stripe's restricted keys do:
    what a mutation answers is what a query with the same key may read."""
    if scope in principal.scopes:
        return True
    resource, _, action = scope.partition(":")
    return action == "read" and f"{resource}:write" in principal.scopes


def require_scope(principal: Principal, scope: str) -> None:
    """The one check of a scope; surfaces turn the error into 403 or a nulled field."""
    if not may(principal, scope):
        raise Forbidden(f"This API key lacks the '{scope}' scope", details={"requiredScope": scope})


def parse_scopes(text: str) -> frozenset[str]:
    scopes = frozenset(s.strip() for s in text.split(",") if s.strip())
    unknown = sorted(scopes - set(ALL_SCOPES))
    if unknown:
        raise ValueError(f"unknown scopes: {', '.join(unknown)}; known: {', '.join(ALL_SCOPES)}")
    return scopes
