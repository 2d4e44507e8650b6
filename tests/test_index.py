"""The explorer's index: written at build time, it holds the projection as built, ranks names as the projection's
own search ranks them, is byte-identical between builds, is replaced atomically, and lets the web app serve every
page without parsing the graph."""

import importlib
import json
import sqlite3

import pytest
import rdflib
from conftest import ROOT
from starlette.testclient import TestClient

from yuetang_kg.errors import DataError
from yuetang_kg.explore import analytics, reconcile
from yuetang_kg.explore.index import INDEX_NAME, Index, write_index
from yuetang_kg.web import charts, explorer
from yuetang_kg.web.app import create_app
from yuetang_kg.web.indexing import tables, write_explorer_index
from yuetang_kg.web.site import Settings, Site


@pytest.fixture(scope="module")
def index(built):
    opened = Index(built.out / INDEX_NAME)
    yield opened
    opened.close()


def search_texts(projection) -> list[str]:
    """Names, their prefixes and inner parts, pinyin and ids of every entity, and texts that match nothing."""
    texts = {"zz-nothing", "村", "qi", "Xiangtan", " 七星村 "}
    for _, a in projection.nodes(data=True):
        for name in analytics.names_of(a):
            texts |= {name, name[:2], name[1:3]}
        texts |= {a["slug"], a["iri"], f"{a['kind']}/{a['slug']}"}
    return sorted(t for t in texts if t.strip())


def test_the_index_holds_the_projection_as_built(index, projection):
    stored = index.projection()
    assert list(stored.nodes) == list(projection.nodes)
    assert all(stored.nodes[n] == projection.nodes[n] for n in projection.nodes)
    assert list(stored.edges(keys=True, data=True)) == list(projection.edges(keys=True, data=True))
    assert index.meta["entities"] == projection.number_of_nodes()


def test_the_index_holds_the_simple_graph_and_communities_stats_computes_on(index, projection):
    """In the same order as the projection's undirected graph (Louvain's and sampled betweenness' answers depend
    on it), and the communities Louvain finds on it."""
    simple, expected = index.entity_graph(), analytics.undirected(projection)
    assert [(n, list(around)) for n, around in simple.adjacency()] == \
        [(n, list(around)) for n, around in expected.adjacency()]
    assert analytics.in_order(simple, index.communities()) == analytics.communities(projection)
    assert index.names() == {n: {k: a[k] for k in ("iri", "label_zh", "label_en")}
                             for n, a in projection.nodes(data=True)}


def test_names_rank_as_the_projection_search_ranks_them(built, index, projection, catalogue):
    ex = explorer.Explorer(index, None, None, None, {})
    texts = search_texts(projection)
    assert len(texts) > 500
    for text in texts:
        assert ex.find(text, 100) == analytics.find(projection, text, 100), text


def test_neighbourhoods_are_those_of_the_projection(index, projection):
    for node in list(projection.nodes)[::7]:
        expected = analytics.ego(projection, node, 1)
        found = index.subgraph({node} | index.neighbours(node))
        assert set(found.nodes) == set(expected.nodes), node
        assert sorted(found.edges(keys=True)) == sorted(expected.edges(keys=True)), node


def test_shortest_paths_through_the_index_are_the_projections(index, projection):
    pairs = [(a, b) for a in list(projection.nodes)[::40] for b in list(projection.nodes)[5::60] if a != b]
    assert len(pairs) > 20
    for a, b in pairs:
        between = analytics.on_shortest_paths(index.adjacency, a, b, 100_000)
        expected = analytics.shortest_paths(projection, a, b, 3)
        found = analytics.shortest_paths(index.subgraph(between), a, b, 3) if between else []
        assert [[(h.source, h.target) for h in p] for p in found] == \
            [[(h.source, h.target) for h in p] for p in expected], (a, b)


def test_the_search_gives_up_past_its_bound_rather_than_walk_the_whole_graph(index, projection):
    nodes = list(projection.nodes)
    assert analytics.on_shortest_paths(index.adjacency, nodes[0], nodes[-1], 1) is None


def test_the_index_is_byte_identical_between_builds(built, repo_paths, tmp_path):
    comparisons = charts.load_comparisons(repo_paths.viz)
    first = write_explorer_index(tmp_path / "a", built.graph, built.ontology, comparisons)
    second = write_explorer_index(tmp_path / "b", built.graph, built.ontology, comparisons)
    assert first.read_bytes() == second.read_bytes() == (built.out / INDEX_NAME).read_bytes()


