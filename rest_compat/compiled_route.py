"""The short path of a v1 read: no FastAPI routing or dependency solving per request.

What FastAPI solves for a read route on every request is known from the route's
declaration once: its path and query parameters, and its one dependency, the
key's context with the scopes the route requires (rest_compat.auth.Scoped).
For a GET of such a route, this middleware (inside every middleware that gives
a request its id, body, access log line, metrics and error rendering) decides
the same things in the same order:

- the parameters, validated by FastAPI's own functions for the route's fields;
  one FastAPI would refuse goes to the standard path, which says why;
- the route's own dependencies, called directly: the key, its clinic and one
  unit of budget (app.http.dependencies.open_request_context), then the route's
  scopes (its Scoped context); then the endpoint itself. A refusal on the way
  (401, 429, 403, an unknown id) is raised, and the app's error boundary
  renders it with the v1 envelope as FastAPI's exception handlers would,
  having spent what the standard path spends;
- the endpoint's answer written by FastAPI's own serialize_response through
  the route's response model, or, for a list whose objects PostgreSQL wrote
  (rest_compat.shapes.listed), the bytes the endpoint made, as FastAPI passes
  a Response on.

`tests/test_compiled_route.py` holds both paths to the same status, headers and bytes.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.utils import request_params_to_args
from fastapi.routing import APIRoute, serialize_response
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from app.bounded import Bounded
from app.http import HttpMiddleware
from app.http.dependencies import open_request_context
from rest_compat.auth import Scoped


@dataclass(frozen=True)
class _Read:
    route: APIRoute
    context: Scoped
    context_name: str  # the endpoint's parameter that takes the request's context


def _reads(routers: Iterable[APIRouter]) -> list[_Read]:
    reads = []
    for router in routers:
        for route in router.routes:
            if isinstance(route, APIRoute) and route.methods == {"GET"}:
                read = _read(route)
                if read is not None:
                    reads.append(read)
    return reads


def _read(route: APIRoute) -> _Read | None:
    """The route as this path serves it, or None if it needs more than this path decides."""
    dependant = route.dependant
    needs = (
        dependant.header_params, dependant.cookie_params, dependant.body_params,
        dependant.request_param_name, dependant.response_param_name,
        dependant.background_tasks_param_name, dependant.http_connection_param_name,
    )  # fmt: skip
    if any(needs) or len(dependant.dependencies) != 1:
        return None
    (context,) = dependant.dependencies
    if not isinstance(context.call, Scoped) or context.call.write or context.name is None:
        return None
    if route.response_field is None or not isinstance(route.response_class, DefaultPlaceholder):
        return None
    return _Read(route, context.call, context.name)


class CompiledReads(HttpMiddleware):
    def __init__(self, app: Any, *, prefix: str, routers: Iterable[APIRouter]) -> None:
        super().__init__(app)
        self._prefix = prefix
        self._reads = _reads(routers)

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = None
        path: str = scope["path"]
        if scope["method"] == "GET" and path.startswith(f"{self._prefix}/"):
            response = await self._answer(scope, path.removeprefix(self._prefix))
        await (response or self.app)(scope, receive, send)

    async def _answer(self, scope: Scope, path: str) -> Response | None:
        """The route's answer, or None: the standard path answers."""
        for read in self._reads:
            match = read.route.path_regex.match(path)
            if match is not None:
                break
        else:
            return None
        route = read.route
        query = QueryParams(scope["query_string"])
        if len(query.multi_items()) != len(query):
            return None  # a repeated parameter: which one counts is FastAPI's to say
        values = _parameters(route, match.groupdict(), query, scope["query_string"])
        if values is None:
            return None
        scope["route"] = route  # the access log and metrics name the request by it
        request = Request(scope)
        # The route's own dependencies, called as FastAPI calls them: the key, its
        # clinic and one unit (app.http.dependencies), then the route's scopes. A
        # refusal on the way, or the endpoint's (an unknown id), is raised: the
        # app's error boundary renders it as FastAPI's handlers would.
        async with open_request_context(request, cost=1) as context:
            context.rendered = True
            await read.context(request, None, context)
            answer = await route.endpoint(**{read.context_name: context}, **values)
            return await _response(route, answer)


def _parameters(
    route: APIRoute, path_values: Mapping[str, str], query: QueryParams, query_string: bytes
) -> dict[str, Any] | None:
    """The endpoint's path and query arguments as FastAPI would pass them; None if refused.

    Kept by the route, the path's values and the query string, which alone decide
    them; each request gets its own copy of a list among them.
    """
    key = (route.path, tuple(path_values.items()), query_string)
    if key in _VALIDATED:
        return _copy(_VALIDATED[key])
    dependant = route.dependant
    path, path_errors = request_params_to_args(dependant.path_params, path_values)
    values, query_errors = request_params_to_args(dependant.query_params, query)
    validated = None if path_errors or query_errors else {**path, **values}
    if len(query_string) <= MAX_VALIDATED_QUERY:
        _VALIDATED.keep(key, validated)
    return _copy(validated)


def _copy(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {name: list(v) if isinstance(v, list) else v for name, v in values.items()}


# Bounded: a list's few query strings, and the ids read most recently; a long
# query string is validated each time rather than kept.
MAX_VALIDATED_QUERY = 1024
_VALIDATED: Bounded[tuple[str, tuple[tuple[str, str], ...], bytes], dict[str, Any] | None] = (
    Bounded(1024)
)


async def _response(route: APIRoute, answer: Any) -> Response:
    """The endpoint's answer as FastAPI writes it through the route's response model."""
    if isinstance(answer, Response):
        return answer  # written already (rest_compat.shapes.listed), as FastAPI passes it on
    content = await serialize_response(
        field=route.response_field,
        response_content=answer,
        include=route.response_model_include,
        exclude=route.response_model_exclude,
        by_alias=route.response_model_by_alias,
        exclude_unset=route.response_model_exclude_unset,
        exclude_defaults=route.response_model_exclude_defaults,
        exclude_none=route.response_model_exclude_none,
        dump_json=True,
    )
    status = route.status_code or 200
    return Response(content=content, media_type="application/json", status_code=status)
