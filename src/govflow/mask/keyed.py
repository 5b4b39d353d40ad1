"""Keyed masking operators: joinable tokens, deterministic encryption, format-preserving encryption, date shifts.

Presidio's own operators cannot do this job: its `hash` salts every call and its `encrypt` draws a random
IV, so the same e-mail masks differently in two rows and joins or counts break. Every function here is a
pure function of (value, key, parameters): the same inputs give byte-identical output on every row,
file, run, pandas or Spark worker. Each uses its own HKDF subkey (see `Key.derive`).

Errors never contain the value nor key material, so they can be logged; the engine catches `ValueError`
and falls back to another operator.

- `token`: HMAC-SHA256, one-way. Joins and counts survive; nobody can recover the value.
- `encrypt_deterministic`: AES-SIV (RFC 5297), reversible by key holders, equal plaintexts give equal
  ciphertexts (that is the point, and also the leak: frequencies show).
- `fpe_encrypt`: FF3-1 (NIST SP 800-38G Rev. 1 draft), reversible, keeps the shape of the value so
  downstream schemas and validators (Luhn, IBAN) still accept it.
- `date_shift`: moves every date of one subject by the same secret number of days, keeping intervals.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import re
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from stdnum import luhn

from govflow.detect.financial import iban_check_digits, iban_is_valid
from govflow.mask.ff3_1 import FF31, TWEAK_BYTES, cipher_for
from govflow.mask.fpe_column import encrypt_by_layout
from govflow.mask.generalize import split_iso_date
from govflow.mask.keys import Key

__all__ = [
    "ALPHABETS",
    "date_shift",
    "decrypt_deterministic",
    "encrypt_deterministic",
    "fpe_decrypt",
    "fpe_encrypt",
    "token",
]

_ENTITY = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_CASE_INSENSITIVE = frozenset({"EMAIL_ADDRESS"})
_SIV_PREFIX = "siv1."
_CANNOT_DECRYPT = "cannot decrypt: wrong key or altered value"


# --- tokens -------------------------------------------------------------------------------------------


def token(value: str, entity: str, key: Key, length: int = 16, *, normalize: bool = True) -> str:
    """``"<entity>:<hex>"``: the first `length` hex chars of HMAC-SHA256(subkey "token", entity NUL value).

    The entity is part of the MAC input, so the same string tokenises differently as an e-mail and as a
    name and tokens of different types never join by accident. With `normalize`, surrounding whitespace
    is stripped and EMAIL_ADDRESS values are case-folded: mail systems treat addresses case-insensitively
    in practice, so "John@x.com" and "john@x.com" are one person and must join. Other entities keep their
    case, since for names and identifiers case can be meaningful. 16 hex chars (64 bits) keep accidental
    collisions negligible below billions of distinct values; `length` may be 8-64.
    """
    if not _ENTITY.fullmatch(entity):
        raise ValueError(f"token: entity must be letters, digits and underscores, got {entity!r}")
    if not 8 <= length <= 64:
        raise ValueError("token: length must be between 8 and 64 hex characters")
    if normalize:
        value = value.strip().casefold() if entity in _CASE_INSENSITIVE else value.strip()
    mac = _hmac_sha256(key.derive("token"), f"{entity}\x00{value}".encode())
    return f"{entity}:{mac.hex()[:length]}"


_HMAC_BLOCK = 64  # SHA-256's block size, in bytes


@functools.lru_cache(maxsize=64)
def _hmac_states(subkey: bytes) -> tuple[hashlib._Hash, hashlib._Hash]:
    """SHA-256 after the inner and outer padded keys of HMAC (RFC 2104), kept per subkey."""
    if len(subkey) > _HMAC_BLOCK:
        subkey = hashlib.sha256(subkey).digest()
    padded = subkey.ljust(_HMAC_BLOCK, b"\x00")
    return (
        hashlib.sha256(bytes(b ^ 0x36 for b in padded)),
        hashlib.sha256(bytes(b ^ 0x5C for b in padded)),
    )


def _hmac_sha256(subkey: bytes, message: bytes) -> bytes:
    """``hmac.digest(subkey, message, "sha256")``, resuming from the padded keys' states.

    OpenSSL 3 looks the digest up again on every one-shot HMAC; a column of a million e-mail addresses
    makes a million tokens, and copying two kept states is about half the cost.
    """
    inner, outer = _hmac_states(subkey)
    inner = inner.copy()
    inner.update(message)
    outer = outer.copy()
    outer.update(inner.digest())
    return outer.digest()


# --- deterministic encryption ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _siv(subkey: bytes) -> AESSIV:
    return AESSIV(subkey)


def encrypt_deterministic(value: str, key: Key, associated: str = "") -> str:
    """``"siv1." + base64url(AES-SIV(value))`` with a 64-byte subkey (AES-256-SIV, RFC 5297).

    SIV derives its IV from the plaintext, so encryption is deterministic and misuse-resistant without a
    nonce to manage. `associated` is authenticated but not encrypted: pass e.g. the column or entity so a
    ciphertext moved to another column fails to decrypt.
    """
    sealed = _siv(key.derive("siv", 64)).encrypt(value.encode("utf-8"), [associated.encode("utf-8")])
    return _SIV_PREFIX + base64.urlsafe_b64encode(sealed).rstrip(b"=").decode("ascii")


def decrypt_deterministic(text: str, key: Key, associated: str = "") -> str:
    """The plaintext of `encrypt_deterministic`; ValueError for a wrong key, altered value or other input."""
    if not text.startswith(_SIV_PREFIX):
        raise ValueError(_CANNOT_DECRYPT)
    body = text[len(_SIV_PREFIX) :]
    try:
        sealed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        return _siv(key.derive("siv", 64)).decrypt(sealed, [associated.encode("utf-8")]).decode("utf-8")
    except (ValueError, InvalidTag):  # binascii.Error and UnicodeDecodeError are ValueErrors
        raise ValueError(_CANNOT_DECRYPT) from None


# --- format-preserving encryption ------------------------------------------------------------------------

ALPHABETS: dict[str, str] = {
    "digits": string.digits,
    "alphanumeric": string.digits + string.ascii_uppercase,
}
"""Characters FF3-1 encrypts (radix 10 and 36); every other character stays where it is."""


@dataclass(frozen=True)
class _Checksum:
    """A check-digit scheme kept valid through FPE: its check digits are recomputed, not encrypted."""

    covers: str  # the characters the checksum is computed over; any others are separators it skips
    slots: slice  # which of the covered positions hold the check digits
    is_valid: Callable[[str], bool]
    check_digits: Callable[[str], str]  # check digits for the covered text (its current ones are ignored)


_CHECKSUMS: dict[str, _Checksum] = {
    "luhn": _Checksum(
        covers=string.digits,
        slots=slice(-1, None),
        is_valid=luhn.is_valid,
        check_digits=lambda text: luhn.calc_check_digit(text[:-1]),
    ),
    # Country code (clear, not a digit) + 2 check digits + BBAN. Only BBAN digits are encrypted, so letters
    # (e.g. the GB bank code) stay letters and the BBAN keeps its national structure. The checksum covers
    # the ASCII letters and digits; spaces and other separators stay where they are.
    "iban": _Checksum(
        covers=string.ascii_letters + string.digits,
        slots=slice(2, 4),
        is_valid=lambda text: iban_is_valid(text, check_country=False),
        check_digits=iban_check_digits,
    ),
}


def _positions(value: str, chars: str) -> list[int]:
    """Indexes of the characters of `value` that are in `chars`, in order."""
    if not value.strip(chars):  # all of them (a compact IBAN, a bare card number): no per-character test
        return list(range(len(value)))
    return [i for i, c in enumerate(value) if c in chars]


def _contiguous(positions: list[int]) -> bool:
    """Whether the (increasing) positions are one run, as a compact IBAN's BBAN digits or check digits are."""
    return bool(positions) and positions[-1] - positions[0] + 1 == len(positions)


