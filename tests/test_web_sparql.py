"""The SPARQL 1.1 Protocol endpoint and the catalogue pages, driven in process through Starlette's TestClient;
every answer is checked against the embedded store, and every result body re-read by an independent parser
(pyoxigraph's SPARQL results and RDF parsers, Python's csv module).

Each test runs over every backend (``conftest.BACKENDS``): the app's own worker processes, and the Oxigraph server
and Virtuoso behind ``serve --endpoint``. The answers must be the same; they are compared as
``conftest.comparable`` writes terms, since Virtuoso keeps a literal's declared integer type (nif:beginIndex
``"1006"^^xsd:nonNegativeInteger``) where Oxigraph stores every integer type as xsd:integer.
"""

import csv
import io
import json
import re
import threading
import time

import pyoxigraph as ox
import pytest
from conftest import BACKENDS, comparable, site_over
from rdflib import RDFS, Graph, URIRef
from rdflib.compare import isomorphic
from starlette.testclient import TestClient

from yuetang_kg.namespaces import BASE, VOID
from yuetang_kg.query.store import to_rdflib
from yuetang_kg.web import catalogue_pages
from yuetang_kg.web.app import create_app
from yuetang_kg.web.site import Settings

LABELS = f"SELECT ?s ?label WHERE {{ ?s <{RDFS.label}> ?label }} ORDER BY ?s ?label"
GRAPH_QUERY = f"CONSTRUCT {{ ?s <{RDFS.label}> ?label }} WHERE {{ ?s <{RDFS.label}> ?label }}"
# Six copies of the whole graph joined with one another: never finishes on any engine.
CROSS6 = "SELECT (COUNT(*) AS ?n) WHERE { " + " ".join(f"?s{i} ?p{i} ?o{i} ." for i in range(6)) + " }"
TIMEOUT_S = 2.0
ENGINE_TIMEOUT_S = 30.0


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def site(backend, request, built, catalogue):
    # Virtuoso takes seconds over a few catalogue queries (place_ancestors); only the workers' test needs 2 s.
    timeout_s = TIMEOUT_S if backend == "embedded" else ENGINE_TIMEOUT_S
    return site_over(backend, request, built, catalogue, Settings(timeout_s=timeout_s))


