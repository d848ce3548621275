"""How long a string parameter or argument may be, the same on REST and GraphQL.

One bound per API name, whichever surface it arrives on: REST's query
parameters declare theirs from here (rest_compat.params), and GraphQL checks
every String and ID argument against here (graphql_schema.limits). Without a
bound, a megabyte of `search` reached the database as a LIKE pattern. Input
object fields (bodies) are bounded by app.inputs.
"""

from app.errors import Invalid

# Ids are 25-character cuids; ids of other shapes are simply not found.
ID_MAX_LENGTH = 100
# A date or an ISO 8601 timestamp with microseconds and an offset.
DATE_MAX_LENGTH = 40

MAX_LENGTHS: dict[str, int] = {
    "search": 200,
    "species": 50,
    "id": ID_MAX_LENGTH,
    "ownerId": ID_MAX_LENGTH,
    "petId": ID_MAX_LENGTH,
    "startDate": DATE_MAX_LENGTH,
    "endDate": DATE_MAX_LENGTH,
    # Cursors encode a timestamp and an id (app.pagination): about 80 characters.
    "after": 200,
}
# Any other string argument, so that a new one is never unbounded.
DEFAULT_MAX_LENGTH = 200


def max_length(name: str) -> int:
    return MAX_LENGTHS.get(name, DEFAULT_MAX_LENGTH)


def too_long(name: str) -> Invalid:
    bound = max_length(name)
    return Invalid(
        f"{name} must be at most {bound} characters",
        details={name: f"String should have at most {bound} characters"},
    )
