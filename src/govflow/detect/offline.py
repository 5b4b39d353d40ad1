"""Keep Presidio's dependencies from phoning home.

Presidio's EmailRecognizer validates domains with `tldextract.extract`, whose module-level extractor
fetches the public-suffix list over the network on first use. Sovereignty software must not do that,
so the module-level extractor is replaced by one that only reads tldextract's bundled snapshot.
"""

from __future__ import annotations

import tldextract
import tldextract.tldextract as _tld

_OFFLINE = False


def ensure_offline_tldextract() -> None:
    global _OFFLINE
    if _OFFLINE:
        return
    _tld.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)
    _OFFLINE = True
