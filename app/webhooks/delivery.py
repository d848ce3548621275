"""One POST of one event to one endpoint, safely.

The name is resolved and checked (app.webhooks.urls) for this attempt, and the
connection goes to exactly the checked address: the request carries the name in
its Host header and TLS server name, and the certificate is verified for the
name. No redirect is followed, no proxy from the environment is used, the whole
attempt has `CLINOVA_WEBHOOK_TIMEOUT` seconds, and at most MAX_RESPONSE_BYTES of
the answer are read.
"""

import asyncio
import ssl
import time
from dataclasses import dataclass

import httpx

from app.webhooks.urls import Refused, resolve

USER_AGENT = "ClinovaVet-Webhooks/1.0"
MAX_RESPONSE_BYTES = 65_536
ERROR_LENGTH = 300
# Loading the CA bundle costs milliseconds: once per process, not per client.
_TLS = ssl.create_default_context()


@dataclass(frozen=True)
class Outcome:
    status: int | None
    latency_ms: int
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300


def client(timeout: float) -> httpx.AsyncClient:
    """Connections to one endpoint, kept alive while it is served."""
    return httpx.AsyncClient(
        verify=_TLS,
        trust_env=False,
        follow_redirects=False,
        timeout=httpx.Timeout(timeout),
        headers={"User-Agent": USER_AGENT},
    )


async def post(
    http: httpx.AsyncClient,
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    allow_private: bool,
    within: float,
) -> Outcome:
    started = time.monotonic()
    status: int | None = None
    try:
        async with asyncio.timeout(within):
            target = await resolve(url, allow_private=allow_private)
            pinned = httpx.URL(url).copy_with(host=str(target.addresses[0]))
            extensions = {"sni_hostname": target.host} if target.url.scheme == "https" else {}
            request = http.build_request(
                "POST", pinned, content=body, extensions=extensions,
                headers={**headers, "Host": target.url.netloc, "Content-Type": "application/json"},
            )  # fmt: skip
            response = await http.send(request, stream=True)
            try:
                status = response.status_code
                await _drain(response)
            finally:
                await response.aclose()
    except Refused as refusal:
        return _outcome(started, None, f"refused, nothing sent: the URL {refusal}")
    except TimeoutError:
        return _outcome(started, status, f"no complete answer within {within:g} s")
    except httpx.HTTPError as error:
        return _outcome(started, status, f"{type(error).__name__}: {error}")
    if 300 <= status < 400:
        return _outcome(started, status, f"HTTP {status}: redirects are not followed")
    return _outcome(started, status, None if 200 <= status < 300 else f"HTTP {status}")


async def _drain(response: httpx.Response) -> None:
    # Read (and drop) a bounded answer, so the connection can serve the next delivery.
    read = 0
    async for chunk in response.aiter_raw():
        read += len(chunk)
        if read > MAX_RESPONSE_BYTES:
            return


def _outcome(started: float, status: int | None, error: str | None) -> Outcome:
    latency = round((time.monotonic() - started) * 1000)
    return Outcome(status, latency, None if error is None else error[:ERROR_LENGTH])
