"""SPARQL XML results for every code point an RDF literal may hold: well-formed XML that reads back unchanged, or
a refusal (406) that names the formats that can carry the answer, whichever backend answers the query (the app's
workers, or the Oxigraph server or Virtuoso behind serve --endpoint); and the engine's result writers, which must
give the same answers as ours."""

import csv
import io
import json
from xml.etree import ElementTree

import pyoxigraph as ox
import pytest
from conftest import BACKENDS, site_over
from rdflib import Graph, Literal, URIRef
from starlette.testclient import TestClient

from yuetang_kg.errors import DataError
from yuetang_kg.literals import NOT_XML
from yuetang_kg.query.sparql_text import bind_values, query_form
from yuetang_kg.query.store import OxigraphStore, Result
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


@pytest.fixture(scope="module")
def every_code_point():
    """A store holding a literal around each code point an RDF literal may hold (no surrogates: not Unicode)."""
    graph = Graph()
    for point in CODE_POINTS:
        if not 0xD800 <= point <= 0xDFFF:
            graph.add((URIRef(f"urn:x:{point:X}"), URIRef("urn:x:text"), Literal(f"a{chr(point)}b")))
    return OxigraphStore(graph)


def test_engine_xml_reads_back_every_code_point_xml_can_carry(every_code_point):
    writable = [point for point in CODE_POINTS if not NOT_XML.fullmatch(chr(point))]
    query = "SELECT ?text WHERE { ?id <urn:x:text> ?text FILTER(REGEX(STR(?text), \"^a[\\t\\n\\r -\\uFFFD\\U00010000-\\U0010FFFF]b$\", \"s\")) }"
    table = every_code_point.select_table(query, len(CODE_POINTS))
    root = ElementTree.fromstring(answers.write_table(table, XML))
    read_back = sorted(element.text for element in root.iter(f"{RESULTS}literal"))
    assert read_back == sorted(f"a{chr(point)}b" for point in writable)  # "\r" too: written &#13;


def test_engine_xml_refuses_what_xml_cannot_carry(every_code_point):
    refused = [point for point in CODE_POINTS if NOT_XML.fullmatch(chr(point)) and not 0xD800 <= point <= 0xDFFF]
    assert len(refused) == 31  # C0 controls but tab, line feed and carriage return; U+FFFE and U+FFFF
    for point in refused:
        table = every_code_point.select_table(f"SELECT ?text WHERE {{ <urn:x:{point:X}> <urn:x:text> ?text }}", 10)
        with pytest.raises(NotAcceptable, match=f"\\?text holds U\\+{point:04X}.*application/sparql-results\\+json"):
            answers.write_table(table, XML)


def _read(body: bytes, media_type: str):
    """An answer as a client reads it: the variables and rows of terms (CSV: of strings), in order."""
    if media_type == "text/csv":
        return list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
    solutions = ox.parse_query_results(body, ox.QueryResultsFormat.from_media_type(media_type))
    variables = [v.value for v in solutions.variables]
    return variables, [[solution[v] for v in variables] for solution in solutions]


JSON = "application/sparql-results+json"
FLAGGED = {JSON: lambda body: json.loads(body).get("truncated", False),
           XML: lambda body: answers.TRUNCATED_LINK.encode() in body}


# Ours is the reference: our CSV for CSV, our JSON for the rest (our TSV wrote a literal holding a line break as
# a long string, """…""", which neither Oxigraph's TSV reader nor rdflib's accepts; the engine's is read by both).
@pytest.mark.parametrize("media_type", [JSON, XML, "text/csv", "text/tab-separated-values"])
@pytest.mark.parametrize("max_rows", [10_000, 3])
def test_engine_writers_answer_every_catalogue_query_as_ours_do(store, catalogue, media_type, max_rows):
    compared = 0
    for query in catalogue.values():
        text = bind_values(query.text, query.bindings({}))
        if query_form(text) != "SELECT":
            continue
        ours = store.query(text, max_rows=max_rows)
        table = store.select_table(text, max_rows)
        assert table.truncated == ours.truncated, query.name
        body = answers.write_table(table, media_type)
        reference = media_type if media_type == "text/csv" else JSON
        assert _read(body, media_type) == _read(answers.write(ours, reference), reference), query.name
        if media_type in FLAGGED:
            assert FLAGGED[media_type](body) == table.truncated, query.name
        compared += 1
    assert compared > 30


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
