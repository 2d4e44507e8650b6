"""Exports of the graph — the data, the ontology or both — in every format of ``formats.FORMATS``.

Outputs depend only on the triples: blank nodes (the ontology has a few, in OWL unions) are relabelled from
their content, triples are handed to the writers in sorted order, and line formats are sorted, so the same
graph gives the same bytes in every process, whatever ``PYTHONHASHSEED`` is.

Named graphs (TriG, N-Quads): each source document's facts go into ``<…/graph/doc/<id>>``, what they share
into ``<…/graph/shared>``, the derived figures into ``<…/graph/derived>`` (the rule is in ``named_graphs``) and
the ontology into ``<…/graph/ontology>``, so a store loaded from one quad file still tells the documents apart,
and ABox from TBox. Triple formats hold the union.

>>> from rdflib import Graph, URIRef, Literal
>>> data = Graph().add((URIRef("https://w3id.org/yuetang-kg/id/place/x"), URIRef("http://schema.org/name"), Literal("岳塘")))
>>> export(data, Graph(), "data", FORMATS["nq"]).decode()
'<https://w3id.org/yuetang-kg/id/place/x> <http://schema.org/name> "岳塘" <https://w3id.org/yuetang-kg/graph/shared> .\\n'
"""

import re

import pyoxigraph as ox
from rdflib import RDF, BNode, Graph, URIRef
from rdflib.compare import to_canonical_graph

from .errors import DataError
from .formats import FORMATS, Format, check_xml, finish_rdfxml, sort_lines
from .jsonld import compact, context_of
from .named_graphs import ONTOLOGY_GRAPH, partition
from .namespaces import PREFIXES
from .store import to_oxigraph

# What can be exported, and the file name stem of each in the build output and under /downloads/.
WHAT = {"data": "yuetang", "ontology": "ontology", "all": "yuetang-all"}
# The parts each export is made of.
PARTS = {"data": ("data",), "ontology": ("ontology",), "all": ("data", "ontology")}


def check_what(what: str) -> str:
    if what not in WHAT:
        raise DataError(f"unknown part {what!r}; valid: {', '.join(WHAT)}", "--what")
    return what


def file_name(what: str, fmt: Format) -> str:
    """The published file name of an export: ``yuetang.ttl``, ``ontology.nt``, ``yuetang-all.trig`` …"""
    return WHAT[check_what(what)] + fmt.extension


def published_exports() -> list[tuple[str, Format]]:
    """The exports the build writes: data and ontology in every format; both together only in the quad
    formats, where the named graphs keep them apart (``export --what all`` gives the rest)."""
    return [(what, fmt) for what in WHAT for fmt in FORMATS.values() if what != "all" or fmt.quads]


def _bind(graph: Graph) -> None:
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, replace=True)


def canonical_triples(graph: Graph) -> list:
    """The triples in a fixed order, blank nodes relabelled from their content (rdflib.compare)."""
    has_bnodes = any(isinstance(term, BNode) for triple in graph for term in triple)
    source = to_canonical_graph(graph) if has_bnodes else graph
    return sorted(source, key=_order)


def _order(triple) -> tuple:
    """Subjects in order, each with its rdf:type first, as a reader of Turtle looks for it."""
    subject, predicate, obj = triple
    return (subject.n3(), predicate != RDF.type, predicate.n3(), obj.n3())


def graph_of(triples: list) -> Graph:
    """A graph holding ``triples`` inserted in their order, so that rdflib's serializers, which follow the
    store's order where they do not sort, write them the same way in every process."""
    graph = Graph()
    _bind(graph)
    for triple in triples:
        graph.add(triple)
    return graph


# A local name that Turtle and TriG can write after a prefix without escapes.
_PLAIN_LOCAL = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def _plain_prefixes(iris: set[str]) -> dict[str, str]:
    """The prefixes under which every IRI used has a plain local name. Oxigraph escapes the others
    (``id:place\\/x``), which is valid Turtle but which older parsers such as raptor 2.0 refuse."""
    prefixes = {}
    for prefix, namespace in PREFIXES.items():
        locals_ = [iri[len(namespace) :] for iri in iris if iri.startswith(namespace)]
        if locals_ and all(_PLAIN_LOCAL.fullmatch(local) for local in locals_):
            prefixes[prefix] = str(namespace)
    return prefixes


