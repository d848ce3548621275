from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from app.database import write_transaction
from app.loaders import Loaders
from app.scopes import Principal


@dataclass
class RequestContext:
    """Everything one request works with, built once by `app.http.dependencies`."""

    session: AsyncSession
    principal: Principal
    request_id: str
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.session)

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        """One write in its own transaction (`write_transaction`), for domain functions.

        The loaders' rows were read before it: after any write, committed or not,
        they are dropped, so that whatever the request reads next (the mutation's
        answer, the next mutation of the document) sees the database as it is.
        """
        try:
            async with write_transaction(self.session) as session:
                yield session
        finally:
            self.loaders.clear()
