"""The README stays true: every command of the CLI is documented there, and every `yuetang-kg …` line of its
code blocks runs, pointed at this repository's inputs and the session's build (writing only into temporary
folders; the lines that talk to a SPARQL server get a real Oxigraph server on a free port, and `serve` really
serves)."""

import re
import shlex
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, free_port, require_binary, stop, wait_for_http

from yuetang_kg.cli import main
from yuetang_kg.query.store import STORE_DIR, OxigraphStore

README = (ROOT / "README.md").read_text(encoding="utf-8")
CODE_LINES = [
    line.strip()
    for block in re.findall(r"^```[a-z]*\n(.*?)^```", README, flags=re.DOTALL | re.MULTILINE)
    for line in block.splitlines()
    if line.strip().startswith("yuetang-kg ")
]
README_PORT = "http://127.0.0.1:7878"


def words(line: str) -> list[str]:
    """The words of a shell line; a word that starts with # opens a comment (an IRI keeps its #)."""
    return shlex.split(re.sub(r"(^|\s)#.*$", "", line))


def test_the_readme_shows_command_lines():
    assert len(CODE_LINES) >= 10


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_command_is_documented(name):
    assert re.search(rf"yuetang-kg {name}\b", README), f"README.md never shows `yuetang-kg {name}`"


def with_repository_paths(args: list[str], built_dir: Path, out: Path) -> list[str]:
    """The line's own arguments, then the path options its command takes, aimed at the repo and the build.
    Commands that write (build, viz) get a fresh folder; the others read the session's build."""
    command = main.commands[args[0]]
    options = {opt for param in command.params for opt in param.opts}
    writes = args[0] in ("build", "viz")
    extra = {
        "--data": ROOT / "graph_data",
        "--ontology": ROOT / "ontology",
        "--queries": ROOT / "queries",
        "--viz": ROOT / "viz",
        "--out": out if writes else built_dir,
    }
    return args + [
        str(a) for opt, value in extra.items() if opt in options and opt not in args for a in (opt, value)
    ]


@pytest.fixture(scope="module")
def oxigraph_server(tmp_path_factory, cli_paths):
    """An Oxigraph server (the PyPI package's binary) holding the graph in the README's named graph."""
    beside = Path(sys.executable).with_name("oxigraph")
    binary = str(beside) if beside.exists() else require_binary("oxigraph")
    folder = tmp_path_factory.mktemp("oxigraph-docs")
    port = free_port()
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(
        [binary, "serve", "--location", str(folder / "db"), "--bind", f"127.0.0.1:{port}"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base}/query?query=ASK%7B%7D", 30, process, folder / "server.log")
        loaded = CliRunner().invoke(
            main,
            [
                "load",
                "--endpoint",
                f"{base}/store",
                "--graph",
                "https://w3id.org/yuetang-kg/graph",
                *cli_paths,
            ],
        )
        assert loaded.exit_code == 0, loaded.output
        yield base
    finally:
        stop(process)
        log.close()


@pytest.mark.parametrize("line", CODE_LINES, ids=[" ".join(words(line)) for line in CODE_LINES])
def test_readme_command_line_runs(line, request, built, tmp_path):
    args = words(line)[1:]
    built_dir = built.outputs[0].parent
    if README_PORT in line:
        base = request.getfixturevalue("oxigraph_server")
        args = [a.replace(README_PORT, base) for a in args]
    args = with_repository_paths(args, built_dir, tmp_path / "out")
    if args[0] == "serve":
        check_serve(args, tmp_path)
        return
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, f"{line}\n{result.output}"
    assert "error:" not in result.stderr


def check_serve(args: list[str], tmp_path: Path) -> None:
    """`serve` runs until stopped: start it on a free port, fetch its home page, stop it."""
    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("yuetang-kg")), *args, "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_http(f"http://127.0.0.1:{port}/", 60, process, log_path)
            with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/sparql?query=ASK%7B%7D", timeout=10
            ) as answer:
                assert b'"boolean"' in answer.read()
        finally:
            stop(process)


def test_the_readme_says_how_the_store_types_the_offsets(built):
    """The README warns that offsets come back from the store as xsd:integer, unlike the dumps: true only as long
    as Oxigraph folds integer-derived datatypes; a pyoxigraph that kept them would make the warning false."""
    assert '"1006"^^xsd:integer' in README
    offset = "<http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#beginIndex>"
    assert f'{offset} "1006"^^<http://www.w3.org/2001/XMLSchema#nonNegativeInteger>' in (
        built.out / "yuetang.nt").read_text(encoding="utf-8")
    table = OxigraphStore.read_only(built.out / STORE_DIR).select_table(
        f"SELECT ?b WHERE {{ ?span {offset} ?b FILTER(?b = 1006) }} LIMIT 1", 10)
    assert table.tsv.splitlines()[1] == b"1006"  # TSV writes a plain xsd:integer as its bare digits
