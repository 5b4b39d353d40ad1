"""Recognizers for personal data written in running English prose: street addresses, honorifics, ages,
nationalities, postal codes and phone numbers in national format.

The default pack routes business tables, where these shapes are columns (and column hints find them); a
policy that scans general prose (letters, tickets, CVs) turns them on by class name in
``recognizers.presidio`` (see :data:`PROSE_RECOGNIZERS`). They run on free text only: on a structured
cell, "12 Main Street" is already covered by its column's hint, and a bare "45" must not become an age.

Every pattern here is generic (English and common continental street words, ITU phone formats, honorific
lists); the one name list, :mod:`govflow.detect.names`, is registered here too but reported apart (the
address recognizer consults it only to call the line above an address a person rather than a company).
Names found by the words around them live in :mod:`govflow.detect.name_cues`, names found by being no
English word in :mod:`govflow.detect.proper_nouns`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import phonenumbers
import regex
from phonenumbers import Leniency
from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.predefined_recognizers import SpacyRecognizer

from govflow.detect.financial import GovflowCardInContextRecognizer
from govflow.detect.findings import DisjointSpans
from govflow.detect.name_check import is_everyday_word
from govflow.detect.name_cues import GovflowNameCueRecognizer
from govflow.detect.names import GovflowNameGazetteerRecognizer, name_lists
from govflow.detect.proper_nouns import GovflowProperNounRecognizer
from govflow.detect.prose_base import (
    CALENDAR_ABBREVIATIONS,
    CALENDAR_WORDS,
    COUNTRIES,
    FLAGS,
    NATIONALITIES,
    STREET_TYPES,
    ProseRecognizer,
    result,
    search_before,
)

if TYPE_CHECKING:
    from presidio_analyzer.nlp_engine import NlpArtifacts


# Street words of continental Europe and Latin America that come before the name (Via Roma 131).
_STREET_PREFIXES = (
    r"Via|Viale|Vicolo|Corso|Piazza|Piazzale|Largo|Rua|Avenida|Avda\.?|Av\.?|Calle|C/|Carrer|Camino|Paseo"
    r"|Plaza|Pza\.?|Travessa|Praça|Alameda|Estrada|Rodovia|Rue|Route|Chemin|Allée|Impasse|Quai|Place"
    r"|Boulevard|Bd|ul\.|ulica|al\.|aleja|os\.|pl\.|Jana|Calea|Strada|Str\.|Bulevardul|Odos|Leoforos"
)
# Street words of Germanic, Nordic, Baltic, Finnish, Dutch and Central European languages, glued to the
# name (Søndergade, Koskikatu, Friedhofstrasse) or written after it (Stensås terrasse, hegyalja út).
_STREET_SUFFIXES = (
    r"veien|vegen|vei|veg|vej|gade|gata|gatan|vägen|väg|stræti|straße|strasse|str\.|weg|gasse|allee|platz"
    r"|ring|damm|ufer|katu|tie|kuja|polku|raitti|kaari|laan|straat|plein|gracht|dreef|kade|singel|utca|út"
    r"|tér|körút|ulica|cesta|trg|tänav|puiestee|maantee|iela|gatvė|gatve|terrasse|stien|bakken|gränd|torg"
    r"|gränden|lund|höjd|backe|vegur|braut|stígur|gata|tún"
)
_WORD = r"[^\W\d_][\w'’.-]*"
_NUMBER = r"\d{1,5}[A-Za-z]?"
_UNIT = r"(?:Suite|Ste\.?|Apt\.?|Apartment|Unit|Flat|Room|Floor|Fl\.)\s?#?\s?\d{1,5}[A-Za-z]?"

_STREET_FORMS: tuple[tuple[str, regex.Pattern[str], float], ...] = tuple(
    (name, regex.compile(body, FLAGS), score)
    for name, body, score in (
        # US armed-forces mail: PSC/Unit + Box, then APO/FPO/DPO and the AA/AE/AP "state" and ZIP.
        (
            "military",
            r"\b(?:(?:PSC|Unit|CMR)\s\d{3,5},?\s+Box\s\d{3,5}|(?:USNS|USNV|USS|USCGC)\s[A-Z][\w'-]+)"
            r"\s*\n?\s*[ADF]PO\s+A[AEP]\s+\d{5}\b",
            0.85,
        ),
        ("corner", rf"\b[Tt]he corner of [^\n]{{3,60}}? and (?:{_WORD}\s){{0,4}}{_WORD}(?<![.,])", 0.7),
        ("po box", r"\b(?:P\.\s?O\.\s?Box|PO\sBox|Post\sOffice\sBox|Postbox|Postboks|Box)\s\d{1,6}\b", 0.6),
        # 24 Clarke Avenue, 2450 Crown St, 124 67 Devon Street West
        (
            "number street-type",
            rf"\b{_NUMBER}[ \t](?:[A-Z][\w'’.-]*[ \t]){{1,3}}(?:{STREET_TYPES})\b\.?"
            r"(?:[ \t](?:North|South|East|West))?",
            0.65,
        ),
        # Via dei Fiorentini 17, Avenida Otoniel Dutra 1277, ul. Słowicza 10, rue du centre 320
        ("prefix name number", rf"(?<!\w)(?i:{_STREET_PREFIXES})[ \t](?:{_WORD}[ \t]){{0,4}}{_NUMBER}\b\.?", 0.65),
        # Søndergade 52, Friedhofstrasse 33, Stensås terrasse 38, hegyalja út 98.
        (
            "name-suffix number",
            rf"\b(?:[[:Lu:]][\w'’.-]*[ \t])?{_WORD}(?i:{_STREET_SUFFIXES})[ \t]{_NUMBER}\b\.?",
            0.65,
        ),
        ("name suffix-word number", rf"\b{_WORD}[ \t](?i:{_STREET_SUFFIXES})[ \t]{_NUMBER}\b\.?", 0.65),
    )
)
# A street line written "<building> <name> <number>" (7878 Rahu 37, 4923 Parmova 109): two numbers around
# one to three words, followed by a unit, a comma or the end of the line, is an address in any language.
_NUMBERED_LINE = regex.compile(
    rf"(?<![\w.,-])(?P<building>\d{{1,6}})[ \t](?P<street>(?:{_WORD}[ \t]){{1,3}}{_NUMBER})"
    rf"(?=[ \t]*(?:$|,|\n|{_UNIT}))",
    FLAGS | regex.MULTILINE,
)
_UNIT_PATTERN = regex.compile(rf"\b{_UNIT}\b", FLAGS)
# A line of an address block that holds only a place name (a town, region or country, often in capitals:
# TROMSØ, ΛΕΥΚΩΣΙΑ), possibly followed by a postal code.
_PLACE_LINE = regex.compile(
    rf"^[ \t>?]*(?P<place>[[:Lu:]][^\d\r\n,;:()]{{1,40}}?)\.?[ \t]*(?:\d{{4,6}})?[ \t\r]*$(?<!{_UNIT})",
    FLAGS | regex.MULTILINE,
)
# The line above an address block's first line (one blank line may sit between): one to five words.
_LINE_ABOVE = regex.compile(
    r"(?:^|\n)[ \t>?]*(?P<line>[[:L:]][[:L:]'’&.-]*(?:[ \t][[:L:]][[:L:]'’&.,-]*){0,4})[ \t]*\n(?:[ \t]*\n)?$",
    FLAGS,
)
_LINE_LEAD = regex.compile(r"[ \t\r>?]*")
# How far back the tests of the line(s) above an address look: that line holds at most five words.
_LOOK_BACK = 400
# A label line ending in a colon just above a block ("Address:", "Billing address:"), a blank line allowed.
_LABEL_ABOVE = regex.compile(r":[ \t]*\n(?:[ \t]*\n)?[ \t>?]*$")
_WORDS = regex.compile(r"[[:L:]][[:L:]'’.-]*")
_NUMBERS = regex.compile(r"\d+")
# A building number written just before a street (7873 216 Menzies Street).
_BUILDING_BEFORE = regex.compile(r"(?<![\w.,-])\d{1,6}\s$")
_BUILDING_LOOK_BACK = 16
# Postal code ending an address block's last line (Slovenia 82709).
_TRAILING_CODE = regex.compile(r"(?<=[^\W\d]\s)\d{4,6}(?=\s*$)", FLAGS | regex.MULTILINE)
# What may follow a street on its own line in a one-line address: units, numbers, capitalised place words
# (with the lower-case particles of place names: Mora de Rubielos), bracketed alternatives, commas.
_PLACE_PARTICLE = r"(?:de|del|la|le|les|du|do|da|dos|das|di|na|am|an|der|den|y|i|sur|upon|on|of)(?=[ \t]+[[:Lu:]])"
_ADDRESS_TAIL = regex.compile(
    rf"(?:[ \t,]*(?:{_UNIT}|\d{{1,6}}(?:-\d{{3,4}})?(?!\d)|[[:Lu:]][\w'’.-]*|\([^()\n]{{1,40}}\)|{_PLACE_PARTICLE}))+",
    FLAGS,
)
_ENDS_IN_CODE = regex.compile(r"\d{4,6}$")


def _is_address_line(line: str) -> bool:
    """A unit, a postal code, or a place (with at most one number: its postal code). Not a line of
    everyday words ("Regards", "Phone 1") nor one with several numbers (a phone number, a list)."""
    if _UNIT_PATTERN.search(line):
        return True
    numbers = len(_NUMBERS.findall(line))
    if numbers > 1:
        return False
    words = _WORDS.findall(line)
    return not all(is_everyday_word(w) for w in words) if words else numbers == 1


def _continued_address_end(text: str, street_line_end: int) -> int | None:
    """Where an address whose street line ends at `street_line_end` ends, when it runs on over the next
    lines (unit, place, region, country and postal-code lines); None when the street line has more text
    after the address or no address line follows."""
    nl = text.find("\n", street_line_end)
    if nl < 0 or text[street_line_end:nl].strip(" \t,\r"):
        return None
    block_end = None
    for _ in range(GovflowStreetAddressRecognizer.BLOCK_LINES):
        if nl < 0:
            break
        line_start = nl + 1
        nl = text.find("\n", line_start)
        line_end = len(text) if nl < 0 else nl
        lead = _LINE_LEAD.match(text, line_start, line_end).end()  # type: ignore[union-attr]
        if lead == line_end:
            continue  # a blank line inside the block
        line = _ADDRESS_TAIL.match(text, lead, line_end)
        if line is None or not _is_address_line(line[0]):
            break  # not an address line ("Regards", "Thanks"): the address ended above it
        rest = text[line.end() : line_end]
        if rest.strip(" \t.,\r") and rest[:1] not in "?!.":
            break  # more than an address on this line ("Mobile: ...")
        block_end = line.end()
        if rest.strip(" \t.,\r"):
            break  # the sentence ends the address here ("Cyprus 36903? I am in ...")
    return block_end


class GovflowStreetAddressRecognizer(ProseRecognizer):
    """Street addresses as their written pieces: the street line, a building number before it, the unit
    (Suite 240, Apt. 117), a PO box and the postal code ending the block; lines of the block that hold only
    a name are places (LOCATION), which the NER model misses when written in capitals. Pieces rather than
    one span, because a block's extent is ambiguous in prose (masking merges touching pieces anyway); the
    exception is an address written as one phrase (`_whole_addresses`)."""

    ENTITIES = ("STREET_ADDRESS", "LOCATION")
    CONTEXT = ("address", "street", "lives", "located", "apt", "suite")
    BLOCK_LINES = 4
    """Lines after a street line that still belong to its address block (unit, city, region, country)."""

    def find(self, text: str) -> Iterable[RecognizerResult]:
        taken = DisjointSpans()
        places: list[tuple[int, int]] = []
        out: list[RecognizerResult] = []

        def add(start: int, end: int, score: float, why: str) -> None:
            if end > start and not taken.overlaps(start, end):
                taken.add(start, end)
                out.append(result(self, "STREET_ADDRESS", start, end, score, why))

        for name, pattern, score in _STREET_FORMS:
            for m in pattern.finditer(text):
                add(m.start(), m.end(), score, f"street address ({name})")
        for m in _NUMBERED_LINE.finditer(text):
            if not taken.overlaps(m.start("street"), m.end("street")):
                add(m.start("building"), m.end("building"), 0.5, "building number before a numbered street")
                add(m.start("street"), m.end("street"), 0.55, "numbered street line")
        streets = list(taken)
        for start, _ in streets:
            before = search_before(_BUILDING_BEFORE, text, start, _BUILDING_LOOK_BACK)
            if before:
                add(before.start(), before.end() - 1, 0.5, "building number before a street")
        for _, end in streets:
            block_end = end
            for _ in range(self.BLOCK_LINES):
                nxt = text.find("\n", block_end + 1)
                block_end = len(text) if nxt < 0 else nxt
            for m in _UNIT_PATTERN.finditer(text, end, block_end):
                add(m.start(), m.end(), 0.6, "unit of an address")
            for m in _TRAILING_CODE.finditer(text, end, block_end):
                add(m.start(), m.end(), 0.5, "postal code ending an address block")
            for m in _PLACE_LINE.finditer(text, end, block_end):
                if not taken.overlaps(m.start("place"), m.end("place")):
                    places.append((m.start("place"), m.end("place")))
        for start, end in sorted(set(places)):
            out.append(result(self, "LOCATION", start, end, 0.5, "place line of an address block"))
        for m in _UNIT_PATTERN.finditer(text):
            add(m.start(), m.end(), 0.45, "unit number")
        out.extend(self._whole_addresses(text, streets))
        out.extend(self._addressees(text, list(taken)))
        return out

    def _addressees(self, text: str, pieces: Sequence[tuple[int, int]]) -> Iterable[RecognizerResult]:
        """The line just above an address block that opens with its street (a blank line between allowed)
        names whom the address reaches: a person (when every word is a known given or family name) or a
        company, as in a letterhead or signature. Lines of common words ("Ship to", "Our office") are not."""
        given, family = name_lists()
        for start, _ in pieces:
            line_start = text.rfind("\n", 0, start) + 1
            if _LINE_LEAD.fullmatch(text, line_start, start) is None:
                continue  # the street does not open its line
            above = search_before(_LINE_ABOVE, text, line_start, _LOOK_BACK)
            if above is None:
                continue
            words = above.group("line").split()
            if all(is_everyday_word(w) for w in words):
                continue
            entity = "PERSON" if all(w in given or w in family for w in words) else "ORGANIZATION"
            yield result(self, entity, above.start("line"), above.end("line"), 0.5, "line above an address")

    def _whole_addresses(self, text: str, streets: Sequence[tuple[int, int]]) -> Iterable[RecognizerResult]:
        """Addresses written as one phrase, found whole (their pieces inside give way to them):

        - a street followed on its line by a unit or a postal code and a comma-separated place
          (3911 Fourth Avenue Suite 697, Mora de Rubielos, Spain 16200);
        - an address that a sentence or a label introduces ("send it to 74 Diakou Street", "Address:" on
          the line above) and that runs on over the next lines: the unit, place and country lines are the
          rest of that phrase, up to the first line that is no address line (or a ``?`` / ``.`` ending it).

        A block that opens its own line unintroduced stays in pieces: in a letterhead or a form its lines
        are fields, and where it ends (a name line? a phone line?) is a guess. So does a street with only a
        place after it on one line (12 Main Street, Springfield), which prose writes as freely as an address.
        """
        for start, end in streets:
            before = search_before(_BUILDING_BEFORE, text, start, _BUILDING_LOOK_BACK)
            first = before.start() if before else start
            tail = _ADDRESS_TAIL.match(text, end)
            tail_end = tail.end() if tail else end
            line_start = text.rfind("\n", 0, first) + 1
            introduced = _LINE_LEAD.fullmatch(text, line_start, first) is None or bool(
                search_before(_LABEL_ABOVE, text, line_start, _LOOK_BACK)
            )
            if introduced:
                block_end = _continued_address_end(text, tail_end)
                if block_end is not None:
                    yield result(self, "STREET_ADDRESS", first, block_end, 0.65, "address introduced by its phrase")
                    continue
            if not tail or not (introduced or "," in tail[0]):
                continue
            if _UNIT_PATTERN.search(tail[0]) or _ENDS_IN_CODE.search(tail[0]):
                yield result(self, "STREET_ADDRESS", first, tail_end, 0.65, "one-line street address")


_HONORIFIC = regex.compile(
    r"\b(?P<title>Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame|Lady|Lord|Rev|Revd|Fr|Sr|Hon|Capt|Col|Sgt|Lt|Gen|Judge)"
    r"(?(?<=Miss|Sir|Dame|Lady|Lord|Judge)|\.?)"
    r"\s(?P<name>[[:Lu:]][\w'’-]+(?:\s(?:[[:Lu:]]\.|[[:Lu:]][\w'’-]+)){0,3})",
    FLAGS,
)


class GovflowHonorificRecognizer(ProseRecognizer):
    """An honorific (Mr., Dr., Prof.) and the capitalised name it introduces: the title is a TITLE, and the
    words after it are a PERSON even when the NER model does not know the name (Mr. Baader)."""

    ENTITIES = ("TITLE", "PERSON")

    def find(self, text: str) -> Iterable[RecognizerResult]:
        for m in _HONORIFIC.finditer(text):
            yield result(
                self, "TITLE", m.start("title"), m.end("title") + (text[m.end("title")] == "."), 0.7, "honorific"
            )
            yield result(self, "PERSON", m.start("name"), m.end("name"), 0.65, "name after an honorific")


# Head nouns of occupations: a closed list of common ones, plus agent-noun endings (-grapher, -ologist,
# -ician, -ist) that almost only name occupations.
_JOB_HEADS = (
    "accountant|administrator|agent|analyst|architect|artist|assistant|attendant|auditor|baker|banker|barber"
    "|bartender|buyer|carpenter|cashier|chef|chemist|cleaner|clerk|coach|consultant|controller|cook|coordinator"
    "|counselor|counsellor|courier|designer|developer|dentist|director|distributor|doctor|driver|economist"
    "|editor|electrician|engineer|executive|farmer|firefighter|guard|hairdresser|handler|inspector|installer"
    "|instructor|interpreter|investigator|janitor|journalist|judge|laborer|labourer|lawyer|lecturer|librarian"
    "|machinist|manager|mechanic|nurse|officer|operator|packager|painter|paralegal|pharmacist|photographer"
    "|physician|pilot|plumber|porter|producer|professor|programmer|psychologist|receptionist|recruiter"
    "|repairer|representative|researcher|salesperson|scientist|secretary|soldier|specialist|supervisor"
    "|surgeon|surveyor|teacher|technician|technologist|therapist|trader|trainer|translator|tutor|veterinarian"
    "|waiter|waitress|welder|worker|writer"
)
_JOB = rf"(?:[\w'’-]+,?[ \t](?:and[ \t])?){{0,5}}(?i:{_JOB_HEADS}|[\w'’-]*(?:grapher|ologist|ician|ist))"
# A job title on its own line right after a name line (a signature block), or after "<Name>, the".
_JOB_TITLE = regex.compile(
    rf"(?:^[ \t]*[[:L:]][[:L:]. ]{{2,40}}\n(?:[ \t]*\n)?[ \t]*(?P<line>{_JOB})[ \t]*$)"
    rf"|(?:[[:L:]],[ \t]the[ \t](?P<appositive>{_JOB})\b)",
    FLAGS | regex.MULTILINE,
)


class GovflowJobTitleRecognizer(ProseRecognizer):
    """A job title (TITLE) where prose puts one: the line under a name in a signature block, or an
    appositive ("Marie Langrová, the Packager"). Only titles whose last word is an occupation noun count,
    so an ordinary second line ("Thanks again") is not a title."""

    ENTITIES = ("TITLE",)

    def find(self, text: str) -> Iterable[RecognizerResult]:
        for m in _JOB_TITLE.finditer(text):
            group = "line" if m.group("line") else "appositive"
            yield result(self, "TITLE", m.start(group), m.end(group), 0.6, "job title")


_AGE = regex.compile(
    r"\b(?P<n>\d{1,3})(?:[- ]years?[- ]old|\s?y/?o\b|[- ]year[- ]old|\syrs?\sold|\syears\sof\sage)"
    r"|\b(?:aged?|turned|turning|turn|age\sis|age:)\s(?P<m>\d{1,3})\b(?![.,]\d|\s?(?:%|years ago|am|pm))",
    FLAGS | regex.IGNORECASE,
)


class GovflowAgeRecognizer(ProseRecognizer):
    """A person's age written out (45 years old, a 35-year-old, 58 y/o, aged 45, turned 42): the number only,
    and only at most 130."""

    ENTITIES = ("AGE",)

    def find(self, text: str) -> Iterable[RecognizerResult]:
        for m in _AGE.finditer(text):
            group = "n" if m.group("n") else "m"
            if int(m.group(group)) <= 130:
                yield result(self, "AGE", m.start(group), m.end(group), 0.6, "age")


_POSTAL = (
    r"[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}"  # GB
    r"|[A-Z]\d[A-Z]\s?\d[A-Z]\d"  # CA
    r"|\d{4}\s?[A-Z]{2}"  # NL
    r"|\d{5}-\d{3,4}|\d{2}-\d{3}|\d{4}-\d{3}|\d{3}\s\d{2}|\d{3,6}"  # US ZIP+4, BR, PL, PT, SE/CZ, plain
)
_ZIP = regex.compile(
    rf"\b(?i:zip|zip\s?code|postal\s?code|post\s?code|postcode|PLZ|CEP)\b(?:\s(?:is|was))?[:#\s]\s*(?P<code>{_POSTAL})\b",
    FLAGS,
)


class GovflowPostalCodeRecognizer(ProseRecognizer):
    """A postal code introduced as one (ZIP: 7412 SL, my zip code is 90010-170): without the label a
    four- or five-digit run is a year, an amount or an order number, so the label is required."""

    ENTITIES = ("ZIP_CODE",)

    def find(self, text: str) -> Iterable[RecognizerResult]:
        for m in _ZIP.finditer(text):
            yield result(self, "ZIP_CODE", m.start("code"), m.end("code"), 0.7, "labelled postal code")


_NRP = regex.compile(rf"\b(?:{'|'.join(NATIONALITIES.split())})s?\b", FLAGS | regex.IGNORECASE)


class GovflowNationalityRecognizer(ProseRecognizer):
    """Nationality and ethnic-origin adjectives (NRP). Ethnic origin is a special category (GDPR Art. 9)
    and a nationality narrows who a person is; the list is closed, so it cannot fire on other words."""

    ENTITIES = ("NRP",)

    def find(self, text: str) -> Iterable[RecognizerResult]:
        for m in _NRP.finditer(text):
            if m.group()[0].isupper():
                yield result(self, "NRP", m.start(), m.end(), 0.6, "nationality")


class GovflowNationalPhoneRecognizer(ProseRecognizer):
    """Phone numbers written in a national format (0487 98 11 92, (579)888-3058), which carry no country
    prefix: libphonenumber's VALID test under each region in :attr:`REGIONS`. A digit run valid in some
    region is weak evidence on its own (dates and amounts are not, codes can be), so the score sits just
    at the threshold and context words (phone, call, mobile) lift it. No country is claimed: the region
    was assumed, not read."""

    ENTITIES = ("PHONE_NUMBER",)
    CONTEXT = ("phone", "telephone", "mobile", "cell", "tel", "fax", "call", "number", "desk", "whatsapp")
    REGIONS = (
        "US",
        "GB",
        "DE",
        "FR",
        "IT",
        "ES",
        "NL",
        "BE",
        "CH",
        "AT",
        "DK",
        "SE",
        "NO",
        "FI",
        "PL",
        "PT",
        "IE",
        "AU",
        "NZ",
        "CA",
        "BR",
        "IN",
        "IS",
        "CZ",
        "HU",
        "GR",
        "CY",
        "SI",
        "EE",
    )
    SCORE = 0.5
    SHORT_SCORE = 0.3
    MIN_DIGITS = 8
    """Numbers with fewer digits (7-digit local numbers, 451 5986) score SHORT_SCORE, below the threshold
    unless a context word lifts them: in prose such runs are more often codes and postcodes."""
    MIN_SHORT_DIGITS = 7
    _DIGITS = regex.compile(r"\d[\d\s().-]{5,}\d")
    _DATE = regex.compile(r"^\d{4}-\d{2}-\d{2}$|^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}$")
    _STREET_AFTER = regex.compile(
        rf"[ \t]+(?!(?:about|at|near|on|in|by|for|to|from|and|or|the|via)\b)(?:[^\W\d_][\w'’-]*[ \t]+){{1,3}}"
        rf"(?:{STREET_TYPES})\b",
        FLAGS | regex.IGNORECASE,
    )
    """A run of digit groups right before a street name ends in a house number ("17031 2202 Rissik St"):
    an address, not a phone. Only bare digit groups: 541-714-1388 is a phone wherever it stands."""

    def find(self, text: str) -> Iterable[RecognizerResult]:
        if not self._DIGITS.search(text):
            return []
        spans: dict[tuple[int, int], float] = {}
        for region in self.REGIONS:
            for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=Leniency.VALID):
                raw = match.raw_string
                digits = sum(c.isdigit() for c in raw)
                if (
                    digits >= self.MIN_SHORT_DIGITS
                    and not self._DATE.match(raw)
                    and not (raw.replace(" ", "").isdigit() and self._STREET_AFTER.match(text, match.end))
                ):
                    score = self.SCORE if digits >= self.MIN_DIGITS else self.SHORT_SCORE
                    spans[match.start, match.end] = max(score, spans.get((match.start, match.end), 0.0))
        kept = [s for s in spans if not any(o != s and o[0] <= s[0] and s[1] <= o[1] for o in spans)]
        return [result(self, "PHONE_NUMBER", s, e, spans[s, e], "valid national phone number") for s, e in kept]


_COUNTRY = regex.compile(rf"\b(?:{COUNTRIES})\b", FLAGS)
# Company names by their legal form (Fernandez Inc., Golden Helix GmbH).
_COMPANY = regex.compile(
    r"\b(?:[[:Lu:]][\w&'’-]*\s){1,3}(?:Inc|LLC|Ltd|Limited|PLC|plc|GmbH|AG|SA|SAS|SARL|S\.A|BV|B\.V|NV|Oy|AB|AS"
    r"|ApS|Corp|Corporation|Co|Group|Holdings|LLP|LP|Pty|KG|SpA|S\.p\.A|Srl)\b\.?",
    FLAGS,
)


# Partnership names ("Davis, Reynolds and Williamson"): three words in a list; whether they are all
# family names is checked against the name lists, so "Monday, Tuesday and Friday" is not a firm.
_FIRM = regex.compile(r"\b([^\W\d_]{3,}),[ \t]([^\W\d_]{3,}),?[ \t](?:and|&)[ \t]([^\W\d_]{3,})\b", FLAGS)


def _is_family_name(word: str) -> bool:
    """A capitalised or all-lowercase family name (a firm in lowercase prose is still a firm)."""
    return (word.istitle() or word.islower()) and word.title() in name_lists()[1]


class GovflowPlaceAndCompanyRecognizer(ProseRecognizer):
    """Country names (LOCATION) and company names by legal form or as partnerships of family names
    (ORGANIZATION): closed lists and fixed shapes the small NER model misses in lists, capitals and
    addresses, or splits into one PERSON per partner."""

    ENTITIES = ("LOCATION", "ORGANIZATION")

    def find(self, text: str) -> Iterable[RecognizerResult]:
        for m in _COUNTRY.finditer(text):
            yield result(self, "LOCATION", m.start(), m.end(), 0.6, "country name")
        for m in _COMPANY.finditer(text):
            yield result(self, "ORGANIZATION", m.start(), m.end(), 0.6, "company name by legal form")
        for m in _FIRM.finditer(text):
            words = m.groups()
            if all(_is_family_name(w) for w in words) and len({w.islower() for w in words}) == 1:
                yield result(self, "ORGANIZATION", m.start(), m.end(), 0.6, "partnership of family names")


# A date or time that names a point in time: a month or weekday (or its abbreviation), a numeric date, a
# clock time, or on its own a year or decade (a digit run beside others is a house number or postcode).
# Durations and relative days ("two weeks", "24 hours", "today") name none.
_MONTH_OR_DAY = "|".join(sorted(CALENDAR_WORDS | CALENDAR_ABBREVIATIONS, key=len, reverse=True))
_DATE_SHAPE = regex.compile(
    rf"\b(?:{_MONTH_OR_DAY})s?\b\.?|\d{{1,4}}[-/.]\d{{1,2}}(?:[-/.]\d{{1,4}})?|\d{{1,2}}:\d{{2}}"
    r"|^(?:1[89]|20)\d{2}s?$|^'\d{2}s?$|\b\d{1,2}[ \t]*[ap]\.?m\b\.?",
    FLAGS | regex.IGNORECASE,
)
# Not dates: an age ("a 61 year old") and relative expressions ("this morning", "next week") that name
# no day anyone could be identified by.
_NOT_A_DATE = regex.compile(
    r"\byears?[- ]old\b|\by/?o\b|^(?:this|next|last|the|one|that|every|each|a|an)\b(?!.*\d)",
    FLAGS | regex.IGNORECASE,
)


# "Southern Italy": the country is the place a person can be located by; the region word is not part of
# its name (unless it is: "South Africa", "North Korea" are whole country names and stay as they are).
_REGION_OF_COUNTRY = regex.compile(
    rf"((?:Northern|Southern|Eastern|Western|Central|North|South|East|West)[ \t]+)(?:{COUNTRIES})$", FLAGS
)
_WHOLE_COUNTRY = regex.compile(rf"(?:{COUNTRIES})", FLAGS)
# What the small model tags as an organisation or place but names none: banking and office abbreviations
# ("my IBAN", "from the ATM", "ASAP") and a bare street-type word left over from an address ("St.").
_NAMES_NOTHING = regex.compile(
    r"(?:ATM|IBAN|BIC|SWIFT|PIN|CVV|ASAP|FYI|FAQ|ETA|RSVP|TBD|ID|DOB|SSN|VAT|PDF|URL|SMS|GPS|CEO|CFO|CTO|HR"
    r"|St|Ave|Av|Rd|Ln|Dr|Blvd|Ct|Pl|Sq|Ter|Pkwy|Hwy|Cir|Cres|Street|Avenue|Road)\.?",
    FLAGS | regex.IGNORECASE,
)


def _repeated_names(recognizer: EntityRecognizer, text: str, found: list[RecognizerResult]) -> list[RecognizerResult]:
    """Other mentions of a person the model found, which it often misses once the name is known ("directed
    by Maciej Borkowski and starring Borkowski"): every whole-word occurrence of a found name's words that
    are no everyday word ("Will", "The" stay words) and that no found span already covers."""
    persons = [r for r in found if r.entity_type == "PERSON"]
    words = {w for r in persons for w in _NAME_WORD.findall(text, r.start, r.end) if not is_everyday_word(w)}
    if not words:
        return []
    taken = DisjointSpans((r.start, r.end) for r in found)
    alternatives = "|".join(map(regex.escape, sorted(words, key=len, reverse=True)))
    mentions = regex.compile(rf"(?<![\w'’-])(?:{alternatives})(?![\w'’-])")
    return [
        result(recognizer, "PERSON", m.start(), m.end(), 0.6, "another mention of a name found in the text")
        for m in mentions.finditer(text)
        if not taken.overlaps(m.start(), m.end())
    ]


_NAME_WORD = regex.compile(r"[[:Lu:]][[:Ll:]'’-]{2,}", FLAGS)


class GovflowProseNerRecognizer(SpacyRecognizer):
    """spaCy's entities with two of the small model's habits removed: a span never runs across a line
    break (in addresses and signatures it swallows the next line: "Quadra 104\n Suite 845"), and a
    DATE_TIME must name a point in time (a month or weekday, 7/14/1995, 23:08, 3 pm, a year), not a bare
    digit run such as a house number or postal code, nor a duration or relative day ("two weeks",
    "today"). A region word before a country ("Southern Italy") is left out of the span, so the place found
    is the country named; office abbreviations (IBAN, ATM, ASAP) and bare street-type words are dropped."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        kept = []
        for ner in super().analyze(text, entities, nlp_artifacts):
            piece = text[ner.start : ner.end]
            if "\n" in piece:
                line = max(piece.split("\n"), key=lambda part: len(part.strip()))
                offset = ner.start + piece.index(line) + (len(line) - len(line.lstrip()))
                line = line.strip()
                if not line:
                    continue
                ner.start, ner.end, piece = offset, offset + len(line), line
            if _NAMES_NOTHING.fullmatch(piece):
                continue
            region = _REGION_OF_COUNTRY.match(piece)
            if region and not _WHOLE_COUNTRY.fullmatch(piece):
                ner.start += region.end(1)
                piece = piece[region.end(1) :]
            if ner.entity_type == "DATE_TIME" and (not _DATE_SHAPE.search(piece) or _NOT_A_DATE.search(piece)):
                continue
            kept.append(ner)
        return kept + _repeated_names(self, text, kept)


PROSE_RECOGNIZERS: dict[str, type[EntityRecognizer]] = {
    cls.__name__: cls
    for cls in (
        GovflowStreetAddressRecognizer,
        GovflowHonorificRecognizer,
        GovflowNameCueRecognizer,
        GovflowJobTitleRecognizer,
        GovflowAgeRecognizer,
        GovflowPostalCodeRecognizer,
        GovflowNationalityRecognizer,
        GovflowNationalPhoneRecognizer,
        GovflowProseNerRecognizer,
        GovflowProperNounRecognizer,
        GovflowCardInContextRecognizer,
        GovflowPlaceAndCompanyRecognizer,
        GovflowNameGazetteerRecognizer,
    )
}
"""Class name → recognizer, for ``recognizers.presidio`` in a policy (free text only)."""
