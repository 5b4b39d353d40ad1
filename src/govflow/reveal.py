"""`govflow reveal`: undo the reversible operators of a governed route, at home, with the keys.

Deterministic ciphertexts (`siv1.…`) are found by their prefix. Format-preserving ciphertexts look like
the real thing by design, so they are found the way the originals were: by re-running the recognizers
on the masked cell and decrypting each finding whose entity the destination's profile encrypts with
`fpe`. An FPE value that no recognizer finds again (no checksum to validate it) stays as it is.

External outputs are refused by default: revealing data where it left for is how it leaks.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from govflow.engine import GOV_COLUMNS, Engine
from govflow.io import read_manifest, read_route
from govflow.mask.keyed import decrypt_deterministic, fpe_decrypt
from govflow.mask.keys import Key

SIV_TOKEN = re.compile(r"siv1\.[A-Za-z0-9_-]+")


class RevealRefused(ValueError):
    """The route may not be revealed as asked (external zone, unknown route, missing key)."""


@dataclass(frozen=True)
class RevealSummary:
    rows: int
    revealed: dict[str, int]  # operator -> values revealed
    output: Path


def _decrypt_siv(text: str, key: Key, entities: list[str], counts: Counter[str]) -> str:
    def one(match: re.Match[str]) -> str:
        for entity in entities:
            try:
                plain = decrypt_deterministic(match.group(0), key, associated=entity)
            except ValueError:
                continue
            counts["encrypt_deterministic"] += 1
            return plain
        return match.group(0)

    return SIV_TOKEN.sub(one, text)


class Revealer:
    def __init__(self, engine: Engine, profile_name: str) -> None:
        self.engine = engine
        profile = engine.policy.masking[profile_name]
        self.fpe = {entity: spec.params for entity, spec in profile.entities.items() if spec.operator == "fpe"}
        if profile.default.operator == "fpe":
            raise RevealRefused("a profile whose default operator is fpe cannot be revealed: name the entities")
        self.by_key_id = {key.key_id: key for key in engine.keys.values()}

    def _undo_fpe(self, text: str, column: str, key: Key, counts: Counter[str]) -> str:
        if not self.fpe:
            return text
        (found,) = self.engine.stack.scan_values([text], column)
        for f in sorted(found, key=lambda f: f.start, reverse=True):
            params = self.fpe.get(f.entity_type)
            if params is None:
                continue
            try:
                plain = fpe_decrypt(
                    text[f.start : f.end],
                    key,
                    tweak_context=f.entity_type,
                    alphabet=str(params.get("alphabet", "digits")),
                    checksum=params.get("checksum"),
                )
            except ValueError:
                continue
            counts["fpe"] += 1
            text = text[: f.start] + plain + text[f.end :]
        return text

    def reveal(self, table: pa.Table, key_ids: list[str | None]) -> tuple[pa.Table, Counter[str]]:
        counts: Counter[str] = Counter()
        entities = table.column("gov_entities").to_pylist()
        columns = []
        for name, column in zip(table.column_names, table.columns, strict=True):
            if name in GOV_COLUMNS or not pa.types.is_string(column.type):
                columns.append(column)
                continue
            values = column.to_pylist()
            for i, value in enumerate(values):
                key = self.by_key_id.get(key_ids[i] or "")
                if value is None or key is None:
                    continue
                value = _decrypt_siv(value, key, entities[i], counts)
                values[i] = self._undo_fpe(value, name, key, counts)
            columns.append(pa.array(values, pa.string()))
        return pa.table(columns, names=table.column_names), counts


def reveal_route(
    engine: Engine, out_dir: str | Path, route: str, output: str | Path, *, allow_external: bool = False
) -> RevealSummary:
    """Write `route`'s records with reversible masking undone to `output` (a Parquet file)."""
    manifest = read_manifest(out_dir)
    if route not in manifest["routes"]:
        raise RevealRefused(f"no route {route!r} in {out_dir}; routes are {sorted(manifest['routes'])}")
    if manifest["policy_version"] != engine.version:
        raise RevealRefused(
            f"{out_dir} was governed by policy version {manifest['policy_version'][:12]}, these rules are "
            f"{engine.version[:12]}: reveal with the rules that masked it"
        )
    destination = engine.policy.destinations[route]
    if destination.zone == "external" and not allow_external:
        raise RevealRefused(
            f"route {route!r} is in an external zone; revealing it is refused unless --allow-external is given "
            "(and the output stays home)"
        )
    table = read_route(out_dir, route)
    if destination.masking is None:
        revealed, counts = table, Counter[str]()
    else:
        audit = pq.read_table(Path(out_dir) / manifest["audit"])
        key_ids = audit.filter(pc.equal(audit.column("route"), route)).column("key_id").to_pylist()
        revealed, counts = Revealer(engine, destination.masking).reveal(table, key_ids)
    pq.write_table(revealed, output)
    return RevealSummary(table.num_rows, dict(counts), Path(output))
