from typing import Any

from cross_web import HTTPException
from fastapi import Request
from fastapi.responses import HTMLResponse
from strawberry.fastapi import GraphQLRouter

from app.errors import ClinovaError, Invalid, MethodNotAllowed, NotFound
from graphql_schema.context import graphql_context
from graphql_schema.schema import schema

# GraphiQL opens with the header a developer needs, ready to fill in.
_HEADERS_STATE = "React.useState(parameters.headers)"
_PREFILLED = 'React.useState(parameters.headers || \'{\\n  "Authorization": "Bearer "\\n}\')'


class ClinovaGraphQLRouter(GraphQLRouter[Any, None]):
    def __init__(self) -> None:
        super().__init__(
            schema,
            context_getter=graphql_context,
            graphql_ide="graphiql",
            allow_queries_via_get=True,
        )
        if _HEADERS_STATE not in self.graphql_ide_html:
            raise RuntimeError("strawberry's GraphiQL page changed: update the header prefill")
        self._ide_html = self.graphql_ide_html.replace(_HEADERS_STATE, _PREFILLED)

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return HTMLResponse(self._ide_html)

    async def run(self, request: Any, context: Any = None, root_value: Any = None) -> Any:
        try:
            return await super().run(request, context=context, root_value=root_value)
        except HTTPException as problem:
            # Bad HTTP framing gets our envelope and code instead of plain text.
            raise _as_clinova_error(problem) from None


def _as_clinova_error(problem: HTTPException) -> ClinovaError:
    if problem.status_code == 405:
        return MethodNotAllowed(problem.reason)
    if problem.status_code == 404:
        return NotFound(problem.reason)
    error = Invalid(problem.reason)
    error.status = problem.status_code
    return error
