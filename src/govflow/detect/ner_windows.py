"""How much of a text spaCy's NER must read to tag some of its sentences as it would in the whole text.

The name check (`name_check.name_regions`) finds the sentences of a note that may hold a name; NER then
need not read the others. Read alone, though, a short sentence is tagged differently: a name that opens
it has no words before it (``Box arrived. Anna came.``: the small model tags ``Anna`` only with
``arrived.`` before it). A CNN tagger sees a bounded neighbourhood: each token's vector is built from
``depth * window_size`` tokens either side (spaCy's ``MaxoutWindowEncoder``; 4 for en_core_web_sm), and
the NER transition system decides at a token from its vector, the previous token's and the open
entity's first token's (without ``extra_state_tokens``). So each sentence is read with one word more
than that on either side (a word of text is at least one token), and only the entities that reach into
the sentences themselves are kept. A pipeline whose NER sees further (a transformer, a tok2vec shared
through a listener, an architecture not listed here) reads whole texts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import regex

_WORD = regex.compile(r"\S+")
# How far to look for the words around a sentence, per word wanted (bounded: a long text stays linear).
_LOOK_PER_WORD = 64
_CNN_TOK2VEC = {"spacy.Tok2Vec.v1", "spacy.Tok2Vec.v2", "spacy.HashEmbedCNN.v1", "spacy.HashEmbedCNN.v2"}
_WINDOW_ENCODERS = {
    "spacy.MaxoutWindowEncoder.v1",
    "spacy.MaxoutWindowEncoder.v2",
    "spacy.MishWindowEncoder.v1",
    "spacy.MishWindowEncoder.v2",
}

Window = tuple[int, int, tuple[tuple[int, int], ...]]


def context_words(nlp: Any) -> int | None:
    """Words of text to read on either side of a sentence so NER tags it as in the whole text; None when
    the pipeline's NER is not a CNN of known reach (then it reads whole texts)."""
    if "ner" not in nlp.pipe_names:
        return None
    model = nlp.config["components"]["ner"].get("model", {})
    tok2vec = model.get("tok2vec", {})
    architecture = tok2vec.get("@architectures")
    if model.get("@architectures") != "spacy.TransitionBasedParser.v2" or architecture not in _CNN_TOK2VEC:
        return None
    if model.get("extra_state_tokens") is not False:  # extra state tokens look further along the text
        return None
    encoder = tok2vec.get("encode", {}) if architecture.startswith("spacy.Tok2Vec") else tok2vec
    if architecture.startswith("spacy.Tok2Vec") and encoder.get("@architectures") not in _WINDOW_ENCODERS:
        return None
    depth, window = encoder.get("depth"), encoder.get("window_size")
    if not isinstance(depth, int) or not isinstance(window, int):
        return None
    return depth * window + 1


def windows(text: str, regions: Sequence[tuple[int, int]], words: int | None) -> list[Window]:
    """(start, end, regions inside) of the stretches of `text` NER reads: each region with `words` words
    either side (or up to the text's ends), overlapping stretches joined. Stretches start and end at blanks,
    so spaCy cuts them into the same tokens as the whole text. The whole text is the one stretch when
    `words` is None (a model of unknown reach) or the words around a region run longer than a bounded look
    finds (only runs of very long words do)."""
    whole = [(0, len(text), tuple(regions))]
    if words is None:
        return whole
    reach = _LOOK_PER_WORD * words
    out: list[tuple[int, int, list[tuple[int, int]]]] = []
    for start, end in regions:
        low, high = max(0, start - reach), min(len(text), end + reach)
        # A look that starts or stops inside the text may cut its outermost word: that one does not count.
        before = [m.start() for m in _WORD.finditer(text, low, start)][1 if low else 0 :]
        after = [m.end() for m in _WORD.finditer(text, end, high)][: -1 if high < len(text) else None]
        if (len(before) < words and low) or (len(after) < words and high < len(text)):
            return whole
        first = before[-words] if len(before) >= words else 0
        last = after[words - 1] if len(after) >= words else len(text)
        if out and first <= out[-1][1]:
            out[-1][2].append((start, end))
            out[-1] = (out[-1][0], max(last, out[-1][1]), out[-1][2])
        else:
            out.append((first, last, [(start, end)]))
    return [(first, last, tuple(inside)) for first, last, inside in out]
