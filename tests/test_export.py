"""The exports: every format re-parses to the source graph (rdflib, pyld) and passes independent parsers
(raptor's rapper, Jena's riot), which are shown to fail on broken input; builds are byte-identical whatever
PYTHONHASHSEED is; the JSON-LD is compact with the published context; the ontology page documents every term."""

import doctest
import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from conftest import require_binary
from pyld import jsonld
from rdflib import OWL, RDF, RDFS, XSD, BNode, Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS

from yuetang_kg.cli import main
from yuetang_kg.errors import DataError
from yuetang_kg.explore.index import INDEX_NAME
from yuetang_kg.namespaces import NIF, ONTOLOGY_IRI, PREFIXES, YKG
from yuetang_kg.publish import export, ntriples, ontology_docs
from yuetang_kg.publish import jsonld as jsonld_module
from yuetang_kg.publish.export import PARTS, WHAT, Exporter, file_name
from yuetang_kg.publish.formats import FORMATS
from yuetang_kg.publish.jsonld import context_of
from yuetang_kg.publish.named_graphs import DERIVED_GRAPH, GRAPH, ONTOLOGY_GRAPH, SHARED_GRAPH, partition
from yuetang_kg.publish.publication import CONTEXT_FILE, DESCRIPTION_FILE, ONTOLOGY_DOCS_FILE
from yuetang_kg.query.store import STORE_DIR

EVERY_EXPORT = [(what, fmt) for what in WHAT for fmt in FORMATS]
RAPPER_PARSERS = {"ttl": "turtle", "nt": "ntriples", "rdfxml": "rdfxml", "trig": "trig", "nq": "nquads"}
# rdflib's own Dataset.parse and its TriG and JSON-LD parsers go through its deprecated ConjunctiveGraph.
RDFLIB_DEPRECATIONS = "ignore::DeprecationWarning:rdflib"


@pytest.fixture(scope="module")
def exports(built, tmp_path_factory) -> dict[tuple[str, str], Path]:
    """Every (what, format) export as a file: those the build wrote, and the rest from the exporter."""
    written = {path.name: path for path in built.outputs}
    folder = tmp_path_factory.mktemp("exports")
    exporter = Exporter(built.graph, built.ontology)
    files = {}
    for what, name in EVERY_EXPORT:
        fmt = FORMATS[name]
        path = written.get(file_name(what, fmt))
        if path is None:
            path = folder / file_name(what, fmt)
            path.write_bytes(exporter.export(what, fmt))
        files[what, name] = path
    return files


def source_graphs(built, what: str) -> dict[URIRef, Graph]:
    """The named graphs that the quad exports of ``what`` hold (their union is what the triple formats hold)."""
    graphs = {}
    if "data" in PARTS[what]:
        for name, lines in partition(ntriples.from_triples(built.graph)).items():
            graphs[name] = Graph().parse(data=ntriples.to_bytes(lines), format="nt")
    if "ontology" in PARTS[what]:
        graphs[ONTOLOGY_GRAPH] = built.ontology
    return graphs


def merged(graphs) -> Graph:
    union = Graph()
    for graph in graphs:
        union += graph
    return union


def zh_literals(graph: Graph) -> set[Literal]:
    return {o for o in graph.objects() if isinstance(o, Literal) and o.language == "zh"}


def test_doctests():
    for module in (export, jsonld_module, ontology_docs):
        assert doctest.testmod(module).failed == 0, module


def test_the_build_writes_every_published_file(built):
    names = {path.name for path in built.outputs}
    for what in ("data", "ontology"):
        assert {file_name(what, fmt) for fmt in FORMATS.values()} <= names
    assert {file_name("all", FORMATS["trig"]), file_name("all", FORMATS["nq"])} <= names
    assert {CONTEXT_FILE, DESCRIPTION_FILE, ONTOLOGY_DOCS_FILE} <= names


@pytest.mark.filterwarnings(RDFLIB_DEPRECATIONS)
@pytest.mark.parametrize("what, name", EVERY_EXPORT)
def test_every_export_reparses_to_the_source_graph(built, exports, what, name):
    fmt = FORMATS[name]
    sources = source_graphs(built, what)
    if fmt.quads:
        dataset = Dataset()
        dataset.parse(source=str(exports[what, name]), format=fmt.rdflib)
        assert len(dataset.default_graph) == 0
        named = {g.identifier: g for g in dataset.graphs() if len(g)}
        assert set(named) == set(sources)
        for graph_name, source in sources.items():
            assert isomorphic(named[graph_name], source), graph_name
        parsed = merged(named.values())
    else:
        parsed = Graph().parse(exports[what, name], format=fmt.rdflib)
        assert isomorphic(parsed, merged(sources.values()))
    # isomorphic compares literals by lexical form, language and datatype; spelled out for the evidence:
    expected = merged(sources.values())
    assert zh_literals(parsed) == zh_literals(expected)
    assert set(parsed.subject_objects(NIF.beginIndex)) == set(expected.subject_objects(NIF.beginIndex))


