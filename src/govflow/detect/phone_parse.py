"""libphonenumber's validity and region answers for the usual shape of a phone column, without its detours.

``phonenumbers.parse`` is written for any text a person might type: it looks for the number inside the
text, tests for extensions ("ext. 12", "#"), vanity letters and IDD prefixes, and normalises Unicode digits,
through a dozen regular expressions. For a value that is "+" and ASCII digit groups split by single spaces
or hyphens ("+44 7911 123456", "+7 912 345-67-89") none of that can apply: the calling code is the
shortest known prefix of the digits and the rest is the national number (:func:`split_plus`). The one
region-dependent step, stripping a national prefix ("0", "8", Argentina's rule), is not redone here: where
the region's prefix rule matches the national number at all, the value goes back to libphonenumber.

Validation then tests the number against each of its region's number types one pattern at a time (ten
tests for a mobile number) and, for a calling code shared by several regions (+1 has 25), each region in
turn. :func:`national_region` asks the same questions with one pattern per region and number length.
Together these were about three quarters of validating a phone column.

Both are tested against libphonenumber itself for every region's example numbers and their near misses
(tests/test_phone_parse.py), so a release that changes its rules shows up there.
"""

from __future__ import annotations

import functools
import re
from typing import Final

from phonenumbers import (
    COUNTRY_CODE_TO_REGION_CODE,
    PhoneMetadata,
    country_code_for_valid_region,
    region_code_for_country_code,
)
from phonenumbers.phonemetadata import REGION_CODE_FOR_NON_GEO_ENTITY

from govflow.detect.national_ids import strip_separators

# "+" then ASCII digit groups split by one space or hyphen: parse finds nothing else to do in such a value.
PLUS_DIGITS: Final = re.compile(r"\+[0-9]+(?:[ -][0-9]+)*")
# parse rejects fewer than 3 digits after "+" (not viable, or too short after the prefix) and national
# numbers outside 2..17 digits; a calling code has at most 3 digits.
_MIN_DIGITS: Final = 3
_MIN_NATIONAL: Final = 2
_MAX_NATIONAL: Final = 17
_MAX_CALLING_CODE: Final = 3


class Undecided:
    """The value needs libphonenumber's own parse (another shape, or a national prefix to consider)."""


UNDECIDED: Final = Undecided()


def split_plus(text: str) -> tuple[int, str] | Undecided | None:
    """(calling code, national significant number) as ``phonenumbers.parse(text, None)`` finds them for
    "+" and digit groups; None where parse raises.

    UNDECIDED for any other text, and where the national number starts with something its region's
    national-prefix rule matches (parse may strip it; rare in numbers written with "+").
    """
    if not PLUS_DIGITS.fullmatch(text):
        return UNDECIDED
    digits = strip_separators(text[1:], " -")
    if len(digits) < _MIN_DIGITS:
        return UNDECIDED
    if digits[0] == "0":  # no calling code starts with 0
        return None
    for width in range(1, _MAX_CALLING_CODE + 1):
        calling_code = int(digits[:width])
        if calling_code in COUNTRY_CODE_TO_REGION_CODE:
            break
    else:
        return None
    national = digits[width:]
    if len(national) < _MIN_NATIONAL:
        return None
    prefix = _national_prefix(calling_code)
    if isinstance(prefix, Undecided) or (prefix is not None and prefix.match(national)):
        return UNDECIDED
    if len(national) > _MAX_NATIONAL:  # parse checks this after the prefix step, which left it as it is
        return None
    return calling_code, national


@functools.lru_cache(maxsize=512)
def _national_prefix(calling_code: int) -> re.Pattern[str] | Undecided | None:
    """The national-prefix rule parse applies to numbers of this calling code (its main region's)."""
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(
        calling_code, region_code_for_country_code(calling_code)
    )
    if metadata is None:  # parse asserts it is never None; leave any surprise to parse
        return UNDECIDED
    rule = metadata.national_prefix_for_parsing
    return re.compile(rule) if rule else None


