"""The one table of RDF formats: names on the command line, rdflib serializer names, file extensions and
media types. The CLI, the build, the export and the web app all read it.
"""

from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import Graph

from ..errors import DataError
from ..literals import NOT_XML, find_forbidden
from ..query.store import to_oxigraph


@dataclass(frozen=True)
class Format:
    name: str
    rdflib: str
    extension: str
    media_type: str
    quads: bool = False
    sorted_lines: bool = False


FORMATS = {
    f.name: f
    for f in (
        Format("ttl", "turtle", ".ttl", "text/turtle"),
        Format("nt", "nt", ".nt", "application/n-triples", sorted_lines=True),
        Format("jsonld", "json-ld", ".jsonld", "application/ld+json"),
        Format("rdfxml", "xml", ".rdf", "application/rdf+xml"),
        Format("trig", "trig", ".trig", "application/trig", quads=True),
        Format("nq", "nquads", ".nq", "application/n-quads", quads=True, sorted_lines=True),
    )
}


class Unrepresentable(DataError):
    """A graph holds a character that the chosen format cannot carry (XML 1.0 and RDF/XML: see ``literals``)."""


def check_xml(terms: Iterable, what: str) -> None:
    """Refuse terms holding a character outside XML 1.0's Char production: no escape can write it (character
    references to it are forbidden too), and writing it raw makes the document ill-formed, so nothing is written."""
    for term in terms:
        found = find_forbidden(str(term), NOT_XML)
        if found:
            offset, character = found
            raise Unrepresentable(f"{what} cannot be written in XML: {str(term)[:40]!r} holds {character} (at offset "
                                  f"{offset}), which XML 1.0 cannot carry; ask for Turtle, N-Triples or JSON-LD")


def finish_rdfxml(data: bytes) -> bytes:
    """Oxigraph's RDF/XML with every carriage return written ``&#13;``: a reader turns a raw one into a line feed
    (XML's line-end normalization), so "a\\rb" would come back as another literal. A raw CR can stand only in
    text or attribute values there, where a character reference means the same character."""
    return data.replace(b"\r", b"&#13;")


def serialize(graph: Graph, fmt: Format) -> bytes:
    """The graph in ``fmt`` as UTF-8 bytes, triples in a stable order, line formats sorted.

    Oxigraph writes every format but JSON-LD: rdflib's Turtle rewrites "28"^^xsd:decimal as 28.0, which is
    another literal, so an answer would no longer say what the store holds.
    """
    if fmt.name == "jsonld":
        return graph.serialize(format=fmt.rdflib, encoding="utf-8")
    triples = sorted(graph, key=lambda triple: tuple(term.n3() for term in triple))
    if fmt.name == "rdfxml":
        check_xml((term for triple in triples for term in triple), "the graph")
    statements = [
        ox.Quad(*map(to_oxigraph, triple), ox.DefaultGraph())
        if fmt.quads
        else ox.Triple(*map(to_oxigraph, triple))
        for triple in triples
    ]
    data = ox.serialize(statements, format=ox.RdfFormat.from_media_type(fmt.media_type))
    if fmt.name == "rdfxml":
        return finish_rdfxml(data)
    return sort_lines(data) if fmt.sorted_lines else data


def sort_lines(data: bytes) -> bytes:
    """N-Triples or N-Quads with their lines sorted (and duplicates dropped), so that dumps diff cleanly."""
    lines = sorted({line for line in data.decode("utf-8").splitlines() if line.strip()})
    return ("\n".join(lines) + "\n").encode("utf-8")
