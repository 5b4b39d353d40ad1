"""What the prose recognizers share: a result builder, a base class and closed English word lists.

Split from :mod:`govflow.detect.prose` so that :mod:`govflow.detect.names` can use the same lists
(a country or a street type is never a name) without an import cycle.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, ClassVar

import regex
from presidio_analyzer import AnalysisExplanation, EntityRecognizer, LocalRecognizer, RecognizerResult

if TYPE_CHECKING:
    from presidio_analyzer.nlp_engine import NlpArtifacts

FLAGS = regex.VERSION1

# English street types, written out or abbreviated (USPS Publication 28 / Royal Mail common forms).
STREET_TYPES = (
    r"Street|St|Avenue|Ave|Av|Road|Rd|Lane|Ln|Drive|Dr|Boulevard|Blvd|Court|Ct|Place|Pl|Square|Sq|Terrace|Ter"
    r"|Way|Parkway|Pkwy|Highway|Hwy|Circle|Cir|Crescent|Cres|Close|Hill|Pass|Bridge|Row|Walk|Gardens|Grove"
    r"|Park|Trail|Plaza|Alley|Mews|Wharf|Quay|Rise|View|Vale|Green|Heights|Loop|Run|Crossing|Point|Path"
    r"|Ridge|Gate|End|Mall|Common|Meadows?|Fields?|Hollow|Junction|Landing|Manor|Oval|Pike|Port|Square"
    r"|Station|Summit|Turnpike|Valley|Villas?|Ville|Viaduct|Creek|Cove|Estates?|Expressway|Freeway|Glen"
    r"|Harbor|Harbour|Haven|Island|Key|Knoll|Lake|Mill|Mount|Orchard|Pines|Plain|Ranch|Shore|Spring|Springs"
    r"|Stream|Track|Trace|Union|Wells?|Wood|Woods|Yard"
)
# Nationalities and other national/ethnic adjectives (NRP): a closed, general-knowledge list.
NATIONALITIES = (
    "Afghan Albanian Algerian American Andorran Angolan Argentine Argentinian Armenian Australian Austrian "
    "Azerbaijani Bahamian Bahraini Bangladeshi Barbadian Belarusian Belgian Belizean Beninese Bhutanese "
    "Bolivian Bosnian Botswanan Brazilian British Bruneian Bulgarian Burkinabe Burmese Burundian Cambodian "
    "Cameroonian Canadian Chadian Chilean Chinese Colombian Congolese Croatian Cuban Cypriot Czech Danish "
    "Djiboutian Dominican Dutch Ecuadorian Egyptian Emirati English Eritrean Estonian Ethiopian Faroese "
    "Fijian Filipino Finnish French Gabonese Gambian Georgian German Ghanaian Greek Greenlandic Greenlander "
    "Grenadian Guatemalan Guinean Guyanese Haitian Honduran Hungarian Icelandic Indian Indonesian Iranian "
    "Iraqi Irish Israeli Italian Ivorian Jamaican Japanese Jordanian Kazakh Kenyan Korean Kosovar Kuwaiti "
    "Kyrgyz Lao Latvian Lebanese Liberian Libyan Liechtensteiner Lithuanian Luxembourgish Macedonian "
    "Malagasy Malawian Malaysian Maldivian Malian Maltese Mauritanian Mauritian Mexican Moldovan Monegasque "
    "Mongolian Montenegrin Moroccan Mozambican Namibian Nepalese Nepali Nicaraguan Nigerian Nigerien "
    "Norwegian Omani Pakistani Palestinian Panamanian Paraguayan Peruvian Polish Portuguese Qatari Romanian "
    "Russian Rwandan Salvadoran Samoan Saudi Scottish Senegalese Serbian Singaporean Slovak Slovakian "
    "Slovenian Somali Spanish Sudanese Surinamese Swazi Swedish Swiss Syrian Taiwanese Tajik Tanzanian Thai "
    "Togolese Tongan Tunisian Turkish Turkmen Ugandan Ukrainian Uruguayan Uzbek Venezuelan Vietnamese "
    "Welsh Yemeni Zambian Zimbabwean Arab Kurdish Basque Catalan Flemish Walloon Hispanic Latino Latina "
    "African Asian European Caucasian"
)
# Month and weekday names: read as dates wherever they stand, though May and August are given names too.
MONTHS = "January February March April May June July August September October November December"
WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday"
CALENDAR_WORDS = frozenset((MONTHS + " " + WEEKDAYS).split())
# Their usual abbreviations: the first three letters, and Sept, Tues, Thurs.
CALENDAR_ABBREVIATIONS = frozenset({word[:3] for word in CALENDAR_WORDS} | {"Sept", "Tues", "Thurs"})
# Sovereign states by their common English short names (ISO 3166 English short forms, simplified).
COUNTRIES = (
    "Afghanistan|Albania|Algeria|Andorra|Angola|Argentina|Armenia|Australia|Austria|Azerbaijan|Bahamas|Bahrain"
    "|Bangladesh|Barbados|Belarus|Belgium|Belize|Benin|Bhutan|Bolivia|Bosnia and Herzegovina|Botswana|Brazil"
    "|Brunei|Bulgaria|Burkina Faso|Burundi|Cambodia|Cameroon|Canada|Chad|Chile|China|Colombia|Congo|Costa Rica"
    "|Croatia|Cuba|Cyprus|Czech Republic|Czechia|Denmark|Djibouti|Dominican Republic|Ecuador|Egypt|El Salvador"
    "|Eritrea|Estonia|Eswatini|Ethiopia|Fiji|Finland|France|Gabon|Gambia|Georgia|Germany|Ghana|Greece|Greenland"
    "|Grenada|Guatemala|Guinea|Guyana|Haiti|Honduras|Hong Kong|Hungary|Iceland|India|Indonesia|Iran|Iraq"
    "|Ireland|Israel|Italy|Jamaica|Japan|Jordan|Kazakhstan|Kenya|Kosovo|Kuwait|Kyrgyzstan|Laos|Latvia|Lebanon"
    "|Lesotho|Liberia|Libya|Liechtenstein|Lithuania|Luxembourg|Madagascar|Malawi|Malaysia|Maldives|Mali|Malta"
    "|Mauritania|Mauritius|Mexico|Moldova|Monaco|Mongolia|Montenegro|Morocco|Mozambique|Myanmar|Namibia|Nepal"
    "|Netherlands|New Zealand|Nicaragua|Niger|Nigeria|North Korea|North Macedonia|Norway|Oman|Pakistan|Panama"
    "|Paraguay|Peru|Philippines|Poland|Portugal|Qatar|Romania|Russia|Rwanda|Saudi Arabia|Senegal|Serbia"
    "|Singapore|Slovakia|Slovenia|Somalia|South Africa|South Korea|Spain|Sri Lanka|Sudan|Suriname|Sweden"
    "|Switzerland|Syria|Taiwan|Tajikistan|Tanzania|Thailand|Togo|Tunisia|Turkey|Türkiye|Turkmenistan|Uganda"
    "|Ukraine|United Arab Emirates|United Kingdom|United States|Uruguay|Uzbekistan|Venezuela|Vietnam|Yemen"
    "|Zambia|Zimbabwe"
)


def search_before(pattern: regex.Pattern[str], text: str, end: int, look_back: int) -> regex.Match[str] | None:
    """A match of `pattern` (anchored with ``$``) ending at `end`, looking back at most `look_back`
    characters. Searching from the text's start instead costs the whole prefix on every call, which is
    quadratic over a long text with many words or addresses; ``^`` still means the text's start."""
    return pattern.search(text, max(0, end - look_back), end)