@pytest.mark.parametrize("what", ["data", "ontology", "all"])
def test_jsonld_expands_with_pyld_to_the_source_graph(built, exports, what):
    document = json.loads(exports[what, "jsonld"].read_text(encoding="utf-8"))
    nquads = jsonld.to_rdf(document, {"format": "application/n-quads"})
    expected = merged(source_graphs(built, what).values())
    assert isomorphic(Graph().parse(data=nquads, format="nt"), expected)


@pytest.mark.filterwarnings(RDFLIB_DEPRECATIONS)
def test_jsonld_carries_escaped_typed_and_untermed_values(built):
    """The JSON-LD writer reads the engine's N-Triples lines: escaped literals, datatypes without a term,
    predicates without a term and blank nodes come back as they were."""
    subject, untermed = URIRef("https://w3id.org/yuetang-kg/id/place/x"), URIRef("urn:x:p")
    graph = Graph()
    for value in (Literal('说 "好"\n\\ 岳塘\t', lang="zh"), Literal("2.50", datatype=XSD.decimal),
                  Literal("a\rb"), Literal("28", datatype=URIRef("urn:x:dt")), BNode(), URIRef("urn:x:o")):
        graph.add((subject, untermed, value))
    graph.add((subject, RDFS.label, Literal('引号 "内"', lang="zh")))
    written = Exporter(graph, built.ontology).export("data", FORMATS["jsonld"])
    assert isomorphic(Graph().parse(data=written, format="json-ld"), graph)
    assert json.loads(written)["@graph"][0]["label"] == {"zh": '引号 "内"'}


def test_pyld_check_fails_when_the_context_is_wrong(exports, built):
    """The check above can fail: a context that types beginIndex as a string changes the graph."""
    document = json.loads(exports["data", "jsonld"].read_text(encoding="utf-8"))
    document["@context"]["beginIndex"] = {"@id": "nif:beginIndex"}
    nquads = jsonld.to_rdf(document, {"format": "application/n-quads"})
    assert not isomorphic(Graph().parse(data=nquads, format="nt"), built.graph)


def test_exports_from_the_dump_are_those_of_the_graphs(built, exports):
    """`export` reads the build's N-Triples and N-Quads dumps as lines (no parser, no rdflib graph, the named
    graphs as the build found them): the same bytes as the exports the build made from its graphs, for every part
    and format."""
    written = {path.name: path for path in built.outputs}
    from_dump = Exporter.from_dump(written[file_name("data", FORMATS["nt"])], written[file_name("data", FORMATS["nq"])],
                                   built.ontology)
    for (what, name), path in exports.items():
        assert from_dump.export(what, FORMATS[name]) == path.read_bytes(), path.name


def test_a_lone_surrogate_is_refused_naming_it():
    graph = Graph().add((URIRef("urn:x:a"), URIRef("urn:x:b"), Literal("a\ud800b")))
    with pytest.raises(DataError, match="U\\+D800.*no RDF format can carry"):
        Exporter(graph, Graph())


def test_line_formats_are_sorted(exports):
    for (what, name), path in exports.items():
        if FORMATS[name].sorted_lines:
            lines = path.read_text(encoding="utf-8").splitlines()
            assert lines == sorted(lines), path.name


def test_two_builds_with_different_hash_seeds_are_byte_identical(built, repo_paths, tmp_path):
    runs = []
    for seed in ("1", "4242"):
        out = tmp_path / seed
        env = {**os.environ, "PYTHONHASHSEED": seed}
        command = [str(Path(sys.executable).parent / "yuetang-kg"), "build", "--data", str(repo_paths.data),
                   "--ontology", str(repo_paths.ontology), "--out", str(out)]
        runs.append((out, subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)))
    contents, stored = [], []
    for out, process in runs:
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr.decode()
        contents.append({path.name: path.read_bytes() for path in sorted(out.iterdir()) if path.is_file()})
        # The query store is a database, not a published file: the same triples (blank nodes get fresh labels
        # when loaded), in files RocksDB names itself.
        quads = ox.Store.read_only(str(out / STORE_DIR))
        stored.append(sorted(re.sub(r"_:\w+", "_:", str(quad)) for quad in quads))
    assert contents[0] == contents[1]  # the explorer's index included
    published = {name: data for name, data in contents[0].items() if name != INDEX_NAME}
    assert published == {path.name: path.read_bytes() for path in built.outputs}
    assert stored[0] == stored[1] and len(stored[0]) == len(built.graph) + len(built.ontology)


