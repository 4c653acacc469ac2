"""Sealing: authenticated encryption of answers that are stored but not yet readable.

A submitted questionnaire is stored at once (so nothing acknowledged is lost) but sealed, and becomes
readable only inside a shuffled batch of at least K answers of its reporting group (DESIGN.md section 4,
rule 4). Unfinished survey progress is sealed the same way, so that neither the database file nor its
write-ahead log keeps a readable copy of one officer's answers in the order they were given.

The cipher is AES-256-GCM (``cryptography``'s :class:`~cryptography.hazmat.primitives.ciphers.aead.AESGCM`,
NIST SP 800-38D) with a random 96-bit nonce per message. Fernet is deliberately not used: a Fernet token
carries its creation time in clear, which is exactly what must not be stored. The key lives in the
instance configuration (``SEAL_KEY``, 64 hex digits), never in the database; each sealed value carries
a short *key id* derived from the key, so that a server started with another key refuses to start
instead of silently losing answers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12          # 96-bit GCM nonce (SP 800-38D section 8.2.2: random nonces)
KEY_BYTES = 32            # AES-256
KEY_ID_HEX = 16           # 64 bits of HMAC-SHA256(key, "wellbeing seal key id"): names the key, reveals nothing


class SealError(ValueError):
    """A sealing key is missing or malformed, or a sealed value does not open with it."""


def new_key() -> str:
    """A fresh sealing key: 64 hex digits (256 bits from :mod:`secrets`)."""
    return secrets.token_hex(KEY_BYTES)


@lru_cache(maxsize=8)
def _key_bytes(key: str) -> bytes:
    try:
        raw = bytes.fromhex(key)
    except (TypeError, ValueError):
        raise SealError("SEAL_KEY must be 64 hexadecimal digits (run `flask setup`)") from None
    if len(raw) != KEY_BYTES:
        raise SealError("SEAL_KEY must be 64 hexadecimal digits (run `flask setup`)")
    return raw


@lru_cache(maxsize=8)
def key_id(key: str) -> str:
    """The key's public name (16 hex digits), stored beside every sealed value (computed once per key
    and process: every survey request seals or opens a draft)."""
    return hmac.new(_key_bytes(key), b"wellbeing seal key id", hashlib.sha256).hexdigest()[:KEY_ID_HEX]


@lru_cache(maxsize=8)
def _cipher(key: str) -> AESGCM:
    """The AES-GCM object of ``key`` (stateless between messages: the nonce is per call)."""
    return AESGCM(_key_bytes(key))


def seal(key: str, value: Any, context: str) -> bytes:
    """Encrypt the JSON of ``value``; ``context`` (e.g. the row's id, wave and group) is authenticated
    but not stored, so a sealed value moved to another row fails to open. Returns nonce ‖ ciphertext."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    plain = json.dumps(value, separators=(",", ":"), sort_keys=True).encode()
    return nonce + _cipher(key).encrypt(nonce, plain, context.encode())


def unseal(key: str, sealed: bytes, context: str) -> Any:
    """The value sealed by :func:`seal` under ``key`` and ``context``. Raises SealError if it does not open."""
    try:
        plain = _cipher(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context.encode())
    except InvalidTag:
        raise SealError("a sealed value does not open with this key") from None
    return json.loads(plain)


def seal_text(key: str, value: Any, context: str) -> str:
    """:func:`seal` as text for a text column: ``<key id>:<base64url>``."""
    return key_id(key) + ":" + base64.urlsafe_b64encode(seal(key, value, context)).decode()


def unseal_text(key: str, text: str, context: str) -> Any:
    """Open a value written by :func:`seal_text`. Raises SealError for another key or a damaged value."""
    kid, _, body = text.partition(":")
    if kid != key_id(key):
        raise SealError("sealed with another key")
    try:
        raw = base64.urlsafe_b64decode(body.encode())
    except (ValueError, TypeError):
        raise SealError("a sealed value is damaged") from None
    return unseal(key, raw, context)