def result(recognizer: EntityRecognizer, entity: str, start: int, end: int, score: float, why: str) -> RecognizerResult:
    return RecognizerResult(
        entity_type=entity,
        start=start,
        end=end,
        score=score,
        analysis_explanation=AnalysisExplanation(
            recognizer=recognizer.name, original_score=score, textual_explanation=why
        ),
        recognition_metadata={
            RecognizerResult.RECOGNIZER_NAME_KEY: recognizer.name,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: recognizer.id,
        },
    )


class ProseRecognizer(LocalRecognizer):
    """Shared construction: one entity list, English context words, nothing to load."""

    ENTITIES: ClassVar[tuple[str, ...]]
    CONTEXT: ClassVar[tuple[str, ...]] = ()

    def __init__(self, supported_language: str = "en", context: Sequence[str] | None = None) -> None:
        super().__init__(
            supported_entities=list(self.ENTITIES),
            name=type(self).__name__,
            supported_language=supported_language,
            context=list(self.CONTEXT if context is None else context),
        )

    def load(self) -> None:
        """Nothing to load: patterns compile with the module."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results = list(self.find(text))
        return EntityRecognizer.remove_duplicates(results) if len(results) > 1 else results

    def find(self, text: str) -> Iterable[RecognizerResult]:
        raise NotImplementedError
