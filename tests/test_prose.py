"""Prose recognizers (addresses, honorifics, ages, postal codes, nationalities, national-format phones, card
runs near a card word, country and company names, filtered spaCy), their registration by class name, and
the settling of national-ID checksum collisions in jurisdiction tagging."""

from __future__ import annotations

import pytest
from stdnum import luhn

from govflow.detect.financial import GovflowCardInContextRecognizer
from govflow.detect.names import GovflowNameGazetteerRecognizer, name_lists
from govflow.detect.prose import (
    PROSE_RECOGNIZERS,
    GovflowAgeRecognizer,
    GovflowHonorificRecognizer,
    GovflowJobTitleRecognizer,
    GovflowNationalityRecognizer,
    GovflowNationalPhoneRecognizer,
    GovflowPlaceAndCompanyRecognizer,
    GovflowPostalCodeRecognizer,
    GovflowStreetAddressRecognizer,
)
from govflow.detect.stack import DetectionStack
from govflow.pipeline import Pipeline
from govflow.policy.loader import load_policy
from govflow.policy.models import Jurisdictions
from govflow.tag.jurisdiction import Evidence, JurisdictionRules

# Street names, numbers, codes and card numbers below are made up; card runs are computed with Luhn.


def found(recognizer: object, text: str, entity: str | None = None) -> list[str]:
    results = recognizer.analyze(text, recognizer.supported_entities, None)  # type: ignore[attr-defined]
    return [text[r.start : r.end] for r in results if entity is None or r.entity_type == entity]


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        ("He lives at 24 Clarke Avenue now.", ["24 Clarke Avenue"]),
        ("Send it to 2450 Crown St, please", ["2450 Crown St"]),
        ("Meet me at Via dei Fiorentini 17", ["Via dei Fiorentini 17"]),
        ("The bus station is on Vesterskovvej 79", ["Vesterskovvej 79"]),
        ("Friedhofstrasse 33 Suite 979", ["Friedhofstrasse 33", "Suite 979"]),
        ("7878 Rahu 37 Apt. 405\nTartu\nEstonia 80042", ["7878", "Rahu 37", "Apt. 405", "80042"]),
        ("PSC 6477, Box 2981\nAPO AE 83700", ["PSC 6477, Box 2981\nAPO AE 83700"]),
        ("USNS Bergman\nFPO AP 93757", ["USNS Bergman\nFPO AP 93757"]),
        ("at the corner of Beiteveien 2 and Sieda Radial.", ["the corner of Beiteveien 2 and Sieda Radial"]),
        ("Please return to P.O. Box 242", ["P.O. Box 242"]),
    ],
)
def test_street_addresses_are_found_as_their_pieces(text: str, pieces: list[str]) -> None:
    assert sorted(found(GovflowStreetAddressRecognizer(), text, "STREET_ADDRESS")) == sorted(pieces)


@pytest.mark.parametrize(
    ("text", "whole"),
    [
        (
            "Send it to 3911 Fourth Avenue Suite 697, Mora de Rubielos, Spain 16200.",
            "3911 Fourth Avenue Suite 697, Mora de Rubielos, Spain 16200",
        ),
        (
            "Ship to:\n692 Kuuse 53 Apt. 641, Grubbenvorst, Netherlands",
            "692 Kuuse 53 Apt. 641, Grubbenvorst, Netherlands",
        ),
        ("2450 Crown St, LONDON, United Kingdom 75419\nPhone 1", "2450 Crown St, LONDON, United Kingdom 75419"),
        ("It is at Friedhofstrasse 33 Suite 979 near the station", "Friedhofstrasse 33 Suite 979"),
        (
            "please send a new one to 1987 74 Diakou Street\n Suite 680\n Kissousa\n Cyprus 36903? I am in Oslo",
            "1987 74 Diakou Street\n Suite 680\n Kissousa\n Cyprus 36903",
        ),
        (
            "Address:\n7878 Rahu 37 Apt. 405\nTartu\nEstonia 80042\nMobile: 555 0100",
            "7878 Rahu 37 Apt. 405\nTartu\nEstonia 80042",
        ),
        ("Meet me at 24 Clarke Avenue\n Apt. 5\nRegards\nAnn", "24 Clarke Avenue\n Apt. 5"),
        ("Meet me at 24 Clarke Avenue\n Apt. 5\nTel 555 0100", "24 Clarke Avenue\n Apt. 5"),
        ("Send to 12 Main Street\r\n Suite 5\r\n\r\n Oslo\r\nRegards", "12 Main Street\r\n Suite 5\r\n\r\n Oslo"),
    ],
)
def test_an_address_written_as_one_phrase_is_one_finding(text: str, whole: str) -> None:
    """A one-line address with a unit or code and a place, or an address a sentence or label introduces
    (over the lines it runs on, up to a line that is no address line), is one finding once settled."""
    findings = DetectionStack(prose_policy()).scan_text(text)
    assert [text[f.start : f.end] for f in findings if f.entity_type == "STREET_ADDRESS"] == [whole]