def _pick(text: str | list[str], positions: list[int]) -> str:
    """The characters of `text` at `positions`, joined."""
    if _contiguous(positions):
        run = text[positions[0] : positions[-1] + 1]
        return run if isinstance(run, str) else "".join(run)
    return "".join([text[i] for i in positions])


def _place(out: list[str], positions: list[int], chars: str) -> None:
    """Write `chars` into `out` at `positions` (as many of each)."""
    if len(chars) == len(positions) and _contiguous(positions):
        out[positions[0] : positions[-1] + 1] = chars
        return
    for i, c in zip(positions, chars, strict=True):
        out[i] = c


@functools.lru_cache(maxsize=256)
def _tweak(subkey: bytes, context: str) -> bytes:
    """The 56-bit FF3-1 tweak of one context (entity type): the first 7 bytes of HMAC-SHA256(subkey, context).

    Cached because masking passes the same context for every value of a column.
    """
    return _hmac_sha256(subkey, context.encode("utf-8"))[:TWEAK_BYTES]


@dataclass(frozen=True)
class _FpeJob:
    """One value taken apart for FF3-1: what to encrypt, and how to put the value back together."""

    value: str
    work: list[int]  # positions of the characters the cipher takes
    covered: list[int]  # positions the checksum covers (none without a checksum)
    check_slots: list[int]  # positions of the check digits, recomputed afterwards
    scheme: _Checksum | None

    def numeral(self) -> str:
        return _pick(self.value, self.work)

    def assemble(self, numeral: str) -> str:
        out = list(self.value)
        _place(out, self.work, numeral)
        if self.scheme:
            _place(out, self.check_slots, self.scheme.check_digits(_pick(out, self.covered)))
        return "".join(out)


