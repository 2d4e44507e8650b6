"""The one table of RDF formats: names on the command line, rdflib serializer names, file extensions and
media types. The CLI, the build, the export and the web app all read it.
"""

from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import Graph

from .store import to_oxigraph


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


def serialize(graph: Graph, fmt: Format) -> bytes:
    """The graph in ``fmt`` as UTF-8 bytes, triples in a stable order, line formats sorted.

    Oxigraph writes every format but JSON-LD: rdflib's Turtle rewrites "28"^^xsd:decimal as 28.0, which is
    another literal, so an answer would no longer say what the store holds.
    """
    if fmt.name == "jsonld":
        return graph.serialize(format=fmt.rdflib, encoding="utf-8")
    triples = sorted(graph, key=lambda triple: tuple(term.n3() for term in triple))
    statements = [
        ox.Quad(*map(to_oxigraph, triple), ox.DefaultGraph())
        if fmt.quads
        else ox.Triple(*map(to_oxigraph, triple))
        for triple in triples
    ]
    data = ox.serialize(statements, format=ox.RdfFormat.from_media_type(fmt.media_type))
    return sort_lines(data) if fmt.sorted_lines else data


def sort_lines(data: bytes) -> bytes:
    """N-Triples or N-Quads with their lines sorted (and duplicates dropped), so that dumps diff cleanly."""
    lines = sorted({line for line in data.decode("utf-8").splitlines() if line.strip()})
    return ("\n".join(lines) + "\n").encode("utf-8")
