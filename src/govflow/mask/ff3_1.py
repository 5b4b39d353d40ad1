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
import string
import threading
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np
from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes

__all__ = ["FF31", "TWEAK_BYTES", "cipher_for"]

_ROUNDS = 8
_DOMAIN_MIN = 1_000_000  # FF3-1 needs radix**minlen >= one million
TWEAK_BYTES = 7
"""FF3-1 takes a 56-bit tweak (FF3's 64-bit tweak was the weakness it fixes)."""
# The batch path keeps A and B below radix**u in uint64 and sums eight 16-bit pieces of each AES output
# times (2**(16 j) mod radix**u): below 2**64 while radix**u < 2**44, i.e. up to 13 decimal digits a half.
_BATCH_MAX_HALF = 13
BATCH_MIN = 8  # fewer values than this: the per-value loop is as fast
_INT_DIGITS = string.digits + string.ascii_uppercase  # the digits int(text, radix) reads, in value order


@lru_cache(maxsize=256)
def _round_tails(tweak: bytes) -> tuple[int, ...]:
    """Per round i, the byte-reversed W xor i that ends the byte-reversed AES input block, as the integer
    it adds to the block read little-endian (its bytes 12-15).

    FF3-1 splits the 56-bit tweak into 32-bit halves T_L = T[0..27] || 0000 and T_R = T[32..55] ||
    T[28..31] || 0000; even rounds use W = T_R, odd rounds W = T_L. The round block is W xor [i]_4 ||
    NUM(B) as 12 bytes, and FF3 encrypts it byte-reversed, so the tweak part is the same 4 bytes at the
    end of every block for one tweak: built once per tweak (masking uses one tweak per entity type). As
    an integer it is added to NUM(B) < 2**96, so each round's block is one `int.to_bytes`.
    """
    if len(tweak) != TWEAK_BYTES:
        raise ValueError(f"FF3-1 takes a {TWEAK_BYTES * 8}-bit tweak")
    left = tweak[:3] + bytes([tweak[3] & 0xF0])
    right = tweak[4:7] + bytes([(tweak[3] & 0x0F) << 4])
    tails = []
    for i in range(_ROUNDS):
        half = right if i % 2 == 0 else left
        tails.append(int.from_bytes(bytes([half[3] ^ i, half[2], half[1], half[0]]), "little") << 96)
    return tuple(tails)


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
        # Alphabets that are int()'s own digits in order ("0123456789", "0-9A-Z") convert in C; int() would
        # also take signs, spaces, underscores and lower case, but `_check` lets only alphabet characters in.
        self._int_digits = self.radix <= len(_INT_DIGITS) and alphabet == _INT_DIGITS[: self.radix]
        self._decimal = alphabet == string.digits  # str() writes these digits
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
        if self._int_digits:
            return int(numeral[::-1], self.radix)
        value = 0
        for char in reversed(numeral):
            value = value * self.radix + self._digit[char]
        return value

    def _numeral(self, value: int, length: int) -> str:
        """REV(STR(value)) padded to `length`: the inverse of `_number` (value < radix**length)."""
        if self._decimal:
            return str(value).zfill(length)[::-1]
        digits = []
        for _ in range(length):
            value, digit = divmod(value, self.radix)
            digits.append(self.alphabet[digit])
        return "".join(digits)

    def _check(self, text: str) -> None:
        if not self.min_len <= len(text) <= self.max_len:
            raise ValueError(f"FF3-1 takes {self.min_len} to {self.max_len} characters, got {len(text)}")
        if text.strip(self.alphabet):  # strip leaves something only if a character is not in the alphabet
            raise ValueError("FF3-1 input has a character outside its alphabet")

    def _split(self, text: str) -> tuple[int, int, int, int]:
        """A and B as integers and their moduli radix**u, radix**v (u = ceil(n/2) digits in A)."""
        self._check(text)
        u = (len(text) + 1) // 2
        return self._number(text[:u]), self._number(text[u:]), self.radix**u, self.radix ** (len(text) - u)

    def encrypt(self, plaintext: str, tweak: bytes) -> str:
        a, b, mod_u, mod_v = self._split(plaintext)
        tails = _round_tails(tweak)
        aes = self._aes().update
        for i in range(0, _ROUNDS, 2):
            # Even round: C = (A + y) mod radix**u, then odd round mod radix**v; A, B = B, C each time.
            a = (a + int.from_bytes(aes((b + tails[i]).to_bytes(16, "little")), "little")) % mod_u
            b = (b + int.from_bytes(aes((a + tails[i + 1]).to_bytes(16, "little")), "little")) % mod_v
        # Eight rounds (an even number) leave A with u digits and B with v, as at the start.
        u = (len(plaintext) + 1) // 2
        return self._numeral(a, u) + self._numeral(b, len(plaintext) - u)

    def decrypt(self, ciphertext: str, tweak: bytes) -> str:
        a, b, mod_u, mod_v = self._split(ciphertext)
        tails = _round_tails(tweak)
        aes = self._aes().update
        for i in range(_ROUNDS - 1, 0, -2):
            b = (b - int.from_bytes(aes((a + tails[i]).to_bytes(16, "little")), "little")) % mod_v
            a = (a - int.from_bytes(aes((b + tails[i - 1]).to_bytes(16, "little")), "little")) % mod_u
        u = (len(ciphertext) + 1) // 2
        return self._numeral(a, u) + self._numeral(b, len(ciphertext) - u)

    def encrypt_many(self, plaintexts: Sequence[str], tweak: bytes) -> list[str]:
        """``[encrypt(p, tweak) for p in plaintexts]``, the decimal ones of a length in one pass per round.

        Masking a column encrypts thousands of values under one tweak. Per value, eight rounds of integer
        to bytes, one AES block and back cost ~5 us of interpreter time; here each round is one AES call
        over all values of a length and numpy arithmetic on them. Other alphabets, long values and small
        groups take the per-value path; the results are the same (tested).
        """
        out: list[str] = [""] * len(plaintexts)
        by_length: dict[int, list[int]] = {}
        for i, text in enumerate(plaintexts):
            by_length.setdefault(len(text), []).append(i)
        for length, indices in by_length.items():
            if not self.batches(length) or len(indices) < BATCH_MIN:
                for i in indices:
                    out[i] = self.encrypt(plaintexts[i], tweak)
                continue
            texts = [plaintexts[i] for i in indices]
            for text in texts:
                self._check(text)
            digits = char_matrix(texts, length) - ord("0")
            for i, text in zip(indices, matrix_rows(self.encrypt_digits(digits, tweak) + ord("0")), strict=True):
                out[i] = text
        return out

    def batches(self, length: int) -> bool:
        """Whether `encrypt_digits` takes numerals of this length (decimal, within FF3-1's bounds, halves
        of at most 13 digits)."""
        return self._decimal and self.min_len <= length <= self.max_len and (length + 1) // 2 <= _BATCH_MAX_HALF

    def encrypt_digits(self, digits: np.ndarray, tweak: bytes) -> np.ndarray:
        """`encrypt` of each row of a matrix of decimal digits (values 0-9, one numeral a row, a length
        `batches` accepts), as a matrix of the same shape."""
        count, length = digits.shape
        u, v = (length + 1) // 2, length // 2
        wide = digits.astype(np.uint64)
        # NUM(REV(X)): the first digit is the least significant.
        a = wide[:, :u] @ (np.uint64(10) ** np.arange(u, dtype=np.uint64))
        b = wide[:, u:] @ (np.uint64(10) ** np.arange(v, dtype=np.uint64))
        tails = _round_tails(tweak)
        aes = self._aes().update
        for i in range(0, _ROUNDS, 2):
            a = (a + self._round_values(aes, b, tails[i], 10**u)) % np.uint64(10**u)
            b = (b + self._round_values(aes, a, tails[i + 1], 10**v)) % np.uint64(10**v)
        out = np.empty((count, length), dtype=np.uint8)
        for j in range(u):
            out[:, j] = (a // np.uint64(10**j)) % np.uint64(10)
        for j in range(v):
            out[:, u + j] = (b // np.uint64(10**j)) % np.uint64(10)
        return out

    @staticmethod
    def _round_values(aes: Callable[[bytes], bytes], half: np.ndarray, tail: int, modulus: int) -> np.ndarray:
        """AES(NUM(B) + tail as 16 little-endian bytes) mod `modulus`, for every B of `half` (each < 2**64)."""
        blocks = np.zeros((len(half), 16), dtype=np.uint8)
        blocks[:, :8] = half.astype("<u8").view(np.uint8).reshape(-1, 8)
        blocks[:, 12:] = np.frombuffer((tail >> 96).to_bytes(4, "little"), dtype=np.uint8)
        pieces = np.frombuffer(aes(blocks.tobytes()), dtype="<u2").reshape(-1, 8).astype(np.uint64)
        weights = np.array([pow(2, 16 * j, modulus) for j in range(8)], dtype=np.uint64)
        return (pieces * weights).sum(axis=1) % np.uint64(modulus)


def char_matrix(texts: Sequence[str], width: int) -> np.ndarray:
    """Equal-length ASCII texts as the matrix of their bytes, a text a row."""
    return np.frombuffer("".join(texts).encode("ascii"), dtype=np.uint8).reshape(len(texts), width)


def matrix_rows(matrix: np.ndarray) -> list[str]:
    """The rows of a matrix of ASCII bytes as texts: the inverse of `char_matrix`."""
    width = matrix.shape[1]
    text = matrix.tobytes().decode("ascii")
    return [text[k * width : (k + 1) * width] for k in range(len(matrix))]


@lru_cache(maxsize=64)
def cipher_for(key: bytes, alphabet: str) -> FF31:
    """The cipher of one (subkey, alphabet): built once, as masking calls it for every value."""
    return FF31(key, alphabet)
