"""The bounded names of a request, for metrics, the access log and the request span.

Every value comes from this service, never from the caller: a method outside
a known set is "other", a route is its template, an operation is named by the
schema (`graphql_schema.operations`), so the sets of values are finite.
"""

from dataclasses import dataclass

from starlette.types import Scope

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"


@dataclass(frozen=True)
class RequestLabels:
    method: str
    route: str
    operation: str  # `query owners`, or "" when no GraphQL operation ran


def request_labels(scope: Scope) -> RequestLabels:
    method = scope["method"] if scope["method"] in _METHODS else "other"
    operation = scope.get("state", {}).get("graphql_operation") or ""
    return RequestLabels(method, _route_template(scope), operation)


def _route_template(scope: Scope) -> str:
    """`/api/v1/owners/{id}`: bounded label values, and no ids or secrets in logs.

    The matched route knows its own template; the prefix of the router that
    included it is what of the path its pattern does not cover.
    """
    route = scope.get("route")
    pattern = getattr(route, "path_regex", None)
    if pattern is None:
        return UNMATCHED
    path: str = scope["path"]
    for cut in (i for i, c in enumerate(f"{path}/") if c == "/"):
        if pattern.fullmatch(path[cut:]):
            return f"{path[:cut]}{route.path}"  # type: ignore[union-attr]
    return UNMATCHED
