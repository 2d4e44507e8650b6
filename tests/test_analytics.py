"""Analytics on the projection, and the `path` and `stats --graph` commands that print them."""

import doctest
import json
import re
from itertools import pairwise

import networkx as nx
import pytest
from click.testing import CliRunner
from rdflib import RDF, RDFS, Graph, Literal, URIRef

from yuetang_kg.cli import main
from yuetang_kg.errors import DataError
from yuetang_kg.explore import analytics
from yuetang_kg.explore.index import Index
from yuetang_kg.explore.project import to_networkx
from yuetang_kg.namespaces import ID, YKG

HOP = re.compile(r"^(\d+)\. (.+) (—(.+) \((.+)\)→|←(.+) \((.+)\)—) (.+)$")
EVIDENCE = re.compile(r"^ {5}“(.*)” \[chars (\d+)–(\d+)\]$")


def test_doctests():
    assert doctest.testmod(analytics).failed == 0


@pytest.fixture(scope="module")
def qixing(projection) -> str:
    return next(n for n, d in projection.nodes(data=True) if d["label_zh"] == "七星村")


@pytest.mark.parametrize(
    "name",
    [
        "七星村",
        "qixing",
        "Qixing Village",
        "qixing village",
        "Qīxīng Cūn",
        "QIXING CUN",
        "place/zhaoshan-qixing-cun",
        "zhaoshan-qixing-cun",
    ],
)
def test_names_resolve_to_the_village(projection, qixing, name):
    assert analytics.resolve(projection, name) == qixing
    assert analytics.find(projection, name)[0][0] == qixing


def small_projection(*named: tuple[str, str]) -> nx.MultiDiGraph:
    graph = Graph()
    for slug, zh in named:
        graph.add((ID[f"place/{slug}"], RDF.type, YKG.Village))
        graph.add((ID[f"place/{slug}"], RDFS.label, Literal(zh, lang="zh")))
    return to_networkx(graph)


def test_homonyms_are_refused_listing_both_ids():
    projected = small_projection(("a-hongqi-cun", "红旗村"), ("b-hongqi-cun", "红旗村"))
    with pytest.raises(DataError, match=r"'红旗村' names 2 entities.*place/a-hongqi-cun.*place/b-hongqi-cun"):
        analytics.resolve(projected, "红旗村", "SOURCE")
    assert analytics.resolve(projected, "b-hongqi-cun") == str(ID["place/b-hongqi-cun"])


def test_partial_names_take_the_best_match_and_ties_are_refused():
    projected = small_projection(("x", "长株潭三市"), ("y", "长株潭都市圈"), ("z", "湘江"))
    assert analytics.resolve(projected, "长株潭") == str(ID["place/x"])  # the shorter name
    assert "other matches: 长株潭都市圈" in analytics.resolution_note(projected, "长株潭", str(ID["place/x"]))
    assert analytics.resolution_note(projected, "湘江", str(ID["place/z"])) is None
    tied = small_projection(("x", "长株潭甲"), ("y", "长株潭乙"))
    with pytest.raises(DataError, match="names 2 entities equally well"):
        analytics.resolve(tied, "长株潭")
    with pytest.raises(DataError, match="no entity is named '北京'"):
        analytics.resolve(tied, "北京")


def test_shortest_path_follows_real_triples(projection, graph, qixing):
    target = analytics.resolve(projection, "长株潭都市圈")
    (hops,) = analytics.shortest_paths(projection, qixing, target)
    assert len(hops) == nx.shortest_path_length(analytics.undirected(projection), qixing, target)
    assert hops[0].source == qixing and hops[-1].target == target
    for before, after in pairwise(hops):
        assert before.target == after.source
    for hop in hops:
        subject, obj = (hop.source, hop.target) if hop.forward else (hop.target, hop.source)
        assert (URIRef(subject), URIRef(hop.relation["predicate"]), URIRef(obj)) in graph


def test_unconnected_entities_have_no_path():
    projected = small_projection(("a", "甲村"), ("b", "乙村"))
    assert analytics.shortest_paths(projected, str(ID["place/a"]), str(ID["place/b"])) == []


def test_path_command_prints_each_hop_with_its_evidence(cli_paths, built, projection):
    result = CliRunner().invoke(main, ["path", "七星村", "长株潭", *cli_paths])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    head = re.match(
        r"^七星村 Qixing Village \[place/zhaoshan-qixing-cun\] → (.+) \[(.+)\]: (\d+) hop\(s\)$", lines[0]
    )
    assert head, lines[0]
    text = built.facts.default_document.text
    hops = [HOP.match(line) for line in lines if HOP.match(line)]
    assert len(hops) == int(head[3]) >= 1
    assert hops[0][2] == "七星村" and hops[-1][8] == head[1].split(" ")[0]
    for line in lines[1:]:
        quote = EVIDENCE.match(line)
        if quote:
            assert text[int(quote[2]) : int(quote[3])] == quote[1]
    # every hop is followed by its evidence (a quote or a verified reference)
    for index, line in enumerate(lines):
        if HOP.match(line):
            assert index + 1 < len(lines) and (
                EVIDENCE.match(lines[index + 1]) or "reference:" in lines[index + 1]
            )
    assert "'长株潭' taken as 长株潭" in result.stderr


