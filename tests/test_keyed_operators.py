"""Keys, keyed operators (token, AES-SIV, FF3-1 FPE, date shift) and generalisation.

The properties that matter to users: same value + same key → same output (joins survive), different
keys or entity types → different outputs, reversible operators round-trip, FPE keeps the shape and the
check digits of the value, and no key material ever shows up in a repr, an error, a warning or a log.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import logging
import os
import pickle
import re
import string
import warnings
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import iban, luhn, numdb

from govflow.mask.generalize import KINDS, generalize
from govflow.mask.keyed import (
    _hmac_sha256,
    date_shift,
    decrypt_deterministic,
    encrypt_deterministic,
    fpe_decrypt,
    fpe_encrypt,
    token,
)
from govflow.mask.keys import DEMO_KEY_HEX, Key, MissingKeyError, load_key

DEMO = Key("default", bytes.fromhex(DEMO_KEY_HEX))
materials = st.binary(min_size=16, max_size=64)
keys = materials.map(lambda m: Key("k", m))
entities = st.from_regex(r"[A-Z][A-Z_]{0,20}", fullmatch=True)


def _distinct_keys() -> st.SearchStrategy[tuple[Key, Key]]:
    return st.lists(materials, min_size=2, max_size=2, unique=True).map(lambda ab: (Key("a", ab[0]), Key("b", ab[1])))


# --- generated inputs ------------------------------------------------------------------------------------

GAPS = ["", "", "", " ", "-", ".", "/", "+", "(", "x", "Ab"]


@st.composite
def separated(draw: st.DrawFn, body: st.SearchStrategy[str]) -> str:
    """`body`'s characters with a random separator (often none) in every gap."""
    chars = draw(body)
    gaps = draw(st.lists(st.sampled_from(GAPS), min_size=len(chars) + 1, max_size=len(chars) + 1))
    return "".join(g + c for g, c in zip(gaps, chars, strict=False)) + gaps[-1]


digit_strings = separated(st.text(string.digits, min_size=6, max_size=30))


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    body = draw(st.text(string.digits, min_size=12, max_size=18))
    number = body + luhn.calc_check_digit(body)
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4)) if draw(st.booleans()) else number


IBAN_COUNTRIES = ["BE", "CH", "DE", "ES", "FR", "GB", "IT", "MT", "NL", "NO", "PL", "SE"]
_CLASS = {"n": string.digits, "a": string.ascii_uppercase, "c": string.digits + string.ascii_uppercase}


@st.composite
def ibans(draw: st.DrawFn) -> str:
    """A valid IBAN built from the country's registered BBAN structure (e.g. GB: 4!a6!n8!n)."""
    country = draw(st.sampled_from(IBAN_COUNTRIES))
    structure = numdb.get("iban").info(country)[0][1]["bban"]
    bban = "".join(
        draw(st.text(_CLASS[kind], min_size=int(n), max_size=int(n)))
        for n, kind in re.findall(r"(\d+)!([nac])", structure)
    )
    number = country + iban.calc_check_digits(country + "00" + bban) + bban
    return iban.format(number) if draw(st.booleans()) else number


def assert_same_shape(before: str, after: str, alphabet: str) -> None:
    assert len(after) == len(before)
    for b, a in zip(before, after, strict=True):
        assert (a in alphabet) if b in alphabet else (a == b)


# --- keys --------------------------------------------------------------------------------------------------


def test_missing_env_var_names_it_and_says_how_to_make_a_key() -> None:
    with pytest.raises(MissingKeyError, match=r"GOVFLOW_KEY_EU is not set.*secrets\.token_hex") as info:
        load_key("eu", environ={})
    assert isinstance(info.value, ValueError)
    with pytest.raises(MissingKeyError, match="GOVFLOW_KEY is not set"):
        load_key("default", environ={"GOVFLOW_KEY": "   "})


def test_missing_file_names_it_and_says_how_to_make_one(tmp_path: Path) -> None:
    path = tmp_path / "nope.key"
    with pytest.raises(MissingKeyError, match=rf"{re.escape(str(path))} not found.*chmod 600"):
        load_key("default", file=path, environ={})
    with pytest.raises(MissingKeyError, match="cannot be read"):
        load_key("default", file=tmp_path, environ={})
    binary = tmp_path / "binary.key"
    binary.write_bytes(b"\xff\xfe" * 20)
    binary.chmod(0o600)
    with pytest.raises(MissingKeyError, match="is not text"):
        load_key("default", file=binary, environ={})


