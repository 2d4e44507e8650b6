import re

import pytest
from rdflib import RDF, RDFS, Graph, Literal
from rdflib.namespace import SKOS

from yuetang_kg.build import build
from yuetang_kg.errors import DataError
from yuetang_kg.model.ontology import load_ontology, load_shapes
from yuetang_kg.model.validate import validate_graph
from yuetang_kg.namespaces import NIF, YKG


def test_build_is_byte_identical(repo_paths, built, tmp_path):
    again = build(repo_paths.data, repo_paths.ontology, tmp_path, viz=repo_paths.viz)
    first = {p.name: p.read_bytes() for p in built.outputs}
    second = {p.name: p.read_bytes() for p in again.outputs}
    assert first == second
    assert {"yuetang.ttl", "yuetang.nt", "build-report.json"} <= set(first)


def test_outputs_parse(built):
    for path in built.outputs:
        if path.name in {"yuetang.ttl", "yuetang.nt"}:
            parsed = Graph().parse(path, format="turtle" if path.suffix == ".ttl" else "nt")
            assert len(parsed) == len(built.graph)


def test_ntriples_are_sorted(built):
    lines = next(p for p in built.outputs if p.suffix == ".nt").read_text(encoding="utf-8").splitlines()
    assert lines == sorted(lines)


def test_every_span_slices_the_article_to_its_quote(graph, built):
    text = built.facts.default_document.text
    spans = list(graph.subjects(RDF.type, YKG.TextSpan))
    assert len(spans) > 100
    for span in spans:
        begin, end = int(graph.value(span, NIF.beginIndex)), int(graph.value(span, NIF.endIndex))
        assert text[begin:end] == str(graph.value(span, NIF.anchorOf))
        assert str(span).endswith(f"#char={begin},{end}")


def test_every_statement_leads_to_evidence(graph):
    statements = list(graph.subjects(RDF.type, YKG.Statement))
    assert statements
    for node in statements:
        assert (graph.value(node, YKG.evidence) or graph.value(node, YKG.reference)) is not None, node
        triple = (graph.value(node, RDF.subject), graph.value(node, RDF.predicate), graph.value(node, RDF.object))
        assert triple in graph, node


def test_every_truthy_fact_has_a_statement(graph):
    """Relations between entities (ykg properties, types, broader) all carry evidence."""
    stated = {
        (graph.value(n, RDF.subject), graph.value(n, RDF.predicate), graph.value(n, RDF.object))
        for n in graph.subjects(RDF.type, YKG.Statement)
    }
    relation_predicates = {YKG.locatedIn, YKG.holdsPost, YKG.postIn, SKOS.broader, YKG.engagedIn, YKG.developed}
    for triple in graph:
        if triple[1] in relation_predicates:
            assert triple in stated, triple


def test_zh_and_en_label_on_every_entity(graph):
    for node in set(graph.subjects(YKG.curatedAt, None)) | set(graph.subjects(RDF.type, YKG.Observation)):
        if (node, RDF.type, YKG.Statement) in graph:
            continue
        langs = {label.language for label in graph.objects(node, RDFS.label)}
        assert {"zh", "en"} <= langs, node


def test_shacl_catches_a_missing_label(built, repo_paths):
    damaged = Graph()
    damaged += built.graph
    entity = next(built.graph.subjects(RDF.type, YKG.Village))
    for label in list(damaged.objects(entity, RDFS.label)):
        if label.language == "en":
            damaged.remove((entity, RDFS.label, label))
    violations = validate_graph(damaged, load_shapes(repo_paths.ontology), load_ontology(repo_paths.ontology))
    assert violations
    assert any("graph_data/facts/" in v.where for v in violations)


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_corrupted_quote_fails_naming_file_and_line(data_copy, repo_paths, tmp_path):
    core = data_copy / "facts" / "00-core.yaml"
    _edit(core, "quote: 宝塔街道红旗社区", "quote: 宝塔街道红星社区")
    line = next(i for i, l in enumerate(core.read_text(encoding="utf-8").splitlines(), 1) if "红星" in l)
    with pytest.raises(DataError) as error:
        build(data_copy, repo_paths.ontology, tmp_path / "out")
    message = str(error.value)
    assert re.search(r"graph_data/facts/00-core\.yaml:\d+", message)
    assert int(re.search(r"00-core\.yaml:(\d+)", message)[1]) <= line
    assert "宝塔街道红旗社区" in message  # the closest passage
    assert not (tmp_path / "out").exists()  # nothing half-written


def test_missing_required_field_fails_naming_file_and_line(data_copy, repo_paths, tmp_path):
    core = data_copy / "facts" / "00-core.yaml"
    _edit(core, "    en: Baota Subdistrict\n", "")
    with pytest.raises(DataError, match=r"00-core\.yaml:\d+: entities item is missing en"):
        build(data_copy, repo_paths.ontology, tmp_path)


def test_unknown_property_is_refused(data_copy, repo_paths, tmp_path):
    core = data_copy / "facts" / "00-core.yaml"
    _edit(core, "p: administrativeCentreOf", "p: capitalOf")
    with pytest.raises(DataError, match=r"00-core\.yaml:\d+: unknown property 'capitalOf'"):
        build(data_copy, repo_paths.ontology, tmp_path)


def test_report_counts_classes(built):
    assert built.report["classes"]["Village"] == 5
    assert built.report["triples"] == len(built.graph)
    assert Literal("七星村", lang="zh") in set(built.graph.objects(None, RDFS.label))


def test_a_yearly_figure_dated_to_a_guessed_year_is_refused(data_copy, repo_paths, tmp_path):
    rural = data_copy / "facts" / "03-rural.yaml"
    _edit(rural, "    period: yearly\n    period_text: 每年\n", '    period: "2024"\n    period_text: 每年\n')
    with pytest.raises(DataError, match=r"03-rural\.yaml:\d+: the quote says the figure recurs every year"):
        build(data_copy, repo_paths.ontology, tmp_path)