@pytest.mark.parametrize(
    "text",
    [
        "He lives at 12 Main Street, Springfield, and likes it.",  # a place alone: prose writes that freely
        "1987 74 Diakou Street\n Suite 680\n Kissousa\n Cyprus 36903",  # a block on its own lines: fields
        "Friedhofstrasse 33 Suite 979 near the station",  # neither introduced nor a comma-separated place
    ],
)
def test_other_addresses_stay_in_pieces(text: str) -> None:
    pieces = found(GovflowStreetAddressRecognizer(), text, "STREET_ADDRESS")
    assert len(pieces) > 1 or pieces == ["12 Main Street"]
    assert all("\n" not in p and "," not in p for p in pieces)


@pytest.mark.parametrize(
    ("text", "entity", "addressee"),
    [
        ("Marisa Alves\nLegistorm\n09457 Vana-Viru 25 Apt. 971\nTartu", "ORGANIZATION", "Legistorm"),
        ("Maureen Thibault\n\n41086 Kiannonkatu 98\n Suite 464\n OULU", "PERSON", "Maureen Thibault"),
        ("??? Freja Clausen\n??? Opencounter\n??? 83854 Strickstrasse 61", "ORGANIZATION", "Opencounter"),
    ],
)
def test_the_line_above_an_address_block_is_its_addressee(text: str, entity: str, addressee: str) -> None:
    assert addressee in found(GovflowStreetAddressRecognizer(), text, entity)


@pytest.mark.parametrize(
    "text", ["Ship to\n24 Clarke Avenue", "Our new office\n\n24 Clarke Avenue", "Send to: 24 Clarke Avenue"]
)
def test_a_line_of_everyday_words_above_an_address_is_no_addressee(text: str) -> None:
    assert found(GovflowStreetAddressRecognizer(), text, "ORGANIZATION") == []
    assert found(GovflowStreetAddressRecognizer(), text, "PERSON") == []


def test_prose_ner_finds_the_other_mentions_of_a_name_it_found() -> None:
    text = "The film was directed by Maciej Borkowski and starring Borkowski himself."
    findings = DetectionStack(prose_policy()).scan_text(text)
    persons = [text[f.start : f.end] for f in findings if f.entity_type == "PERSON"]
    assert persons == ["Maciej Borkowski", "Borkowski"]


def test_name_lines_of_an_address_block_are_places() -> None:
    text = "Satu Elomo\n\n4844 Søndergade 52\n Apt. 656\n TROMSØ\n\n Denmark 35018\nRegards,\nThe Team"
    assert found(GovflowStreetAddressRecognizer(), text, "LOCATION") == ["TROMSØ", "Denmark"]
    assert found(GovflowStreetAddressRecognizer(), "Kind regards\nThe Team\nACME") == []


@pytest.mark.parametrize(
    "text",
    [
        "Order 20240305 shipped on 2024-03-05 12:00:01",
        "Chapter 3 of the 2nd edition costs 45.99",
        "SKU AB-1234-XY, qty 12, tracking 1Z999AA10123456784",
        "We have 12 apples and 3 pears.",
    ],
)
def test_address_lookalikes_are_not_addresses(text: str) -> None:
    assert found(GovflowStreetAddressRecognizer(), text) == []


def test_honorific_marks_title_and_the_name_after_it() -> None:
    text = "Mr. Baader is a 21 year old man; Dr. Berta Szöllössy agreed."
    assert found(GovflowHonorificRecognizer(), text, "TITLE") == ["Mr.", "Dr."]
    assert found(GovflowHonorificRecognizer(), text, "PERSON") == ["Baader", "Berta Szöllössy"]
    assert found(GovflowHonorificRecognizer(), "Mr. and Mrs. went drinking; the dr said no.") == []


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("He just turned 58 years old", "58"),
        ("Patient is a 35-year-old male", "35"),
        ("i'm 58 y/o.", "58"),
        ("I just turned 42", "42"),
        ("aged 45, she moved", "45"),
    ],
)
def test_ages_are_the_number_only(text: str, age: str) -> None:
    assert found(GovflowAgeRecognizer(), text) == [age]


