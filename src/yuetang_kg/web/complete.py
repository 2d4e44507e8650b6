"""Autocompletion from our own graph, offline: the prefixes the site declares, the classes and properties of
the ontology (with their zh/en labels) and every entity by hanzi, pinyin (tones optional), English or id.
Served at ``/complete.json?q=…[&kind=entity|class|property|prefix][&limit=N]`` to the query editor.

The index is built once, with the explorer's data: every spelling of every term as a search key
(``project.search_key``), and every suffix of every key in one sorted list, so that a keystroke costs two
binary searches and a walk over the keys that match, never a scan of the graph. Ranked as the CLI's name
matching ranks (``analytics.match_rank``): exact, then prefix, then infix; names before other spellings; the
shorter key first.

>>> index = Index([Term("x:a", "entity", "七星村", "Qixing Village", "Qīxīng Cūn", spellings=("七星村", "Qīxīng Cūn"))])
>>> [t.iri for t in index.find("qixing")], [t.iri for t in index.find("星")], index.find("zz")
(['x:a'], ['x:a'], [])
"""

from bisect import bisect_left
from dataclasses import dataclass, field

import networkx as nx
from rdflib import OWL, RDF, RDFS, Graph, URIRef
from rdflib.namespace import SKOS
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..namespaces import NIF, PREFIXES
from ..project import labels, search_key
from . import inputs

KINDS = ("entity", "class", "property", "prefix")
_KIND_ORDER = {kind: number for number, kind in enumerate(("prefix", "class", "property", "entity"))}
CLASS_TYPES = (OWL.Class, RDFS.Class)
PROPERTY_TYPES = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDF.Property)
# Terms of other vocabularies that the catalogue's queries use on every page, named here in both languages.
COMMON_PROPERTIES = {
    RDF.type: ("类型", "type"),
    RDFS.label: ("标签", "label"),
    RDFS.comment: ("注释", "comment"),
    SKOS.prefLabel: ("首选标签", "preferred label"),
    SKOS.altLabel: ("别名", "alternative label"),
    RDF.subject: ("陈述的主语", "statement subject"),
    RDF.predicate: ("陈述的谓语", "statement predicate"),
    RDF.object: ("陈述的宾语", "statement object"),
    NIF.anchorOf: ("引文", "quote (anchor of)"),
    NIF.beginIndex: ("起始位置", "begin index"),
    NIF.endIndex: ("结束位置", "end index"),
}
# A one-letter query matches most keys somewhere inside; past this many candidate keys the infix walk stops
# (prefix matches, which rank first, are always complete).
MAX_INFIX_WALK = 20_000
DEFAULT_LIMIT, MAX_LIMIT = 10, 50


@dataclass(frozen=True)
class Term:
    iri: str
    kind: str
    label_zh: str
    label_en: str
    pinyin: str = ""
    curie: str = ""
    type_zh: str = ""
    type_en: str = ""
    spellings: tuple[str, ...] = ()  # names first
    aliases: tuple[str, ...] = field(default=())  # other spellings (skos:altLabel, ids), ranked after names

    def as_json(self) -> dict:
        return {"iri": self.iri, "kind": self.kind, "label_zh": self.label_zh, "label_en": self.label_en,
                "pinyin": self.pinyin, "curie": self.curie, "type_zh": self.type_zh, "type_en": self.type_en}