@given(short=st.binary(min_size=5, max_size=10).map(bytes.hex))
def test_short_key_is_refused_without_echoing_it(short: str) -> None:
    with pytest.raises(MissingKeyError, match=r"key in GOVFLOW_KEY is too short: need ≥ 16 random bytes") as info:
        load_key("default", environ={"GOVFLOW_KEY": short})
    assert short not in str(info.value)


def test_short_key_in_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "short.key"
    path.write_text("tooShort!\n")
    path.chmod(0o600)
    with pytest.raises(MissingKeyError, match=rf"key in key file {re.escape(str(path))} is too short") as info:
        load_key("default", file=path, environ={})
    assert "tooShort!" not in str(info.value)


def test_key_formats() -> None:
    raw = bytes(range(32))
    expected = Key("default", raw)
    for text in (
        raw.hex(),
        raw.hex().upper(),
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        f"  {raw.hex()}\n",
    ):
        assert load_key("default", environ={"GOVFLOW_KEY": text}) == expected
    passphrase = "correct horse battery staple, and then some"
    assert load_key("default", environ={"GOVFLOW_KEY": passphrase}) == Key("default", passphrase.encode())


def test_env_wins_over_file_and_file_is_the_fallback(tmp_path: Path) -> None:
    path = tmp_path / "eu.key"
    path.write_text(bytes(range(32)).hex() + "\n")
    path.chmod(0o600)
    from_env = load_key("eu", env="EU_KEY", file=path, environ={"EU_KEY": DEMO_KEY_HEX})
    assert from_env == Key("eu", bytes.fromhex(DEMO_KEY_HEX))
    assert load_key("eu", env="EU_KEY", file=path, environ={}) == Key("eu", bytes(range(32)))


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_key_file_readable_by_others_warns_without_the_key(tmp_path: Path) -> None:
    path = tmp_path / "default.key"
    path.write_text(DEMO_KEY_HEX)
    path.chmod(0o644)
    with pytest.warns(UserWarning, match="chmod 600") as record:
        load_key("default", file=path, environ={})
    assert all(DEMO_KEY_HEX not in str(w.message) for w in record)
    path.chmod(0o600)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_key("default", file=path, environ={})


def test_key_id_is_stable_public_and_not_the_key() -> None:
    material = bytes.fromhex(DEMO_KEY_HEX)
    fingerprint = hmac.new(material, b"govflow key id", hashlib.sha256).hexdigest()
    loaded = load_key("default", environ={"GOVFLOW_KEY": DEMO_KEY_HEX})
    assert loaded.key_id == DEMO.key_id == f"default:{fingerprint[:12]}" == "default:548b48c32e31"
    assert loaded.key_id.split(":")[1] not in DEMO_KEY_HEX
    assert Key("default", bytes(32)).key_id != DEMO.key_id


def test_key_pickles_for_spark_but_stays_out_of_asdict() -> None:
    clone = pickle.loads(pickle.dumps(DEMO))
    assert clone == DEMO and clone.derive("token") == DEMO.derive("token")
    assert dataclasses.asdict(DEMO) == {"name": "default", "key_id": DEMO.key_id}


def test_subkeys_differ_per_purpose() -> None:
    subkeys = {DEMO.derive(p) for p in ("token", "siv", "fpe", "fpe-tweak", "shift")}
    assert len(subkeys) == 5 and bytes.fromhex(DEMO_KEY_HEX) not in subkeys
    assert len(DEMO.derive("siv", 64)) == 64


