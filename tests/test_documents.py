"""Many source documents: a fictional second document (``tests/data/second-document``), added to a copy of
graph_data, builds beside the real article into named graphs of its own; 七星村, cited by both, is one entity
with evidence in both. The published graph holds the real article only."""

import re
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import ROOT
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS
from starlette.testclient import TestClient
from test_facts import refused_with_one_line

from yuetang_kg.build import build
from yuetang_kg.namespaces import ID, VOID, YKG
from yuetang_kg.publish.describe import DATASET
from yuetang_kg.publish.named_graphs import DERIVED_GRAPH, GRAPH, ONTOLOGY_GRAPH, SHARED_GRAPH
from yuetang_kg.publish.publication import DESCRIPTION_FILE
from yuetang_kg.query.store import STORE_DIR, OxigraphStore
from yuetang_kg.web.app import create_app
from yuetang_kg.web.site import Site

SECOND = ROOT / "tests" / "data" / "second-document"
SECOND_FACTS = "facts/90-qixing-book-house.yaml"
REAL, FICTIONAL = "yuetang-2024", "qixing-book-house-test"
REAL_DOC, FICTIONAL_DOC = ID[f"document/{REAL}"], ID[f"document/{FICTIONAL}"]
REAL_GRAPH, FICTIONAL_GRAPH = GRAPH[f"doc/{REAL}"], GRAPH[f"doc/{FICTIONAL}"]
QIXING = ID["place/zhaoshan-qixing-cun"]
BOOK_HOUSE = ID["place/xinghe-shuwu"]
PREFIXES = ("PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> PREFIX ykg: <https://w3id.org/yuetang-kg/ontology#> "
            "PREFIX nif: <http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#> ")


def add_second_document(data: Path) -> None:
    """Add the fictional document to a copy of graph_data: its text, its sources.yaml entry and its facts."""
    shutil.copy(SECOND / "source" / "qixing-book-house.txt", data / "source")
    shutil.copy(SECOND / SECOND_FACTS, data / "facts")
    sources = data / "sources.yaml"
    entry = (SECOND / "document.yaml").read_text(encoding="utf-8")
    text = sources.read_text(encoding="utf-8")
    assert "\nreferences:\n" in text
    sources.write_text(text.replace("\nreferences:\n", f"\n{entry}references:\n"), encoding="utf-8")


