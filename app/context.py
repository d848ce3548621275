from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from app.change_log.recording import announce, expect_recorded_writes, recorded
from app.database import write_transaction
from app.loaders import Loaders
from app.scopes import Principal
from app.settings import Settings


@dataclass
class RequestContext:
    """Everything one request works with, built once by `app.http.dependencies`."""

    session: AsyncSession
    principal: Principal
    request_id: str
    settings: Settings
    # On the short paths (graphql_schema and rest_compat's compiled_route) the
    # answer may be written by the database; elsewhere Python writes it all. The
    # one flag both surfaces read (GraphQLContext.rendered, rest_compat.shapes.listed).
    rendered: bool = False
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.session)
        expect_recorded_writes(self.session)

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        """One write in its own transaction (`write_transaction`), for domain functions.

        The write appends its events to the change log in that transaction
        (`app.change_log.recording`), and wakes this process's webhook delivery
        once it has committed.

        The loaders' rows were read before it: after any write, committed or not,
        they are dropped, so that whatever the request reads next (the mutation's
        answer, the next mutation of the document) sees the database as it is.
        """
        clinic_id, actor = self.principal.clinic_id, self.principal.actor_id
        try:
            async with (
                write_transaction(self.session) as session,
                recorded(session, clinic_id=clinic_id, actor=actor) as changes,
            ):
                yield session
            if changes.appended:
                announce()
        finally:
            self.loaders.clear()