def _error_messages(key: Key) -> list[str]:
    """The message of every error an operator can raise, provoked with `key`."""
    other = Key("other", bytes(32))
    sealed = encrypt_deterministic("secret", key)
    provocations = [
        lambda: decrypt_deterministic(encrypt_deterministic("secret", other), key),
        lambda: decrypt_deterministic(sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1], key),
        lambda: decrypt_deterministic(sealed, key, associated="another column"),
        lambda: decrypt_deterministic("not a ciphertext", key),
        lambda: fpe_encrypt("12-345", key),
        lambda: fpe_encrypt("1" * 57, key),
        lambda: fpe_encrypt("4111 1111 1111 1112", key, checksum="luhn"),
        lambda: fpe_encrypt("GB82WEST12345698765432", key, alphabet="alphanumeric", checksum="iban"),
        lambda: date_shift("31/01/2020", "subject", key),
        lambda: token("x", "not an entity", key),
        lambda: Key(key.name, key._material[:15]),  # type: ignore[attr-defined]
    ]
    messages = []
    for provoke in provocations:
        with pytest.raises(ValueError) as info:
            provoke()
        messages.append(str(info.value))
    return messages


@given(material=materials)
@settings(max_examples=30)
def test_no_key_material_in_reprs_errors_or_outputs(material: bytes) -> None:
    key = Key("k", material)
    needles = {
        material.hex(),
        material.hex().upper(),
        base64.b64encode(material).decode(),
        base64.urlsafe_b64encode(material).decode().rstrip("="),
        repr(material),
        material.decode("latin-1"),
        material[:15].hex(),
    }
    outputs = [
        repr(key),
        str(key),
        repr(dataclasses.asdict(key)),
        token("john@example.com", "EMAIL_ADDRESS", key),
        encrypt_deterministic("john@example.com", key),
        fpe_encrypt("4111 1111 1111 1111", key, checksum="luhn"),
        *_error_messages(key),
    ]
    for text in outputs:
        assert not any(needle in text for needle in needles)


def test_no_key_material_in_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fpe_decrypt(fpe_encrypt("4111 1111 1111 1111", DEMO, checksum="luhn"), DEMO, checksum="luhn")
    decrypt_deterministic(encrypt_deterministic("x", DEMO), DEMO)
    secrets = [DEMO_KEY_HEX, *(DEMO.derive(p).hex() for p in ("fpe", "siv", "token"))]
    assert not any(s in caplog.text for s in secrets)


# --- token ------------------------------------------------------------------------------------------------


@given(key=keys, value=st.text(), entity=entities)
def test_token_is_deterministic_and_shaped(key: Key, value: str, entity: str) -> None:
    first = token(value, entity, key)
    assert first == token(value, entity, Key("k", key._material))  # type: ignore[attr-defined]
    assert re.fullmatch(rf"{entity}:[0-9a-f]{{16}}", first)
    assert token(value, entity, key, length=32).startswith(first)


@given(pair=_distinct_keys(), value=st.text())
def test_token_separates_keys(pair: tuple[Key, Key], value: str) -> None:
    a, b = pair
    assert token(value, "PERSON", a) != token(value, "PERSON", b)


@given(key=keys, value=st.text(), pair=st.lists(entities, min_size=2, max_size=2, unique=True))
def test_token_separates_entity_types(key: Key, value: str, pair: list[str]) -> None:
    e1, e2 = pair
    assert token(value, e1, key).split(":")[1] != token(value, e2, key).split(":")[1]


def test_token_normalisation() -> None:
    assert token(" John@Example.COM ", "EMAIL_ADDRESS", DEMO) == token("john@example.com", "EMAIL_ADDRESS", DEMO)
    assert token("John@x.com", "EMAIL_ADDRESS", DEMO, normalize=False) != token("john@x.com", "EMAIL_ADDRESS", DEMO)
    assert token(" Smith ", "PERSON", DEMO) == token("Smith", "PERSON", DEMO) != token("smith", "PERSON", DEMO)
    with pytest.raises(ValueError, match="length"):
        token("x", "PERSON", DEMO, length=4)


@given(subkey=st.binary(max_size=130), message=st.binary(max_size=300))
def test_kept_hmac_states_give_the_standard_hmac(subkey: bytes, message: bytes) -> None:
    # Keys shorter than, as long as and longer than SHA-256's 64-byte block (longer ones are hashed first).
    assert _hmac_sha256(subkey, message) == hmac.digest(subkey, message, "sha256")


