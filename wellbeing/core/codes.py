"""Access codes: generation, check character, normalisation and the ledger's HMAC.

A code carries 130 random bits from :mod:`secrets` (26 symbols of Crockford's base-32 alphabet, which
leaves out I, L, O and U so that codes read aloud and typed from paper survive) and one check
character computed with the Luhn mod-N algorithm over the same alphabet (detects every single-symbol
error and every transposition of adjacent symbols but one: ``0Z`` ↔ ``Z0``, as Luhn's ``09`` ↔ ``90``). Printed in
groups of four for reading.

Only ``hmac_code(key, code)`` (HMAC-SHA-256, hex) is stored (DESIGN.md section 4, rule 2).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32
N = len(ALPHABET)
BODY_LENGTH = 26  # 26 × 5 = 130 bits ≥ 128 (DESIGN.md rule 2)
_INDEX = {ch: i for i, ch in enumerate(ALPHABET)}
# Crockford decoding of easily confused letters.
_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})


class CodeError(ValueError):
    """A typed code is malformed or its check character does not match (likely a typing mistake)."""


def check_character(body: str) -> str:
    """Luhn mod-N check character for ``body`` (symbols of :data:`ALPHABET`)."""
    factor, total = 2, 0
    for ch in reversed(body):
        addend = factor * _INDEX[ch]
        factor = 1 if factor == 2 else 2
        total += addend // N + addend % N
    return ALPHABET[(N - total % N) % N]


def generate_code() -> str:
    """A new code, normalised (27 symbols, no separators)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return body + check_character(body)


def format_code(code: str) -> str:
    """Group a normalised code in fours for printing: ``ABCD-EFGH-...``."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def normalise(typed: str) -> str:
    """Upper-case, drop spaces and dashes, map O→0 and I/L→1; then verify length and check character.

    Raises
    ------
    CodeError
        if the code has the wrong length, a symbol outside the alphabet, or a wrong check character.
    """
    code = "".join(typed.split()).replace("-", "").upper().translate(_ALIASES)
    if len(code) != BODY_LENGTH + 1:
        raise CodeError(f"a code has {BODY_LENGTH + 1} characters; this one has {len(code)}")
    bad = sorted({ch for ch in code if ch not in _INDEX})
    if bad:
        raise CodeError(f"characters not used in codes: {' '.join(bad)}")
    if check_character(code[:-1]) != code[-1]:
        raise CodeError("the code is mistyped (its check character does not match)")
    return code


def hmac_code(key: str | bytes, code: str) -> str:
    """HMAC-SHA-256 (hex) of a normalised code under the deployment's ``CODE_HMAC_KEY``."""
    k = key.encode() if isinstance(key, str) else key
    return hmac.new(k, code.encode("ascii"), hashlib.sha256).hexdigest()


def slips_count(group_size: int, extra: float = 0.2) -> int:
    """Codes to print for a group: about ``(1 + extra)`` × its size, at least one more than the size,
    so that the slips can be drawn from an envelope box without anyone noting who took which."""
    import math

    return max(group_size + 1, math.ceil(group_size * (1 + extra)))