@pytest.fixture(scope="module")
def client(site):
    with TestClient(create_app(site)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def capped_client(backend, request, built, catalogue):
    """An app whose row cap (3) every label query exceeds, and with a small request limit."""
    site = site_over(backend, request, built, catalogue, Settings(max_rows=3, workers=1, max_request_bytes=2000))
    with TestClient(create_app(site)) as test_client:
        yield test_client


def n3_rows(rows) -> list[tuple]:
    return sorted(tuple(comparable(term) for term in row) for row in rows)


def parsed_rows(body: bytes, fmt: ox.QueryResultsFormat) -> list[tuple]:
    solutions = ox.parse_query_results(body, format=fmt)
    variables = solutions.variables
    return n3_rows([tuple(to_rdflib(solution[v]) for v in variables) for solution in solutions])


def parsed_graph(body: bytes, media_type: str) -> Graph:
    graph = Graph()
    for quad in ox.parse(body, format=ox.RdfFormat.from_media_type(media_type)):
        graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
    return graph


def test_get_post_form_and_post_body_give_the_same_json(client, store):
    expected = n3_rows(store.query(LABELS).rows)
    answers = [
        client.get("/sparql", params={"query": LABELS}),
        client.post("/sparql", data={"query": LABELS}),
        client.post("/sparql", content=LABELS.encode(), headers={"Content-Type": "application/sparql-query"}),
    ]
    for answer in answers:
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/sparql-results+json; charset=utf-8"
        assert parsed_rows(answer.content, ox.QueryResultsFormat.JSON) == expected
        assert "truncated" not in answer.json() and "x-yuetang-truncated" not in answer.headers


@pytest.mark.parametrize(
    "media_type, fmt",
    [
        ("application/sparql-results+json", ox.QueryResultsFormat.JSON),
        ("application/sparql-results+xml", ox.QueryResultsFormat.XML),
        ("text/tab-separated-values", ox.QueryResultsFormat.TSV),
    ],
)
def test_select_formats_reparse_to_the_stores_rows(client, store, media_type, fmt):
    answer = client.get("/sparql", params={"query": LABELS}, headers={"Accept": media_type})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == f"{media_type}; charset=utf-8"
    assert parsed_rows(answer.content, fmt) == n3_rows(store.query(LABELS).rows)


def test_select_csv_holds_the_plain_values(client, store):
    answer = client.get("/sparql", params={"query": LABELS}, headers={"Accept": "text/csv"})
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.content.endswith(b"\r\n")  # the standard's line end
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8"))))
    assert rows[0] == ["s", "label"]
    assert sorted(map(tuple, rows[1:])) == sorted((str(s), str(label)) for s, label in store.query(LABELS).rows)


def test_ask_in_json_and_xml(client):
    for query, expected in (("ASK { ?s ?p ?o }", True), ("ASK { <urn:x:none> ?p ?o }", False)):
        as_json = client.get("/sparql", params={"query": query})
        assert as_json.json()["boolean"] is expected
        as_xml = client.get("/sparql", params={"query": query, "format": "xml"})
        assert bool(ox.parse_query_results(as_xml.content, format=ox.QueryResultsFormat.XML)) is expected


@pytest.mark.parametrize("name, media_type", [("ttl", "text/turtle"), ("nt", "application/n-triples"),
                                              ("jsonld", "application/ld+json"), ("rdfxml", "application/rdf+xml")])
def test_construct_formats_reparse_to_the_stores_graph(client, store, name, media_type):
    expected = store.query(GRAPH_QUERY).graph
    for request in ({"headers": {"Accept": media_type}}, {"params": {"format": name}}):
        answer = client.get("/sparql", params={"query": GRAPH_QUERY, **request.get("params", {})},
                            headers=request.get("headers", {}))
        assert answer.status_code == 200
        assert answer.headers["content-type"] == f"{media_type}; charset=utf-8"
        graph = parsed_graph(answer.content, media_type)
        assert len(graph) == len(expected) and isomorphic(graph, expected)


def test_accept_q_values_pick_the_preferred_format(client):
    cases = {
        "text/csv;q=0.5, application/sparql-results+xml": "application/sparql-results+xml",
        "text/csv, application/sparql-results+xml;q=0.9": "text/csv",
        "text/*;q=0.9, */*;q=0.1": "text/csv",
        "application/json": "application/json",
        "*/*": "application/sparql-results+json",
        "text/html;q=1, text/tab-separated-values;q=0.2": "text/tab-separated-values",
    }
    for accept, media_type in cases.items():
        answer = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1"},
                            headers={"Accept": accept})
        assert answer.headers["content-type"] == f"{media_type}; charset=utf-8", accept


def test_format_parameter_overrides_accept(client):
    answer = client.get("/sparql", params={"query": LABELS, "format": "tsv"},
                        headers={"Accept": "application/sparql-results+json"})
    assert answer.headers["content-type"].startswith("text/tab-separated-values")


def test_no_acceptable_format_is_406_listing_the_offers(client):
    answer = client.get("/sparql", params={"query": LABELS}, headers={"Accept": "image/png"})
    assert answer.status_code == 406
    assert "application/sparql-results+json" in answer.text
    wrong = client.get("/sparql", params={"query": GRAPH_QUERY, "format": "csv"})
    assert wrong.status_code == 406 and "ttl" in wrong.text


