"""Signing secrets: made here, encrypted at rest, and used to sign as Stripe does.

A secret must be usable to sign, so it cannot be hashed: it is encrypted with
Fernet (AES-128-CBC and HMAC-SHA256) under CLINOVA_WEBHOOK_ENCRYPTION_KEY, so a
dump of the database alone reveals none. The signature is
`t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`; for 24 hours after
a rotation a second `v1=` signs with the previous secret, so receivers can switch
secrets without missing a delivery.
"""

import hashlib
import hmac
import secrets
from collections.abc import Iterable

from cryptography.fernet import Fernet, InvalidToken

from app.errors import ServiceUnavailable
from app.settings import Settings

PREFIX = "whsec_"
KEY_HOWTO = (
    "set CLINOVA_WEBHOOK_ENCRYPTION_KEY to a Fernet key, e.g. from "
    "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`"
)


class SecretsUnavailable(Exception):
    """A stored secret cannot be decrypted with this server's key."""


def new_secret() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def signature(secret_list: Iterable[str], timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    digests = [hmac.new(s.encode(), signed, hashlib.sha256).hexdigest() for s in secret_list]
    return ",".join([f"t={timestamp}", *(f"v1={d}" for d in digests)])


class SecretBox:
    def __init__(self, settings: Settings) -> None:
        key = settings.webhook_encryption_key
        self._fernet = Fernet(key.encode()) if key else None

    def key(self) -> Fernet:
        """The key, or the caller told that webhooks are not configured here."""
        if self._fernet is None:
            # The operator's to fix: the caller is told what is missing, not a 500.
            raise ServiceUnavailable(f"Webhooks are not configured on this server: {KEY_HOWTO}")
        return self._fernet

    def seal(self, secret: str) -> str:
        return self.key().encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self.key().decrypt(sealed.encode()).decode()
        except (InvalidToken, ServiceUnavailable):
            raise SecretsUnavailable(
                "the signing secret cannot be decrypted: CLINOVA_WEBHOOK_ENCRYPTION_KEY is "
                "unset or not the key it was encrypted with"
            ) from None
