"""Generalisation: replace a value by the coarser group it belongs to (year, age band, /24 network, ...).

Unlike tokens or encryption, generalisation needs no key and cannot be reversed: it keeps what analytics
usually need (cohorts, regions, trends) while making individuals hard to single out. The bands follow
HIPAA Safe Harbor where it has a rule (ages over 89 are one group, "90+").

Every function is pure and total over its input: a value it cannot parse gives None, which the engine
treats as "redact", so an odd cell never raises mid-dataset. A wrong `kind` or parameter is a policy
mistake, not a data problem, and raises.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable
from datetime import date, datetime

__all__ = ["KINDS", "generalize", "split_iso_date"]

_ISO_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})([Tt ].+)?", re.DOTALL)


def split_iso_date(text: str) -> tuple[date, str] | None:
    """(date, rest) for an ISO 8601 date or date-time string in extended format (YYYY-MM-DD...), else None.

    `rest` is the time part exactly as written ("" for a date-only string), so callers that change only
    the date can rebuild the string in its original format. The whole string must still be a valid
    date-time: "2020-01-31 and more" is not a date.
    """
    match = _ISO_DATE.fullmatch(text)
    if match is None:
        return None
    rest = match.group(2) or ""
    try:
        day = date.fromisoformat(match.group(1))
        if rest:
            # Python 3.10's fromisoformat does not accept the "Z" (UTC) suffix.
            datetime.fromisoformat(text[:-1] + "+00:00" if text[-1] in "Zz" else text)
    except ValueError:
        return None
    return day, rest


def _as_date(value: object) -> date | None:
    if isinstance(value, date):  # datetime (and pandas.Timestamp) are dates too
        return value
    if isinstance(value, str):
        parsed = split_iso_date(value.strip())
        return parsed[0] if parsed else None
    return None


def _year(value: object) -> str | None:
    day = _as_date(value)
    return f"{day.year:04d}" if day else None


def _month(value: object) -> str | None:
    day = _as_date(value)
    return f"{day.year:04d}-{day.month:02d}" if day else None


def _age_band(value: object, band: int = 10) -> str | None:
    """Ages in bands of `band` years ("30-39"); 90 and over is always "90+" (HIPAA Safe Harbor)."""
    if isinstance(band, bool) or not isinstance(band, int) or band < 1:
        raise ValueError("generalize age_band: band must be a positive integer")
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        age = float(value)
    except ValueError:
        return None
    if not math.isfinite(age) or age < 0:
        return None
    if age >= 90:
        return "90+"
    low = int(age) // band * band
    return f"{low}-{min(low + band - 1, 89)}"


def _ip_prefix(value: object) -> str | None:
    """IPv4 → its /24 network, IPv6 → its /48 (a site): the usual granularity of geo-IP lookups."""
    if not isinstance(value, str):
        return None
    try:
        ip = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    return str(ipaddress.ip_network((ip.packed, 24 if ip.version == 4 else 48), strict=False))


def _postcode_prefix(value: object, chars: int = 3) -> str | None:
    """The first `chars` letters/digits, upper-cased ("SW1A 1AA" → "SW1", "94103" → "941").

    HIPAA's 3-digit ZIP rule also requires "000" for prefixes covering fewer than 20,000 people; that
    needs census data and is left to the policy (use a smaller `chars` or redact).
    """
    if isinstance(chars, bool) or not isinstance(chars, int) or chars < 1:
        raise ValueError("generalize postcode_prefix: chars must be a positive integer")
    if not isinstance(value, str):
        return None
    alnum = [c for c in value.upper() if c.isascii() and c.isalnum()]
    return "".join(alnum[:chars]) if len(alnum) >= chars else None


def _email_domain(value: object) -> str | None:
    """ "john@Example.com" → "*@example.com": domains are case-insensitive, so they group lower-cased."""
    if not isinstance(value, str):
        return None
    local, at, domain = value.strip().rpartition("@")
    if not (at and local and domain) or any(c.isspace() for c in domain):
        return None
    return "*@" + domain.lower()


KINDS: dict[str, Callable[..., str | None]] = {
    "year": _year,
    "month": _month,
    "age_band": _age_band,
    "ipv4_24": _ip_prefix,
    "postcode_prefix": _postcode_prefix,
    "email_domain": _email_domain,
}


def generalize(value: str | date | datetime | int | float, kind: str, **params: int) -> str | None:
    """The generalised form of `value` for `kind` (see `KINDS`), or None when `value` cannot be parsed.

    Parameters: `age_band` takes `band` (default 10), `postcode_prefix` takes `chars` (default 3).
    """
    try:
        function = KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown generalize kind {kind!r}: expected one of {', '.join(sorted(KINDS))}") from None
    return function(value, **params)