def test_jsonld_is_compact_with_the_published_context(built, exports):
    published = json.loads((exports["data", "jsonld"].parent / CONTEXT_FILE).read_text(encoding="utf-8"))
    document = json.loads(exports["data", "jsonld"].read_text(encoding="utf-8"))
    assert document["@context"] == published["@context"] == context_of(built.ontology)
    nodes = {node["@id"]: node for node in document["@graph"]}
    assert list(nodes) == sorted(nodes)
    # every ykg property is a term: no node key spells out an ontology IRI
    for node in nodes.values():
        assert not [key for key in node if key.startswith((str(YKG), "ykg:"))], node["@id"]
    village = next(iter(built.graph.subjects(RDFS.label, Literal("七星村", lang="zh"))))
    node = nodes[str(village)]
    assert node["@type"] == "Village" or "Village" in node["@type"]
    assert "七星村" in node["label"]["zh"] and node["label"]["en"]
    observation = next(iter(built.graph.subjects(RDF.type, YKG.Observation)))
    assert nodes[str(observation)]["value"] == str(built.graph.value(observation, YKG.value))


def test_context_covers_the_ontology_and_stays_jsonld_10(built):
    context = context_of(built.ontology)
    assert "@version" not in context  # Jena's --syntax=jsonld10 and other 1.0 processors read it
    for prop in set(built.ontology.subjects(RDF.type, OWL.ObjectProperty)):
        if prop.startswith(str(YKG)):
            assert context[prop[len(str(YKG)) :]] == {"@id": "ykg:" + prop[len(str(YKG)) :], "@type": "@id"}
    lang_props = [p for p in built.ontology.subjects(RDFS.range, RDF.langString) if p.startswith(str(YKG))]
    assert lang_props
    for prop in lang_props:
        assert context[prop[len(str(YKG)) :]]["@container"] == "@language"
    # a prefix named like a term would turn 1.0 compact IRIs into term IRIs
    prefixes = {k for k, v in context.items() if isinstance(v, str) and v.endswith(("#", "/"))}
    assert prefixes <= set(PREFIXES) and "ykg" in prefixes
    assert context_of(built.ontology) == context


def test_no_blank_nodes_in_the_data_exports(exports):
    graph = Graph().parse(exports["data", "nt"], format="nt")
    assert not [t for t in graph if any(isinstance(term, BNode) for term in t)]


def test_the_ontology_export_carries_its_metadata(exports):
    ontology = Graph().parse(exports["ontology", "ttl"], format="turtle")
    for prop in (OWL.versionIRI, OWL.versionInfo, DCTERMS.license, DCTERMS.creator):
        assert ontology.value(ONTOLOGY_IRI, prop) is not None, prop
    assert {t.language for t in ontology.objects(ONTOLOGY_IRI, DCTERMS.title)} >= {"zh", "en"}


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.fetched = set(), []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag in ("script", "img", "iframe") or (tag == "link" and attrs.get("rel") == "stylesheet"):
            self.fetched.append((tag, attrs))


def test_the_ontology_page_documents_every_term_offline(built):
    page_path = next(p for p in built.outputs if p.name == ONTOLOGY_DOCS_FILE)
    text = page_path.read_text(encoding="utf-8")
    page = _Page()
    page.feed(text)
    assert page.fetched == []  # nothing loaded from anywhere: no script, image or stylesheet link
    terms = {t for t in built.ontology.subjects() if isinstance(t, URIRef) and t.startswith(str(YKG))}
    assert terms and {t[len(str(YKG)) :] for t in terms} <= page.ids
    for label in built.ontology.objects(YKG.Village, RDFS.label):
        assert str(label) in text
    for fmt in FORMATS.values():
        assert f'href="{file_name("ontology", fmt)}"' in text


# ---- independent parsers ------------------------------------------------------------------------------------

def rapper(fmt_name: str, path: Path) -> tuple[int, int | None, str]:
    done = subprocess.run([require_binary("rapper"), "-i", RAPPER_PARSERS[fmt_name], "-c", str(path)],
                          capture_output=True, text=True, timeout=120, check=False)
    found = re.search(r"Parsing returned (\d+) triples", done.stderr)
    return done.returncode, int(found[1]) if found else None, done.stderr


@pytest.mark.parametrize("what, name", [(w, n) for w, n in EVERY_EXPORT if n in RAPPER_PARSERS])
def test_rapper_reads_every_export_with_the_right_count(built, exports, what, name):
    returncode, count, messages = rapper(name, exports[what, name])
    assert returncode == 0, messages
    assert count == sum(len(g) for g in source_graphs(built, what).values())


def test_rapper_reads_the_dataset_description(built):
    path = next(p for p in built.outputs if p.name == DESCRIPTION_FILE)
    returncode, count, messages = rapper("ttl", path)
    assert returncode == 0 and count == len(Graph().parse(path, format="turtle")), messages