@pytest.mark.parametrize("text", ["The 45 boxes", "turned 3.5 degrees", "a 900 years old oak", "turn 2024 into"])
def test_age_lookalikes(text: str) -> None:
    assert found(GovflowAgeRecognizer(), text) == []


def test_postal_codes_need_their_label() -> None:
    recognizer = GovflowPostalCodeRecognizer()
    assert found(recognizer, "My zip code is 90010-170") == ["90010-170"]
    assert found(recognizer, "ZIP: 7412 SL") == ["7412 SL"]
    assert found(recognizer, "postcode SW1A 1AA") == ["SW1A 1AA"]
    assert found(recognizer, "Invoice 90010 is due in 2024") == []


def test_nationalities_are_a_closed_capitalised_list() -> None:
    recognizer = GovflowNationalityRecognizer()
    assert found(recognizer, "The Finnish Border Force and two Russians") == ["Finnish", "Russians"]
    assert found(recognizer, "french fries and a turkish towel; Germanium") == []


def test_national_phone_numbers_need_a_valid_number_of_eight_digits() -> None:
    recognizer = GovflowNationalPhoneRecognizer()
    assert found(recognizer, "call me at 541-714-1388 tonight") == ["541-714-1388"]
    assert found(recognizer, "They're not answering at 0680 298 70 63") == ["0680 298 70 63"]
    assert found(recognizer, "order 2024-03-05, amount 1234.56, zip 90210, year 1999") == []
    assert found(recognizer, "code 1111111111 and 123 4567") == []


def test_digit_runs_before_a_street_name_are_house_numbers_not_phones() -> None:
    recognizer = GovflowNationalPhoneRecognizer()
    assert found(recognizer, "The office is at 17031 2202 Rissik St Apt. 050") == []
    assert found(recognizer, "naomi ryan, 3747 3911 fourth avenue suite 112") == []
    # A phone number followed by ordinary words is still a phone number.
    assert found(recognizer, "call 541-714-1388 about Rissik St") == ["541-714-1388"]
    assert found(recognizer, "They're not answering at 0680 298 70 63 since Monday") == ["0680 298 70 63"]


def test_prose_ner_drops_office_abbreviations_and_bare_street_words() -> None:
    stack = DetectionStack(prose_policy())
    text = "My IBAN is GB59IFUE40226315499137, please block the card ASAP or I go to the ATM on Main St."
    pieces = {text[f.start : f.end] for f in stack.scan_text(text)}
    assert not pieces & {"IBAN", "ASAP", "ATM", "St.", "St"}
    assert "GB59IFUE40226315499137" in pieces


def _luhn_run(prefix: str, length: int) -> str:
    body = prefix + "7" * (length - len(prefix) - 1)
    return body + luhn.calc_check_digit(body)


def test_card_runs_outside_iin_table_need_a_card_word() -> None:
    stack = DetectionStack(prose_policy())
    jcb15 = _luhn_run("2131", 15)
    bad = jcb15[:-1] + str((int(jcb15[-1]) + 1) % 10)
    assert [f.entity_type for f in stack.scan_text(f"I have lost my card {jcb15}")] == ["CREDIT_CARD"]
    assert stack.scan_text(f"I have lost my card {bad}") == []
    assert all(f.entity_type != "CREDIT_CARD" for f in stack.scan_text(f"Shipment {jcb15} left the depot"))
    assert GovflowCardInContextRecognizer().analyze(jcb15, ["CREDIT_CARD"])[0].score < 0.5


def test_country_and_company_names() -> None:
    recognizer = GovflowPlaceAndCompanyRecognizer()
    assert found(recognizer, "Shipped from Italy to New Zealand", "LOCATION") == ["Italy", "New Zealand"]
    assert found(recognizer, "Fernandez Inc. hired Golden Helix GmbH", "ORGANIZATION") == [
        "Fernandez Inc.",
        "Golden Helix GmbH",
    ]
    assert found(recognizer, "the inc of chad is low; italy", None) == []


