"""A small ClinovaVet REST v1 client: page through owners, search, create, read back.

    CLINOVA_BASE_URL=http://127.0.0.1:8000 CLINOVA_API_KEY=sk_test_... \\
        python examples/rest_client.py [--page-size N]

Needs only httpx. tests/test_examples.py runs it against a live server.
"""

import argparse
import os
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
# Never sleep longer than this on a 429, so a script can't hang for a whole window.
MAX_RETRY_WAIT = 60.0


class ApiError(Exception):
    """An answer outside 2xx, read from the v1 error envelope."""

    def __init__(self, status: int, code: str, message: str, details: dict[str, Any]) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    @classmethod
    def from_response(cls, response: httpx.Response) -> "ApiError":
        # {"error": {"code", "message", "details"}}; a proxy in between may answer
        # with something else, so fall back to the status and the start of the text.
        try:
            error = response.json()["error"]
            return cls(response.status_code, error["code"], error["message"], error["details"])
        except (ValueError, KeyError, TypeError):
            return cls(
                response.status_code, f"HTTP_{response.status_code}", response.text[:200], {}
            )


def retry_after(response: httpx.Response) -> float:
    """Seconds the server asked us to wait; Retry-After may also be an HTTP date."""
    try:
        return min(MAX_RETRY_WAIT, max(0.0, float(response.headers["Retry-After"])))
    except (KeyError, ValueError):
        return 1.0


def call(
    client: httpx.Client,
    method: str,
    path: str,
    *,
    params: dict[str, Any] | None = None,
    body: dict[str, Any] | None = None,
) -> Any:
    """One API call: JSON in, JSON out, ApiError for anything but 2xx."""
    headers = {}
    if method == "POST":
        # One key per logical create, reused by the retry below: if the first attempt
        # did reach the server, the retry replays its answer instead of a duplicate row.
        headers["Idempotency-Key"] = str(uuid.uuid4())
    response = client.request(method, path, params=params, json=body, headers=headers)
    if response.status_code == 429:
        wait = retry_after(response)
        print(f"rate limited; retrying once in {wait:g} s", file=sys.stderr)
        time.sleep(wait)
        response = client.request(method, path, params=params, json=body, headers=headers)
    if not response.is_success:
        raise ApiError.from_response(response)
    return response.json()


def iter_pages(
    client: httpx.Client, path: str, params: dict[str, Any], page_size: int
) -> Iterator[list[dict[str, Any]]]:
    """Each page of a list route, following pagination.hasMore."""
    offset = 0
    while True:
        page = call(client, "GET", path, params={**params, "limit": page_size, "offset": offset})
        yield page["data"]
        # Stop on an empty page too, so rows deleted meanwhile can't make us loop.
        if not page["pagination"]["hasMore"] or not page["data"]:
            return
        offset += len(page["data"])


def full_name(owner: dict[str, Any]) -> str:
    return f"{owner['firstName']} {owner['lastName']}"


def run(client: httpx.Client, page_size: int) -> None:
    pages = list(iter_pages(client, "/api/v1/owners", {}, page_size))
    owners = [owner for page in pages for owner in page]
    print(f"owners: {len(owners)} in {len(pages)} page(s) of up to {page_size}")
    for owner in owners:
        print(f"  {full_name(owner)} <{owner['email'] or 'no email'}>")

    if owners:
        # Search matches name, email or phone, case-insensitively.
        term = owners[0]["lastName"]
        found = call(client, "GET", "/api/v1/owners", params={"search": term, "limit": 10})
        print(f"search {term!r}: {found['pagination']['total']} match(es)")

    owner = call(
        client,
        "POST",
        "/api/v1/owners",
        body={"firstName": "Robin", "lastName": "Example", "email": "robin@example.com"},
    )
    print(f"created owner: {full_name(owner)} ({owner['id']})")
    pet = call(
        client,
        "POST",
        "/api/v1/pets",
        body={"name": "Pixel", "species": "Cat", "birthdate": "2022-03-14", "ownerId": owner["id"]},
    )
    print(f"created pet: {pet['name']} ({pet['species']}) for {full_name(owner)}")

    with_pets = call(client, "GET", f"/api/v1/owners/{owner['id']}")
    names = ", ".join(p["name"] for p in with_pets["pets"]) or "none"
    print(f"{full_name(with_pets)} has {len(with_pets['pets'])} pet(s): {names}")

    # What an error looks like: a code to branch on, a message for people.
    try:
        call(client, "GET", "/api/v1/owners/no-such-owner")
    except ApiError as error:
        print(f"missing owner: {error.status} {error.code} ({error.message})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="ClinovaVet REST v1 client example")
    parser.add_argument("--page-size", type=int, default=100, help="owners per page (1-100)")
    args = parser.parse_args(argv)
    key = os.environ.get("CLINOVA_API_KEY")
    if not key:
        print("set CLINOVA_API_KEY (printed by `make run` or `clinova seed`)", file=sys.stderr)
        return 2
    base_url = os.environ.get("CLINOVA_BASE_URL", DEFAULT_BASE_URL).rstrip("/")
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=10.0) as client:
        try:
            run(client, args.page_size)
        except ApiError as error:
            print(f"error: {error}", *([error.details] if error.details else []), file=sys.stderr)
            return 1
        except httpx.HTTPError as error:
            print(f"cannot reach {base_url}: {error}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
