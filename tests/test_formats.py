import pyoxigraph as ox
import pytest
from rdflib import XSD, Graph, Literal, URIRef

from yuetang_kg.formats import FORMATS, serialize
from yuetang_kg.store import to_oxigraph

GRAPH = Graph()
GRAPH.add((URIRef("urn:x:obs"), URIRef("urn:x:value"), Literal("28", datatype=XSD.decimal)))
GRAPH.add((URIRef("urn:x:obs"), URIRef("urn:x:label"), Literal("岳塘区·税收", lang="zh")))


@pytest.mark.parametrize("name", sorted(n for n in FORMATS if n != "jsonld"))
def test_serialize_keeps_every_literal_exactly(name):
    fmt = FORMATS[name]
    data = serialize(GRAPH, fmt)
    parsed = {
        (q.subject, q.predicate, q.object)
        for q in ox.parse(data, format=ox.RdfFormat.from_media_type(fmt.media_type))
    }
    assert parsed == {tuple(map(to_oxigraph, triple)) for triple in GRAPH}  # "28"^^xsd:decimal, not 28.0
    assert serialize(GRAPH, fmt) == data
