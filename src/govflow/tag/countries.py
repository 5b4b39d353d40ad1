"""Country names and codes as they appear in declared columns ("DE", "de", "Germany", "UK")."""

from __future__ import annotations

from functools import cache

import phonenumbers
from phonenumbers import geocoder

# Names people write that are not phonenumbers' English display names.
_ALIASES = {
    "UK": "GB",
    "GREAT BRITAIN": "GB",
    "ENGLAND": "GB",
    "SCOTLAND": "GB",
    "WALES": "GB",
    "NORTHERN IRELAND": "GB",
    "USA": "US",
    "U.S.": "US",
    "U.S.A.": "US",
    "UNITED STATES OF AMERICA": "US",
    "AMERICA": "US",
    "KOREA": "KR",
    "REPUBLIC OF KOREA": "KR",
    "RUSSIAN FEDERATION": "RU",
    "PEOPLE'S REPUBLIC OF CHINA": "CN",
    "PRC": "CN",
    "DEUTSCHLAND": "DE",
    "HOLLAND": "NL",
    "THE NETHERLANDS": "NL",
    "KSA": "SA",
    "UAE": "AE",
    "SWITZERLAND": "CH",
    "BRASIL": "BR",
    "ESPAÑA": "ES",
    "ITALIA": "IT",
    "POLSKA": "PL",
}


@cache
def _names() -> dict[str, str]:
    """Upper-cased English name or code → ISO 3166-1 alpha-2, from phonenumbers' bundled metadata."""
    table: dict[str, str] = {}
    for region in phonenumbers.SUPPORTED_REGIONS:
        table[region] = region
        example = phonenumbers.example_number(region)
        if example is not None:
            name = geocoder.country_name_for_number(example, "en")
            if name:
                table.setdefault(name.upper(), region)
    table.update(_ALIASES)
    return table


def normalise_country(value: object) -> str | None:
    """ISO alpha-2 for a declared country value, None when it names no country we know."""
    if value is None:
        return None
    text = str(value).strip().upper()
    return _names().get(text) if text else None
