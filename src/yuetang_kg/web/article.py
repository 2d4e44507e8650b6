"""The annotated article: a source document's text with every anchored span (``ykg:TextSpan``) highlighted and
linked to the fact or entity it is evidence for, and quotes shown in the context of their sentence.

Spans overlap and nest (a fact's quote often contains an entity's name). The text is cut at every span
boundary into segments; each segment is one link to its innermost (shortest) span's page and lists every
span that covers it, so no span is lost and no link is nested in another.
"""

from dataclasses import dataclass
from itertools import pairwise

from markupsafe import Markup, escape
from rdflib import RDF, RDFS, Graph, URIRef
from rdflib.namespace import DCTERMS

from ..explore.project import kind_and_slug, span_info
from ..namespaces import NIF, YKG
from .resources import Labels, fact_label, local_path

SENTENCE_ENDS = "。！？!?\n"


@dataclass(frozen=True)
class Document:
    iri: str
    slug: str
    title_zh: str
    title_en: str
    text: str


def documents(data: Graph) -> dict[str, Document]:
    """Every source document whose text is in the graph, by IRI."""
    found = {}
    for node in sorted(data.subjects(RDF.type, YKG.SourceDocument), key=str):
        text = data.value(node, NIF.isString)
        if text is None or not kind_and_slug(str(node)):
            continue
        titles = {t.language: str(t) for t in data.objects(node, DCTERMS.title)}
        titles = titles or {t.language: str(t) for t in data.objects(node, RDFS.label)}
        found[str(node)] = Document(
            str(node), kind_and_slug(str(node))[1], titles.get("zh", ""), titles.get("en", ""), str(text)
        )
    return found


def context(text: str, begin: int, end: int, limit: int = 120) -> tuple[str, str, str]:
    """The quote ``text[begin:end]`` with the rest of its sentence(s) before and after, at most ``limit``
    characters each way.

    >>> context("前言。湘潭市岳塘区，位于长株潭。后记", 6, 9)
    ('湘潭市', '岳塘区', '，位于长株潭。')
    """
    start = begin
    while start > 0 and begin - start < limit and text[start - 1] not in SENTENCE_ENDS:
        start -= 1
    stop = end
    while stop < len(text) and stop - end < limit and text[stop - 1] not in SENTENCE_ENDS:
        stop += 1
    return text[start:begin], text[begin:end], text[end:stop].rstrip("\n")


def quote_in_context(documents_by_iri: dict[str, Document], span: dict) -> dict:
    """A span as page data: the quote, its offsets and its sentence around it."""
    document = documents_by_iri.get(span["document"])
    before, quote, after = ("", span["quote"], "")
    if document is not None:
        before, quote, after = context(document.text, span["begin"], span["end"])
    return {
        **span,
        "before": before,
        "quote": quote,
        "after": after,
        "article_href": f"/article/{document.slug}#char={span['begin']},{span['end']}" if document else None,
    }


def span_targets(data: Graph, names: Labels) -> dict[str, list[dict]]:
    """For every span: the facts, observations and utterances it is evidence for, as links (declarations of an
    entity link to the entity itself), most specific first."""
    targets: dict[str, list[dict]] = {}
    for node, span in data.subject_objects(YKG.evidence):
        if (node, RDF.type, YKG.Statement) in data:
            fact = fact_label(data, node, names)
            if data.value(node, RDF.predicate) == RDF.type:
                entity = fact["subject"]
                target = {"href": entity["href"], "zh": entity["zh"], "en": entity["en"], "rank": 0}
            else:
                predicate = fact["predicate"]
                target = {
                    "href": fact["href"],
                    "rank": 2,
                    "zh": f"{fact['subject']['zh']} —{predicate['zh']}→ {_text(fact['object'], 'zh')}",
                    "en": f"{fact['subject']['en']} —{predicate['en']}→ {_text(fact['object'], 'en')}",
                }
        else:
            zh, en = names.of(node)
            target = {"href": local_path(str(node)), "zh": zh, "en": en, "rank": 1}
        targets.setdefault(str(span), []).append(target)
    return {
        span: sorted(found, key=lambda t: (t["rank"], t["href"] or "", t["zh"]))
        for span, found in targets.items()
    }