def test_golden_values_do_not_drift() -> None:
    """Changing any derivation silently breaks joins with data masked earlier: these outputs are frozen."""
    assert token("john@example.com", "EMAIL_ADDRESS", DEMO) == "EMAIL_ADDRESS:182745bfd06132c8"
    sealed = "siv1.Miq8MciWCYLFjipq35I4UAAtGM3ufFe8ZZXrny5mCbo"
    assert encrypt_deterministic("john@example.com", DEMO, "EMAIL_ADDRESS") == sealed
    card = fpe_encrypt("4111 1111 1111 1111", DEMO, tweak_context="CREDIT_CARD", checksum="luhn")
    assert card == "0926 4522 9490 7989"
    account = fpe_encrypt("GB82 WEST 1234 5698 7654 32", DEMO, tweak_context="IBAN_CODE", checksum="iban")
    assert account == "GB43 WEST 0765 2761 1267 52"
    assert date_shift("2020-01-31", "patient-1", DEMO) == "2020-05-12"


# --- AES-SIV ----------------------------------------------------------------------------------------------


@given(key=keys, value=st.text(), associated=st.text(max_size=20))
def test_siv_round_trip_and_determinism(key: Key, value: str, associated: str) -> None:
    sealed = encrypt_deterministic(value, key, associated)
    assert sealed == encrypt_deterministic(value, key, associated)
    assert re.fullmatch(r"siv1\.[A-Za-z0-9_-]+", sealed)
    assert decrypt_deterministic(sealed, key, associated) == value