def write_with_oxigraph(parts: list[tuple[URIRef | None, list]], fmt: Format) -> bytes:
    """``(graph name, triples)`` parts in ``fmt``, written by Oxigraph; the name ``None`` is the default graph.

    Oxigraph writes every format but JSON-LD (which needs rdflib's compaction), in the order it is given the
    triples. rdflib's writers are not used: its Turtle rewrites decimals without a point ("28"^^xsd:decimal
    becomes 28.0, another literal), its RDF/XML follows its store's hash order, and its quad writers call its
    deprecated ``Dataset.contexts`` (a warning, an error in the tests)."""
    if fmt.name == "rdfxml":
        check_xml((term for _, triples in parts for triple in triples for term in triple), "the graph")
    statements = [
        ox.Quad(*(to_oxigraph(term) for term in triple), ox.NamedNode(str(name)) if name else ox.DefaultGraph())
        if fmt.quads
        else ox.Triple(*(to_oxigraph(term) for term in triple))
        for name, triples in parts
        for triple in triples
    ]
    rdf_format = ox.RdfFormat.from_media_type(fmt.media_type)
    if fmt.sorted_lines:
        return sort_lines(ox.serialize(statements, format=rdf_format))
    iris = set()
    for statement in statements:
        iris.update(term.value for term in statement if isinstance(term, ox.NamedNode))
        if isinstance(statement.object, ox.Literal):
            iris.add(statement.object.datatype.value)
    data = ox.serialize(statements, format=rdf_format, prefixes=_plain_prefixes(iris))
    return finish_rdfxml(data) if fmt.name == "rdfxml" else data


def render(graph: Graph, fmt: Format, context: dict) -> bytes:
    """Any one graph in ``fmt``, deterministically (in the default graph for the quad formats)."""
    triples = canonical_triples(graph)
    if fmt.name == "jsonld":
        return compact(graph_of(triples), context)
    return write_with_oxigraph([(None, triples)], fmt)


class Exporter:
    """The exports of a data graph and its ontology. The canonical order of each part is worked out once and
    shared by every format: it costs more than most of the serializations."""

    def __init__(self, data: Graph, ontology: Graph):
        self.sources = {"data": data, "ontology": ontology}
        self.context = context_of(ontology)
        self._triples: dict[str, list] = {}

    def triples(self, what: str) -> list:
        if what not in self._triples:
            graphs = [self.sources[part] for part in PARTS[check_what(what)]]
            if len(graphs) == 1:
                self._triples[what] = canonical_triples(graphs[0])
            else:
                merged = Graph()
                for graph in graphs:
                    merged += graph
                self._triples[what] = canonical_triples(merged)
        return self._triples[what]

    def named_graphs(self, what: str) -> list[tuple[URIRef, list]]:
        """The (graph name, triples) of ``what`` in the quad formats, each graph in the canonical order."""
        parts = []
        for part in PARTS[check_what(what)]:
            if part == "data":
                parts += partition(self.sources["data"], self.triples("data")).items()
            else:
                parts.append((ONTOLOGY_GRAPH, self.triples("ontology")))
        return parts

    def export(self, what: str, fmt: Format) -> bytes:
        """``data``, ``ontology`` or ``all`` of them in ``fmt``, as UTF-8 bytes."""
        if fmt.quads:
            return write_with_oxigraph(self.named_graphs(what), fmt)
        if fmt.name == "jsonld":
            return compact(graph_of(self.triples(what)), self.context)
        return write_with_oxigraph([(None, self.triples(what))], fmt)


def export(data: Graph, ontology: Graph, what: str, fmt: Format) -> bytes:
    """``data``, ``ontology`` or ``all`` of them in ``fmt``, as UTF-8 bytes (see Exporter to make several)."""
    return Exporter(data, ontology).export(what, fmt)