@pytest.fixture(scope="module")
def two_documents(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("two-documents") / "graph_data"
    shutil.copytree(ROOT / "graph_data", data)
    add_second_document(data)
    return data


@pytest.fixture(scope="module")
def two_built(two_documents, tmp_path_factory):
    return build(two_documents, ROOT / "ontology", tmp_path_factory.mktemp("two-dist"), viz=ROOT / "viz")


def out_of(result) -> Path:
    return result.outputs[0].parent


def quads(path: Path) -> list[ox.Quad]:
    return list(ox.parse(path=str(path), format=ox.RdfFormat.from_extension(path.suffix[1:])))


def in_graphs(found: list[ox.Quad], s, p, o) -> set[str]:
    """The names of the graphs that hold the triple ``s p o`` (rdflib terms)."""
    wanted = (str(s), str(p), str(o))
    return {q.graph_name.value for q in found
            if (q.subject.value, q.predicate.value, q.object.value) == wanted}


def test_the_second_document_says_that_it_is_fictional():
    first_line = (SECOND / "source" / "qixing-book-house.txt").read_text(encoding="utf-8").splitlines()[0]
    assert "虚构测试文本，仅供测试" in first_line


def test_the_published_graph_holds_only_the_real_article(graph, built):
    assert list(graph.subjects(RDF.type, YKG.SourceDocument)) == [REAL_DOC]
    assert not any("虚构" in str(o) for o in graph.objects() if isinstance(o, Literal))
    names = {q.graph_name.value for q in quads(out_of(built) / "yuetang-all.nq")}
    assert names == {str(REAL_GRAPH), str(SHARED_GRAPH), str(DERIVED_GRAPH), str(ONTOLOGY_GRAPH)}


@pytest.mark.parametrize("name", ["yuetang-all.nq", "yuetang-all.trig", "yuetang.nq", "yuetang.trig"])
def test_two_documents_build_into_two_named_graphs_whose_union_is_the_published_graph(two_built, name):
    found = quads(out_of(two_built) / name)
    names = {q.graph_name.value for q in found}
    expected = {str(REAL_GRAPH), str(FICTIONAL_GRAPH), str(SHARED_GRAPH), str(DERIVED_GRAPH)}
    assert names == (expected | {str(ONTOLOGY_GRAPH)} if "all" in name else expected)
    union = {ox.Triple(q.subject, q.predicate, q.object) for q in found if q.graph_name.value != str(ONTOLOGY_GRAPH)}
    published = {ox.Triple(q.subject, q.predicate, q.object) for q in quads(out_of(two_built) / "yuetang.nt")}
    # compared by counts first: pytest's report of two large unequal sets would take minutes to write
    assert (len(union - published), len(published - union)) == (0, 0)
    assert len(published) == len(two_built.graph)


def test_each_document_graph_holds_its_own_spans_and_facts(two_built):
    found = quads(out_of(two_built) / "yuetang-all.nq")
    for document, graph_name in ((REAL_DOC, REAL_GRAPH), (FICTIONAL_DOC, FICTIONAL_GRAPH)):
        spans = {q.subject.value for q in found
                 if q.predicate.value.endswith("#referenceContext") and q.object.value == str(document)}
        assert spans
        for span in spans:
            assert {q.graph_name.value for q in found if q.subject.value == span} == {str(graph_name)}, span
    # a fact stated by both documents links, in each document's graph, to that document's spans only
    for q in found:
        if q.predicate.value == str(YKG.evidence):
            span_document = q.object.value.split("#")[0].rsplit("/", 1)[-1]
            assert q.graph_name.value == str(GRAPH[f"doc/{span_document}"]), q
    # the fictional place and its figure are the second document's alone; names are shared
    assert in_graphs(found, BOOK_HOUSE, RDF.type, YKG.Facility) == {str(FICTIONAL_GRAPH)}
    figure = ID["observation/xinghe-shuwu-readers-2024"]
    assert {q.graph_name.value for q in found if q.subject.value == str(figure)} == {str(FICTIONAL_GRAPH)}
    assert in_graphs(found, QIXING, URIRef("http://www.w3.org/2000/01/rdf-schema#label"),
                     Literal("七星村", lang="zh").value) == {str(SHARED_GRAPH)}
    # stated by both documents: in both graphs
    assert in_graphs(found, QIXING, RDF.type, YKG.Village) == {str(REAL_GRAPH), str(FICTIONAL_GRAPH)}
    assert in_graphs(found, QIXING, YKG.locatedIn, ID["place/zhaoshan-zhen"]) == {str(REAL_GRAPH),
                                                                                  str(FICTIONAL_GRAPH)}


def test_the_entity_cited_by_both_has_evidence_in_both_documents_in_the_store(two_built):
    store = OxigraphStore.read_only(out_of(two_built) / STORE_DIR)
    cited = store.query(PREFIXES + f"""
        SELECT DISTINCT ?document ?quote WHERE {{
          ?statement rdf:subject <{QIXING}> ; ykg:evidence ?span .
          ?span nif:referenceContext ?document ; nif:anchorOf ?quote .
        }} ORDER BY ?document ?quote""")
    documents = {str(row[0]) for row in cited.rows}
    assert documents == {str(REAL_DOC), str(FICTIONAL_DOC)}
    assert ("湘潭市岳塘区昭山镇七星村" in {str(row[1]) for row in cited.rows if str(row[0]) == str(FICTIONAL_DOC)})
    one = store.query(PREFIXES + "SELECT (COUNT(DISTINCT ?v) AS ?n) WHERE { ?v a ykg:Village ; "
                      "<http://www.w3.org/2000/01/rdf-schema#label> \"七星村\"@zh }")
    assert int(one.rows[0][0]) == 1  # one 七星村, not one per document
    figure = store.query(PREFIXES + f"""
        SELECT ?document WHERE {{
          <{ID["observation/xinghe-shuwu-readers-2024"]}> ykg:evidence/nif:referenceContext ?document }}""")
    assert [str(row[0]) for row in figure.rows] == [str(FICTIONAL_DOC)]


def test_void_describes_each_document_graph_as_a_subset(two_built):
    description = Graph().parse(out_of(two_built) / DESCRIPTION_FILE, format="turtle")
    found = quads(out_of(two_built) / "yuetang.nq")
    subsets = set(description.objects(DATASET, VOID.subset))
    assert subsets == {REAL_GRAPH, FICTIONAL_GRAPH, SHARED_GRAPH, DERIVED_GRAPH}
    for subset in subsets:
        count = sum(1 for q in found if q.graph_name.value == str(subset))
        assert description.value(subset, VOID.triples) == Literal(count), subset
    assert description.value(FICTIONAL_GRAPH, DCTERMS.source) == FICTIONAL_DOC
    assert Literal("星河书屋里的七星村（虚构测试文本）", lang="zh") in set(description.objects(FICTIONAL_GRAPH, DCTERMS.title))
    assert description.value(SHARED_GRAPH, DCTERMS.source) is None


def test_two_builds_of_two_documents_are_byte_identical(two_documents, two_built, tmp_path):
    again = build(two_documents, ROOT / "ontology", tmp_path, viz=ROOT / "viz")
    assert {p.name: p.read_bytes() for p in again.outputs} == {p.name: p.read_bytes() for p in two_built.outputs}


# ---- what the loader refuses once there are several documents ----------------------------------------------

def refused(data: Path, where: str, *fragments: str) -> None:
    refused_with_one_line(["validate", "--data", data, "--ontology", ROOT / "ontology"], where, list(fragments))


@pytest.fixture
def two_documents_copy(two_documents, tmp_path) -> Path:
    data = tmp_path / "graph_data"
    shutil.copytree(two_documents, data)
    return data


def test_a_facts_file_that_does_not_name_its_document_is_refused_when_there_are_several(two_documents_copy):
    path = two_documents_copy / "facts" / "03-rural.yaml"
    path.write_text(re.sub(r"(?m)^document: .*\n", "", path.read_text(encoding="utf-8")), encoding="utf-8")
    refused(two_documents_copy, "graph_data/facts/03-rural.yaml:1", "2 documents", REAL, FICTIONAL, "document:")


def test_a_facts_file_naming_an_unknown_document_is_refused_at_that_line(two_documents_copy):
    path = two_documents_copy / SECOND_FACTS
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(f"document: {FICTIONAL}", "document: no-such-document"), encoding="utf-8")
    line = text.splitlines().index(f"document: {FICTIONAL}") + 1
    refused(two_documents_copy, f"graph_data/{SECOND_FACTS}:{line}", "'no-such-document'", "valid:", REAL)


