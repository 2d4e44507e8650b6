"""The path finder (/path, /path.json), the canvas's neighbours (/neighbours.json) and the search in the
article's text (/search), driven in process and checked against the projection and the article."""

import doctest
import html
import re

import pytest
from starlette.testclient import TestClient

from yuetang_kg.explore import analytics
from yuetang_kg.namespaces import ID
from yuetang_kg.web import article, canvas, textsearch
from yuetang_kg.web.app import create_app
from yuetang_kg.web.site import Site

QIXING_IRI = str(ID["place/zhaoshan-qixing-cun"])
XIANGTAN_IRI = str(ID["place/xiangtan-shi"])


def test_doctests():
    for module in (textsearch, article):
        assert doctest.testmod(module).failed == 0, module


@pytest.fixture(scope="module")
def client(built, catalogue, repo_paths):
    return TestClient(create_app(Site(built.out, catalogue, viz=repo_paths.data.parent / "viz")))


def test_path_json_matches_the_cli_and_quotes_each_hop(client, projection, built):
    answer = client.get("/path.json", params={"from": "七星村", "to": "湘潭市"}).json()
    assert answer["from"]["entity"]["iri"] == analytics.resolve(projection, "七星村") == QIXING_IRI
    assert answer["to"]["entity"]["iri"] == analytics.resolve(projection, "湘潭市")
    expected = analytics.shortest_paths(projection, QIXING_IRI, answer["to"]["entity"]["iri"], 3)
    assert [[(h["from"], h["to"]) for h in path] for path in answer["paths"]] == [
        [(h.source, h.target) for h in hops] for hops in expected]
    text = built.facts.default_document.text
    quoted = [e for path in answer["paths"] for hop in path for e in hop["evidence"]]
    assert quoted
    for evidence in quoted:
        assert text[evidence["begin"] : evidence["end"]] == evidence["quote"]
        assert evidence["article_href"].endswith(f"#char={evidence['begin']},{evidence['end']}")


def test_the_path_page_lists_hops_with_quotes_linked_to_their_span(client):
    page = client.get("/path", params={"from": "七星村", "to": "湘潭市"})
    assert page.status_code == 200 and 'id="path-data"' in page.text
    article_page = client.get("/article").text
    for href in set(re.findall(r'href="(/article/[^"#]+#char=[^"]+)"', page.text)):
        anchor = href.split("#", 1)[1]
        assert f'id="{anchor}"' in article_page, anchor  # the link lands on the span, highlighted by :target


def test_ambiguous_or_unknown_names_offer_candidates(client):
    unknown = client.get("/path.json", params={"from": "zzzzqqq", "to": "湘潭市"})
    assert unknown.status_code == 404 and unknown.json()["from"]["entity"] is None
    assert unknown.json()["paths"] == []
    tied = client.get("/path.json", params={"from": "村", "to": "湘潭市"})
    body = tied.json()
    if body["from"]["entity"] is None:  # several villages are named …村 equally well
        assert tied.status_code == 404 and len(body["from"]["candidates"]) > 1
        page = client.get("/path", params={"from": "村", "to": "湘潭市"}).text
        assert html.escape(body["from"]["candidates"][0]["label_zh"]) in page
    else:
        assert body["from"]["note"]  # a partial name says what it was taken as
    assert client.get("/path.json", params={"from": "七星村", "to": "湘潭市", "limit": "11"}).status_code == 400


def test_neighbours_are_bounded_filtered_and_paged(client, projection):
    everything = client.get("/neighbours.json", params={"iri": QIXING_IRI, "limit": 200}).json()
    assert {n["id"] for n in everything["neighbours"]} == analytics.neighbours(projection, QIXING_IRI)
    assert everything["total"] == len(everything["neighbours"])
    assert all(QIXING_IRI in (e["from"], e["to"]) for e in everything["edges"])
    first = client.get("/neighbours.json", params={"iri": QIXING_IRI, "limit": 2}).json()
    rest = client.get("/neighbours.json", params={"iri": QIXING_IRI, "limit": 200, "offset": 2}).json()
    assert [n["id"] for n in first["neighbours"] + rest["neighbours"]] == [n["id"] for n in everything["neighbours"]]
    located = client.get("/neighbours.json", params={"iri": QIXING_IRI, "relation": "locatedIn"}).json()
    assert located["edges"] and {e["relation"] for e in located["edges"]} == {"locatedIn"}
    places = client.get("/neighbours.json", params={"iri": QIXING_IRI, "class": "Place"}).json()
    assert places["neighbours"] and all("Place" in n["classes"] for n in places["neighbours"])
    assert client.get("/neighbours.json", params={"iri": "https://example.org/x"}).status_code == 404
    assert client.get("/neighbours.json", params={"iri": QIXING_IRI, "limit": canvas.MAX_NEIGHBOURS + 1}).status_code == 400


def test_canvas_page_starts_at_the_named_entity(client):
    page = client.get("/canvas", params={"start": "qixing"})
    assert page.status_code == 200 and 'id="canvas-start"' in page.text and QIXING_IRI in page.text
    assert client.get("/canvas", params={"start": "zzzzqqq"}).status_code == 404
    assert client.get("/canvas").status_code == 200  # the form


@pytest.mark.parametrize("query", ["绿心", "lvxin", "LüXin", "Lǜxīn", "七星", "qixing"])
def test_search_finds_the_article_text_by_hanzi_and_pinyin(client, built, query):
    text = built.facts.default_document.text
    hits = client.get("/search.json", params={"q": query}).json()["text"]
    assert hits, query
    for hit in hits:
        assert hit["quote"] == text[hit["begin"] : hit["end"]]
        assert hit["quote"] in ("绿心", "七星"), hit["quote"]
    assert any(hit["cited_by"] for hit in hits)  # quotes of the graph are found with the facts that cite them


def test_a_hit_opens_the_article_with_its_words_highlighted(client, built):
    hit = client.get("/search.json", params={"q": "七星"}).json()["text"][0]
    page = client.get(hit["href"].split("#")[0]).text
    marked = re.search(r'<mark class="hit" id="hit">(.*?)</mark>', page)
    assert marked and html.unescape(marked[1]) in hit["quote"]
    body = page[page.index('<div class="article" lang="zh">') :]
    body = body[len('<div class="article" lang="zh">') : body.index("</div>")]
    assert html.unescape(re.sub(r"<[^>]+>", "", body)) == built.facts.default_document.text  # nothing lost
    for bad in ("9,3", "x", "0,99999999", "1,2,3"):
        assert 'class="hit"' not in client.get("/article", params={"mark": bad}).text
    page = client.get("/search", params={"q": "绿心"}).text
    assert "/article/" in page and "?mark=" in page and "cited by" in page
