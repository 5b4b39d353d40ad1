"""Secret keys for the keyed masking operators (tokens, deterministic encryption, FPE, date shifting).

A key is loaded once from an environment variable or a key file and then only ever used through
`Key.derive`, which hands out one HKDF-SHA256 subkey (RFC 5869) per purpose. Deriving per purpose means
one secret never serves two algorithms: the HMAC behind tokens, AES-SIV and FF3-1 each see an
independent key, so a weakness or a leak in one operator tells nothing about the others.

Key material never leaves this object in readable form: `repr`/`str` show the logical name and a public
`key_id` (safe for audit logs, it identifies which key masked a dataset without revealing it), and every
error message says *where* a key is missing and *how* to make one, never what a key contains.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import re
import stat
import warnings
from collections.abc import Mapping
from dataclasses import InitVar, dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["DEMO_KEY_HEX", "MIN_KEY_BYTES", "Key", "MissingKeyError", "load_key"]

MIN_KEY_BYTES = 16
"""Below 128 bits a key can be brute-forced against known tokens, so shorter material is refused."""

DEMO_KEY_HEX = "36ec7596d706d354e2938cde1e6ea99eb3121a0c54a378a3ced68127698a179e"
"""A fixed, PUBLIC key for `govflow demo` and tutorials only: it is printed here, in the source, for anyone
to read, so anything masked with it can be re-identified by anyone. Never use it for real data."""

_HOW_TO_MAKE = "e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`"
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")


class MissingKeyError(ValueError):
    """No usable key: the variable or file is absent, unreadable, or holds too little material.

    The message names the environment variable or file and how to create a key; it never contains key
    material, not even a rejected one (a too-short key is still somebody's secret).
    """


@functools.lru_cache(maxsize=256)
def _hkdf(material: bytes, purpose: str, length: int) -> bytes:
    """HKDF-SHA256 (RFC 5869), cached because the operators derive the same subkey for every row."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=b"govflow/v1/" + purpose.encode())
    return hkdf.derive(material)


@dataclass(frozen=True, repr=False)
class Key:
    """A named secret. Build it with `load_key` (or `Key(name, material)` in tests and demos).

    `key_id` is ``"<name>:<12 hex>"`` where the hex is HMAC-SHA256(material, "govflow key id"): it is stable
    for the same material, differs between keys, and cannot be turned back into the key, so audits can
    record which key produced a masked dataset. The material itself is not a dataclass field, so it stays
    out of `repr`, `dataclasses.asdict` and equality. It would survive `pickle`, so nothing that ships work
    to other processes carries a Key: Spark executors read their keys from their own environment or key
    file (`govflow.spark`).
    """

    name: str
    key_id: str = field(init=False)
    material: InitVar[bytes]

    def __post_init__(self, material: bytes) -> None:
        if len(material) < MIN_KEY_BYTES:
            raise MissingKeyError(
                f"key {self.name!r} is too short: need ≥ {MIN_KEY_BYTES} random bytes, {_HOW_TO_MAKE}"
            )
        fingerprint = hmac.new(material, b"govflow key id", hashlib.sha256).hexdigest()
        object.__setattr__(self, "key_id", f"{self.name}:{fingerprint[:12]}")
        object.__setattr__(self, "_material", bytes(material))

    def derive(self, purpose: str, length: int = 32) -> bytes:
        """The subkey for one purpose ("token", "siv", "fpe", "fpe-tweak", "shift"), `length` bytes long."""
        if not purpose:
            raise ValueError("derive() needs a non-empty purpose")
        return _hkdf(self._material, purpose, length)  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        return f"Key(name={self.name!r}, key_id={self.key_id!r})"

    __str__ = __repr__

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython and Hypothesis pretty-print dataclasses field by field; send them to the safe repr."""
        printer.text(repr(self))


def _decode_base64(text: str) -> bytes | None:
    """Bytes of a base64 or base64url string, padding optional; None when the text is neither."""
    body = text.rstrip("=")
    if len(body) % 4 == 1:
        return None
    padded = body + "=" * (-len(body) % 4)
    if _BASE64.fullmatch(text):
        return base64.b64decode(padded)
    if _BASE64URL.fullmatch(text):
        return base64.urlsafe_b64decode(padded)
    return None


def _parse_material(text: str, source: str) -> bytes:
    """Key bytes from text: 64 hex chars, else base64/base64url of ≥ 16 bytes, else a ≥ 32-char passphrase.

    The order is fixed so a given string always yields the same key (tokens must stay joinable across
    runs). Hex is tried first because hex strings are also valid base64 and would decode to other bytes.
    """
    if _HEX64.fullmatch(text):
        return bytes.fromhex(text)
    raw = _decode_base64(text)
    if raw is not None and len(raw) >= MIN_KEY_BYTES:
        return raw
    if len(text) >= 32:
        return text.encode("utf-8")
    raise MissingKeyError(f"key in {source} is too short: need ≥ {MIN_KEY_BYTES} random bytes, {_HOW_TO_MAKE}")


def _read_key_file(path: Path) -> str:
    """The stripped text of a key file; warns (does not fail) when group or others can access it."""
    try:
        raw = path.read_bytes()
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise MissingKeyError(
            f"key file {path} not found: create it with "
            f"`python -c 'import secrets; print(secrets.token_hex(32))' > {path} && chmod 600 {path}`"
        ) from None
    except OSError as exc:
        raise MissingKeyError(
            f"key file {path} cannot be read ({exc.strerror}): check its path and permissions"
        ) from None
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        warnings.warn(f"key file {path} is accessible by group or others; run `chmod 600 {path}`", stacklevel=3)
    try:
        return raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise MissingKeyError(f"key file {path} is not text: write the key as hex, {_HOW_TO_MAKE}") from None


def _default_env(name: str) -> str:
    """GOVFLOW_KEY for the "default" key, GOVFLOW_KEY_<NAME> for the others (e.g. GOVFLOW_KEY_EU)."""
    return "GOVFLOW_KEY" if name == "default" else "GOVFLOW_KEY_" + re.sub(r"[^A-Z0-9]", "_", name.upper())


def load_key(
    name: str,
    *,
    env: str | None = None,
    file: str | Path | None = None,
    environ: Mapping[str, str] = os.environ,
) -> Key:
    """Load the key a policy calls `name`, from the variable `env` if it is set, otherwise from `file`.

    With neither `env` nor `file`, the variable defaults to GOVFLOW_KEY (for "default") or
    GOVFLOW_KEY_<NAME>. The variable wins over the file so a CI job can override a deployed key file.
    An empty variable counts as unset. Raises `MissingKeyError` naming what is missing and how to fix it.
    """
    if env is None and file is None:
        env = _default_env(name)
    if env is not None and environ.get(env, "").strip():
        return Key(name, _parse_material(environ[env].strip(), env))
    if file is not None:
        path = Path(file).expanduser()
        return Key(name, _parse_material(_read_key_file(path), f"key file {path}"))
    raise MissingKeyError(
        f"key {name!r}: environment variable {env} is not set; set it to a random secret, {_HOW_TO_MAKE}"
    )