@given(pair=_distinct_keys(), value=st.text(), bit=st.integers(min_value=0))
def test_siv_rejects_wrong_key_and_tampering(pair: tuple[Key, Key], value: str, bit: int) -> None:
    a, b = pair
    sealed = encrypt_deterministic(value, a)
    with pytest.raises(ValueError, match=r"^cannot decrypt: wrong key or altered value$"):
        decrypt_deterministic(sealed, b)
    raw = bytearray(base64.urlsafe_b64decode(sealed[5:] + "=" * (-len(sealed[5:]) % 4)))
    raw[bit // 8 % len(raw)] ^= 1 << bit % 8
    tampered = "siv1." + base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    with pytest.raises(ValueError, match=r"^cannot decrypt: wrong key or altered value$"):
        decrypt_deterministic(tampered, a)


# --- FF3-1 format-preserving encryption -------------------------------------------------------------------


@given(key=keys, value=digit_strings, context=st.text(max_size=12))
def test_fpe_digits_round_trip_and_keep_the_format(key: Key, value: str, context: str) -> None:
    encrypted = fpe_encrypt(value, key, tweak_context=context)
    assert_same_shape(value, encrypted, string.digits)
    assert encrypted == fpe_encrypt(value, key, tweak_context=context)
    assert fpe_decrypt(encrypted, key, tweak_context=context) == value


@given(key=keys, value=separated(st.text(string.digits + string.ascii_uppercase, min_size=4, max_size=36)))
def test_fpe_alphanumeric_round_trip(key: Key, value: str) -> None:
    alphabet = string.digits + string.ascii_uppercase
    if sum(c in alphabet for c in value) > 36:  # a separator "Ab" brings one more encryptable "A"
        with pytest.raises(ValueError, match="too long for format-preserving encryption"):
            fpe_encrypt(value, key, alphabet="alphanumeric")
        return
    encrypted = fpe_encrypt(value, key, alphabet="alphanumeric")
    assert_same_shape(value, encrypted, string.digits + string.ascii_uppercase)
    assert fpe_decrypt(encrypted, key, alphabet="alphanumeric") == value


@given(pair=_distinct_keys(), value=st.text(string.digits, min_size=12, max_size=20))
def test_fpe_separates_keys(pair: tuple[Key, Key], value: str) -> None:
    a, b = pair
    assert fpe_encrypt(value, a) != fpe_encrypt(value, b)


@given(
    key=keys,
    value=st.text(string.digits, min_size=12, max_size=20),
    contexts=st.lists(entities, min_size=2, max_size=2, unique=True),
)
def test_fpe_separates_tweak_contexts(key: Key, value: str, contexts: list[str]) -> None:
    c1, c2 = contexts
    assert fpe_encrypt(value, key, tweak_context=c1) != fpe_encrypt(value, key, tweak_context=c2)


@given(key=keys, card=card_numbers())
def test_fpe_luhn_output_is_luhn_valid(key: Key, card: str) -> None:
    encrypted = fpe_encrypt(card, key, tweak_context="CREDIT_CARD", checksum="luhn")
    assert_same_shape(card, encrypted, string.digits)
    assert luhn.is_valid(encrypted.replace(" ", ""))
    assert fpe_decrypt(encrypted, key, tweak_context="CREDIT_CARD", checksum="luhn") == card


@given(key=keys, account=ibans())
def test_fpe_iban_output_is_a_valid_iban_of_the_same_country(key: Key, account: str) -> None:
    assert iban.is_valid(account, check_country=False)
    if sum(c.isdigit() for c in iban.compact(account)[4:]) < 6:  # e.g. a Maltese BBAN of mostly letters
        with pytest.raises(ValueError, match="too short"):
            fpe_encrypt(account, key, checksum="iban")
        return
    encrypted = fpe_encrypt(account, key, tweak_context="IBAN_CODE", checksum="iban")
    # Structure (letters stay letters), country and IBAN check digits; national BBAN check digits (BE, ES,
    # NO, ...) are not recomputed, hence check_country=False.
    assert iban.is_valid(encrypted, check_country=False)
    assert encrypted[:2] == account[:2]
    assert_same_shape(account, encrypted, string.digits)
    assert fpe_decrypt(encrypted, key, tweak_context="IBAN_CODE", checksum="iban") == account


@pytest.mark.parametrize(
    ("value", "alphabet", "ok"),
    [
        ("12-345", "digits", False),
        ("123456", "digits", True),
        ("1" * 56, "digits", True),
        ("1" * 57, "digits", False),
        ("AB1", "alphanumeric", False),
        ("AB1z", "alphanumeric", False),  # lower-case is not in the alphabet: 3 encryptable chars
        ("AB12", "alphanumeric", True),
        ("A" * 36, "alphanumeric", True),
        ("A" * 37, "alphanumeric", False),
    ],
)
def test_fpe_length_limits(value: str, alphabet: str, ok: bool) -> None:
    if ok:
        assert fpe_decrypt(fpe_encrypt(value, DEMO, alphabet=alphabet), DEMO, alphabet=alphabet) == value
    else:
        with pytest.raises(ValueError, match=r"^too (short|long) for format-preserving encryption: \d+ encryptable"):
            fpe_encrypt(value, DEMO, alphabet=alphabet)


def test_fpe_refuses_bad_parameters_and_invalid_checksummed_input() -> None:
    with pytest.raises(ValueError, match="not a valid luhn number"):
        fpe_encrypt("4111 1111 1111 1112", DEMO, checksum="luhn")
    with pytest.raises(ValueError, match="not a valid iban number"):
        fpe_encrypt("GB00 WEST 1234 5698 7654 32", DEMO, checksum="iban")
    with pytest.raises(ValueError, match="needs alphabet 'digits'"):
        fpe_encrypt("GB82WEST12345698765432", DEMO, alphabet="alphanumeric", checksum="iban")
    with pytest.raises(ValueError, match="expected one of digits, alphanumeric"):
        fpe_encrypt("123456", DEMO, alphabet="hex")
    with pytest.raises(ValueError, match="expected one of luhn, iban"):
        fpe_encrypt("123456", DEMO, checksum="mod11")


def test_fpe_keeps_phone_punctuation() -> None:
    encrypted = fpe_encrypt("+44 20 7946 0958", DEMO, tweak_context="PHONE_NUMBER")
    assert re.fullmatch(r"\+\d\d \d\d \d{4} \d{4}", encrypted)


# --- date shift -------------------------------------------------------------------------------------------

days = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))


@given(key=keys, subject=st.text(), d1=days, d2=days, max_days=st.integers(1, 1000))
def test_date_shift_is_one_nonzero_offset_per_subject(
    key: Key, subject: str, d1: date, d2: date, max_days: int
) -> None:
    offset = date_shift(d1, subject, key, max_days) - d1
    assert offset == date_shift(d2, subject, key, max_days) - d2
    assert offset != timedelta(0) and abs(offset.days) <= max_days


