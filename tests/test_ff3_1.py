"""govflow's FF3-1 against NIST's ACVP sample vectors and against the `ff3` package on random inputs.

The ciphertexts of every FPE-masked value already written depend on this cipher, so it must match the
reference implementation bit for bit, not just round-trip.
"""

from __future__ import annotations

import string

import pytest
from ff3 import FF3Cipher
from ff3.ff3_test import testVectors_ACVP_AES_FF3_1
from hypothesis import given, settings
from hypothesis import strategies as st

from govflow.mask.ff3_1 import FF31
from govflow.mask.keyed import ALPHABETS


@pytest.mark.parametrize("vector", testVectors_ACVP_AES_FF3_1, ids=lambda v: f"{v['radix']}-{len(v['key'])}")
def test_acvp_vectors(vector: dict[str, str]) -> None:
    cipher = FF31(bytes.fromhex(vector["key"]), vector["alphabet"])
    tweak = bytes.fromhex(vector["tweak"])
    assert cipher.encrypt(vector["plaintext"], tweak) == vector["ciphertext"]
    assert cipher.decrypt(vector["ciphertext"], tweak) == vector["plaintext"]


@st.composite
def cases(draw: st.DrawFn) -> tuple[bytes, str, bytes, str]:
    alphabet = draw(st.sampled_from(sorted(ALPHABETS.values())))
    size = draw(st.sampled_from([16, 24, 32]))
    key_bytes = draw(st.binary(min_size=size, max_size=size))
    reference = FF3Cipher.withCustomAlphabet(key_bytes.hex(), "00" * 7, alphabet)
    text = draw(st.text(alphabet=alphabet, min_size=reference.minLen, max_size=reference.maxLen))
    return key_bytes, alphabet, draw(st.binary(min_size=7, max_size=7)), text


@settings(max_examples=300, deadline=None)
@given(cases())
def test_same_as_reference_implementation(case: tuple[bytes, str, bytes, str]) -> None:
    key, alphabet, tweak, text = case
    reference = FF3Cipher.withCustomAlphabet(key.hex(), "00" * 7, alphabet)
    ours = FF31(key, alphabet)
    assert (ours.min_len, ours.max_len) == (reference.minLen, reference.maxLen)
    encrypted = ours.encrypt(text, tweak)
    assert encrypted == reference.encrypt_with_tweak(text, tweak.hex())
    assert ours.decrypt(encrypted, tweak) == text == reference.decrypt_with_tweak(encrypted, tweak.hex())


def test_bad_inputs_are_refused_without_echoing_them() -> None:
    cipher = FF31(bytes(16), string.digits)
    with pytest.raises(ValueError, match="6 to 56 characters, got 5") as short:
        cipher.encrypt("12345", bytes(7))
    with pytest.raises(ValueError, match="outside its alphabet") as foreign:
        cipher.encrypt("12345A7", bytes(7))
    with pytest.raises(ValueError, match="56-bit tweak"):
        cipher.encrypt("1234567", bytes(8))
    with pytest.raises(ValueError, match="128, 192 or 256-bit key"):
        FF31(bytes(10), string.digits)
    assert "12345" not in str(short.value) and "12345A7" not in str(foreign.value)
