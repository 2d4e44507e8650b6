"""The one table of RDF formats: names on the command line, rdflib serializer names, file extensions and
media types. The CLI, the build, the export and the web app all read it.
"""

from dataclasses import dataclass

from rdflib import Dataset, Graph

from .errors import DataError


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


def get_format(name: str) -> Format:
    try:
        return FORMATS[name]
    except KeyError:
        raise DataError(f"unknown format {name!r}; valid: {', '.join(FORMATS)}", "--format") from None


def serialize(graph: Graph | Dataset, fmt: Format) -> bytes:
    """The graph in ``fmt`` as UTF-8 bytes; line formats sorted so that dumps diff cleanly."""
    data = graph.serialize(format=fmt.rdflib, encoding="utf-8")
    return sort_lines(data) if fmt.sorted_lines else data


def sort_lines(data: bytes) -> bytes:
    """N-Triples or N-Quads with their lines sorted (and duplicates dropped), so that dumps diff cleanly."""
    lines = sorted({line for line in data.decode("utf-8").splitlines() if line.strip()})
    return ("\n".join(lines) + "\n").encode("utf-8")
