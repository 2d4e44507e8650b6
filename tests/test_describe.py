"""The dataset description (VoID + DCAT): its counts recomputed by independent SPARQL over the graph, its
distributions checked against the files, its source, licence, hash and dates against the inputs."""

import doctest
import hashlib
import subprocess
from datetime import UTC, datetime

import pytest
from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF

from yuetang_kg.build import inputs_hash, release_of
from yuetang_kg.errors import DataError
from yuetang_kg.namespaces import ID, VOID, YKG
from yuetang_kg.publish import describe as describe_module
from yuetang_kg.publish.describe import DATASET, SPDX, Release, describe, release_date
from yuetang_kg.publish.export import file_name
from yuetang_kg.publish.formats import FORMATS
from yuetang_kg.publish.publication import DESCRIPTION_FILE
from yuetang_kg.query.store import open_store


@pytest.fixture(scope="module")
def description(built) -> Graph:
    path = next(p for p in built.outputs if p.name == DESCRIPTION_FILE)
    return Graph().parse(path, format="turtle")


@pytest.fixture(scope="module")
def data_store(built):
    """The data alone (the description counts the instance graph, not the ontology)."""
    return open_store("oxigraph", built.graph)


def one(store, sparql: str) -> int:
    (row,) = store.query(sparql).rows
    return int(row[0])


def described(description: Graph, sparql: str) -> dict:
    return {row[0]: int(row[1]) for row in description.query(sparql)}


def test_doctests():
    assert doctest.testmod(describe_module).failed == 0


def test_counts_equal_independent_sparql(description, data_store):
    space = str(ID)
    expected = {
        VOID.triples: "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
        VOID.entities: f'SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), "{space}")) }}',
        VOID.classes: "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?s a ?c }",
        VOID.properties: "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?s ?p ?o }",
        VOID.distinctSubjects: "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }",
        VOID.distinctObjects: "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?s ?p ?o }",
    }
    for prop, sparql in expected.items():
        stated = description.value(DATASET, prop)
        assert stated is not None and stated.datatype == XSD.integer, prop
        assert int(stated) == one(data_store, sparql), prop
    assert str(description.value(DATASET, VOID.uriSpace)) == space


def test_class_and_property_partitions_equal_independent_sparql(description, data_store):
    classes = described(description, "PREFIX void: <http://rdfs.org/ns/void#> SELECT ?c ?n WHERE { "
                                     "?d void:classPartition ?p . ?p void:class ?c ; void:entities ?n }")
    rows = data_store.query("SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c").rows
    assert classes == {c: int(n) for c, n in rows}
    assert classes[YKG.Village] >= 1
    properties = described(description, "PREFIX void: <http://rdfs.org/ns/void#> SELECT ?p ?n WHERE { "
                                        "?d void:propertyPartition ?x . ?x void:property ?p ; void:triples ?n }")
    rows = data_store.query("SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p").rows
    assert properties == {p: int(n) for p, n in rows}


def test_example_resources_are_the_district_the_village_and_a_figure(built, description):
    examples = set(description.objects(DATASET, VOID.exampleResource))
    labels = {str(label) for e in examples for label in built.graph.objects(e, RDFS.label) if label.language == "zh"}
    assert {"岳塘区", "七星村"} <= labels
    assert any((e, RDF.type, YKG.Observation) in built.graph for e in examples)


def test_endpoint_vocabularies_and_dumps(description):
    assert description.value(DATASET, VOID.sparqlEndpoint) == URIRef("http://127.0.0.1:8000/sparql")
    vocabularies = set(description.objects(DATASET, VOID.vocabulary))
    assert URIRef("https://w3id.org/yuetang-kg/ontology") in vocabularies
    assert URIRef("http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#") in vocabularies
    dumps = set(description.objects(DATASET, VOID.dataDump))
    assert dumps == {URIRef(f"http://127.0.0.1:8000/downloads/{file_name('data', f)}") for f in FORMATS.values()}


