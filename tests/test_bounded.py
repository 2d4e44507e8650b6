"""Which queries the server answers itself (``web.bounded``): exactly those whose shape bounds their cost, each
judged as the guard judges it. Every shape refused here was tried as a way past the bound or the guard."""

import pytest

from yuetang_kg.web import bounded, guard

VILLAGE = "<https://w3id.org/yuetang-kg/ontology#Village>"
RDFS = "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"

ACCEPTED = [
    f"SELECT ?s WHERE {{ ?s a {VILLAGE} }} LIMIT 10",
    f"{RDFS}select * {{ ?s rdfs:label ?l . }} offset 3 limit 5",
    f"{RDFS}SELECT ?l ?s\r\nWHERE {{ ?s rdfs:label ?l }}\r\nLIMIT 100 OFFSET 1000",
    "PREFIX : <https://w3id.org/yuetang-kg/id/> SELECT $s ?p { :place ?p $s } LIMIT 0",
    "SELECT ?p ?o WHERE { <https://w3id.org/yuetang-kg/id/place/zhaoshan-qixing-cun> ?p ?o } LIMIT 50",
    "SELECT ?unbound WHERE { ?s ?p ?o } LIMIT 1",  # a projected variable the pattern does not bind
]


@pytest.mark.parametrize("text", ACCEPTED)
def test_a_bounded_query_is_checked_as_the_guard_checks_it(text):
    # the same Checked (normal form, form, limit): the same text runs as it would in a worker, to the same bytes
    assert bounded.check(text) == guard.check_query(text)


REFUSED = {
    "the same variable twice: a scan for equal terms": "SELECT ?s WHERE { ?s ?p ?s } LIMIT 1",
    "the same variable under both sigils": "SELECT ?s WHERE { ?s ?p $s } LIMIT 1",
    "a property path": "SELECT ?s WHERE { ?s <urn:p>+ ?o } LIMIT 1",
    "a literal": 'SELECT ?s WHERE { ?s <urn:p> "x" } LIMIT 1',
    "a number": "SELECT ?s WHERE { ?s <urn:p> 5 } LIMIT 1",
    "a blank node": "SELECT ?s WHERE { ?s <urn:p> [] } LIMIT 1",
    "a labelled blank node": "SELECT ?s WHERE { ?s <urn:p> _:b } LIMIT 1",
    "two patterns": "SELECT ?s WHERE { ?s <urn:p> ?o . ?o <urn:p> ?x } LIMIT 1",
    "a filter": "SELECT ?s WHERE { ?s <urn:p> ?o FILTER(?o = <urn:x>) } LIMIT 1",
    "an optional": "SELECT ?s WHERE { ?s <urn:p> ?o OPTIONAL { ?o <urn:p> ?x } } LIMIT 1",
    "a graph": "SELECT ?s WHERE { GRAPH ?g { ?s <urn:p> ?o } } LIMIT 1",
    "a service": "SELECT ?s WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } } LIMIT 1",
    "a service after a carriage return": "SELECT ?s WHERE { ?s ?p ?o # \r SERVICE <http://x/> { } } LIMIT 1",
    "a dataset clause": "SELECT ?s FROM <http://127.0.0.1:9/g> WHERE { ?s ?p ?o } LIMIT 1",
    "values": "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1 VALUES ?s { <urn:a> }",
    "distinct": "SELECT DISTINCT ?p WHERE { ?s ?p ?o } LIMIT 1",
    "reduced": "SELECT REDUCED ?p WHERE { ?s ?p ?o } LIMIT 1",
    "a sort": "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 1",
    "a group": "SELECT ?s WHERE { ?s ?p ?o } GROUP BY ?s LIMIT 1",
    "an expression": "SELECT (STR(?s) AS ?x) WHERE { ?s ?p ?o } LIMIT 1",
    "a subquery": "SELECT ?s WHERE { { SELECT ?s WHERE { ?s ?p ?o } } } LIMIT 1",
    "no limit": "SELECT ?s WHERE { ?s ?p ?o }",
    "a limit over the bound": f"SELECT ?s WHERE {{ ?s ?p ?o }} LIMIT {bounded.MAX_ROWS + 1}",
    "an offset over the bound": f"SELECT ?s WHERE {{ ?s ?p ?o }} LIMIT 1 OFFSET {bounded.MAX_OFFSET + 1}",
    "two limits": "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1 LIMIT 2",
    "an undeclared prefix": "SELECT ?s WHERE { ?s x:p ?o } LIMIT 1",
    "a prefix declared twice": "PREFIX x: <urn:a> PREFIX x: <urn:b> SELECT ?s WHERE { ?s x:p ?o } LIMIT 1",
    "a base": "BASE <urn:b/> SELECT ?s WHERE { ?s <p> ?o } LIMIT 1",
    "a relative IRI": "SELECT ?s WHERE { ?s <p> ?o } LIMIT 1",
    "a comment": "SELECT ?s WHERE { ?s ?p ?o } # why\nLIMIT 1",
    "a codepoint escape": "SELECT ?s WHERE { ?s <urn:\\u0070> ?o } LIMIT 1",
    "a line separator in an IRI": "SELECT ?s WHERE { ?s <urn:\u2028> ?o } LIMIT 1",
    "A for a": f"SELECT ?s WHERE {{ ?s A {VILLAGE} }} LIMIT 1",
    "a variable projected twice": "SELECT ?s ?s WHERE { ?s ?p ?o } LIMIT 1",
    "ask": "ASK { ?s ?p ?o }",
    "construct": "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1",
    "describe": "DESCRIBE ?s WHERE { ?s ?p ?o } LIMIT 1",
    "a long text": "SELECT ?s WHERE { ?s ?p ?o }" + " " * bounded.MAX_CHARS + "LIMIT 1",
    "a long run of dots in a prefix": "PREFIX a" + "." * 1900 + "b: <urn:x> SELECT ?s WHERE { ?s a:p ?o } LIMIT 1",
}


@pytest.mark.parametrize("text", REFUSED.values(), ids=REFUSED.keys())
def test_any_other_shape_goes_to_a_worker(text):
    assert bounded.check(text) is None


def test_the_doctests():
    import doctest

    assert doctest.testmod(bounded).failed == 0