def _text(term: dict, lang: str) -> str:
    return term["text"] if term["kind"] == "literal" else term[lang]


def spans_of(data: Graph, document: Document) -> list[dict]:
    """The spans anchored in a document, in text order (longer first where they start together)."""
    spans = [span_info(data, s) for s in data.subjects(NIF.referenceContext, URIRef(document.iri))]
    return sorted(spans, key=lambda s: (s["begin"], -s["end"]))


def segments(text: str, spans: list[dict], cuts: tuple[int, ...] = ()) -> list[tuple[int, int, list[dict]]]:
    """The text cut at every span boundary (and at ``cuts``): (start, end, the spans covering it, innermost
    first).

    >>> [(a, b, [s["begin"] for s in c]) for a, b, c in segments("abcdef", [{"begin": 1, "end": 4}, {"begin": 2, "end": 3}])]
    [(0, 1, []), (1, 2, [1]), (2, 3, [2, 1]), (3, 4, [1]), (4, 6, [])]
    """
    bounds = sorted({0, len(text)} | {s["begin"] for s in spans} | {s["end"] for s in spans} | set(cuts))
    found = []
    for start, stop in pairwise(bounds):
        covering = [s for s in spans if s["begin"] <= start and stop <= s["end"]]
        covering.sort(key=lambda s: (s["end"] - s["begin"], s["begin"]))
        found.append((start, stop, covering))
    return found


def parse_mark(value: str | None, length: int) -> tuple[int, int] | None:
    """A ``?mark=BEGIN,END`` range of a text of ``length`` code points, or None when absent or invalid.

    >>> parse_mark("3,5", 10), parse_mark("5,3", 10), parse_mark("x", 10), parse_mark("3,11", 10)
    ((3, 5), None, None, None)
    """
    begin, _, end = (value or "").partition(",")
    if not (begin.isascii() and begin.isdigit() and end.isascii() and end.isdigit()) or len(value) > 24:
        return None
    return (int(begin), int(end)) if int(begin) < int(end) <= length else None


def annotate(text: str, spans: list[dict], targets: dict[str, list[dict]], mark: tuple[int, int] | None = None
             ) -> Markup:
    """The text as HTML: every covered segment a link to its innermost span's first target, carrying the
    offsets of every span over it; the ``mark`` range (a search hit) highlighted, its start anchored as
    ``#hit``; all text escaped."""
    parts = []
    for start, stop, covering in segments(text, spans, mark or ()):
        piece = escape(text[start:stop])
        if mark and mark[0] <= start and stop <= mark[1]:
            anchor = Markup(' id="hit"') if start == mark[0] else Markup("")
            piece = Markup('<mark class="hit"{}>{}</mark>').format(anchor, piece)
        if not covering:
            parts.append(piece)
            continue
        inner = covering[0]
        first = (targets.get(inner["span"]) or [{}])[0]
        href = first.get("href") or f"#span-{inner['begin']}-{inner['end']}"
        title = "\n".join(
            f"“{s['quote']}” → " + "; ".join(t["zh"] for t in targets.get(s["span"], [])[:3])
            for s in covering[:4]
        )
        keys = " ".join(f"{s['begin']}-{s['end']}" for s in covering)
        starts = "".join(
            f'<span id="char={s["begin"]},{s["end"]}"></span>' for s in covering if s["begin"] == start
        )
        parts.append(
            Markup(starts)
            + Markup('<a class="ev d{}" href="{}" data-spans="{}" title="{}">{}</a>').format(
                min(len(covering), 3), href, keys, title, piece
            )
        )
    return Markup("").join(parts)
