"""The NetworkX projection: checked against the RDF graph it is a function of, and against the article."""

import doctest

from rdflib import RDF, Graph, Literal
from rdflib.namespace import RDFS

from yuetang_kg.explore import project
from yuetang_kg.explore.project import BOOKKEEPING_KINDS, kind_and_slug, to_networkx
from yuetang_kg.namespaces import ID, YKG


def test_doctests():
    assert doctest.testmod(project).failed == 0


def entity_iris(store) -> set[str]:
    """Typed instance IRIs (no span fragments), asked of the store independently of the projection."""
    result = store.query(
        f"SELECT DISTINCT ?s WHERE {{ ?s a ?c FILTER(STRSTARTS(STR(?s), '{ID}') && !CONTAINS(STR(?s), '#')) }}"
    )
    return {str(row[0]) for row in result.rows}


def test_nodes_are_the_entities_and_no_bookkeeping(projection, store):
    expected = {iri for iri in entity_iris(store) if kind_and_slug(iri)[0] not in BOOKKEEPING_KINDS}
    assert set(projection.nodes) == expected
    kinds = {data["kind"] for _, data in projection.nodes(data=True)}
    assert not kinds & BOOKKEEPING_KINDS
    assert {"place", "org", "person", "industry", "initiative"} <= kinds


def test_every_node_has_labels_and_type(projection, graph):
    for node, data in projection.nodes(data=True):
        labels = {label.language: str(label) for label in graph.objects(ID[node[len(str(ID)) :]], RDFS.label)}
        assert (data["label_zh"], data["label_en"]) == (labels["zh"], labels["en"]), node
        assert data["type"] and data["type_zh"] and data["type_en"], node
        assert data["type"] == data["classes"][0]


def test_village_classes_walk_up_the_ontology(projection):
    village = next(d for _, d in projection.nodes(data=True) if d["label_zh"] == "七星村")
    assert village["classes"][:3] == ["Village", "AdministrativeDivision", "Place"]
    assert village["pinyin"] == "Qīxīng Cūn" and village["pinyin_plain"] == "qixing cun"


def test_every_relation_between_entities_is_an_edge_with_labels(projection, graph, built):
    members = set(projection.nodes)
    expected = {
        (str(s), str(p), str(o))
        for s, p, o in graph
        if p != RDF.type and str(s) in members and str(o) in members
    }
    edges = {(a, key, b) for a, b, key in projection.edges(keys=True)}
    assert edges == expected
    labels = {(str(p), lit.language): str(lit) for p, lit in built.ontology.subject_objects(RDFS.label)}
    for _, _, data in projection.edges(data=True):
        if data["predicate"].startswith(str(YKG)):
            # the property's name, and the statement's status (former, planned …) where it has one
            status = f"（{labels[(data['status'], 'zh')]}）" if data["status"] else ""
            assert data["label_zh"] == labels[(data["predicate"], "zh")] + status
            status_en = f" ({labels[(data['status'], 'en')]})" if data["status"] else ""
            assert data["label_en"] == labels[(data["predicate"], "en")] + status_en


def test_edge_evidence_is_the_article_text(projection, built):
    text = built.facts.default_document.text
    quoted = 0
    for _, _, data in projection.edges(data=True):
        assert data["evidence"] or data["references"], data
        for span in data["evidence"]:
            assert text[span["begin"] : span["end"]] == span["quote"]
            quoted += 1
    assert quoted >= projection.number_of_edges() * 0.9


def test_observations_are_folded_into_their_subjects(projection, store, built):
    result = store.query(f"SELECT ?o ?about WHERE {{ ?o <{YKG.observationAbout}> ?about }}")
    expected = {(str(o), str(about)) for o, about in result.rows if str(about) in projection}
    folded = {
        (item["iri"], node) for node, data in projection.nodes(data=True) for item in data["observations"]
    }
    assert folded == expected
    text = built.facts.default_document.text
    for _, data in projection.nodes(data=True):
        for item in data["observations"]:
            assert item["variable_zh"] and item["unit_zh"] and item["period"]
            if not item["derived"]:
                assert item["stated"] in item["evidence"][0]["quote"]
                assert item["evidence"][0]["quote"] in text


def test_projection_is_deterministic_and_pure(built):
    before = len(built.graph)
    first, second = to_networkx(built.graph, built.ontology), to_networkx(built.graph, built.ontology)
    assert list(first.nodes(data=True)) == list(second.nodes(data=True))
    assert list(first.edges(keys=True, data=True)) == list(second.edges(keys=True, data=True))
    assert list(first.nodes) == sorted(first.nodes)
    assert len(built.graph) == before


def test_without_ontology_names_fall_back_to_local_names():
    graph = Graph()
    a, b = ID["place/a"], ID["place/b"]
    for node in (a, b):
        graph.add((node, RDF.type, YKG.Village))
    graph.add((a, YKG.locatedIn, b))
    graph.add((a, RDFS.label, Literal("甲", lang="zh")))
    projected = to_networkx(graph)
    assert projected.nodes[str(a)]["label_zh"] == "甲"
    assert projected.nodes[str(b)]["label_zh"] == "b"  # no label: the slug
    ((_, _, data),) = projected.edges(data=True)
    assert (data["name"], data["label_en"], data["evidence"]) == ("locatedIn", "locatedIn", [])


def test_a_relations_status_is_part_of_its_edge(projection):
    trade_city = "https://w3id.org/yuetang-kg/id/place/trade-city"
    edges = {projection.nodes[b]["label_zh"]: d for _, b, d in projection.out_edges(trade_city, data=True)}
    assert edges["家电百货"]["label_zh"] == "从事产业（过去）"
    assert edges["家电百货"]["label_en"].endswith("(former)")
    assert edges["新媒体"]["label_zh"] == "从事产业（现在）"
    assert "（" not in edges["岳塘经开区"]["label_zh"]  # no status: as of the article
