"""split_plus and national_region give libphonenumber's own answers (they skip steps, never change results)."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from govflow.detect.phone_parse import UNDECIDED, national_region, split_plus

_TYPES = [t for name, t in vars(PhoneNumberType).items() if name.isupper() and isinstance(t, int)]


def _reference(text: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(text, None)
    except NumberParseException:
        return None


def _reference_region(number: phonenumbers.PhoneNumber) -> str | None:
    return phonenumbers.region_code_for_number(number) if phonenumbers.is_valid_number(number) else None


def _variants(number: phonenumbers.PhoneNumber) -> list[str]:
    """A number as libphonenumber writes it internationally, compact, hyphenated, each digit changed, one
    digit less or more, a 0 added after the calling code: valid numbers and their nearest invalid neighbours."""
    written = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    compact = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    out = [written, compact, written.replace(" ", "-"), compact[:-1], compact + "7", written + " 12"]
    out += [compact[:i] + str((int(compact[i]) + 3) % 10) + compact[i + 1 :] for i in range(1, len(compact))]
    out.append(f"+{number.country_code} 0{phonenumbers.national_significant_number(number)}")
    return out


def _example_texts() -> list[str]:
    texts = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in _TYPES:
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                texts += _variants(example)
    for code in phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS:
        example = phonenumbers.example_number_for_non_geo_entity(code)
        if example is not None:
            texts += _variants(example)
    return texts


def _region(number: phonenumbers.PhoneNumber) -> str | None:
    return national_region(number.country_code, phonenumbers.national_significant_number(number))


def _check(text: str) -> bool:
    """Assert split_plus and national_region agree with libphonenumber on `text`; True if split_plus decided
    without parse."""
    reference = _reference(text)
    if reference is not None:
        assert _region(reference) == _reference_region(reference), text
    ours = split_plus(text)
    if ours is UNDECIDED:
        return False
    expected = (
        None if reference is None else (reference.country_code, phonenumbers.national_significant_number(reference))
    )
    assert ours == expected, text
    return True


def test_every_calling_code_example_and_its_neighbours_parse_as_libphonenumber_parses_them() -> None:
    texts = _example_texts()
    decided = [_check(text) for text in texts]
    valid = sum(_reference_region(n) is not None for t in texts if (n := _reference(t)) is not None)
    assert len(texts) > 20_000 and valid > 3_000  # both valid and invalid numbers of every region
    # The shape the fast path is for is decided without libphonenumber's parse nearly always: only numbers
    # whose national part starts like a national prefix ("+44 0…", "+7 8…") go back to it.
    assert sum(decided) / len(texts) > 0.9


def test_the_calling_codes_with_many_regions_give_the_regions_libphonenumber_gives() -> None:
    # +1 (25 NANPA regions), +44 (GB, GG, IM, JE), +7 (RU, KZ), +61 (AU, CC, CX), +262, +590, +599, +47 …
    own_region = 0
    for code, regions in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.items():
        if len(regions) < 2:
            continue
        for region in regions:
            for kind in _TYPES:
                example = phonenumbers.example_number_for_type(region, kind)
                if example is not None and example.country_code == code:
                    assert _region(example) == _reference_region(example), example
                    own_region += _region(example) == region
    assert own_region > 100  # not all answered by the first region (toll-free +1 numbers are "US")


@pytest.mark.parametrize(
    "text",
    ["+", "+1", "+12", "+0441234567", "+999 1234567", "+44 ", "+44 7911 123456 ", "+44  7911123456", "+44-", "+٤٤ 20"],
)
def test_other_shapes_and_rejections_agree(text: str) -> None:
    _check(text)


def test_leading_zeros_are_kept_as_parse_keeps_them() -> None:
    # Italy keeps a fixed line's leading 0 after +39; several zeros, and all zeros, are counted as parse does.
    for text in ("+39 02 1234 5678", "+39 000 1234", "+39 0000000", "+39 00", "+39 0 1"):
        _check(text)
    assert split_plus("+39 02 1234 5678") == (39, "0212345678")
    assert national_region(39, "0212345678") == "IT"
    assert national_region(39, "0669821234") == "VA"  # the Vatican shares +39 and Rome's 06


@settings(max_examples=500, deadline=None)
@given(st.from_regex(r"\+[0-9]{1,4}(?:[ -]?[0-9]{1,7}){0,4}", fullmatch=True))
def test_plus_and_digit_groups_agree_with_parse(text: str) -> None:
    _check(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="+0123456789 -x#()", max_size=22))
def test_any_text_is_decided_only_where_parse_agrees(text: str) -> None:
    _check(text)
