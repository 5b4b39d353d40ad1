"""The fast IBAN checks give stdnum's answers exactly (they decide what is detected and what FPE accepts)."""

from __future__ import annotations

import random
import string
from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import iban

from govflow.datagen import _BBANS, _iban
from govflow.detect.financial import iban_check_digits, iban_is_valid

# Letters at the check-digit positions, lower case, separators, other countries' codes, junk.
_CHARS = string.digits + string.ascii_uppercase + "ab -.`\t\u2013"


@st.composite
def ibans(draw: st.DrawFn) -> str:
    """Valid IBANs of the generator's 11 countries, then perhaps one character changed or check digits fixed."""
    value = _iban(random.Random(draw(st.integers(0, 2**32))), draw(st.sampled_from(sorted(_BBANS)))).replace(" ", "")
    chars = list(value)
    if draw(st.booleans()):
        chars[draw(st.integers(0, len(chars) - 1))] = draw(st.sampled_from(_CHARS))
    if draw(st.booleans()):
        chars[:2] = draw(st.sampled_from(["DE", "GB", "ES", "FR", "BE", "XX", "US", "MC", "NO"]))
    text = "".join(chars)
    if draw(st.booleans()) and text.isalnum():  # right check digits for whatever the text now is
        text = text[:2] + iban.calc_check_digits(text) + text[4:]
    return text


@settings(max_examples=1500, deadline=None)
@given(st.one_of(ibans(), st.text(alphabet=_CHARS, max_size=36)), st.booleans())
def test_iban_is_valid_agrees_with_stdnum(value: str, check_country: bool) -> None:
    assert iban_is_valid(value, check_country) == iban.is_valid(value, check_country)


@settings(max_examples=500, deadline=None)
@given(st.one_of(ibans(), st.text(alphabet=string.digits + string.ascii_uppercase, min_size=5, max_size=34)))
def test_iban_check_digits_agree_with_stdnum(value: str) -> None:
    def outcome(calc: Callable[[str], str]) -> str:
        try:
            return calc(value)
        except ValueError as exc:  # text no IBAN can start from: both must refuse it
            return type(exc).__name__

    assert outcome(iban_check_digits) == outcome(iban.calc_check_digits)


def test_the_checks_accept_valid_and_refuse_broken_ibans() -> None:
    assert iban_is_valid("DE89370400440532013000") and iban_is_valid("GB82 WEST 1234 5698 7654 32")
    assert not iban_is_valid("DE89370400440532013001")  # one digit off: MOD 97-10 fails
    assert not iban_is_valid(
        "DE" + iban.calc_check_digits("DE003704004405320130001") + "3704004405320130001"
    )  # 19-digit BBAN
    assert iban_check_digits("DE00370400440532013000") == "89"
