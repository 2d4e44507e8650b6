"""The command line: every command's --help, `query` in every input and output form, `queries`, `stats`,
`validate` and `build`, and bad input answered with one line on stderr and exit code 1, never a traceback."""

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT

from yuetang_kg.build import class_counts
from yuetang_kg.cli import main
from yuetang_kg.publish.formats import FORMATS
from yuetang_kg.query.results import ROW_FORMATS

QUERIES = ["--queries", str(ROOT / "queries")]
ID = "https://w3id.org/yuetang-kg/id/"
HETANG_VILLAGES = [
    "-p",
    "place",
    ID + "place/hetang-jiedao",
    "-p",
    "kind",
    "https://w3id.org/yuetang-kg/ontology#Village",
]


def invoke(*args, stdin: str | None = None):
    return CliRunner().invoke(main, [str(a) for a in args], input=stdin)


def fails_cleanly(result, *fragments: str) -> str:
    """Exit code 1, nothing on stdout, one line on stderr that says what was wrong."""
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if not line.endswith("building the graph in memory")]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_command_has_a_true_help(name):
    command = main.commands[name]
    result = invoke(name, "--help")
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert text.startswith((f"Usage: main {name}", f"Usage: yuetang-kg {name}"))
    assert " ".join(command.help.split("\n\n")[0].split()) in text
    for param in command.params:
        for opt in param.opts:
            if opt.startswith("-"):
                assert opt in text, f"{name} --help does not show {opt}"


def test_main_help_lists_every_command():
    result = invoke("--help")
    assert result.exit_code == 0
    assert all(f"  {name} " in result.output for name in main.commands)


def test_query_help_names_its_inputs_and_formats():
    text = " ".join(invoke("query", "--help").output.split())
    assert all(word in text for word in ("NAME", "FILE", "'-'", "-e", "-p, --param NAME VALUE"))
    assert "[table|csv|tsv|json]" in text and set(ROW_FORMATS) == {"table", "csv", "tsv", "json"}


