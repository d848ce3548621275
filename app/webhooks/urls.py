"""Where a webhook may be sent: https, to public addresses only (SSRF).

Checked when an endpoint is created or changed, and again at every delivery on
the addresses the name resolves to then, which are the ones connected to
(app.webhooks.delivery pins the connection to them): a name that later resolves
to 10.0.0.1 (DNS rebinding) is refused like the literal address. Cloud metadata
addresses are refused whatever the settings say: nothing legitimate listens there.
"""

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from app.errors import Invalid

MAX_URL_LENGTH = 2048
RESOLVE_TIMEOUT = 5.0
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)


class Refused(Exception):
    """This URL, or an address it resolves to, is not a place webhooks go."""


@dataclass(frozen=True)
class Target:
    url: SplitResult
    host: str  # as written, without brackets
    port: int
    addresses: tuple[IPAddress, ...]


def address_refusal(address: IPAddress, *, allow_private: bool) -> str | None:
    """Why webhooks may not go to this address, or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA:
        return f"{address} is a cloud metadata address"
    if allow_private or (address.is_global and not address.is_multicast):
        return None
    return f"{address} is not a public address (loopback, private, link-local or reserved)"


def parse(url: str, *, allow_private: bool) -> tuple[SplitResult, str, int]:
    if len(url) > MAX_URL_LENGTH:
        raise Refused(f"is longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise Refused(f"is not a URL: {error}") from None
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes:
        raise Refused("must be an https URL")
    if not parts.hostname:
        raise Refused("must name a host")
    if parts.username is not None or parts.password is not None:
        raise Refused("must not carry credentials")
    return parts, parts.hostname, port or (443 if parts.scheme == "https" else 80)


async def resolve(url: str, *, allow_private: bool) -> Target:
    """The URL and the addresses it may be delivered to now, or Refused."""
    parts, host, port = parse(url, allow_private=allow_private)
    try:
        addresses: tuple[IPAddress, ...] = (ipaddress.ip_address(host),)
    except ValueError:
        addresses = await _lookup(host, port)
    for address in addresses:
        refusal = address_refusal(address, allow_private=allow_private)
        if refusal is not None:
            raise Refused(f"resolves to {refusal}" if str(address) != host else refusal)
    return Target(parts, host, port, addresses)


async def _lookup(host: str, port: int) -> tuple[IPAddress, ...]:
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT):
            found = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, TimeoutError, UnicodeError):
        raise Refused(f"host {host} does not resolve") from None
    # Every address must pass: a name resolving to one public and one private address is refused.
    return tuple(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in found))


async def checked_url(url: str, *, allow_private: bool) -> str:
    """An endpoint URL that passes the rule now, or the caller's VALIDATION_ERROR."""
    try:
        target = await resolve(url, allow_private=allow_private)
    except Refused as refusal:
        raise Invalid(f"url {refusal}", details={"url": str(refusal)}) from None
    return target.url.geturl()
