"""The explorer pages, driven in process through Starlette's TestClient: search, resource pages and their RDF
twins, the annotated article, the charts and the views; checked against the graph and the article (the pages
are opened in a real browser by test_browser.py)."""

import doctest
import html
import json
import re

import pytest
from conftest import BACKENDS, as_stored, site_over
from pyld import jsonld
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from starlette.testclient import TestClient

from yuetang_kg.build import write_build
from yuetang_kg.errors import DataError
from yuetang_kg.explore.project import kind_and_slug
from yuetang_kg.namespaces import ID, NIF, YKG
from yuetang_kg.publish.describe import Release
from yuetang_kg.publish.formats import FORMATS
from yuetang_kg.web import article, charts, explorer, resources
from yuetang_kg.web.app import create_app
from yuetang_kg.web.site import Settings, Site

XSS = "<img src=x onerror=window.__xss=1>"
QIXING = "/id/place/zhaoshan-qixing-cun"


def test_doctests():
    for module in (article, resources, charts):
        assert doctest.testmod(module).failed == 0, module


@pytest.fixture(scope="module")
def viz(repo_paths):
    return repo_paths.data.parent / "viz"


@pytest.fixture(scope="module", params=BACKENDS)
def client(request, built, catalogue, viz):
    """The explorer over the build's store, and over each engine behind ``serve --endpoint`` (descriptions come
    from the engine, the rest from the build's index). No lifespan: the explorer needs no query worker."""
    site = site_over(request.param, request, built, catalogue, Settings(timeout_s=30))
    site.viz = viz
    return TestClient(create_app(site))


def path_of(iri: str) -> str:
    return resources.local_path(str(iri))