def rows_of_csv(text: str, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def test_query_by_name_as_csv(cli_paths, catalogue, store):
    result = invoke("query", "places_within", *HETANG_VILLAGES, "--format", "csv", *QUERIES, *cli_paths)
    assert result.exit_code == 0, result.output
    header, *rows = rows_of_csv(result.stdout)
    expected = store.query(
        catalogue["places_within"].text,
        catalogue["places_within"].bindings(
            {"place": ID + "place/hetang-jiedao", "kind": "https://w3id.org/yuetang-kg/ontology#Village"}
        ),
    )
    assert header == expected.variables
    assert sorted(row[header.index("innerZh")] for row in rows) == ["五爱村", "指方村", "正江村"]


def test_parameters_are_bound_not_spliced(cli_paths):
    """A value that would break the query if pasted into its text is just a string that matches nothing."""
    result = invoke(
        "query",
        "entity_search",
        "-p",
        "text",
        '七星" ) } ?x ?y ?z { #',
        "--format",
        "json",
        *QUERIES,
        *cli_paths,
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["results"]["bindings"] == []
    found = invoke(
        "query", "entity_search", "-p", "text", "Qi Xing", "--format", "json", *QUERIES, *cli_paths
    )
    assert any(b["zh"]["value"] == "七星村" for b in json.loads(found.stdout)["results"]["bindings"])


def test_query_from_a_file_and_from_stdin(cli_paths, tmp_path):
    text = (ROOT / "queries" / "villages_count.rq").read_text(encoding="utf-8")
    path = tmp_path / "count.rq"
    path.write_text(text, encoding="utf-8")
    from_file = invoke("query", path, "--format", "tsv", *cli_paths)
    from_stdin = invoke("query", "-", "--format", "tsv", *cli_paths, stdin=text)
    assert from_file.exit_code == from_stdin.exit_code == 0
    assert from_file.stdout == from_stdin.stdout == "villages\n5\n"


def test_query_expression_in_every_format(cli_paths, graph, store):
    sparql = (
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
        "SELECT ?place ?zh WHERE { ?place rdfs:label ?zh "
        "FILTER(?zh = '七星村'@zh) } ORDER BY ?place"
    )
    outputs = {fmt: invoke("query", "-e", sparql, "--format", fmt, *cli_paths) for fmt in ROW_FORMATS}
    assert all(result.exit_code == 0 for result in outputs.values())
    table = outputs["table"].stdout.splitlines()
    assert table[0].split() == ["place", "zh"] and set(table[1]) == {"-", " "} and table[2].endswith("七星村")
    assert rows_of_csv(outputs["csv"].stdout) == [
        ["place", "zh"],
        [ID + "place/zhaoshan-qixing-cun", "七星村"],
    ]
    assert rows_of_csv(outputs["tsv"].stdout, "\t") == rows_of_csv(outputs["csv"].stdout)
    # SPARQL 1.1 Query Results JSON: head.vars, results.bindings, typed cells with xml:lang
    document = json.loads(outputs["json"].stdout)
    assert document == {
        "head": {"vars": ["place", "zh"]},
        "results": {
            "bindings": [
                {
                    "place": {"type": "uri", "value": ID + "place/zhaoshan-qixing-cun"},
                    "zh": {"type": "literal", "value": "七星村", "xml:lang": "zh"},
                }
            ]
        },
    }


def test_ask_and_typed_values_in_json(cli_paths):
    ask = invoke("query", "-e", "ASK { ?s ?p '七星村'@zh }", "--format", "json", *cli_paths)
    assert json.loads(ask.stdout) == {"head": {}, "boolean": True}
    assert invoke("query", "-e", "ASK { ?s ?p '七星村'@zh }", *cli_paths).stdout == "true\n"
    result = invoke("query", "villages_count", "--format", "json", *QUERIES, *cli_paths)
    cell = json.loads(result.stdout)["results"]["bindings"][0]["villages"]
    assert cell == {"type": "literal", "value": "5", "datatype": "http://www.w3.org/2001/XMLSchema#integer"}


def test_both_stores_answer_alike(cli_paths):
    answers = {
        store: invoke(
            "query", "observation_changes", "--format", "csv", "--store", store, *QUERIES, *cli_paths
        ).stdout
        for store in ("oxigraph", "rdflib")
    }
    assert answers["oxigraph"] == answers["rdflib"]
    assert "209.92" in answers["oxigraph"]


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["query", "no_such_query"], ["no query named 'no_such_query'", "yuetang-kg queries"]),
        (["query", "places_within", "-p", "town", "x"], ["has no parameter town", "valid: kind, place"]),
        (
            ["query", "places_within", "-p", "place", "hetang-jiedao"],
            ["parameter place", "absolute IRI", "'hetang-jiedao'"],
        ),
        (["query", "-e", "SELECT ?x WHERE { ?x ?y }"], ["invalid SPARQL"]),
        (
            ["query", "-e", "SELECT ?x WHERE { ?x ?p ?o }", "-p", "x", "1"],
            ["-p binds parameters of catalogue queries"],
        ),
        (["query"], ["give a query NAME, a FILE, '-' or -e SPARQL"]),
    ],
)
def test_query_errors(cli_paths, args, fragments):
    fails_cleanly(invoke(*args, *QUERIES, *cli_paths), *fragments)


def test_a_parameter_is_bound_even_when_not_selected(cli_paths, tmp_path):
    """Parameters are bound by a VALUES block that the engine plans with, so the SELECT need not name them."""
    path = tmp_path / "villages.rq"
    path.write_text(
        "#+ param: x iri https://w3id.org/yuetang-kg/ontology#Village the class\n"
        "SELECT ?s WHERE { ?s a ?x } ORDER BY ?s\n",
        encoding="utf-8",
    )
    result = invoke("query", path, "--format", "csv", *cli_paths)
    assert result.exit_code == 0, result.output
    rows = result.output.splitlines()[1:]
    assert len(rows) == 5 and all("/id/place/" in row and row.endswith("-cun") for row in rows), rows


