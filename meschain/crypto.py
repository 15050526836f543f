"""AES-256-GCM encryption of secrets at rest, with key ids so keys can rotate.

ENCRYPTION_KEYS is "kid:base64key,kid2:base64key", newest first: the first key
encrypts, every listed key decrypts. A stored value is "v1:<kid>:<base64(nonce|ct)>".
"""

import base64
import logging
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)
PREFIX = "v1"


class DecryptionError(Exception):
    """The value was not encrypted with any configured key, or was tampered with."""


@lru_cache(maxsize=4)
def _parse_keys(spec: str) -> tuple[tuple[str, bytes], ...]:
    keys = []
    for item in filter(None, (part.strip() for part in spec.split(","))):
        kid, sep, encoded = item.partition(":")
        if not sep or not kid:
            raise ImproperlyConfigured("ENCRYPTION_KEYS entries must look like 'kid:base64key'.")
        try:
            key = base64.b64decode(encoded, validate=True)
        except ValueError as exc:
            raise ImproperlyConfigured(f"ENCRYPTION_KEYS key {kid!r} is not base64.") from exc
        if len(key) != 32:
            raise ImproperlyConfigured(f"ENCRYPTION_KEYS key {kid!r} must be 32 bytes.")
        keys.append((kid, key))
    if not keys:
        raise ImproperlyConfigured("ENCRYPTION_KEYS lists no key.")
    if spec == settings.DEV_ENCRYPTION_KEYS:
        logger.warning(
            "Secrets are encrypted with the built-in development key. "
            "Set ENCRYPTION_KEYS before storing real credentials."
        )
    return tuple(keys)


def keys() -> tuple[tuple[str, bytes], ...]:
    return _parse_keys(settings.ENCRYPTION_KEYS)


def generate_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def encrypt(plaintext: str, *, associated_data: bytes = b"") -> str:
    kid, key = keys()[0]
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), associated_data or None)
    return f"{PREFIX}:{kid}:{base64.b64encode(nonce + sealed).decode()}"


def decrypt(token: str, *, associated_data: bytes = b"") -> str:
    try:
        version, kid, payload = token.split(":", 2)
        raw = base64.b64decode(payload)
    except ValueError as exc:
        raise DecryptionError("Malformed encrypted value.") from exc
    key = dict(keys()).get(kid)
    if version != PREFIX or key is None:
        raise DecryptionError(f"No configured key {kid!r} for this value.")
    try:
        return AESGCM(key).decrypt(raw[:12], raw[12:], associated_data or None).decode()
    except Exception as exc:  # InvalidTag: wrong key or tampered
        raise DecryptionError("The value could not be decrypted.") from exc


def key_id_of(token: str) -> str | None:
    parts = token.split(":", 2)
    return parts[1] if len(parts) == 3 and parts[0] == PREFIX else None
