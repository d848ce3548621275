from collections.abc import Callable

from starlette.types import Message, Send


def on_response_start(send: Send, hook: Callable[[Message], None]) -> Send:
    """`send`, letting `hook` see (and amend) the response's start message first.

    The middlewares that echo headers or record a status all need exactly this.
    """

    async def send_after_hook(message: Message) -> None:
        if message["type"] == "http.response.start":
            hook(message)
        await send(message)

    return send_after_hook
