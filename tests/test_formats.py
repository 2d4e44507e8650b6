from xml.etree import ElementTree

import pyoxigraph as ox
import pytest
from rdflib import XSD, Graph, Literal, URIRef

from yuetang_kg.literals import NOT_XML
from yuetang_kg.publish.export import export
from yuetang_kg.publish.formats import FORMATS, Unrepresentable, serialize
from yuetang_kg.query.store import to_oxigraph

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


# Every code point of the Basic Multilingual Plane, and from each other plane its first, an ordinary one and its
# last (noncharacters), each the middle of a literal "a…b".
CODE_POINTS = list(range(0x10000)) + [plane << 16 | low for plane in range(1, 17) for low in (0, 0x1234, 0xFFFE, 0xFFFF)]


def _one_literal_per_code_point(points) -> Graph:
    graph = Graph()
    for point in points:
        graph.add((URIRef(f"urn:x:{point:X}"), URIRef("urn:x:text"), Literal(f"a{chr(point)}b")))
    return graph


@pytest.mark.parametrize("write", [
    lambda graph: serialize(graph, FORMATS["rdfxml"]),
    lambda graph: export(graph, Graph(), "data", FORMATS["rdfxml"]),
], ids=["serialize", "export"])
def test_rdfxml_is_well_formed_for_every_code_point_or_refused(write):
    """What XML 1.0 can carry is written so that an XML parser reads it back unchanged (a carriage return too);
    what it cannot is refused, naming the character, and nothing is written."""
    writable = [point for point in CODE_POINTS if not NOT_XML.fullmatch(chr(point))]
    data = write(_one_literal_per_code_point(writable))
    root = ElementTree.fromstring(data)  # well-formed, or this raises
    read_back = {element.text for element in root.iter("{urn:x:}text")}
    assert read_back == {f"a{chr(point)}b" for point in writable}
    refused = [point for point in CODE_POINTS if NOT_XML.fullmatch(chr(point))]
    assert len(refused) > 2000  # the C0 controls, the surrogates, U+FFFE, U+FFFF and the planes' ends
    for point in refused:
        with pytest.raises(Unrepresentable, match=f"U\\+{point:04X}"):
            write(_one_literal_per_code_point([point]))


def test_other_formats_carry_what_xml_cannot():
    graph = _one_literal_per_code_point([0x0, 0x1, 0x1F, 0xFFFE, 0xFFFF])
    for name in ("ttl", "nt"):
        fmt = FORMATS[name]
        parsed = {q.object.value for q in ox.parse(serialize(graph, fmt), format=ox.RdfFormat.from_media_type(
            fmt.media_type))}
        assert parsed == {str(o) for o in graph.objects()}