@pytest.mark.parametrize(
    "text",
    [
        "Filed by Davis, Reynolds and Williamson on behalf of the estate.",
        "naomi ryan\nsewer pipe cleaner\nhubbard, fox and gillespie",
        "Audited by Clark, Romero & Hall.",
    ],
)
def test_partnerships_of_family_names_are_one_organization(text: str) -> None:
    firms = found(GovflowPlaceAndCompanyRecognizer(), text, "ORGANIZATION")
    assert len(firms) == 1 and firms[0].count(",") >= 1 and firms[0] in text


@pytest.mark.parametrize(
    "text",
    [
        "Open Monday, Tuesday and Friday.",
        "Mix red, green and blue.",
        "Order 1234, 5678 and 9012 shipped.",
        "SKU-88, SKU-91 and SKU-93 are out of stock.",
        "Paid 12.50, 13.75 and 99.99 on 2024-01-02.",
        "Davis, reynolds and Williamson",  # mixed case is not a firm's spelling
        "We need apples, pears and oranges.",
    ],
)
def test_partnership_lookalikes(text: str) -> None:
    assert found(GovflowPlaceAndCompanyRecognizer(), text, "ORGANIZATION") == []


def test_prose_ner_leaves_region_words_out_of_a_country() -> None:
    stack = DetectionStack(prose_policy())
    for text, country in (
        ("The festival moved to Southern Italy last year.", "Italy"),
        ("Our office in Northern Tunisia opens soon.", "Tunisia"),
        ("She moved to South Africa in May.", "South Africa"),
    ):
        places = {text[f.start : f.end] for f in stack.scan_text(text) if f.entity_type in ("LOCATION", "GPE")}
        assert country in places
        assert not any(p.startswith(("Southern", "Northern")) for p in places)


def prose_policy():  # type: ignore[no-untyped-def]
    policy = load_policy(None)
    presidio = [n for n in policy.recognizers.presidio if n != "SpacyRecognizer"] + list(PROSE_RECOGNIZERS)
    recognizers = policy.recognizers.model_copy(update={"ignore_entities": [], "presidio": presidio})
    return policy.model_copy(update={"recognizers": recognizers})


def test_prose_recognizers_register_by_class_name_and_run_on_text_only() -> None:
    stack = DetectionStack(prose_policy())
    names = {type(r).__name__ for r in stack.recognizers}
    assert not names & set(PROSE_RECOGNIZERS), "prose recognizers must not scan structured cells"
    text = "Mr. Baader (45 years old) lives at 24 Clarke Avenue, call 541-714-1388."
    kinds = {f.entity_type for f in stack.scan_text(text)}
    assert {"TITLE", "PERSON", "AGE", "STREET_ADDRESS", "PHONE_NUMBER"} <= kinds
    assert stack.scan_values(["24 Clarke Avenue", "45"], "notes_code") == [[], []]


def test_prose_ner_keeps_spans_on_one_line_and_drops_digit_only_dates() -> None:
    stack = DetectionStack(prose_policy())
    text = "Anna Schmidt\nQuadra 104\n Suite 845\nShe was born on 7/14/1995 and lives at 42755."
    for f in stack.scan_text(text):
        assert "\n" not in text[f.start : f.end]
        if f.entity_type == "DATE_TIME":
            assert any(c in text[f.start : f.end] for c in "/:") or not text[f.start : f.end].isdigit()
    assert "7/14/1995" in {text[f.start : f.end] for f in stack.scan_text(text) if f.entity_type == "DATE_TIME"}


def test_prose_ner_keeps_dates_that_name_a_point_in_time_not_durations() -> None:
    stack = DetectionStack(prose_policy())
    text = "She was born on March 5, 1990 and visited on Monday. The repair took two weeks and 24 hours."
    dates = {text[f.start : f.end] for f in stack.scan_text(text) if f.entity_type == "DATE_TIME"}
    assert any("1990" in d for d in dates) and any("Monday" in d for d in dates)
    assert not any("weeks" in d or "hours" in d for d in dates)


def test_prose_pack_swaps_spacy_for_the_prose_recognizers_and_ignores_nothing() -> None:
    default, prose = load_policy(None).recognizers, load_policy("prose").recognizers
    prose_only = set(PROSE_RECOGNIZERS) - {"GovflowNameGazetteerRecognizer"}
    assert set(prose.presidio) == (set(default.presidio) - {"SpacyRecognizer"}) | prose_only
    assert len(prose.presidio) == len(set(prose.presidio))
    assert prose.ignore_entities == [] and default.ignore_entities
    assert prose.deny_lists == default.deny_lists  # lists it does not replace are the default pack's


