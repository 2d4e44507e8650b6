"""Autocompletion from our own graph, offline: the prefixes the site declares, the classes and properties of
the ontology (with their zh/en labels) and every entity by hanzi, pinyin (tones optional), English or id.
Served at ``/complete.json?q=…[&kind=entity|class|property|prefix][&limit=N]`` to the query editor.

The terms and every spelling's search key (``project.search_key``) are written into the explorer's index at
build time (``terms_of``); a keystroke is a lookup there (``index.Index.find``), never a scan of the graph.
Ranked as the CLI's name matching ranks (``analytics.match_rank``): exact, then prefix, then infix; names before
other spellings; the shorter key first.
"""

from dataclasses import dataclass, field

import networkx as nx
from rdflib import OWL, RDF, RDFS, Graph, URIRef
from rdflib.namespace import SKOS
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..explore.index import Index
from ..explore.project import labels
from ..namespaces import NIF, PREFIXES
from . import inputs

KINDS = ("entity", "class", "property", "prefix")
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
    aliases: tuple[str, ...] = field(default=())  # other spellings (skos:altLabel, curies), ranked after names
    ids: tuple[str, ...] = field(default=())  # the slug: completed like an other spelling

    def as_json(self) -> dict:
        return {"iri": self.iri, "kind": self.kind, "label_zh": self.label_zh, "label_en": self.label_en,
                "pinyin": self.pinyin, "curie": self.curie, "type_zh": self.type_zh, "type_en": self.type_en}


def find(index: Index, text: str, kind: str | None = None, limit: int = DEFAULT_LIMIT) -> list[dict]:
    """The terms ``text`` spells, best first (``index.Index.find``), as ``/complete.json`` lists them."""
    found = index.find(text, (kind,) if kind else KINDS, limit)
    terms = index.terms(iri for iri, _ in found)
    return [terms[iri] for iri, _ in found if iri in terms]


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
                          aliases=tuple(a["aka"]), ids=(a["slug"],)))
    return terms


def terms_of(projection: nx.MultiDiGraph, ontology: Graph) -> list[Term]:
    """What completes: a graph's entities, its ontology's classes and properties, and our prefixes (written into
    the explorer's index at build time)."""
    prefixes = [Term(str(namespace), "prefix", prefix, prefix, curie=f"{prefix}:", spellings=(prefix,))
                for prefix, namespace in sorted(PREFIXES.items())]
    return prefixes + _ontology_terms(ontology) + _entity_terms(projection)


def routes(loader) -> list[Route]:
    async def complete(request: Request) -> Response:
        try:
            inputs.check_query_string(request.url.query)
            text = inputs.text(request.query_params, "q")
            kind = inputs.choice(request.query_params, "kind", KINDS)
            limit = inputs.integer(request.query_params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        except inputs.BadInput as error:
            return inputs.refusal(error)
        index = (await loader.ready()).index
        return JSONResponse(await run_in_threadpool(find, index, text, kind, limit))

    return [Route("/complete.json", complete)]