@pytest.mark.parametrize("name, broken", [
    ("ttl", '<https://example.org/a> <https://example.org/b> "unterminated .\n'),
    ("nt", "<https://example.org/a> <https://example.org/b> .\n"),
    ("rdfxml", '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description>\n'),
    ("nq", '<https://example.org/a> <https://example.org/b> "c" <https://example.org/g> <x> .\n'),
])
def test_rapper_fails_on_broken_files(tmp_path, name, broken):
    path = tmp_path / f"broken{FORMATS[name].extension}"
    path.write_text(broken, encoding="utf-8")
    returncode, _, messages = rapper(name, path)
    assert returncode != 0, messages


def riot_counts(output: str) -> dict[str, int]:
    return {Path(m[1]).name: int(m[2].replace(",", ""))
            for m in re.finditer(r"file://(\S+) : (?:Triples|Quads) = ([\d,]+)", output)}


def test_riot_validates_every_export_and_datatype(built, exports, riot, tmp_path):
    """One JVM for the files riot reads by their extension, one for JSON-LD (1.0: see engines.md)."""
    description = next(p for p in built.outputs if p.name == DESCRIPTION_FILE)
    expected = {path.name: sum(len(g) for g in source_graphs(built, what).values())
                for (what, _), path in exports.items()}
    expected[description.name] = len(Graph().parse(description, format="turtle"))
    by_extension = [p for (_, name), p in exports.items() if name != "jsonld"] + [description]
    as_jsonld = [p for (_, name), p in exports.items() if name == "jsonld"]
    for options, files in (([], by_extension), (["--syntax=jsonld10"], as_jsonld)):
        done = riot("--validate", "--count", *options, *map(str, files))
        output = done.stdout + done.stderr
        assert done.returncode == 0 and "WARN" not in output and "ERROR" not in output, output
        assert riot_counts(output) == {path.name: expected[path.name] for path in files}


@pytest.mark.parametrize("file_name_, text, words", [
    ("bad-datatype.nt", f'<https://example.org/a> <https://example.org/b> "2024-13-01"^^<{XSD.date}> .\n',
     "not valid for datatype"),
    ("broken.ttl", '<https://example.org/a> <https://example.org/b> "open .\n', "ERROR"),
    ("broken.jsonld", '{"@context": {"x": "https://example.org/"}, "@id": ', "ERROR"),
])
def test_riot_fails_on_broken_files_and_bad_datatypes(riot, tmp_path, file_name_, text, words):
    path = tmp_path / file_name_
    path.write_text(text, encoding="utf-8")
    args = ["--syntax=jsonld10"] if path.suffix == ".jsonld" else []
    done = riot("--validate", *args, str(path))
    assert done.returncode != 0 and words in done.stdout + done.stderr


# ---- the command --------------------------------------------------------------------------------------------

def built_paths(built, repo_paths) -> list[str]:
    out = built.outputs[0].parent
    return ["--data", str(repo_paths.data), "--ontology", str(repo_paths.ontology), "--out", str(out)]


@pytest.mark.filterwarnings(RDFLIB_DEPRECATIONS)
def test_export_command_writes_stdout_or_a_file(built, repo_paths, tmp_path):
    runner = CliRunner()
    to_stdout = runner.invoke(main, ["export", "--format", "nq", "--what", "all", *built_paths(built, repo_paths)])
    assert to_stdout.exit_code == 0, to_stdout.output
    expected = next(p for p in built.outputs if p.name == "yuetang-all.nq").read_bytes()
    assert to_stdout.stdout_bytes == expected
    target = tmp_path / "sub" / "onto.jsonld"
    to_file = runner.invoke(main, ["export", "--format", "jsonld", "--what", "ontology", "-o", str(target),
                                   *built_paths(built, repo_paths)])
    assert to_file.exit_code == 0 and to_file.stdout_bytes == b""
    assert f"wrote {len(target.read_bytes())} bytes to {target}" in to_file.stderr
    assert isomorphic(Graph().parse(target, format="json-ld"), built.ontology)
    assert [p.name for p in target.parent.iterdir()] == ["onto.jsonld"]  # no temporary file left


def test_export_command_refuses_an_unknown_format(built, repo_paths):
    result = CliRunner().invoke(main, ["export", "--format", "n3", *built_paths(built, repo_paths)])
    assert result.exit_code == 2 and "--format" in result.stderr and "jsonld" in result.stderr


def test_exports_name_their_graphs(exports):
    text = exports["all", "trig"].read_text(encoding="utf-8")
    for name in (GRAPH["doc/yuetang-2024"], SHARED_GRAPH, DERIVED_GRAPH, ONTOLOGY_GRAPH):
        assert f"<{name}>" in text, name