def test_dcat_titles_licence_rights_publisher(description):
    for prop in (DCTERMS.title, DCTERMS.description):
        assert {t.language for t in description.objects(DATASET, prop)} == {"zh", "en"}, prop
    assert description.value(DATASET, DCTERMS.license) == URIRef("https://creativecommons.org/licenses/by/4.0/")
    rights = description.value(DATASET, DCTERMS.rights)
    assert (rights, RDF.type, DCTERMS.RightsStatement) in description
    english = next(str(t) for t in description.objects(rights, RDFS.label) if t.language == "en")
    assert "copyright of their publishers" in english
    publisher = description.value(DATASET, DCTERMS.publisher)
    assert description.value(publisher, FOAF.name) is not None
    assert (DATASET, RDF.type, DCAT.Dataset) in description and (DATASET, RDF.type, VOID.Dataset) in description


def test_source_article_with_title_author_and_year(built, description):
    document = built.facts.default_document
    source = description.value(DATASET, DCTERMS.source)
    assert Literal(document.title_zh, lang="zh") in set(description.objects(source, DCTERMS.title))
    assert description.value(source, DCTERMS.date) == Literal(str(document.year), datatype=XSD.gYear)
    author = description.value(source, DCTERMS.creator)
    author_zh = built.facts.entities[document.author].zh
    assert Literal(author_zh, lang="zh") in set(description.objects(author, FOAF.name))


def test_distributions_match_the_files(built, description):
    files = {p.name: p.read_bytes() for p in built.outputs}
    distributions = set(description.objects(DATASET, DCAT.distribution))
    assert len(distributions) == len(FORMATS)
    for name, fmt in FORMATS.items():
        node = URIRef(f"{DATASET}/dump-{name}")
        assert node in distributions
        body = files[file_name("data", fmt)]
        assert str(description.value(node, DCAT.downloadURL)).endswith("/downloads/" + file_name("data", fmt))
        assert str(description.value(node, DCAT.mediaType)).endswith("/" + fmt.media_type)
        assert int(description.value(node, DCAT.byteSize)) == len(body)
        checksum = description.value(node, SPDX.checksum)
        assert str(description.value(checksum, SPDX.checksumValue)) == hashlib.sha256(body).hexdigest()


def test_inputs_hash_and_date(built, repo_paths, description):
    inputs = description.value(DATASET, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom"))
    value = description.value(description.value(inputs, SPDX.checksum), SPDX.checksumValue)
    assert str(value) == inputs_hash(repo_paths.data, repo_paths.ontology) == built.report["inputs_sha256"]
    issued = description.value(DATASET, DCTERMS.issued)
    assert issued == description.value(DATASET, DCTERMS.modified)
    assert issued == release_of(repo_paths.data, repo_paths.ontology).issued


def test_no_blank_nodes(description):
    assert not [t for t in description if any(isinstance(term, BNode) for term in t)]


def test_date_from_source_date_epoch_then_git_then_the_source_year(built, repo_paths, tmp_path):
    assert release_date([repo_paths.data], {"SOURCE_DATE_EPOCH": "0"}) == Literal("1970-01-01", datatype=XSD.date)
    with pytest.raises(DataError, match="SOURCE_DATE_EPOCH"):
        release_date([repo_paths.data], {"SOURCE_DATE_EPOCH": "yesterday"})
    committed = subprocess.run(["git", "-C", str(repo_paths.data), "log", "-1", "--format=%ct", "--",
                                str(repo_paths.data), str(repo_paths.ontology)],
                               capture_output=True, text=True, check=False).stdout.strip()
    if committed:  # a checkout with history (CI clones one)
        day = datetime.fromtimestamp(int(committed), tz=UTC).date().isoformat()
        assert release_date([repo_paths.data, repo_paths.ontology], {}) == Literal(day, datatype=XSD.date)
    outside = tmp_path / "not-a-repository"
    outside.mkdir()
    assert release_date([outside], {}) is None
    fallback = describe(built.graph, built.ontology, Release(), {})
    year = built.facts.default_document.year
    assert fallback.value(DATASET, DCTERMS.issued) == Literal(str(year), datatype=XSD.gYear)
    assert fallback.value(DATASET, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")) is None


def test_base_url_sets_every_link(built):
    base = "http://example.org:9999/kg/"
    graph = describe(built.graph, built.ontology, Release(base_url=base), {"ttl": b"x"})
    assert graph.value(DATASET, VOID.sparqlEndpoint) == URIRef(base + "sparql")
    assert set(graph.objects(DATASET, VOID.dataDump)) == {URIRef(base + "downloads/yuetang.ttl")}
    links = [o for o in graph.objects() if isinstance(o, URIRef) and o.startswith("http://127.0.0.1")]
    assert links == []