def test_default_pack_is_unchanged_by_prose_recognizers() -> None:
    names = {type(r).__name__ for r in Pipeline.default().engine.stack.recognizers}
    assert not names & set(PROSE_RECOGNIZERS)


# --------------------------------------------------------------------------------------------------
# Checksum collisions in jurisdiction tagging
# --------------------------------------------------------------------------------------------------

RULES = JurisdictionRules(
    Jurisdictions(declared_columns=["country"], evidence=["declared", "national_id", "iban", "phone"], blocs={})
)


def countries(*evidence: Evidence) -> list[str]:
    return RULES.resolve(evidence)[0]


def test_collision_settled_by_a_phone_of_one_of_its_countries() -> None:
    collision = [Evidence("JP", "national_id", "national_id"), Evidence("IN", "national_id", "national_id")]
    assert countries(*collision, Evidence("IN", "phone", "phone")) == ["IN"]
    assert countries(*collision, Evidence("JP", "declared", "country")) == ["JP"]


def test_collision_without_corroboration_keeps_every_country() -> None:
    collision = [Evidence("AU", "national_id", "national_id"), Evidence("CA", "national_id", "national_id")]
    assert countries(*collision) == ["AU", "CA"]
    assert countries(*collision, Evidence("DE", "phone", "phone")) == ["AU", "CA", "DE"]


def test_evidence_from_different_columns_is_never_pruned() -> None:
    evidence = [
        Evidence("DE", "iban", "iban"),
        Evidence("RU", "phone", "phone"),
        Evidence("RU", "national_id", "national_id"),
        Evidence("PL", "national_id", "tax_id"),
    ]
    assert countries(*evidence) == ["DE", "PL", "RU"]


# --------------------------------------------------------------------------------------------------
# Name gazetteer
# --------------------------------------------------------------------------------------------------


def test_gazetteer_finds_names_the_small_model_does_not_know() -> None:
    recognizer = GovflowNameGazetteerRecognizer()
    assert found(recognizer, "The form was signed by Virpi Eklund yesterday") == ["Virpi Eklund"]
    assert found(recognizer, "Please correct it to Ryan P Costa.") == ["Ryan P Costa"]
    assert found(recognizer, "my colleague Virpi called") == ["Virpi"]


def test_gazetteer_skips_common_words_sentence_openers_and_lowercase() -> None:
    recognizer = GovflowNameGazetteerRecognizer()
    assert found(recognizer, "May I pay in March? Will you be in Italy on Monday") == []
    assert found(recognizer, "Virpi called.") == []  # one name word opening a sentence: any word is capitalised
    assert found(recognizer, "virpi and thomas") == []


def test_gazetteer_lists_exclude_stop_words_and_closed_lists() -> None:
    given, family = name_lists()
    assert len(given) > 10_000 and len(family) > 10_000
    assert not {"May", "Will", "Street", "Italy", "Monday"} & (given | family)


def test_job_titles_under_a_name_or_in_apposition() -> None:
    recognizer = GovflowJobTitleRecognizer()
    assert found(recognizer, "Thomas Svendsen\nAssistant property manager\nHopstop") == ["Assistant property manager"]
    assert found(recognizer, "Albert Svenningsen\n\nChildren's librarian\n") == ["Children's librarian"]
    assert found(recognizer, "Marie Langrová, the Cinematographer, said") == ["Cinematographer"]


def test_job_title_lookalikes() -> None:
    recognizer = GovflowJobTitleRecognizer()
    assert found(recognizer, "Dear Anna\nThanks again for the order\nBest") == []
    assert found(recognizer, "Order 1234\nSKU manager-99\n") == []
    assert found(recognizer, "the manager said the driver was late") == []


def test_seven_digit_local_numbers_need_a_phone_word() -> None:
    recognizer = GovflowNationalPhoneRecognizer()
    (short,) = recognizer.analyze("reach me on 451 5986", ["PHONE_NUMBER"])
    assert short.score < 0.5  # below the threshold alone
    stack = DetectionStack(prose_policy())
    assert [f.entity_type for f in stack.scan_text("Call my phone at 451 5986")] == ["PHONE_NUMBER"]
    assert all(f.entity_type != "PHONE_NUMBER" for f in stack.scan_text("Invoice 451 5986 was paid"))
