"""Source documents and the spans of their text that facts quote.

Offsets are code points (Python ``str`` indices), end exclusive, as NIF counts them.

>>> doc = Document("d", "前言。湘潭市岳塘区，位于长株潭。", title_zh="t", title_en="t", author=None, year=2024, path="x")
>>> doc.find("岳塘区")
Span(start=6, end=9)
"""

import difflib
import hashlib
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataError
from ..literals import find_forbidden


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Document:
    id: str
    text: str
    title_zh: str
    title_en: str
    author: str | None
    year: int
    path: str
    language: str = "zh"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def find(self, quote: str, occurrence: int | None = None, where: str | None = None) -> Span:
        """The span of ``quote`` in the text; ``occurrence`` (1-based) picks one of several."""
        if not quote:
            raise DataError("empty quote", where)
        starts = occurrences(self.text, quote)
        if not starts:
            raise DataError(
                f"quote not found in {self.path}: {quote!r}; closest passage: {self.closest(quote)!r}", where
            )
        if occurrence is None:
            if len(starts) > 1:
                raise DataError(
                    f"quote {quote!r} occurs {len(starts)} times in {self.path} (at code points "
                    f"{', '.join(map(str, starts))}): add occurrence: 1..{len(starts)} or lengthen the quote",
                    where,
                )
            occurrence = 1
        if not 1 <= occurrence <= len(starts):
            raise DataError(f"occurrence {occurrence} of {quote!r}: it occurs {len(starts)} time(s)", where)
        start = starts[occurrence - 1]
        return Span(start, start + len(quote))

    def closest(self, quote: str) -> str:
        """The passage of the text that best matches ``quote``, to show with a quote that is not found."""
        width = len(quote)
        best, best_ratio = "", -1.0
        matcher = difflib.SequenceMatcher(autojunk=False)
        matcher.set_seq2(quote)
        for start in range(max(1, len(self.text) - width + 1)):
            window = self.text[start : start + width]
            matcher.set_seq1(window)
            if matcher.real_quick_ratio() <= best_ratio or matcher.quick_ratio() <= best_ratio:
                continue
            ratio = matcher.ratio()
            if ratio > best_ratio:
                best, best_ratio = window, ratio
        return best


def occurrences(text: str, quote: str) -> list[int]:
    """Every start offset of ``quote`` in ``text``, overlapping ones included."""
    found, start = [], text.find(quote)
    while start != -1:
        found.append(start)
        start = text.find(quote, start + 1)
    return found


_DOCUMENT_KEYS = {"id", "file", "title_zh", "title_en", "year"}


def load_document(root: Path, entry: dict, where: str) -> Document:
    """Read one document of ``sources.yaml``, checking its bytes against the recorded hash."""
    missing = sorted(_DOCUMENT_KEYS - entry.keys())
    if missing:
        raise DataError(f"document is missing {', '.join(missing)}", where)
    if not isinstance(entry["year"], int) or isinstance(entry["year"], bool):
        raise DataError(f"year must be a year such as 2024, got {entry['year']!r}", where)
    path = root / str(entry["file"])
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DataError(f"cannot read source document {path}: {error.strerror}", where) from None
    digest = hashlib.sha256(data).hexdigest()
    if entry.get("sha256") and digest != entry["sha256"]:
        raise DataError(f"{path} has sha256 {digest}, sources.yaml expects {entry['sha256']}", where)
    rel = str(Path("graph_data") / str(entry["file"]))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise DataError(f"byte 0x{data[error.start]:02X} is not UTF-8: save the document as UTF-8",
                        f"{rel}:{line}") from None
    found = find_forbidden(text)
    if found:  # the text is a literal of the graph (nif:isString): it must be publishable in every format
        offset, character = found
        raise DataError(f"{character} at code point {offset} may not be in a source document",
                        f"{rel}:{text.count(chr(10), 0, offset) + 1}")
    return Document(
        id=str(entry["id"]),
        text=text,
        title_zh=str(entry["title_zh"]),
        title_en=str(entry["title_en"]),
        author=entry.get("author"),
        year=entry["year"],
        path=rel,
        language=entry.get("language", "zh"),
    )