def test_a_missing_data_folder_is_named(tmp_path):
    missing = tmp_path / "no_such_folder"
    for command in ("query", "stats"):
        args = [command, "--data", missing, "--out", tmp_path / "out"] + (
            ["villages_count", *QUERIES] if command == "query" else []
        )
        fails_cleanly(invoke(*args), str(missing), "no such folder")
    fails_cleanly(invoke("validate", "--data", missing), str(missing))


def test_queries_lists_the_catalogue(catalogue):
    result = invoke("queries", *QUERIES)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == list(catalogue)
    line = next(line for line in lines if line.startswith("places_within "))
    assert "辖区内的地方 | Places within a place" in line and line.endswith("[-p place -p kind]")
    listing = json.loads(invoke("queries", "--format", "json", *QUERIES).stdout)
    assert [q["name"] for q in listing] == list(catalogue)
    entry = next(q for q in listing if q["name"] == "entity_search")
    assert entry["params"] == [{"name": "text", "kind": "string", "default": "qixing"}] and entry["title_zh"]
    fails_cleanly(invoke("queries", "--queries", ROOT / "no_such_folder"), "no .rq files found")


def test_stats_counts_the_graph(cli_paths, graph):
    result = invoke("stats", *cli_paths)
    assert result.exit_code == 0
    stats = json.loads(result.stdout)
    assert stats == {"triples": len(graph), "classes": class_counts(graph)}
    assert stats["classes"]["Village"] == 5


def test_validate_writes_nothing(repo_paths, tmp_path):
    out = tmp_path / "never"
    result = invoke("validate", "--data", repo_paths.data, "--ontology", repo_paths.ontology, "--out", out)
    assert result.exit_code == 0 and result.stdout == ""
    assert result.stderr.startswith("valid: ") and "SHACL conforms" in result.stderr
    assert not out.exists()


def test_validate_names_a_bad_quote(data_copy, repo_paths):
    core = data_copy / "facts" / "00-core.yaml"
    core.write_text(
        core.read_text(encoding="utf-8").replace("quote: 宝塔街道红旗社区", "quote: 宝塔街道红星社区", 1),
        encoding="utf-8",
    )
    line = fails_cleanly(invoke("validate", "--data", data_copy, "--ontology", repo_paths.ontology))
    assert "graph_data/facts/00-core.yaml:" in line


def test_build_writes_what_its_help_promises(repo_paths, tmp_path):
    out = tmp_path / "dist"
    result = invoke("build", "--data", repo_paths.data, "--ontology", repo_paths.ontology, "--out", out)
    assert result.exit_code == 0 and result.stdout == ""
    written = {path.name for path in out.iterdir()}
    assert {f"yuetang{fmt.extension}" for fmt in FORMATS.values()} <= written
    assert {"void.ttl", "build-report.json", "ontology.html", "ontology.ttl"} <= written
    assert "  Village " in result.stderr and result.stderr.rstrip().endswith(f"into {out}")


def test_the_installed_command_end_to_end(cli_paths):
    """The console script itself, in a child process: data on stdout, one line of error on stderr."""
    command = Path(sys.executable).with_name("yuetang-kg")
    done = subprocess.run(
        [command, "query", "villages_count", "--format", "csv", *QUERIES, *cli_paths],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "villages\n5\n")
    failed = subprocess.run(
        [command, "query", "-e", "SELEC nothing", *cli_paths],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert failed.returncode == 1 and failed.stdout == ""
    assert failed.stderr.startswith("error: query: invalid SPARQL") and failed.stderr.count("\n") == 1


def test_serve_help_says_what_an_engine_changes():
    text = " ".join(invoke("serve", "--help").output.split())
    assert "--endpoint URL" in text and "no worker process is started or sandboxed" in text
    assert "With --endpoint: the named graph the data was loaded into" in text
