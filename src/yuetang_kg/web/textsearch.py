"""Search in the source text itself: every source document, and so every quote the graph cites, by hanzi
(or any words as written) and by pinyin with or without tones (``qixing`` finds 七星 in 七星村 and in every
sentence that names it). Each hit is a code-point range of a document, shown in its sentence, linked to that
range highlighted in ``/article`` and to the facts whose evidence spans overlap it.

The pinyin of every character is computed once (pypinyin), when the explorer's index is built: per document,
the toneless syllables run together into one key string, with the syllable each letter belongs to, so that a
pinyin query is a substring search that must start on a syllable. The server holds neither the texts nor their
pinyin: a search reads the documents from the index one at a time, and the syllables only of those whose key
holds the query.

>>> index = TextIndex.of([Source("d", "doc", "湘潭市岳塘区，七星村。")])
>>> [(h["begin"], h["end"], h["quote"]) for h in index.find("qixing")]
[(7, 9, '七星')]
>>> [(h["begin"], h["end"]) for h in index.find("岳塘")]
[(3, 5)]
"""

import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pypinyin import lazy_pinyin

from ..explore.project import search_key
from .article import context

MAX_HITS = 50


class Pinyin:
    """One document's toneless pinyin: ``key`` all syllables run together; ``starts[i]`` where syllable i
    begins in ``key``; ``chars[i]`` the code point of the text it reads."""

    def __init__(self, text: str = "", key: str | None = None, starts: list[int] = (), chars: list[int] = ()):
        if key is not None:  # as the index stored it
            self.key, self.starts, self.chars = key, list(starts), list(chars)
            return
        self.key, self.starts, self.chars = "", [], []
        pieces = lazy_pinyin(text, errors=lambda chunk: [None] * len(chunk))
        if len(pieces) != len(text):
            raise RuntimeError("pypinyin gave a reading per chunk, not per character: offsets would drift")
        for position, piece in enumerate(pieces):
            syllable = search_key(piece) if piece is not None else ""
            if syllable:
                self.starts.append(len(self.key))
                self.chars.append(position)
                self.key += syllable

    def find(self, wanted: str) -> list[tuple[int, int]]:
        """Character ranges whose pinyin starts on a syllable with ``wanted`` (the last syllable may be cut)."""
        found, at = [], self.key.find(wanted)
        while at >= 0:
            first = bisect_right(self.starts, at) - 1
            if self.starts[first] == at:
                last = bisect_right(self.starts, at + len(wanted) - 1) - 1
                found.append((self.chars[first], self.chars[last] + 1))
            at = self.key.find(wanted, at + 1)
        return found


@dataclass(frozen=True)
class Source:
    iri: str
    slug: str
    text: str


def _no_spans(document: str, begin: int, end: int) -> list[dict]:
    return []


class TextIndex:
    """Search over ``sources(key)``: the documents in order, each with whether its pinyin holds ``key``;
    ``reading(iri)`` gives a document's pinyin, and ``spans_over(document, begin, end)`` the spans over a hit."""

    def __init__(self, sources: Callable[[str], Iterable[tuple[Source, bool]]], reading: Callable[[str], Pinyin],
                 spans_over: Callable[[str, int, int], list[dict]] = _no_spans):
        self.sources, self.reading, self.spans_over = sources, reading, spans_over

    @classmethod
    def of(cls, sources: list[Source]) -> "TextIndex":
        """Over documents held in memory, their pinyin computed now."""
        readings = {s.iri: Pinyin(s.text) for s in sources}
        return cls(lambda key: [(s, key in readings[s.iri].key) for s in sources], readings.__getitem__)

    def find(self, text: str, limit: int = MAX_HITS) -> list[dict]:
        """Hits in text order per document: the words as written, else (for Latin letters) as pinyin."""
        wanted = text.strip()
        hits, key = [], pinyin_key(wanted)
        for source, spelled in self.sources(key):
            ranges = _occurrences(source.text, wanted)
            if not ranges and spelled and key.isascii() and key.isalpha():
                ranges = self.reading(source.iri).find(key)
            for begin, end in ranges[: limit - len(hits)]:
                before, quote, after = context(source.text, begin, end)
                hits.append({"document": source.iri, "slug": source.slug, "begin": begin, "end": end,
                             "before": before, "quote": quote, "after": after,
                             "href": f"/article/{source.slug}?mark={begin},{end}#hit",
                             "spans": self.spans_over(source.iri, begin, end)})
            if len(hits) >= limit:
                break
        return hits


def pinyin_key(text: str) -> str:
    """Pinyin as the index holds it: toneless, lower case, ü written v (as pypinyin and pinyin keyboards do).

    >>> pinyin_key("Lǜxīn"), pinyin_key("lüxin"), pinyin_key("lvxin")
    ('lvxin', 'lvxin', 'lvxin')
    """
    decomposed = unicodedata.normalize("NFKD", text).replace("u\u0308", "v").replace("U\u0308", "v")
    return search_key(decomposed)


def _occurrences(text: str, wanted: str) -> list[tuple[int, int]]:
    """Every place ``wanted`` occurs in ``text``, Latin letters in any case."""
    haystack, needle = text.casefold(), wanted.casefold()
    if not needle or len(haystack) != len(text):
        haystack, needle = text, wanted  # casefold changed lengths (ß …): offsets must stay the text's
    found, at = [], haystack.find(needle)
    while at >= 0:
        found.append((at, at + len(needle)))
        at = haystack.find(needle, at + 1)
    return found
