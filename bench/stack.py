"""The stack's own floor: FastAPI and Strawberry answering `{ __typename }`.

Strawberry's GraphQLRouter on FastAPI, with the parser and validation caches
ClinovaVet uses too, and nothing else: no auth, no database, no middleware.
What a GraphQL request costs on this stack before any of ClinovaVet's code runs.

Run: uvicorn bench.stack:app --workers 2
"""

import strawberry
from fastapi import FastAPI
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.fastapi import GraphQLRouter


@strawberry.type
class Query:
    # A schema needs a field; the measured document, `{ __typename }`, reads none.
    @strawberry.field
    def ping(self) -> str:
        return "pong"


schema = strawberry.Schema(
    Query, extensions=[lambda: ParserCache(maxsize=128), lambda: ValidationCache(maxsize=128)]
)
app = FastAPI()
app.include_router(GraphQLRouter(schema), prefix="/graphql")
