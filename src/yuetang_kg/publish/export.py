"""Exports of the graph — the data, the ontology or both — in every format of ``formats.FORMATS``.

Each part is held as the engine's N-Triples lines (``ntriples``), and every format is written from them by
Oxigraph's writers or by operations on the lines, never by rdflib's serializers (minutes and gigabytes at a
million triples; its Turtle also rewrites "28"^^xsd:decimal as 28.0, another literal). JSON-LD is compacted with
the published context by ``jsonld.Compactor``; the ontology's part by rdflib, which writes its OWL unions as
lists. Outputs depend only on the triples: blank nodes (the ontology has a few) are relabelled from their
content, the Turtle-like formats follow one order (by subject, rdf:type first), line formats are sorted, so the
same graph gives the same bytes in every process, whatever ``PYTHONHASHSEED`` is.

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
from bisect import bisect_left
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, URIRef
from rdflib.compare import to_canonical_graph

from ..errors import DataError
from ..literals import NOT_XML
from ..namespaces import PREFIXES
from . import ntriples
from .formats import FORMATS, Format, check_xml, finish_rdfxml
from .jsonld import Compactor, context_of, document, nodes_of
from .named_graphs import ONTOLOGY_GRAPH, partition

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


def canonical(graph: Graph) -> Graph:
    """``graph`` with its blank nodes relabelled from their content (rdflib.compare), so that they are written
    the same in every process; a graph without blank nodes as it is."""
    has_bnodes = any(isinstance(term, BNode) for triple in graph for term in triple)
    return to_canonical_graph(graph) if has_bnodes else graph


# A local name that Turtle and TriG can write after a prefix without escapes.
_PLAIN_LOCAL = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def _plain_prefixes(iris: set[str]) -> dict[str, str]:
    """The prefixes under which every IRI used has a plain local name. Oxigraph escapes the others
    (``id:place\\/x``), which is valid Turtle but which older parsers such as raptor 2.0 refuse. The IRIs in a
    namespace are a range of them in sorted order: each IRI is looked at once, not once per prefix."""
    ordered = sorted(iris)
    prefixes = {}
    for prefix, namespace in PREFIXES.items():
        start = bisect_left(ordered, namespace)
        members = ordered[start : bisect_left(ordered, namespace + "\U0010ffff", start)]
        if members and all(_PLAIN_LOCAL.fullmatch(iri, len(namespace)) for iri in members):
            prefixes[prefix] = str(namespace)
    return prefixes


def write_lines(parts: list[list[bytes]], fmt: Format) -> bytes:
    """Parts of a graph (its named graphs, for the quad formats) in ``fmt`` (not JSON-LD), each part's lines
    (N-Triples, or N-Quads for the quad formats) in ``in_order``. Line formats are the lines themselves; the
    others are Oxigraph's, in statement order."""
    if fmt.sorted_lines:
        return ntriples.to_bytes(ntriples.in_order([line for part in parts for line in part]) if len(parts) > 1
                                 else parts[0])
    document = ntriples.to_bytes([line for part in parts for line in ntriples.statement_order(part)])
    rdf_format = ox.RdfFormat.from_media_type(fmt.media_type)
    data = ox.serialize(ntriples.parse(document, quads=fmt.quads), format=rdf_format,
                        prefixes=_plain_prefixes(ntriples.iris_in(document)))
    if fmt.name == "rdfxml":
        _check_xml(data, document)
        return finish_rdfxml(data)
    return data


def _check_xml(data: bytes, document: bytes) -> None:
    """Refuse RDF/XML holding a character that XML 1.0 cannot carry. The written text is searched at once; only
    when it holds one are the terms looked at, to name the literal."""
    if NOT_XML.search(data.decode("utf-8")):
        terms = (term.value for quad in ntriples.parse(document) for term in (quad.subject, quad.predicate, quad.object))
        check_xml(terms, "the graph")
        raise DataError("the graph cannot be written in XML: it holds a character XML 1.0 cannot carry")


