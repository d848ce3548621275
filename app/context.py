from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from app.loaders import Loaders
from app.scopes import Principal


@dataclass
class RequestContext:
    """Everything one request works with, built once by `app.dependencies`."""

    session: AsyncSession
    principal: Principal
    request_id: str
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.session)