def national_region(calling_code: int, national: str) -> str | None:
    """``region_code_for_number`` of the number if ``is_valid_number`` holds for it, else None.

    `national` is the national significant number, leading zeros included.
    """
    regions = COUNTRY_CODE_TO_REGION_CODE.get(calling_code)
    if not regions or len(national) not in _possible_lengths(calling_code):
        return None
    region = regions[0] if len(regions) == 1 else _region_of(national, regions, calling_code)
    # is_valid_number_for_region's checks: the region's calling code is the number's, and it has a type.
    if region is None or (
        region != REGION_CODE_FOR_NON_GEO_ENTITY and calling_code != country_code_for_valid_region(region)
    ):
        return None
    return region if _has_type(national, region, calling_code) else None


@functools.lru_cache(maxsize=512)
def _possible_lengths(calling_code: int) -> frozenset[int] | range:
    """The national-number lengths some region of this calling code accepts (its general description's).

    A number of any other length is invalid however many regions share the code: rejected at once.
    """
    lengths: set[int] = set()
    for region in COUNTRY_CODE_TO_REGION_CODE.get(calling_code, ()):
        metadata = PhoneMetadata.metadata_for_region_or_calling_code(calling_code, region)
        if metadata is None or not metadata.general_desc.possible_length:
            return range(_MAX_NATIONAL + 1)  # no list to go by: let the patterns decide
        lengths.update(metadata.general_desc.possible_length)
    return frozenset(lengths)


def _region_of(national: str, regions: tuple[str, ...], calling_code: int) -> str | None:
    """libphonenumber's choice among the regions sharing a calling code: the first whose leading digits
    start the number, or (for a region without them) that gives it a type."""
    for region in regions:
        metadata = PhoneMetadata.metadata_for_region(region, None)
        if metadata is None:
            continue
        if metadata.leading_digits is not None:
            if _compiled(metadata.leading_digits).match(national):
                return region
        elif _has_type(national, region, calling_code):
            return region
    return None


def _has_type(national: str, region: str, calling_code: int) -> bool:
    """libphonenumber's "number type is not UNKNOWN" for `national` in `region`, in two regex tests."""
    patterns = _typed_pattern(region, calling_code, len(national))
    return patterns is not None and all(p.fullmatch(national) for p in patterns)


@functools.lru_cache(maxsize=4096)
def _typed_pattern(region: str, calling_code: int, length: int) -> tuple[re.Pattern[str], re.Pattern[str]] | None:
    """The region's general pattern and the union of its number-type patterns open to `length` digits.

    None where the general description rules the length out (or the region has no metadata). The union
    holds the types libphonenumber's type test tries, in its order: premium rate, toll free, shared cost,
    VoIP, personal, pager, UAN, voicemail, fixed line, and mobile unless it repeats the fixed-line
    pattern (the test then never tries it); each type whose lengths admit `length` (no list: any).
    """
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(calling_code, region)
    if metadata is None:
        return None
    general = metadata.general_desc
    if not general.national_number_pattern or (general.possible_length and length not in general.possible_length):
        return None
    descs = [
        metadata.premium_rate,
        metadata.toll_free,
        metadata.shared_cost,
        metadata.voip,
        metadata.personal_number,
        metadata.pager,
        metadata.uan,
        metadata.voicemail,
        metadata.fixed_line,
    ]
    if not metadata.same_mobile_and_fixed_line_pattern:
        descs.append(metadata.mobile)
    typed = [
        f"(?:{desc.national_number_pattern})"
        for desc in descs
        if desc is not None
        and desc.national_number_pattern
        and (not desc.possible_length or length in desc.possible_length)
    ]
    # "(?!)" never matches: a region with no type open to this length has no valid number of it.
    return _compiled(general.national_number_pattern), re.compile("|".join(typed) or "(?!)")


@functools.lru_cache(maxsize=2048)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)