class Index:
    """Terms by every suffix of every spelling's search key."""

    def __init__(self, terms: list[Term]):
        self.terms = terms
        prefixes, suffixes = [], []
        for number, term in enumerate(terms):
            for alias, spelling in [(0, s) for s in term.spellings] + [(1, s) for s in term.aliases]:
                key = search_key(spelling)
                if not key:
                    continue
                prefixes.append((key, alias, number))
                suffixes += [(key[i:], alias, len(key), number) for i in range(1, len(key))]
        self._prefixes = sorted(set(prefixes))
        self._suffixes = sorted(set(suffixes))
        self._prefix_keys = [p[0] for p in self._prefixes]
        self._suffix_keys = [s[0] for s in self._suffixes]

    def find(self, text: str, kind: str | None = None, limit: int = DEFAULT_LIMIT) -> list[Term]:
        wanted = search_key(text)
        if not wanted:
            return []
        best: dict[int, tuple] = {}

        def consider(number: int, rank: tuple) -> None:
            if (kind is None or self.terms[number].kind == kind) and rank < best.get(number, (9,)):
                best[number] = rank

        start = bisect_left(self._prefix_keys, wanted)
        for key, alias, number in self._prefixes[start:]:
            if not key.startswith(wanted):
                break
            consider(number, (0 if key == wanted else 1, alias, len(key)))
        start = bisect_left(self._suffix_keys, wanted)
        for key, alias, length, number in self._suffixes[start : start + MAX_INFIX_WALK]:
            if not key.startswith(wanted):
                break
            consider(number, (2, alias, length))
        ranked = sorted(best, key=lambda n: (best[n], _KIND_ORDER[self.terms[n].kind], self.terms[n].iri))
        return [self.terms[n] for n in ranked[:limit]]


def curie_of(iri: str) -> str:
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(str(namespace)) and len(iri) > len(str(namespace)):
            local = iri[len(str(namespace)) :]
            # A prefixed name's local part may not hold '/' unescaped: such IRIs are inserted whole.
            return f"{prefix}:{local}" if local.replace("_", "a").replace("-", "a").isalnum() else ""
    return ""


def _ontology_terms(ontology: Graph) -> list[Term]:
    found = {}
    for kind, types in (("class", CLASS_TYPES), ("property", PROPERTY_TYPES)):
        for rdf_type in types:
            for node in ontology.subjects(RDF.type, rdf_type):
                if isinstance(node, URIRef) and str(node) not in found:
                    names = labels(ontology, node)
                    found[str(node)] = (kind, names.get("zh", ""), names.get("en", names.get("", "")))
    for node, (zh, en) in COMMON_PROPERTIES.items():
        found.setdefault(str(node), ("property", zh, en))
    terms = []
    for iri, (kind, zh, en) in sorted(found.items()):
        curie = curie_of(iri)
        local = curie.partition(":")[2] or iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        terms.append(Term(iri, kind, zh or local, en or local, curie=curie,
                          spellings=tuple(s for s in (zh, en, local) if s), aliases=(curie,) if curie else ()))
    return terms


def _entity_terms(projection: nx.MultiDiGraph) -> list[Term]:
    terms = []
    for node, a in projection.nodes(data=True):
        names = (a["label_zh"], a["label_en"], a["pinyin"], a["pinyin_plain"])
        terms.append(Term(a["iri"], "entity", a["label_zh"], a["label_en"], a["pinyin"], type_zh=a["type_zh"],
                          type_en=a["type_en"], spellings=tuple(n for n in names if n),
                          aliases=(*a["aka"], a["slug"])))
    return terms


def build_index(projection: nx.MultiDiGraph, ontology: Graph) -> Index:
    """The completion index of a graph's entities, its ontology's classes and properties, and our prefixes."""
    prefixes = [Term(str(namespace), "prefix", prefix, prefix, curie=f"{prefix}:", spellings=(prefix,))
                for prefix, namespace in sorted(PREFIXES.items())]
    return Index(prefixes + _ontology_terms(ontology) + _entity_terms(projection))


def routes(loader) -> list[Route]:
    async def complete(request: Request) -> Response:
        try:
            inputs.check_query_string(request.url.query)
            text = inputs.text(request.query_params, "q")
            kind = inputs.choice(request.query_params, "kind", KINDS)
            limit = inputs.integer(request.query_params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        except inputs.BadInput as error:
            return inputs.refusal(error)
        index = (await loader.ready()).completions
        found = await run_in_threadpool(index.find, text, kind, limit)
        return JSONResponse([term.as_json() for term in found])

    return [Route("/complete.json", complete)]