def test_service_description_with_void(client, site, built):
    answer = client.get("/sparql")
    assert answer.status_code == 200 and answer.headers["content-type"] == "text/turtle; charset=utf-8"
    description = Graph().parse(data=answer.text, format="turtle")
    sd = "http://www.w3.org/ns/sparql-service-description#"
    service = URIRef(site.release.base_url + "sparql")  # the configured public URL
    assert (service, URIRef(sd + "endpoint"), service) in description
    assert (service, URIRef(sd + "supportedLanguage"), URIRef(sd + "SPARQL11Query")) in description
    dataset = description.value(service, URIRef(sd + "defaultDataset"))
    assert int(description.value(dataset, VOID.triples)) == len(built.graph) + len(built.ontology)
    full_description = description.value(dataset, RDFS.seeAlso)
    assert client.get(str(full_description)).status_code == 200  # the site's whole VoID + DCAT
    as_jsonld = client.get("/sparql", headers={"Accept": "application/ld+json"})
    assert isomorphic(parsed_graph(as_jsonld.content, "application/ld+json"), description)
    as_ntriples = client.get("/sparql", params={"format": "nt"})
    assert as_ntriples.headers["content-type"] == "application/n-triples; charset=utf-8"


def test_a_browser_asking_the_endpoint_is_sent_to_the_query_page(client):
    answer = client.get("/sparql", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
                        follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/query"


@pytest.mark.parametrize(
    "request_kwargs, status, words",
    [
        ({"params": {"query": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}}, 403, "read-only"),
        ({"params": {"query": "LOAD <http://example.org/data.ttl>"}}, 403, "LOAD"),
        ({"data": {"update": "CLEAR DEFAULT"}}, 403, "read-only"),
        ({"content": b"DROP ALL", "headers": {"Content-Type": "application/sparql-update"}}, 403, "read-only"),
        ({"params": {"query": "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"}}, 403,
         "SERVICE"),
        ({"params": {"query": "SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }"}}, 403, "FROM"),
        ({"params": {"query": "SELECT * FROM NAMED <http://example.org/g> WHERE { GRAPH ?g { ?s ?p ?o } }"}}, 403,
         "FROM"),
        ({"params": {"query": "SELECT * WHERE { ?s ?p ?o }", "default-graph-uri": "http://example.org/g"}}, 403,
         "default-graph-uri"),
        ({"params": {"query": "SELECT * WHERE { ?s ?p }"}}, 400, "line 1, column"),
        ({"params": {"query": "SELECT * WHERE { ?s nope:p ?o }"}}, 400, "undeclared prefix nope:"),
        ({"params": {"query": ["ASK {}", "ASK {}"]}}, 400, "once"),
        ({"content": b"ASK {}", "headers": {"Content-Type": "text/plain"}}, 415, "application/sparql-query"),
    ],
)
def test_refused_and_malformed_requests(client, request_kwargs, status, words):
    method = client.post if ("data" in request_kwargs or "content" in request_kwargs) else client.get
    answer = method("/sparql", **request_kwargs)
    assert answer.status_code == status, answer.text
    assert words in answer.text
    assert answer.headers["access-control-allow-origin"] == "*"


def test_the_store_is_unchanged_after_refused_updates(client, built):
    client.get("/sparql", params={"query": "DELETE WHERE { ?s ?p ?o }"})
    count = client.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"}).json()
    assert int(count["results"]["bindings"][0]["n"]["value"]) == len(built.graph) + len(built.ontology)


def test_oversized_requests_are_refused(capped_client):
    big = "ASK {} #" + "x" * 2000
    body = capped_client.post("/sparql", content=big.encode(), headers={"Content-Type": "application/sparql-query"})
    assert body.status_code == 413 and "2000" in body.text
    form = capped_client.post("/sparql", data={"query": big})
    assert form.status_code == 413
    url = capped_client.get("/sparql", params={"query": big})
    assert url.status_code == 414 and "POST" in url.text


FIVE = "SELECT ?x WHERE { VALUES ?x { 1 2 3 4 5 } }"


@pytest.mark.parametrize("fmt", ["json", "tsv", "csv"])
@pytest.mark.parametrize(("query", "rows"), [
    (f"{FIVE} LIMIT 2", 2),
    (f"{FIVE} LIMIT 3", 3),  # the cap exactly: whole, not cut
    (f"{FIVE} LIMIT 4", 4),
    (f"{FIVE} OFFSET 1 LIMIT 3", 3),
    ("SELECT ?x WHERE { { SELECT ?x WHERE { VALUES ?x { 1 2 3 4 5 } } LIMIT 4 } }", 4),  # a subquery's LIMIT
])
def test_a_query_s_own_limit_and_the_row_cap(capped_client, query, rows, fmt):
    """A query whose own LIMIT keeps it within the cap (3) is answered whole, by the engine's writer at once; any
    other is cut at the cap and flagged, whatever LIMIT its subqueries have."""
    answer = capped_client.get("/sparql", params={"query": query, "format": fmt})
    assert answer.status_code == 200, answer.text
    if fmt == "json":
        got = len(answer.json()["results"]["bindings"])
    else:
        got = len(answer.text.splitlines()) - 1  # the header line
    assert got == min(rows, 3)
    assert ("x-yuetang-truncated" in answer.headers) == (rows > 3)


def test_cors_on_reads_and_preflight(client):
    answer = client.get("/sparql", params={"query": "ASK {}"})
    assert answer.headers["access-control-allow-origin"] == "*"
    preflight = client.options("/sparql", headers={"Origin": "http://elsewhere.example",
                                                   "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "Content-Type" in preflight.headers["access-control-allow-headers"]


def test_row_cap_is_flagged_in_every_format(capped_client):
    as_json = capped_client.get("/sparql", params={"query": LABELS})
    assert as_json.headers["x-yuetang-truncated"] == "true"
    assert as_json.json()["truncated"] is True and len(as_json.json()["results"]["bindings"]) == 3
    as_xml = capped_client.get("/sparql", params={"query": LABELS, "format": "xml"})
    assert as_xml.headers["x-yuetang-truncated"] == "true" and b"urn:yuetang-kg:truncated" in as_xml.content
    as_csv = capped_client.get("/sparql", params={"query": LABELS, "format": "csv"})
    assert as_csv.headers["x-yuetang-truncated"] == "true" and len(as_csv.text.splitlines()) == 1 + 3
    as_graph = capped_client.get("/sparql", params={"query": GRAPH_QUERY})
    assert as_graph.headers["x-yuetang-truncated"] == "true"
    assert len(parsed_graph(as_graph.content, "text/turtle")) == 3
    exact = capped_client.get("/sparql", params={"query": "SELECT * WHERE { VALUES ?x { 1 2 3 } }"})
    assert "x-yuetang-truncated" not in exact.headers and "truncated" not in exact.json()


def test_explosive_query_times_out_while_others_are_answered(client, backend):
    if backend != "embedded":  # it would keep the engine busy long after: its timeouts are soft (engines.md)
        pytest.skip("a remote engine's timeout is tested with a stalled server (test_upstream.py)")
    outcome = {}
    # A client of its own for the other thread (no lifespan: the app's workers are already running).
    other = TestClient(client.app)

    def explode():
        start = time.monotonic()
        outcome["answer"] = other.get("/sparql", params={"query": CROSS6})
        outcome["seconds"] = time.monotonic() - start

    thread = threading.Thread(target=explode)
    thread.start()
    time.sleep(0.3)
    meanwhile = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
    assert meanwhile.status_code == 200 and meanwhile.json()["boolean"] is True
    assert thread.is_alive(), "the simple query should be answered while the explosive one still runs"
    thread.join(TIMEOUT_S + 5)
    assert outcome["answer"].status_code == 503
    assert "longer than 2 s" in outcome["answer"].text
    assert outcome["seconds"] < TIMEOUT_S + 1
    # The killed worker is replaced: both workers answer again.
    for _ in range(3):
        assert client.get("/sparql", params={"query": "ASK {}"}).status_code == 200


# --- the catalogue on the web -------------------------------------------------------------------------------


def results_table(html: str) -> list[str]:
    table = html[html.index('id="results"'):]
    return re.findall(r"<tr>", table[: table.index("</table>")])[1:]


def test_catalogue_index_lists_every_query(client, catalogue):
    page = client.get("/queries")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for name in catalogue:
        assert f'href="/queries/{name}"' in page.text
    assert [q["name"] for q in client.get("/queries.json").json()] == list(catalogue)


def test_every_catalogue_page_and_its_twins_answer_like_the_store(client, catalogue, store):
    for name, query in catalogue.items():
        expected = store.query(query.text, query.bindings({}))
        as_json = client.get(f"/queries/{name}.json")
        assert as_json.status_code == 200, (name, as_json.text)
        assert parsed_rows(as_json.content, ox.QueryResultsFormat.JSON) == n3_rows(expected.rows), name
        as_csv = client.get(f"/queries/{name}.csv")
        assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
        assert len(list(csv.reader(io.StringIO(as_csv.text)))) == 1 + len(expected.rows), name
        page = client.get(f"/queries/{name}")
        assert page.status_code == 200
        assert len(results_table(page.text)) == len(expected.rows), name


def test_catalogue_parameters_come_from_the_url_and_are_bound(client, catalogue, store):
    name, query = next((n, q) for n, q in catalogue.items() if any(p.kind == "iri" for p in q.params))
    param = next(p for p in query.params if p.kind == "iri")
    elsewhere = BASE + "id/place/no-such-place"
    answer = client.get(f"/queries/{name}.json", params={param.name: elsewhere})
    expected = store.query(query.text, query.bindings({param.name: elsewhere}))
    assert parsed_rows(answer.content, ox.QueryResultsFormat.JSON) == n3_rows(expected.rows)
    assert n3_rows(expected.rows) != n3_rows(store.query(query.text, query.bindings({})).rows)
    page = client.get(f"/queries/{name}", params={param.name: elsewhere})
    assert f'value="{elsewhere}"' in page.text


def test_catalogue_parameter_errors_name_the_parameter(client, catalogue):
    name, query = next((n, q) for n, q in catalogue.items() if any(p.kind == "iri" for p in q.params))
    param = next(p for p in query.params if p.kind == "iri")
    spliced = client.get(f"/queries/{name}.json", params={param.name: "http://x/> } UNION { ?s ?p ?o"})
    assert spliced.status_code == 400 and f"parameter {param.name}" in spliced.text
    unknown = client.get(f"/queries/{name}.json", params={"no_such_param": "1"})
    assert unknown.status_code == 400 and "no_such_param" in unknown.text and param.name in unknown.text
    assert client.get("/queries/no_such_query").status_code == 404
    assert client.get(f"/queries/{name}.xlsx").status_code == 404


def test_truncated_catalogue_page_says_so(capped_client, catalogue, store):
    name = next(n for n, q in catalogue.items() if len(store.query(q.text, q.bindings({})).rows) > 3)
    page = capped_client.get(f"/queries/{name}")
    assert 'id="truncated"' in page.text and len(results_table(page.text)) == 3


def test_query_page_has_a_tab_per_catalogue_query_and_only_local_assets(client, catalogue):
    page = client.get("/query")
    assert page.status_code == 200
    data = re.search(r'<script type="application/json" id="editor-tabs">(.*?)</script>', page.text, re.DOTALL)
    tabs = json.loads(data.group(1))["tabs"]
    assert [t["name"] for t in tabs] == list(catalogue)
    assert [t["query"] for t in tabs] == [q.text for q in catalogue.values()]
    # What the page loads (scripts, stylesheets, icon), not what it links to (the footer's licence).
    assets = re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"', page.text)
    assert "/static/vendor/yasgui.min.js" in assets
    assert all(a.startswith("/") or a == "data:," for a in assets), assets
    script = client.get("/static/vendor/yasgui.min.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")


def test_missing_yasgui_is_explained(client, monkeypatch, tmp_path):
    monkeypatch.setattr(catalogue_pages, "vendor_path", lambda name: tmp_path / name)
    page = client.get("/query")
    assert page.status_code == 500 and "make vendor" in page.text
    script = client.get("/static/vendor/yasgui.min.js")
    assert script.status_code == 404 and "make vendor" in script.text


def test_result_cells_link_only_to_web_iris():
    assert catalogue_pages.local_link(BASE + "id/place/x") == "/id/place/x"
    assert catalogue_pages.local_link("http://www.wikidata.org/entity/Q1") == "http://www.wikidata.org/entity/Q1"
    assert catalogue_pages.local_link("javascript:alert(1)") is None
    assert catalogue_pages.short("https://w3id.org/yuetang-kg/ontology#Village") == "ykg:Village"