def test_path_command_json_and_errors(cli_paths):
    runner = CliRunner()
    result = runner.invoke(
        main, ["path", "zhaoshan-qixing-cun", "changzhutan-dushiquan", "--format", "json", *cli_paths]
    )
    assert result.exit_code == 0, result.output
    (path,) = json.loads(result.stdout)
    assert path[0]["from_zh"] == "七星村" and path[-1]["to"].endswith("/changzhutan-dushiquan")
    assert all(hop["evidence"] or hop["references"] for hop in path)
    missing = runner.invoke(main, ["path", "七星村", "不存在的地方", *cli_paths])
    assert missing.exit_code == 1
    assert "TARGET: no entity is named '不存在的地方'" in missing.stderr


def test_centrality_and_communities(projection):
    simple = analytics.undirected(projection)
    central = analytics.centrality(projection, top=5)
    assert central["degree"][0]["degree"] == max(d for _, d in simple.degree())
    assert [e["degree"] for e in central["degree"]] == sorted(
        (e["degree"] for e in central["degree"]), reverse=True
    )
    found = analytics.communities(projection)
    members = [n for community in found for n in community]
    assert sorted(members) == sorted(projection.nodes)  # a partition: every node once
    assert found == analytics.communities(projection)  # fixed seed
    assert [len(c) for c in found] == sorted((len(c) for c in found), reverse=True)


def test_betweenness_is_exact_for_the_article(projection):
    simple = analytics.undirected(projection)
    central = analytics.centrality(projection, top=5)
    assert central["betweenness_method"] == {"method": "exact", "nodes": simple.number_of_nodes()}
    exact = nx.betweenness_centrality(simple)
    assert [e["betweenness"] for e in central["betweenness"]] == sorted(
        (round(v, 4) for v in exact.values()), reverse=True)[:5]


def test_betweenness_is_sampled_past_the_budget_with_a_fixed_seed(projection):
    """A budget smaller than the article's n × (n + m) steps stands in for a corpus: betweenness is then estimated
    from a seeded sample of sources, the same one every run, and the output says so."""
    simple = analytics.undirected(projection)
    budget = simple.number_of_nodes() * (simple.number_of_nodes() + simple.number_of_edges()) // 10
    sources = analytics.betweenness_sources(simple, budget)
    assert analytics.MIN_BETWEENNESS_SOURCES <= sources < simple.number_of_nodes()
    sampled = analytics.centrality(projection, top=len(simple), budget=budget)
    assert sampled == analytics.centrality(projection, top=len(simple), budget=budget)
    assert sampled["betweenness_method"] == {"method": "sampled", "sources": sources, "seed": analytics.COMMUNITY_SEED,
                                             "nodes": simple.number_of_nodes()}
    estimate = nx.betweenness_centrality(simple, k=sources, seed=analytics.COMMUNITY_SEED)
    exact = nx.betweenness_centrality(simple)
    by_iri = {projection.nodes[n]["iri"]: n for n in projection.nodes}
    found = {by_iri[e["iri"]]: e["betweenness"] for e in sampled["betweenness"]}
    assert found == {n: round(v, 4) for n, v in estimate.items()}
    assert found != {n: round(v, 4) for n, v in exact.items()}


def test_stats_graph_reads_the_index_and_says_what_the_projection_says(cli_paths, projection, monkeypatch):
    """`stats --graph` reads the communities the build found and the index's simple graph, never the projection's
    data, and prints what the summary of the whole projection in memory gives."""
    def refuse(*args, **kwargs):
        raise AssertionError("stats --graph ran Louvain or read the whole projection")

    expected = analytics.summary(projection)
    monkeypatch.setattr(analytics.nx.community, "louvain_communities", refuse)
    monkeypatch.setattr(Index, "projection", refuse)
    result = CliRunner().invoke(main, ["stats", "--graph", *cli_paths])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["graph"] == expected
    assert len(expected["communities"]) > 1


def test_stats_says_how_betweenness_was_found(cli_paths):
    result = CliRunner().invoke(main, ["stats", "--graph", *cli_paths])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["graph"]["centrality"]["betweenness_method"]["method"] == "exact"


def test_ego_holds_the_neighbours_and_nothing_further(projection, qixing):
    part = analytics.ego(projection, qixing)
    expected = {qixing} | set(projection.successors(qixing)) | set(projection.predecessors(qixing))
    assert set(part.nodes) == expected
    assert part.number_of_edges() == projection.subgraph(expected).number_of_edges()
    assert len(analytics.ego(projection, qixing, 2)) > len(part)


def test_stats_graph_is_deterministic_json(cli_paths, projection):
    runner = CliRunner()
    first = runner.invoke(main, ["stats", "--graph", *cli_paths])
    second = runner.invoke(main, ["stats", "--graph", *cli_paths])
    assert first.exit_code == 0, first.output
    assert first.stdout == second.stdout
    stats = json.loads(first.stdout)["graph"]
    assert (stats["nodes"], stats["edges"]) == (projection.number_of_nodes(), projection.number_of_edges())
    assert stats["largest_component"] <= stats["nodes"]
    simple = analytics.undirected(projection)
    hub = min(simple.nodes, key=lambda n: (-simple.degree(n), n))
    assert stats["centrality"]["degree"][0]["iri"] == hub
    plain = json.loads(runner.invoke(main, ["stats", *cli_paths]).stdout)
    assert "graph" not in plain and plain["triples"] > 0