def links(page: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"]*)"', page)]


def visible_text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def test_search_finds_the_village_by_hanzi_pinyin_and_english(client):
    for query in ("七星村", "qixing", "Qixing Village", "Qīxīng"):
        answer = client.get("/search.json", params={"q": query}).json()
        assert answer["results"][0]["href"] == QIXING, query
        page = client.get("/search", params={"q": query}).text
        assert links(page).index(QIXING) < min(
            i for i, h in enumerate(links(page)) if h.startswith("/id/") and h != QIXING
        )


def test_search_without_a_query_lists_every_entity(client, projection):
    listed = set(links(client.get("/search").text))
    assert {path_of(node) for node in projection.nodes} <= listed


def test_every_entity_has_a_resource_page(client, projection):
    for node, data in projection.nodes(data=True):
        response = client.get(path_of(node))
        assert response.status_code == 200, node
        assert f"<h1>{html.escape(data['label_zh'])}" in response.text
        assert response.headers["vary"] == "Accept"
        assert "script-src 'self'" in response.headers["content-security-policy"]


def test_resource_page_shows_properties_inverse_relations_and_evidence(client, graph, built):
    page = client.get(QIXING).text
    node = ID["place/zhaoshan-qixing-cun"]
    for label in ("七星村", "Qixing Village", "Qīxīng Cūn", "村"):
        assert html.escape(label) in page
    for predicate, _ in graph.predicate_objects(node):
        names = {str(lit) for lit in built.ontology.objects(predicate, RDFS.label) if lit.language == "zh"}
        assert not names or any(html.escape(name) in page for name in names), predicate
    for subject in graph.subjects(YKG.locatedIn, node):
        assert path_of(subject) in links(page)  # the places that lie in the village: inverse relations
    marked = [visible_text(m) for m in re.findall(r"<mark>(.*?)</mark>", page, re.DOTALL)]
    text = built.facts.default_document.text
    assert marked and all(quote in text for quote in marked)
    assert "昭山镇七星村地处长株潭“绿心”禁止开发区" in marked
    assert 'id="ego-data"' in page and "/static/vis-network/vis-network.min.js" in page


def test_observation_table_has_value_unit_qualifier_period_and_sentence(client, projection):
    village = projection.nodes[str(ID["place/zhaoshan-qixing-cun"])]
    page = client.get(QIXING).text
    table = page[page.index('class="observations"') :]
    for item in village["observations"]:
        for field in ("stated", "value", "unit_zh", "period", "qualifier"):
            assert html.escape(item[field]) in table, (item["iri"], field)
        assert path_of(item["iri"]) in links(table)


def test_content_negotiation_and_twins(client, graph):
    node = ID["place/zhaoshan-qixing-cun"]
    expected = as_stored(resources.description(graph, node))  # the page reads it from the store
    for fmt in (FORMATS["ttl"], FORMATS["jsonld"], FORMATS["nt"], FORMATS["rdfxml"]):
        negotiated = client.get(QIXING, headers={"Accept": fmt.media_type})
        twin = client.get(QIXING + fmt.extension)
        assert negotiated.status_code == twin.status_code == 200
        assert negotiated.headers["content-type"] == f"{fmt.media_type}; charset=utf-8"
        assert negotiated.headers["vary"] == "Accept"
        assert negotiated.headers["content-location"] == QIXING + fmt.extension
        assert negotiated.content == twin.content
        parsed = parse(negotiated.content, fmt)
        assert isomorphic(as_stored(parsed), expected), fmt.name
    assert (
        client.get(QIXING, headers={"Accept": "text/html,application/xhtml+xml;q=0.9"})
        .headers["content-type"]
        .startswith("text/html")
    )
    assert (
        client.get(QIXING, headers={"Accept": "text/turtle;q=0.5, application/ld+json"})
        .headers["content-type"]
        .startswith("application/ld+json")
    )
    refused = client.get(QIXING, headers={"Accept": "image/png"})
    assert refused.status_code == 406 and "text/turtle" in refused.text
    assert client.get("/id/place/no-such-place").status_code == 404
    assert client.get("/id/place/no-such-place.ttl").status_code == 404


def parse(body: bytes, fmt) -> Graph:
    """An answer read back; JSON-LD by pyld, an independent processor (rdflib's emits deprecation warnings)."""
    if fmt.name == "jsonld":
        return Graph().parse(
            data=jsonld.to_rdf(json.loads(body), {"format": "application/n-quads"}), format="nt"
        )
    return Graph().parse(data=body, format=fmt.rdflib)


def test_description_carries_the_statements_and_their_spans(graph):
    node = ID["place/zhaoshan-qixing-cun"]
    described = resources.description(graph, node)
    statements = set(described.subjects(RDF.subject, node))
    assert statements and statements == {s for s in graph.subjects(RDF.subject, node)}
    for statement in statements:
        for span in graph.objects(statement, YKG.evidence):
            assert (span, NIF.anchorOf, graph.value(span, NIF.anchorOf)) in described
    assert not list(described.triples((None, NIF.isString, None)))  # the article stays in its document


def test_every_kind_of_resource_has_a_page(client, graph):
    kinds = {}
    for subject in graph.subjects():
        parts = isinstance(subject, URIRef) and kind_and_slug(str(subject))
        if parts:
            kinds.setdefault(parts[0], subject)
    assert {"statement", "observation", "document", "unit", "variable", "period"} <= set(kinds)
    for kind, subject in sorted(kinds.items()):
        assert client.get(path_of(subject)).status_code == 200, kind


def test_article_links_every_span_and_keeps_the_text(client, graph, built):
    text = built.facts.default_document.text
    (document,) = {str(d) for d in graph.subjects(RDF.type, YKG.SourceDocument)}
    slug = kind_and_slug(document)[1]
    page = client.get("/article").text
    assert page == client.get(f"/article/{slug}").text
    body = page[page.index('<div class="article" lang="zh">') + len('<div class="article" lang="zh">') :]
    body = body[: body.index("</div>")]
    assert visible_text(body) == text  # nothing lost, blank lines kept
    covered = set()
    for keys in re.findall(r'data-spans="([^"]+)"', body):
        covered |= set(keys.split())
    spans = {
        f"{graph.value(s, NIF.beginIndex)}-{graph.value(s, NIF.endIndex)}"
        for s in graph.subjects(RDF.type, YKG.TextSpan)
    }
    assert covered == spans
    index = page[page.index('class="spans"') :]
    for key in spans:
        row = re.search(rf'<tr id="span-{key}".*?</tr>', index, re.DOTALL)
        assert row and re.search(r'href="/id/', row[0]), key  # linked to its entity or fact


def test_overlapping_spans_are_segmented_not_nested():
    spans = [
        {"span": "a", "begin": 0, "end": 4, "quote": "岳塘区委"},
        {"span": "b", "begin": 2, "end": 6, "quote": "区委书记"},
        {"span": "c", "begin": 2, "end": 3, "quote": "区"},
    ]
    targets = {
        "a": [{"href": "/id/x/a", "zh": "甲"}],
        "b": [{"href": "/id/x/b", "zh": "<乙>"}],
        "c": [{"href": "/id/x/c", "zh": "丙"}],
    }
    marked = str(article.annotate("岳塘区委书记说", spans, targets))
    assert "<a" not in re.sub(r"<a [^>]*>[^<]*</a>", "", marked)  # every link closes before the next opens
    assert re.findall(r'href="([^"]+)"', marked) == ["/id/x/a", "/id/x/c", "/id/x/a", "/id/x/b"]
    assert "&lt;乙&gt;" in marked and "<乙>" not in marked
    assert visible_text(marked) == "岳塘区委书记说"


def test_charts_show_every_before_after_pair(client, graph):
    page = client.get("/charts").text
    data = client.get("/charts.json").json()
    pairs = list(graph.subject_objects(YKG.previousObservation))
    assert pairs
    for after, before in pairs:
        chart = next(
            c
            for c in data
            if c["kind"] == "before-after"
            and str(after) in {bar["iri"] for panel in c["panels"] for bar in panel}
        )
        bars = [bar["iri"] for bar in chart["panels"][0]]
        assert bars.index(str(before)) < bars.index(str(after))
        section = page[page.index(f'id="chart-{chart["name"]}"') :]
        section = section[: section.index("</section>")]
        for node in (before, after):
            assert html.escape(str(graph.value(node, YKG.statedText))) in section
        assert "<svg" in section and "<mark>" in section and "单位 unit" in section


def test_every_chart_bar_shows_period_unit_qualifier_and_source(client, graph):
    for chart in client.get("/charts.json").json():
        for panel in chart["panels"]:
            assert len({bar["unit"] for bar in panel}) == 1  # one scale per unit
            for bar in panel:
                assert bar["period"] and bar["unit_zh"]
                qualifier = graph.value(URIRef(bar["iri"]), YKG.qualifier)
                assert bool(bar["qualifier"]) == (qualifier is not None)
                assert bar["evidence"] or bar["derived"]


def test_comparisons_come_from_charts_yaml(client, viz):
    names = {c["name"] for c in client.get("/charts.json").json()}
    defined = {c.name for c in charts.load_comparisons(viz)}
    assert {"village-collective-income", "flowers-nursery"} <= names
    assert names - defined == {n for n in names if n.startswith("series-")}


def test_views_are_served_and_vis_network_comes_from_pyvis(client):
    assert client.get("/views").status_code == 200
    whole = client.get("/views/whole")
    assert whole.status_code == 200 and "vis.Network" in whole.text
    ego = client.get("/views/ego", params={"entity": "七星村"})
    assert ego.status_code == 200 and "七星村" in ego.text
    assert client.get("/views/ego").status_code == 400
    assert client.get("/views/nothing").status_code == 404
    script = client.get("/static/vis-network/vis-network.min.js")
    assert script.content == explorer.vis_network_file("vis-network.min.js")
    assert client.get("/static/vis-network/other.js").status_code == 404
    assert client.get("/static/explorer/explorer.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/static/explorer/../site.py").status_code == 404


def hostile_site(catalogue, viz, folder) -> Site:
    graph = Graph()
    node = ID["place/hostile"]
    graph.add((node, RDF.type, YKG.Village))
    graph.add((node, RDFS.label, Literal(XSS, lang="zh")))
    graph.add((node, RDFS.label, Literal('"><script>window.__xss=2</script>', lang="en")))
    graph.add((ID["place/other"], RDF.type, YKG.Village))
    graph.add((ID["place/other"], YKG.locatedIn, node))
    return Site(write_build(folder, graph, Graph(), Release()).out, catalogue, viz=viz)


def test_hostile_labels_are_escaped_on_every_page(catalogue, viz, tmp_path):
    hostile = TestClient(create_app(hostile_site(catalogue, viz, tmp_path)))
    for path in ("/id/place/hostile", "/id/place/other", "/search", "/search?q=img", "/views/whole"):
        page = hostile.get(path).text
        assert XSS not in page and "<script>window.__xss" not in page, path
    page = hostile.get("/id/place/hostile").text
    assert html.escape(XSS) in page
    data = json.loads(
        re.search(r'<script type="application/json" id="ego-data">(.*?)</script>', page, re.DOTALL)[1]
    )
    assert {n["label"] for n in data["nodes"]} >= {XSS}


def test_bad_chart_definitions_name_the_file(tmp_path, viz):
    source = (viz / "charts.yaml").read_text(encoding="utf-8")
    broken = source.replace("  - name: rural-tourism\n", "  - name: rural-tourism\n    colour: red\n")
    (tmp_path / "charts.yaml").write_text(broken, encoding="utf-8")
    with pytest.raises(DataError, match=r"charts\.yaml: comparison 3: a comparison has name"):
        charts.load_comparisons(tmp_path)
    with pytest.raises(DataError, match=r"missing/charts\.yaml: cannot read the chart definitions"):
        charts.load_comparisons(tmp_path / "missing")


def test_home_page_counts_and_links(client, projection, graph):
    page = client.get("/").text
    assert f"{projection.number_of_nodes()} 个实体" in page
    assert f"{len(set(graph.subjects(RDF.type, YKG.TextSpan)))} 处原文证据" in page
    assert {"/search", "/article", "/charts", "/views", "/queries"} <= set(links(page))


def test_the_trade_citys_page_reads_its_former_business_as_former(client):
    page = client.get("/id/place/trade-city").text
    ego = json.loads(html.unescape(re.search(r'<script type="application/json" id="ego-data">(.*?)</script>', page, re.DOTALL)[1]))
    target = resources.local_path(str(ID["industry/household-appliances-department-store"]))
    names = {node["id"]: node["url"] for node in ego["nodes"]}
    edges = [e for e in ego["edges"] if names.get(e["to"]) == target]
    assert edges and all("从事产业（过去）" in e["title"] and "engaged in (former)" in e["title"] for e in edges)
    assert "过去，岳塘国际商贸城以家电百货" in visible_text(page)
    # Each fact in the evidence list says its status: the old business as former, the new one as current.
    facts = visible_text(page)
    assert re.search(r"家电百货 household appliances[^（]*（过去 former）", facts), facts[:2000]
    assert re.search(r"新媒体[^（]*（现在 current）", facts)


def test_charts_of_one_document_and_an_unknown_one(client):
    every = client.get("/charts.json").json()
    assert client.get("/charts.json?document=yuetang-2024").json() == every and every
    assert client.get("/charts?document=no-such-document").status_code == 404


def test_pages_over_a_corpus_stay_bounded_and_say_so(client, monkeypatch):
    """What a page lists or draws is capped (a corpus has entities and charts by the hundred thousand); past the
    cap the page says how many there are and where to find the rest."""
    monkeypatch.setattr(explorer, "MAX_LISTED", 5)
    monkeypatch.setattr(explorer, "MAX_CHARTS", 2)
    monkeypatch.setattr(explorer, "MAX_VIEW_NODES", 10)
    monkeypatch.setattr(explorer, "MAX_EGO", 4)
    listing = client.get("/search").text
    assert listing.count('<li><a href="/id/') == 5 and "the first 5 (by IRI) are listed here" in listing
    charts_page = client.get("/charts").text
    assert charts_page.count('<section class="chart"') == 2 and "the first 2 are drawn here" in charts_page
    whole = client.get("/views/whole")
    assert whole.status_code == 400 and "more than a whole-graph view draws (10)" in whole.text
    ego = client.get("/views/ego?entity=岳塘区")
    assert ego.status_code == 200 and "(10 nodes" in ego.text and "the 10 nearest are drawn" in ego.text
    hub = client.get("/id/place/yuetang-qu").text
    data = json.loads(re.search(r'<script type="application/json" id="ego-data">(.*?)</script>', hub, re.DOTALL)[1])
    assert len(data["nodes"]) == 4 and data["reached"] > 4 and "3 are drawn here: open the others" in hub