def _fpe_alphabet(alphabet: str, checksum: str | None) -> str:
    """The alphabet's characters, or ValueError for a name or combination we refuse."""
    if alphabet not in ALPHABETS:
        raise ValueError(f"fpe: unknown alphabet {alphabet!r}: expected one of {', '.join(ALPHABETS)}")
    if checksum is not None and checksum not in _CHECKSUMS:
        raise ValueError(f"fpe: unknown checksum {checksum!r}: expected one of {', '.join(_CHECKSUMS)}")
    if checksum is not None and alphabet != "digits":
        # Radix 36 would put letters into numeric fields (e.g. a German BBAN is 18 digits).
        raise ValueError(f"fpe: checksum {checksum!r} needs alphabet 'digits'")
    return ALPHABETS[alphabet]


def _fpe_job(value: str, alphabet: str, checksum: str | None, cipher: FF31) -> _FpeJob:
    """Take `value` apart: with a checksum it must satisfy it, and its check digits stay out of the cipher."""
    scheme = _CHECKSUMS.get(checksum or "")
    covered: list[int] = []
    check_slots: list[int] = []
    if scheme:
        covered = _positions(value, scheme.covers)
        if not scheme.is_valid(_pick(value, covered)):
            raise ValueError(f"fpe: the value is not a valid {checksum} number")
        check_slots = covered[scheme.slots]
    skipped = set(check_slots)
    chars = cipher.alphabet
    work = [i for i in _positions(value, chars) if i not in skipped] if skipped else _positions(value, chars)
    if len(work) < cipher.min_len:
        raise ValueError(
            f"too short for format-preserving encryption: {len(work)} encryptable {alphabet} chars, "
            f"FF3-1 needs at least {cipher.min_len}"
        )
    if len(work) > cipher.max_len:
        raise ValueError(
            f"too long for format-preserving encryption: {len(work)} encryptable {alphabet} chars, "
            f"FF3-1 allows at most {cipher.max_len}"
        )
    return _FpeJob(value, work, covered, check_slots, scheme)


def _fpe(value: str, key: Key, tweak_context: str, alphabet: str, checksum: str | None, *, decrypt: bool) -> str:
    """FF3-1 over the alphabet characters of `value` in place; encryption and decryption share every step.

    With a checksum, the value must satisfy it; its check digits are left out of the cipher and
    recomputed afterwards. That keeps outputs valid and makes decryption the exact mirror image.
    """
    cipher = cipher_for(key.derive("fpe"), _fpe_alphabet(alphabet, checksum))
    job = _fpe_job(value, alphabet, checksum, cipher)
    run = cipher.decrypt if decrypt else cipher.encrypt
    return job.assemble(run(job.numeral(), _tweak(key.derive("fpe-tweak"), tweak_context)))


