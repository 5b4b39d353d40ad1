"""FF3-1 format-preserving encryption (NIST SP 800-38G Rev. 1 draft) on the `cryptography` package's AES.

Why not the `ff3` package: it builds a pycryptodome AES object per call and converts between numeral
strings and integers eight times per value, which made FPE the largest single cost of masking a table
of IBANs. Here the Feistel rounds run on integers (one conversion in, one out) and each round is one
AES-ECB block through one encryptor per key. The output is identical to `ff3.FF3Cipher` for the same
key, tweak and alphabet; `tests/test_ff3_1.py` checks that on random inputs and NIST's sample vectors.

Conventions of FF3 (kept, since they define the ciphertext): the AES key is used byte-reversed, numeral
strings are read least-significant digit first (NUM(REV(X))), and each round encrypts the byte-reversed
block W xor i || NUM(B) and reads the result byte-reversed.
"""

from __future__ import annotations

import math
import threading
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes

__all__ = ["FF31", "cipher_for"]

_ROUNDS = 8
_DOMAIN_MIN = 1_000_000  # FF3-1 needs radix**minlen >= one million
_TWEAK_BYTES = 7


def _tweak_halves(tweak: bytes) -> tuple[bytes, bytes]:
    """FF3-1's 56-bit tweak as the two 32-bit halves (T_L, T_R) the rounds alternate between."""
    if len(tweak) != _TWEAK_BYTES:
        raise ValueError(f"FF3-1 takes a {_TWEAK_BYTES * 8}-bit tweak")
    left = tweak[:3] + bytes([tweak[3] & 0xF0])
    right = tweak[4:7] + bytes([(tweak[3] & 0x0F) << 4])
    return left, right


class FF31:
    """One key and alphabet; `encrypt`/`decrypt` take the numeral string and a 7-byte tweak."""

    def __init__(self, key: bytes, alphabet: str) -> None:
        if len(key) not in (16, 24, 32):
            raise ValueError("FF3-1 needs a 128, 192 or 256-bit key")
        if len(set(alphabet)) != len(alphabet) or len(alphabet) < 2:
            raise ValueError("FF3-1 needs an alphabet of at least two distinct characters")
        self.alphabet = alphabet
        self.radix = len(alphabet)
        self.min_len = math.ceil(math.log(_DOMAIN_MIN) / math.log(self.radix))
        self.max_len = 2 * math.floor(96 / math.log2(self.radix))
        self._digit = {c: i for i, c in enumerate(alphabet)}
        self._key = key[::-1]  # FF3 reverses the key bytes
        self._local = threading.local()  # cipher contexts are not thread-safe; one per thread

    def _aes(self) -> CipherContext:
        context: CipherContext | None = getattr(self._local, "aes", None)
        if context is None:
            # FF3's round function is single-block AES; ECB keeps no state between blocks, so one
            # context serves every block of every call.
            context = Cipher(algorithms.AES(self._key), modes.ECB()).encryptor()
            self._local.aes = context
        return context

    def _number(self, numeral: str) -> int:
        """NUM(REV(numeral)): the first character is the least significant digit."""
        value = 0
        for char in reversed(numeral):
            value = value * self.radix + self._digit[char]
        return value

    def _numeral(self, value: int, length: int) -> str:
        """REV(STR(value)) padded to `length`: the inverse of `_number`."""
        digits = []
        for _ in range(length):
            value, digit = divmod(value, self.radix)
            digits.append(self.alphabet[digit])
        return "".join(digits)

    def _check(self, text: str) -> None:
        if not self.min_len <= len(text) <= self.max_len:
            raise ValueError(f"FF3-1 takes {self.min_len} to {self.max_len} characters, got {len(text)}")
        if any(c not in self._digit for c in text):
            raise ValueError("FF3-1 input has a character outside its alphabet")

    def _round(self, aes: CipherContext, i: int, half: bytes, value: int) -> int:
        block = bytes([half[0], half[1], half[2], half[3] ^ i]) + value.to_bytes(12, "big")
        return int.from_bytes(aes.update(block[::-1]), "little")

    def encrypt(self, plaintext: str, tweak: bytes) -> str:
        self._check(plaintext)
        left, right = _tweak_halves(tweak)
        u = -(-len(plaintext) // 2)
        v = len(plaintext) - u
        mod_u, mod_v = self.radix**u, self.radix**v
        a, b = self._number(plaintext[:u]), self._number(plaintext[u:])
        aes = self._aes()
        for i in range(_ROUNDS):
            if i % 2 == 0:
                a, b = b, (a + self._round(aes, i, right, b)) % mod_u
            else:
                a, b = b, (a + self._round(aes, i, left, b)) % mod_v
        # After eight rounds A holds u digits and B holds v again.
        return self._numeral(a, u) + self._numeral(b, v)

    def decrypt(self, ciphertext: str, tweak: bytes) -> str:
        self._check(ciphertext)
        left, right = _tweak_halves(tweak)
        u = -(-len(ciphertext) // 2)
        v = len(ciphertext) - u
        mod_u, mod_v = self.radix**u, self.radix**v
        a, b = self._number(ciphertext[:u]), self._number(ciphertext[u:])
        aes = self._aes()
        for i in reversed(range(_ROUNDS)):
            if i % 2 == 0:
                a, b = (b - self._round(aes, i, right, a)) % mod_u, a
            else:
                a, b = (b - self._round(aes, i, left, a)) % mod_v, a
        return self._numeral(a, u) + self._numeral(b, v)


@lru_cache(maxsize=64)
def cipher_for(key: bytes, alphabet: str) -> FF31:
    """The cipher of one (subkey, alphabet): built once, as masking calls it for every value."""
    return FF31(key, alphabet)