def render(graph: Graph, fmt: Format, context: dict) -> bytes:
    """Any one graph in ``fmt``, deterministically (in the default graph for the quad formats)."""
    graph = canonical(graph)
    if fmt.name == "jsonld":
        return document(nodes_of(graph, context), context)
    # N-Triples lines are N-Quads in the default graph
    return write_lines([ntriples.in_order(ntriples.from_triples(graph))], fmt)


class Exporter:
    """The exports of a data graph and its ontology. Each part is put in order once, as N-Triples lines, and
    shared by every format: it costs more than most of the writing. The data's named graphs (``named_graphs``)
    are found once too, and only when a quad format asks for them."""

    def __init__(self, data: Graph, ontology: Graph):
        lines = ntriples.in_order(ntriples.from_triples(canonical(data)))
        self._hold(ontology, lambda: lines,
                   lambda: {name: ntriples.in_graph(part, name) for name, part in partition(lines).items()})

    @classmethod
    def from_dump(cls, triples: Path, quads: Path, ontology: Graph) -> "Exporter":
        """The exports of a build's data dumps, ``yuetang.nt`` and ``yuetang.nq``, read as lines: the build wrote
        them with the engine, in order, so they need no parsing, and the N-Quads dump holds the data's named
        graphs as the build found them, so they are not worked out again. Each dump is read only when a format
        needs it. (The on-disk store is no source for exports: Oxigraph stores literals by value, so
        "2.50"^^xsd:decimal comes back as "2.5" and xsd:nonNegativeInteger as xsd:integer.)"""
        exporter = cls.__new__(cls)
        exporter._hold(ontology, lambda: ntriples.in_order(ntriples.split(Path(triples).read_bytes())),
                       lambda: {URIRef(name): lines for name, lines in
                                sorted(ntriples.by_graph(ntriples.split(Path(quads).read_bytes())).items())})
        return exporter

    def _hold(self, ontology: Graph, data_lines: Callable[[], list[bytes]],
              data_graphs: Callable[[], dict[URIRef, list[bytes]]]) -> None:
        self.ontology = canonical(ontology)
        self.context = context_of(ontology)
        self._ontology_lines = ntriples.in_order(ntriples.from_triples(self.ontology))
        self._data_lines, self._data_graphs = cache(data_lines), cache(data_graphs)

    def lines(self, part: str) -> list[bytes]:
        """The N-Triples lines of ``data`` or ``ontology``, in order."""
        return self._data_lines() if part == "data" else self._ontology_lines

    def named_graphs(self, what: str) -> list[tuple[URIRef, list[bytes]]]:
        """The (graph name, N-Quads lines) of ``what`` in the quad formats (``named_graphs``), each graph's lines
        in order."""
        parts = []
        for part in PARTS[check_what(what)]:
            if part == "data":
                parts += self._data_graphs().items()
            else:
                parts.append((ONTOLOGY_GRAPH, ntriples.in_graph(self._ontology_lines, ONTOLOGY_GRAPH)))
        return parts

    def export(self, what: str, fmt: Format) -> bytes:
        """``data``, ``ontology`` or ``all`` of them in ``fmt``, as UTF-8 bytes."""
        parts = PARTS[check_what(what)]
        if fmt.name == "jsonld":
            nodes = []
            if "data" in parts:
                nodes += Compactor(self.context).nodes(self.lines("data"))
            if "ontology" in parts:
                nodes += nodes_of(self.ontology, self.context)
            return document(nodes, self.context)
        if fmt.quads:
            return write_lines([lines for _, lines in self.named_graphs(what)], fmt)
        if len(parts) == 1:
            return write_lines([self.lines(parts[0])], fmt)
        return write_lines([ntriples.in_order(self.lines("data") + self.lines("ontology"))], fmt)


def export(data: Graph, ontology: Graph, what: str, fmt: Format) -> bytes:
    """``data``, ``ontology`` or ``all`` of them in ``fmt``, as UTF-8 bytes (see Exporter to make several)."""
    return Exporter(data, ontology).export(what, fmt)
