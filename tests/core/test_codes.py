from __future__ import annotations

import math

import pytest

from wellbeing.core.codes import (
    ALPHABET,
    BODY_LENGTH,
    CodeError,
    check_character,
    format_code,
    generate_code,
    hmac_code,
    normalise,
    slips_count,
)


def test_codes_carry_at_least_128_bits():
    assert BODY_LENGTH * math.log2(len(ALPHABET)) >= 128
    codes = {generate_code() for _ in range(1000)}
    assert len(codes) == 1000


def test_normalise_accepts_printed_form_and_confusable_letters():
    code = generate_code()
    assert normalise(format_code(code).lower()) == code
    assert normalise(" ".join(code)) == code
    with_o = code.replace("0", "O")
    assert normalise(with_o) == code


def test_every_single_substitution_is_detected():
    code = generate_code()
    for i in range(len(code)):
        for ch in ALPHABET:
            if ch != code[i]:
                with pytest.raises(CodeError):
                    normalise(code[:i] + ch + code[i + 1:])


def test_adjacent_transpositions_are_detected_except_the_known_luhn_pair():
    """Luhn mod N misses exactly one transposition: of the symbols worth 0 and N-1 ("0" and "Z")."""
    body = generate_code()[:-1]
    missed = set()
    for a in ALPHABET:
        for b in ALPHABET:
            if a == b:
                continue
            code = body[:10] + a + b + body[12:]
            code += check_character(code)
            swapped = code[:10] + b + a + code[12:]
            try:
                normalise(swapped)
                missed.add(frozenset((a, b)))
            except CodeError:
                pass
    assert missed == {frozenset(("0", "Z"))}


def test_hmac_depends_on_key_and_is_hex():
    code = generate_code()
    a, b = hmac_code("k1", code), hmac_code("k2", code)
    assert a != b and len(a) == 64 and set(a + b) <= set("0123456789abcdef")
    # RFC 4231, test case 2 (HMAC-SHA-256, key "Jefe")
    assert hmac_code("Jefe", "what do ya want for nothing?") == \
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"


def test_check_character_known_value():
    # Luhn mod 32 of "1": factor 2 -> 2; check = (32 - 2) % 32 = 30 -> 'Y'
    assert check_character("1") == ALPHABET[30]


@pytest.mark.parametrize("size, expected", [(10, 12), (30, 36), (3, 4), (0, 1)])
def test_slips_are_about_120_percent(size, expected):
    assert slips_count(size) == expected