def test_an_entity_whose_names_differ_between_documents_is_refused_naming_both_places(two_documents_copy):
    path = two_documents_copy / SECOND_FACTS
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("    en: Qixing Village\n", "    en: Seven Stars Village\n"), encoding="utf-8")
    line = text.splitlines().index("  - id: zhaoshan-qixing-cun") + 1
    first = (ROOT / "graph_data" / "facts" / "00-core.yaml").read_text(encoding="utf-8").splitlines()
    first_line = first.index("  - id: zhaoshan-qixing-cun") + 1
    refused(two_documents_copy, f"graph_data/{SECOND_FACTS}:{line}", "'Seven Stars Village'", "'Qixing Village'",
            f"graph_data/facts/00-core.yaml:{first_line}")


def test_the_same_entity_twice_in_one_document_is_a_duplicate(two_documents_copy):
    path = two_documents_copy / SECOND_FACTS
    text = path.read_text(encoding="utf-8")
    block = text[text.index("  - id: xinghe-shuwu\n"):text.index("\nrelations:")]
    path.write_text(text.replace(block, block + block), encoding="utf-8")
    first = text[:text.index(block)].count("\n") + 1
    refused(two_documents_copy, f"graph_data/{SECOND_FACTS}:{first + block.count(chr(10))}",
            "duplicate id 'xinghe-shuwu'", f"first declared at graph_data/{SECOND_FACTS}:{first}")


# ---- the web pages (the lead wires /article/<doc> and the evidence of several documents) --------------------

@pytest.fixture(scope="module")
def client(two_built, catalogue):
    return TestClient(create_app(Site(two_built.out, catalogue, viz=ROOT / "viz")))


def test_the_article_index_lists_both_documents_and_each_has_its_page(client, two_documents):
    index = client.get("/article")
    assert index.status_code == 200
    for document in (REAL, FICTIONAL):
        assert f'href="/article/{document}"' in index.text, document
    fictional = client.get(f"/article/{FICTIONAL}")
    assert fictional.status_code == 200 and "星河书屋" in fictional.text
    real = client.get(f"/article/{REAL}")
    assert real.status_code == 200 and "星河书屋" not in real.text


def test_the_page_of_an_entity_cited_by_both_lists_the_evidence_of_both(client):
    body = client.get("/id/place/zhaoshan-qixing-cun").text
    assert f"/article/{REAL}#char=" in body and f"/article/{FICTIONAL}#char=" in body
    assert "湘潭市岳塘区" in body and "牢牢牵住乡村旅游" in body
