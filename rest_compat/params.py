from typing import Annotated

from fastapi import Query

from app.pagination import MAX_PAGE_SIZE, PageRequest, Projection
from app.text_bounds import max_length

Limit = Annotated[
    int,
    Query(ge=1, le=MAX_PAGE_SIZE, description="Number of records (default: 50, max: 100)"),
]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Pagination offset")]


def page(limit: int, offset: int, projection: Projection | None = None) -> PageRequest:
    return PageRequest(first=limit, offset=offset, with_total=True, projection=projection)


# Free text in a query string: bounded by its name as GraphQL's argument of that
# name is (app.text_bounds), and without NUL, which PostgreSQL refuses.
def text_param(name: str, description: str, pattern: str = r"^[^\x00]*$") -> object:
    return Query(max_length=max_length(name), pattern=pattern, description=description)
