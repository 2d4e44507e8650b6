"""The replicated corpora of ``benchmarks/scale.py``, on which issue 10's figures are measured: each copy is the
build renamed, in the dumps and in every table of the explorer's index alike, so that what is measured on a corpus
is what a build of that graph would give."""

import json
import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import URIRef

from yuetang_kg.cli import main
from yuetang_kg.explore.index import INDEX_NAME, Index
from yuetang_kg.publish import ntriples
from yuetang_kg.publish.named_graphs import partition

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import scale  # benchmarks/ is no package: imported from its folder

COPIES = 3


@pytest.fixture(scope="module")
def corpus(built, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("corpus")
    scale.write_corpus(built.out, COPIES, out)
    return out


def renamed(iri: str, copy: int) -> str:
    return re.sub(r"(/id/[a-z-]+/)", rf"\g<1>c{copy}-", iri) if copy else iri


def test_the_corpus_named_graphs_are_those_the_rule_gives(corpus, built):
    triples = ntriples.in_order(ntriples.split((corpus / "yuetang.nt").read_bytes()))
    quads = ntriples.split((corpus / "yuetang.nq").read_bytes())
    assert quads == ntriples.in_order(quads)  # sorted, as the build writes it
    graphs = {URIRef(name): lines for name, lines in ntriples.by_graph(quads).items()}
    assert graphs == {name: ntriples.in_graph(lines, name) for name, lines in partition(triples).items()}
    assert len(graphs) == COPIES + 2  # a document's graph per copy, the shared and the derived graphs
    assert len(triples) == COPIES * len(built.graph)


def test_the_corpus_index_holds_each_copys_communities_renamed(corpus, built):
    source, copied = Index(built.out / INDEX_NAME), Index(corpus / INDEX_NAME)
    try:
        expected = {frozenset(renamed(iri, copy) for iri in community)
                    for copy in range(COPIES) for community in source.communities()}
        found = copied.communities()
        assert {frozenset(community) for community in found} == expected
        assert len(found) == COPIES * len(source.communities())
        assert sorted(iri for community in found for iri in community) == sorted(copied.entity_graph().nodes)
    finally:
        source.close()
        copied.close()


def test_stats_graph_over_the_corpus_lists_every_copys_communities(corpus, built, cli_paths):
    runner = CliRunner()
    one = json.loads(runner.invoke(main, ["stats", "--graph", *cli_paths]).stdout)["graph"]
    result = runner.invoke(main, ["stats", "--graph", *cli_paths[:-1], str(corpus)])
    assert result.exit_code == 0, result.output
    many = json.loads(result.stdout)["graph"]
    assert (many["nodes"], many["edges"]) == (COPIES * one["nodes"], COPIES * one["edges"])
    assert [c["size"] for c in many["communities"]] == sorted([c["size"] for c in one["communities"]] * COPIES,
                                                                reverse=True)
