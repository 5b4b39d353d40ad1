"""The policy's keyring, loaded once at start-up so a missing key stops the run before any data is read."""

from __future__ import annotations

from govflow.mask.keys import Key, load_key
from govflow.policy.models import Keys, KeySource


def _load(name: str, source: KeySource) -> Key:
    return load_key(name, env=source.env, file=source.file)


def load_keyring(keys: Keys) -> dict[str, Key]:
    """Every key a record can be masked with: the default and each key a jurisdiction names."""
    ring = {"default": _load("default", keys.default)}
    for name in dict.fromkeys(keys.by_jurisdiction.values()):
        if name != "default":
            ring[name] = _load(name, keys.named[name])
    return ring
