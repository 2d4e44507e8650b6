"""A graph as the engine's N-Triples lines: the form in which the exports hold each part of the graph.

Every export format is written from these lines, by Oxigraph's writers or by string operations on the lines
themselves, so that a corpus of millions of triples is exported in seconds: the build's dump is read as lines,
and sorting and naming graphs are done on text, never on rdflib terms. Oxigraph writes a triple as one line, ``S P O .`` with single spaces, IRIs without spaces and blank nodes as ``_:label``,
so a line's subject is the text before its first space and a quad is the line with the graph name before the dot.
Lines are kept as bytes: a third of the memory of text for Chinese, and sorted in code point order all the same.

>>> lines = [b'<urn:x:b> <urn:x:p> "1" .', b'<urn:x:b> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <urn:x:C> .']
>>> statement_order(in_order(lines))[0]
b'<urn:x:b> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <urn:x:C> .'
>>> in_graph(lines[:1], "urn:x:g")
[b'<urn:x:b> <urn:x:p> "1" <urn:x:g> .']
"""

import operator
import re
from collections.abc import Iterable
from itertools import islice

import pyoxigraph as ox
from rdflib import Graph

from ..literals import find_forbidden
from ..query.store import to_oxigraph
from .formats import Unrepresentable

TYPE = b"<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
_SURROGATE = re.compile("[\ud800-\udfff]")
# An IRI, or a literal (skipped: its text may hold "<…>"); the literal's loop unrolled and possessive, which re
# runs twice as fast as the plain alternation.
_IRI = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"|<([^>]*+)>')


def in_order(lines: Iterable[bytes]) -> list[bytes]:
    """The lines sorted, without duplicates: the order of the line formats. Lines are bytes, whose order is
    their UTF-8 order, that of their code points; and since a line starts with its subject, ended by a space,
    this is also the order by subject, then predicate and object. Sorted before duplicates are looked for: a dump
    is in order already, or made of runs in order (the named graphs), which the sort merges in linear time, where
    hashing every line into a set cost seconds per million."""
    ordered = sorted(lines)
    if all(map(operator.lt, ordered, islice(ordered, 1, None))):
        return ordered
    return [line for line, after in zip(ordered, islice(ordered, 1, None)) if line != after] + ordered[-1:]


def statement_order(ordered: list[bytes]) -> list[bytes]:
    """Lines in ``in_order`` with each subject's rdf:type lines first, as a reader of Turtle looks for them:
    the order the Turtle-like formats follow."""
    result, subject, types, others = [], None, [], []
    for line in ordered:
        line_subject = line[: line.index(b" ")]
        if line_subject != subject:
            result += types + others
            subject, types, others = line_subject, [], []
        (types if line[len(line_subject) + 1 :].startswith(TYPE) else others).append(line)
    return result + types + others


def split(data: bytes) -> list[bytes]:
    """The lines of N-Triples (or N-Quads) bytes as written by Oxigraph."""
    return [line for line in data.split(b"\n") if line]


def from_triples(graph: Graph) -> list[bytes]:
    """A graph's triples as the engine's N-Triples lines (escapes and all, as Oxigraph writes them). A lone
    surrogate, which no RDF format can carry (UTF-8 cannot encode it), is refused naming it."""
    statements = (ox.Triple(*map(to_oxigraph, triple)) for triple in graph)
    try:
        return split(ox.serialize(statements, format=ox.RdfFormat.N_TRIPLES))
    except ValueError:
        for term in (term for triple in graph for term in triple):
            found = find_forbidden(str(term), _SURROGATE)
            if found:
                raise Unrepresentable(f"the graph cannot be written: {str(term)[:40]!r} holds {found[1]} (at offset "
                                      f"{found[0]}), which no RDF format can carry") from None
        raise


def in_graph(lines: Iterable[bytes], graph: str) -> list[bytes]:
    """The lines as N-Quads in the named graph ``graph`` (an IRI)."""
    name = f" <{graph}> .".encode()
    return [line[:-2] + name for line in lines]


def by_graph(quads: Iterable[bytes]) -> dict[str, list[bytes]]:
    """N-Quads lines by the IRI of their named graph, each graph's in their given order. A graph name is an IRI,
    without spaces, written last before the dot."""
    graphs: dict[bytes, list[bytes]] = {}
    for quad in quads:
        graphs.setdefault(quad[quad.rindex(b" ", 0, -2) + 2 : -3], []).append(quad)
    return {name.decode("utf-8"): lines for name, lines in graphs.items()}


def iris_in(document: bytes) -> set[str]:
    """Every IRI written in an N-Triples or N-Quads document: subjects, predicates, objects, datatypes and graph
    names."""
    return {iri.decode("utf-8") for iri in set(_IRI.findall(document))} - {""}


def to_bytes(lines: list[bytes]) -> bytes:
    """Lines as a document, each ended by a line feed (an empty document for none)."""
    return b"\n".join(lines) + b"\n" if lines else b""


def parse(document: bytes, quads: bool = False):
    """An N-Triples (N-Quads) document as Oxigraph triples (quads), in their order, for the engine's other
    writers."""
    fmt = ox.RdfFormat.N_QUADS if quads else ox.RdfFormat.N_TRIPLES
    return ox.parse(document, format=fmt)