def fpe_encrypt(
    value: str, key: Key, *, tweak_context: str = "", alphabet: str = "digits", checksum: str | None = None
) -> str:
    """Encrypt the `alphabet` characters of `value` with FF3-1, leaving every other character in place.

    "4111 1111 1111 1111" stays four groups of four digits; "+44 20 7946 0958" keeps its "+" and spaces.
    Pass the entity type as `tweak_context`: the 56-bit tweak is HMAC(subkey "fpe-tweak", context), so
    equal digits of different entity types encrypt differently. `alphabet` is "digits" (radix 10) or
    "alphanumeric" (0-9 and A-Z, radix 36; lower-case letters stay as they are).

    `checksum="luhn"` (cards): all digits but the last are encrypted, then the Luhn digit is recomputed.
    `checksum="iban"`: the country code stays, the BBAN digits are encrypted and the two IBAN check
    digits recomputed, so the result is a valid IBAN of the same country and BBAN structure (letters in
    the BBAN, such as a GB bank code, stay in clear; national check digits inside the BBAN, e.g. Spain's,
    are not recomputed). With a checksum the input must already be valid.

    Raises ValueError when the value has fewer encryptable characters than FF3-1's one-million-value
    minimum domain (6 digits, 4 alphanumerics) or more than its maximum (56 digits, 36 alphanumerics).
    """
    return _fpe(value, key, tweak_context, alphabet, checksum, decrypt=False)


def fpe_encrypt_many(
    values: Sequence[str],
    key: Key,
    *,
    tweak_context: str = "",
    alphabet: str = "digits",
    checksum: str | None = None,
) -> list[str | None]:
    """`fpe_encrypt` of each value (one tweak for all), None where it would raise ValueError.

    For a column of values: values that share a layout (length, positions of digits and letters) are
    encrypted as one character matrix (`fpe_column.encrypt_by_layout`); the rest are taken apart one by
    one, and the cipher runs over all of those at once (`FF31.encrypt_many`). An invalid alphabet or
    checksum name still raises.
    """
    cipher = cipher_for(key.derive("fpe"), _fpe_alphabet(alphabet, checksum))
    tweak = _tweak(key.derive("fpe-tweak"), tweak_context)
    results: list[str | None] = [None] * len(values)
    done = encrypt_by_layout(values, cipher, tweak, checksum)
    jobs: dict[int, _FpeJob] = {}
    for i, value in enumerate(values):
        if i in done:
            results[i] = done[i]
            continue
        with contextlib.suppress(ValueError):  # a value FF3-1 refuses keeps None
            jobs[i] = _fpe_job(value, alphabet, checksum, cipher)
    encrypted = cipher.encrypt_many([job.numeral() for job in jobs.values()], tweak)
    for (i, job), numeral in zip(jobs.items(), encrypted, strict=True):
        results[i] = job.assemble(numeral)
    return results


def fpe_decrypt(
    value: str, key: Key, *, tweak_context: str = "", alphabet: str = "digits", checksum: str | None = None
) -> str:
    """Invert `fpe_encrypt` (same key and keyword arguments): ``fpe_decrypt(fpe_encrypt(v)) == v``."""
    return _fpe(value, key, tweak_context, alphabet, checksum, decrypt=True)


# --- date shifting ------------------------------------------------------------------------------------------

_When = TypeVar("_When", date, datetime, str)


def date_shift(value: _When, subject: str, key: Key, max_days: int = 365) -> _When:
    """Move `value` by a secret number of days in [-max_days, max_days] minus 0, fixed per `subject`.

    The offset is HMAC(subkey "shift", subject), so all dates of one patient or customer move together:
    intervals between their events (age at admission, length of stay) survive, absolute dates do not.
    0 is excluded so no subject keeps real dates. A date stays a date, a datetime a datetime (time and
    time zone untouched), and an ISO 8601 string comes back in the same format ("2020-01-31" or
    "2020-01-31T10:00:00Z"); a string that is not one raises ValueError.
    """
    if max_days < 1:
        raise ValueError("date_shift: max_days must be at least 1")
    mac = _hmac_sha256(key.derive("shift"), subject.encode("utf-8"))
    draw = int.from_bytes(mac[:8], "big") % (2 * max_days)  # 64 bits: the modulo bias is negligible
    delta = timedelta(days=draw - max_days if draw < max_days else draw - max_days + 1)
    try:
        if isinstance(value, str):
            parsed = split_iso_date(value)
            if parsed is None:
                raise ValueError("date_shift: not a date, datetime or ISO 8601 date string")
            day, rest = parsed
            return (day + delta).isoformat() + rest
        return value + delta
    except OverflowError:
        raise ValueError("date_shift: date out of range after shifting") from None
