"""SPARQL XML results for every code point an RDF literal may hold: well-formed XML that reads back unchanged, or
a refusal (406) that names the formats that can carry the answer, whichever backend answers the query (the app's
workers, or the Oxigraph server or Virtuoso behind serve --endpoint)."""

from xml.etree import ElementTree

import pytest
from conftest import BACKENDS, site_over
from rdflib import Graph, Literal, URIRef
from starlette.testclient import TestClient

from yuetang_kg.errors import DataError
from yuetang_kg.literals import NOT_XML
from yuetang_kg.store import Result
from yuetang_kg.web import answers
from yuetang_kg.web.app import create_app
from yuetang_kg.web.negotiation import NotAcceptable
from yuetang_kg.web.site import Settings

XML = "application/sparql-results+xml"
RESULTS = "{http://www.w3.org/2005/sparql-results#}"
CODE_POINTS = list(range(0x10000)) + [plane << 16 | low for plane in range(1, 17) for low in (0, 0x1234, 0xFFFE, 0xFFFF)]


def test_xml_results_read_back_every_code_point_xml_can_carry():
    writable = [point for point in CODE_POINTS if not NOT_XML.fullmatch(chr(point))]
    rows = [(Literal(f"a{chr(point)}b"), URIRef(f"urn:x:{point:X}")) for point in writable]
    root = ElementTree.fromstring(answers.write(Result("SELECT", ["text", "id"], rows), XML))
    read_back = [element.text for element in root.iter(f"{RESULTS}literal")]
    assert read_back == [f"a{chr(point)}b" for point in writable]  # "\r" too: written &#13;


def test_xml_results_refuse_every_code_point_xml_cannot_carry():
    refused = [point for point in CODE_POINTS if NOT_XML.fullmatch(chr(point))]
    assert len(refused) > 2000
    for point in refused:
        with pytest.raises(NotAcceptable, match=f"\\?text holds U\\+{point:04X}.*application/sparql-results\\+json"):
            answers.write(Result("SELECT", ["text"], [(Literal(f"a{chr(point)}b"),)]), XML)


def test_rdfxml_answers_refuse_what_xml_cannot_carry():
    graph = Graph().add((URIRef("urn:x:s"), URIRef("urn:x:p"), Literal("\x01")))
    with pytest.raises(NotAcceptable, match="U\\+0001"):
        answers.write(Result("CONSTRUCT", graph=graph), "application/rdf+xml")


def test_a_lone_surrogate_has_no_format():
    with pytest.raises(DataError, match="U\\+D800, a lone surrogate"):
        answers.write(Result("SELECT", ["x"], [(Literal("\ud800"),)]), "application/sparql-results+json")


@pytest.fixture(scope="module", params=BACKENDS)
def client(request, built, catalogue):
    site = site_over(request.param, request, built, catalogue, Settings(workers=1, timeout_s=30))
    with TestClient(create_app(site)) as test_client:
        yield test_client


# The query check refuses codepoint escapes and raw control characters (web.guard), but the string escapes \b
# (U+0008) and \f (U+000C) still make characters that XML 1.0 cannot hold.
@pytest.mark.parametrize("query, accept", [
    ('SELECT ?x WHERE { BIND(CONCAT("a", "\\b", "b") AS ?x) }', XML),
    ('SELECT ?x WHERE { BIND("\\f" AS ?x) }', XML),
    ('CONSTRUCT { <urn:x:s> <urn:x:p> ?x } WHERE { BIND("\\b" AS ?x) }', "application/rdf+xml"),
])
def test_the_endpoint_answers_406_where_xml_cannot_carry_the_answer(client, query, accept):
    refused = client.get("/sparql", params={"query": query}, headers={"Accept": accept})
    assert refused.status_code == 406 and "XML 1.0 cannot carry" in refused.text
    other = client.get("/sparql", params={"query": query}, headers={"Accept": f"{accept}, */*;q=0.1"})
    assert other.status_code == 406  # the choice is the client's: a refused format is not silently swapped
    carried = client.get("/sparql", params={"query": query, "format": "json" if accept == XML else "nt"})
    assert carried.status_code == 200