@given(key=keys, subject=st.text(), day=days, clock=st.times(), utc=st.booleans())
def test_date_shift_keeps_type_and_format(key: Key, subject: str, day: date, clock: time, utc: bool) -> None:
    offset = date_shift(day, subject, key) - day
    shifted = date_shift(day, subject, key)
    assert type(shifted) is date
    moment = datetime.combine(day, clock, timezone.utc if utc else None)
    assert date_shift(moment, subject, key) == moment + offset
    assert date_shift(day.isoformat(), subject, key) == shifted.isoformat()
    for sep, suffix in (("T", "Z"), (" ", ""), ("T", "+02:00")):
        text = f"{day.isoformat()}{sep}{clock.isoformat()}{suffix}"
        assert date_shift(text, subject, key) == f"{shifted.isoformat()}{sep}{clock.isoformat()}{suffix}"


def test_date_shift_refuses_what_it_cannot_shift() -> None:
    for bad in ("31/01/2020", "2020-02-30", "2020-01-31 and more", " 2020-01-31"):
        with pytest.raises(ValueError, match="not a date"):
            date_shift(bad, "s", DEMO)
    with pytest.raises(ValueError, match="max_days"):
        date_shift(date(2020, 1, 1), "s", DEMO, max_days=0)
    with pytest.raises(ValueError, match="out of range"):
        date_shift(date.max, "patient-1", DEMO)  # patient-1 moves forward (see the golden values)


# --- generalize -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind", "params", "expected"),
    [
        ("1980-05-17", "year", {}, "1980"),
        (date(1980, 5, 17), "year", {}, "1980"),
        ("1980-05-17T10:20:00Z", "month", {}, "1980-05"),
        (datetime(1980, 5, 17, 10), "month", {}, "1980-05"),
        ("17/05/1980", "year", {}, None),
        (1980, "year", {}, None),
        (34, "age_band", {}, "30-39"),
        ("34", "age_band", {}, "30-39"),
        (39.9, "age_band", {}, "30-39"),
        (89, "age_band", {}, "80-89"),
        (90, "age_band", {}, "90+"),
        (104, "age_band", {}, "90+"),
        (87, "age_band", {"band": 7}, "84-89"),
        (32, "age_band", {"band": 5}, "30-34"),
        (-1, "age_band", {}, None),
        ("n/a", "age_band", {}, None),
        (float("nan"), "age_band", {}, None),
        (True, "age_band", {}, None),
        ("192.168.10.7", "ipv4_24", {}, "192.168.10.0/24"),
        ("2001:db8:abcd:12::1", "ipv4_24", {}, "2001:db8:abcd::/48"),
        ("999.1.1.1", "ipv4_24", {}, None),
        ("SW1A 1AA", "postcode_prefix", {}, "SW1"),
        ("94103", "postcode_prefix", {}, "941"),
        ("sw1a 1aa", "postcode_prefix", {"chars": 4}, "SW1A"),
        ("9", "postcode_prefix", {}, None),
        ("john@Example.com", "email_domain", {}, "*@example.com"),
        ("not an email", "email_domain", {}, None),
        ("@example.com", "email_domain", {}, None),
    ],
)
def test_generalize(value: object, kind: str, params: dict[str, int], expected: str | None) -> None:
    assert generalize(value, kind, **params) == expected  # type: ignore[arg-type]


@given(age=st.integers(0, 150), band=st.integers(1, 30))
def test_age_band_contains_the_age(age: int, band: int) -> None:
    label = generalize(age, "age_band", band=band)
    assert label is not None
    if age >= 90:
        assert label == "90+"
    else:
        low, high = map(int, label.split("-"))
        assert low <= age <= high <= 89 and low % band == 0


def test_generalize_refuses_unknown_kinds_and_bad_parameters() -> None:
    with pytest.raises(ValueError, match="expected one of " + ", ".join(sorted(KINDS))):
        generalize("x", "decade")
    with pytest.raises(ValueError, match="band"):
        generalize(30, "age_band", band=0)
    with pytest.raises(ValueError, match="chars"):
        generalize("SW1A", "postcode_prefix", chars=0)
