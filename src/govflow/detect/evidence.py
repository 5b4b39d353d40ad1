"""One entry point for every recognizer whose findings are evidence of jurisdiction.

Each result carries ``recognition_metadata["country"]`` (:data:`COUNTRY_KEY`): the ISO 3166-1 alpha-2
country it points to, or None (payment cards, non-geographic phone numbers).
"""

from __future__ import annotations

from presidio_analyzer import EntityRecognizer

from govflow.detect.financial import GovflowIbanRecognizer, GovflowPaymentCardRecognizer
from govflow.detect.national_ids import COUNTRY_KEY, NATIONAL_ID_RECOGNIZERS
from govflow.detect.phones import GovflowInternationalPhoneRecognizer, phone_country

__all__ = ["COUNTRY_KEY", "ENTITY_COUNTRY", "evidence_recognizers", "phone_country"]

ENTITY_COUNTRY: dict[str, str] = {cls.ENTITY: cls.COUNTRY for cls in NATIONAL_ID_RECOGNIZERS}
"""National-ID entity type → the one country that issues it, e.g. ``"UK_NHS": "GB"``."""


def evidence_recognizers(language: str = "en") -> list[EntityRecognizer]:
    """All country-pack, IBAN, card and phone recognizers, for the given language.

    Presidio binds recognizers to one language; ours are pattern- and checksum-based, so they are
    built for whichever language the analyzer runs in. Instances are cheap: regexes compile per class.
    """
    return [
        *(cls(supported_language=language) for cls in NATIONAL_ID_RECOGNIZERS),
        GovflowIbanRecognizer(supported_language=language),
        GovflowPaymentCardRecognizer(supported_language=language),
        GovflowInternationalPhoneRecognizer(supported_language=language),
    ]