def test_a_failed_write_leaves_the_old_index_and_no_temporary_file(built, tmp_path):
    path = write_explorer_index(tmp_path, built.graph, built.ontology)
    before = path.read_bytes()
    rows, meta = tables(built.graph, built.ontology)
    rows["node"] = [*rows["node"], rows["node"][0]]  # a duplicate key: the insert fails half-way
    with pytest.raises(sqlite3.IntegrityError):
        write_index(path, rows, meta)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [INDEX_NAME]


@pytest.mark.parametrize("damage, words", [
    (lambda path: path.unlink(), "the explorer's index is missing; run yuetang-kg build"),
    (lambda path: path.write_bytes(b"not a database" * 100), "cannot read the explorer's index"),
])
def test_a_missing_or_broken_index_names_the_file(built, tmp_path, damage, words):
    path = write_explorer_index(tmp_path, built.graph, built.ontology)
    damage(path)
    with pytest.raises(DataError, match=words) as raised:
        Index(path)
    assert str(path) in str(raised.value)


def test_the_site_serves_every_page_without_parsing_the_graph(built, catalogue, repo_paths, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the web app parsed a graph")

    site = Site(built.out, catalogue, Settings(workers=1), viz=repo_paths.data.parent / "viz")
    monkeypatch.setattr(rdflib.Graph, "parse", refuse)
    with TestClient(create_app(site)) as client:
        for path in ("/", "/search?q=七星", "/search", "/id/place/zhaoshan-qixing-cun", "/id/place/yuetang-qu.ttl",
                     "/article/yuetang-2024", "/charts", "/path?from=七星村&to=湘潭市", "/canvas?start=七星村",
                     "/neighbours.json?iri=https://w3id.org/yuetang-kg/id/place/yuetang-qu", "/complete.json?q=qix",
                     "/views/ego?entity=七星村", "/queries/village_industries.json"):
            assert client.get(path).status_code == 200, path


PER_COPY = {"node", "edge", "document", "span", "reading", "chart", "chart_link", "reconcile_entity",
            "reconcile_code", "community"}
SHARED = {"meta", "reconcile_type"}  # the ontology's terms, labels and spellings and the prefixes: once
QIXING = "https://w3id.org/yuetang-kg/id/place/zhaoshan-qixing-cun"
DOCUMENT = "https://w3id.org/yuetang-kg/id/document/yuetang-2024"


def test_a_benchmark_corpus_holds_every_table_once_per_copy_renamed(built, tmp_path, monkeypatch):
    """``benchmarks/scale.py`` copies the index by SQL: every table, renamed per copy, so that what the server
    reads of a corpus is what a build of it would hold (a table it forgets is empty in the corpus)."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    scale = importlib.import_module("scale")
    scale.write_corpus_index(built.out / INDEX_NAME, 3, tmp_path / INDEX_NAME)
    source, corpus = Index(built.out / INDEX_NAME), Index(tmp_path / INDEX_NAME)
    tables = [name for (name,) in source.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    assert PER_COPY | SHARED <= set(tables)
    for table in tables:
        (before,), (after,) = (db.execute(f"SELECT count(*) FROM {table}").fetchone() for db in (source.db, corpus.db))
        assert before > 0, table
        if table in PER_COPY:
            assert after == 3 * before, table
        elif table in SHARED:
            assert after == before, table
        else:
            assert before < after < 3 * before, table
    copy = QIXING.replace("/place/", "/place/c2-")
    found = reconcile.Reconciler(corpus).reconcile(reconcile.Request("七星村"))
    assert [(c.id, c.score) for c in found[:3]] == [("place/c1-zhaoshan-qixing-cun", 100.0),
                                                    ("place/c2-zhaoshan-qixing-cun", 100.0),
                                                    ("place/zhaoshan-qixing-cun", 100.0)]
    assert not found[0].match  # three entities of that name: none is the one
    assert corpus.reconcile_entities([copy])[copy]["within"] == [
        iri.replace("/id/place/", "/id/place/c2-") for iri in source.reconcile_entities([QIXING])[QIXING]["within"]]
    charts, total = corpus.charts(100, DOCUMENT.replace("/document/", "/document/c2-"))
    assert total == source.charts(100, DOCUMENT)[1] and all(c["name"].startswith("c2-") for c in charts)
    assert "/id/place/c2-" in json.dumps(charts) and "/id/place/zhaoshan" not in json.dumps(charts)
    assert len(corpus.charts_about(copy)) == len(source.charts_about(QIXING)) > 0
    copied = DOCUMENT.replace("/document/", "/document/c2-")
    assert corpus.reading(copied) == source.reading(DOCUMENT) and "qixing" in corpus.reading(copied)["key"]
    assert [spelled for iri, _, _, spelled in corpus.texts("qixing") if iri == copied] == [True]
    source.close(), corpus.close()
