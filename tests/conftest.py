"""Shared fixtures: the repository's folders, one validated build per session, and stores over it."""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import XSD, Literal

from yuetang_kg.build import build
from yuetang_kg.cli import main
from yuetang_kg.explore.project import to_networkx
from yuetang_kg.query.catalogue import load_catalogue
from yuetang_kg.query.store import open_store
from yuetang_kg.web.site import Settings, Site
from yuetang_kg.web.upstream import Upstream
from yuetang_kg.workspace import Paths

ROOT = Path(__file__).resolve().parent.parent
# Oxigraph keeps every integer-derived datatype as xsd:integer (NIF offsets are xsd:nonNegativeInteger), and in
# RDF 1.1 "x"^^xsd:string is the plain literal "x": answers of different engines are compared written one way.
INTEGER_TYPES = {XSD[name] for name in ("integer", "nonNegativeInteger", "positiveInteger", "nonPositiveInteger",
                                        "negativeInteger", "long", "int", "short", "byte", "unsignedLong",
                                        "unsignedInt", "unsignedShort", "unsignedByte")}

JAVA_LIBS = Path("/usr/share/java")
# What riot needs besides the jena-*.jar files (engines.md, "Jena helper").
JENA_DEPENDENCIES = (
    "commons-cli", "commons-codec", "commons-compress", "commons-csv", "commons-io", "commons-lang3",
    "dexx.collection", "gson", "guava", "httpclient", "httpclient-cache", "httpcore", "commons-logging",
    "jackson-core", "jackson-databind", "jackson-annotations", "jsonld-java", "jakarta.json-api", "protobuf",
    "thrift", "titanium-json-ld", "slf4j-api", "slf4j-simple",
)
XERCES_RESOURCES = "org/apache/jena/ext/xerces/impl/"
# The named graph the tests load the SPARQL servers with (yuetang-kg load --graph).
ENGINE_GRAPH = "https://w3id.org/yuetang-kg/graph/test"
VIRTUOSO_INI = """\
[Database]
DatabaseFile       = virtuoso.db
ErrorLogFile       = virtuoso.log
LockFile           = virtuoso.lck
TransactionFile    = virtuoso.trx
xa_persistent_file = virtuoso.pxa
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase
[TempDatabase]
DatabaseFile       = virtuoso-temp.db
TransactionFile    = virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0
[Parameters]
ServerPort         = 127.0.0.1:{isql_port}
DisableUnixSocket  = 1
CaseMode           = 2
DirsAllowed        = .
NumberOfBuffers    = 10000
MaxDirtyBuffers    = 6000
ThreadsPerQuery    = 2
[HTTPServer]
ServerPort         = 127.0.0.1:{http_port}
ServerRoot         = .
ServerThreads      = 4
Charset            = UTF-8
[SPARQL]
ResultSetMaxRows           = 100000
MaxQueryExecutionTime      = 30
MaxQueryCostEstimationTime = 400
"""


def comparable(term) -> str:
    """A result cell written so that the same answer from any engine reads the same."""
    if isinstance(term, Literal) and term.datatype in INTEGER_TYPES:
        return Literal(int(term), datatype=XSD.integer).n3()
    if isinstance(term, Literal) and term.datatype == XSD.string:
        return Literal(str(term)).n3()
    return "" if term is None else term.n3()


def as_stored(graph):
    """The graph written one way whatever engine gave it back: Oxigraph keeps integer-derived literals as
    xsd:integer (the same value), and some engines type plain strings as xsd:string (the same literal in RDF 1.1)."""
    from rdflib import Graph

    stored = Graph()
    for s, p, o in graph:
        if isinstance(o, Literal) and o.datatype in INTEGER_TYPES:
            o = Literal(int(o), datatype=XSD.integer)
        elif isinstance(o, Literal) and o.datatype == XSD.string:
            o = Literal(str(o))
        stored.add((s, p, o))
    return stored


def comparable_answer(result):
    """A query's answer in a form to compare between engines: the boolean of an ASK, else the sorted rows."""
    if result.kind == "ASK":
        return result.boolean
    return sorted(tuple(comparable(term) for term in row) for row in result.rows)


def require_binary(name: str) -> str:
    """The path of an external program a test needs. Without it the test skips, saying so; under CI=true, where
    .ci/run installs every such program, it fails instead, so that a missing install never passes as green."""
    path = shutil.which(name)
    if path is None:
        _missing(f"{name} is not installed (.ci/run lists the Debian packages the tests use)")
    return path


def require_file(path: Path, package: str) -> Path:
    """A file that a Debian package installs (Jena ships jars, no commands): as require_binary."""
    if not Path(path).exists():
        _missing(f"{path} is missing: install the Debian package {package} (.ci/run does)")
    return Path(path)


def _missing(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI must have it")
    pytest.skip(message)


def eventually(check, seconds: float = 20, every: float = 0.2) -> bool:
    """Whether ``check()`` comes true within ``seconds``, asked every ``every`` seconds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(every)
    return False


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now, for a server a test starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_http(url: str, seconds: float, process: subprocess.Popen, log: Path | None = None) -> None:
    """Poll ``url`` until it answers 200; fail early, with the reason, when the server process has exited."""
    deadline = time.monotonic() + seconds

    def tail() -> str:
        return "" if log is None else "\n" + log.read_text(encoding="utf-8", errors="replace")[-2000:]

    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with code {process.returncode} before answering {url}{tail()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    pytest.fail(f"no answer from {url} within {seconds} s{tail()}")


def stop(process: subprocess.Popen, seconds: float = 30) -> None:
    """Stop a server the test started, by its PID: SIGTERM, then SIGKILL if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@pytest.fixture(scope="session")
def repo_paths() -> Paths:
    return Paths(data=ROOT / "graph_data", ontology=ROOT / "ontology", queries=ROOT / "queries", out=ROOT / "dist",
                 viz=ROOT / "viz")


@pytest.fixture(scope="session")
def built(repo_paths, tmp_path_factory):
    """The real graph, built once into a temporary folder."""
    return build(repo_paths.data, repo_paths.ontology, tmp_path_factory.mktemp("dist"), viz=repo_paths.viz)


@pytest.fixture(scope="session")
def graph(built):
    return built.graph


@pytest.fixture(scope="session")
def cli_paths(built, repo_paths) -> list[str]:
    """The path options that point a CLI command at the repository's inputs and the session's build."""
    return ["--data", str(repo_paths.data), "--ontology", str(repo_paths.ontology), "--out", str(built.outputs[0].parent)]


@pytest.fixture(scope="session")
def projection(built):
    """The NetworkX projection of the real graph (read-only: tests that change a graph build their own)."""
    return to_networkx(built.graph, built.ontology)


@pytest.fixture(scope="session")
def store(built):
    return open_store("oxigraph", built.graph, built.ontology)


@pytest.fixture(scope="session")
def catalogue(repo_paths):
    return load_catalogue(repo_paths.queries)


@pytest.fixture
def data_copy(repo_paths, tmp_path) -> Path:
    """A writable copy of graph_data, for tests that corrupt it."""
    target = tmp_path / "graph_data"
    shutil.copytree(repo_paths.data, target)
    return target


@pytest.fixture(scope="session")
def riot(tmp_path_factory):
    """Jena's riot, run with ``java -cp``: Debian ships Jena's jars but no command, and its jena-core lacks the
    shaded xerces resources where the classes look for them, so they are copied there (engines.md)."""
    java = require_binary("java")
    core = require_file(JAVA_LIBS / "jena-core.jar", "libapache-jena-java")
    fix = tmp_path_factory.mktemp("jena-xerces-fix")
    with zipfile.ZipFile(core) as jar:
        for name in jar.namelist():
            if name.startswith(XERCES_RESOURCES) and not name.endswith("/"):
                target = fix / "xerces" / "impl" / name[len(XERCES_RESOURCES) :]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(jar.read(name))
    jena = sorted(p for p in JAVA_LIBS.glob("jena-*.jar") if not re.search(r"-[0-9][0-9.]*\.jar$", p.name))
    classpath = [*jena, *(JAVA_LIBS / f"{lib}.jar" for lib in JENA_DEPENDENCIES), fix]

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([java, "-cp", ":".join(map(str, classpath)), "riotcmd.riot", *args],
                              capture_output=True, text=True, timeout=300, check=False)
    return run


# Who answers the web app's queries: its own worker processes over the build's store, or a SPARQL server behind
# it (serve --endpoint), reached by the path each engine answers queries on.
BACKENDS = ("embedded", "oxigraph-server", "virtuoso")
ENGINE_QUERY_PATHS = {"oxigraph-server": ("oxigraph", "/query"), "virtuoso": ("virtuoso", "/sparql")}
UPSTREAM_MAX_BYTES = 64 * 2**20


def site_over(backend: str, request, built, catalogue, settings: Settings) -> Site:
    """A web app's Site whose queries ``backend`` answers; a server backend is started (once per session) and
    loaded with the build into ENGINE_GRAPH, which the site queries as its default graph."""
    if backend == "embedded":
        return Site(built.out, catalogue, settings)
    fixture, path = ENGINE_QUERY_PATHS[backend]
    upstream = Upstream(request.getfixturevalue(fixture) + path, ENGINE_GRAPH, settings.workers, settings.queue,
                        settings.per_client, settings.queue_wait_s, UPSTREAM_MAX_BYTES)
    return Site(built.out, catalogue, settings, upstream=upstream)


def built_dir(built) -> Path:
    """The build's output folder, where ``yuetang-kg`` finds the graph (``--out``)."""
    return next(path for path in built.outputs if path.name == "yuetang.nt").parent


def load(endpoint: str, built, repo_paths, *extra: str):
    runner = CliRunner()
    outcome = runner.invoke(main, ["load", "--endpoint", endpoint, "--graph", ENGINE_GRAPH, "--data", str(repo_paths.data),
                                   "--ontology", str(repo_paths.ontology),
                                   "--out", str(built_dir(built)), *extra])
    assert outcome.exit_code == 0, outcome.output
    return outcome


def oxigraph_binary() -> str:
    beside = Path(sys.executable).parent / "oxigraph"  # the PyPI package's binary, in the venv
    return str(beside) if beside.exists() else require_binary("oxigraph")


@pytest.fixture(scope="session")
def oxigraph(tmp_path_factory, built, repo_paths):
    port = free_port()
    log = (tmp_path_factory.mktemp("oxigraph") / "server.log").open("wb")
    process = subprocess.Popen([oxigraph_binary(), "serve", "--location", str(Path(log.name).parent / "db"),
                                "--bind", f"127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base}/query?query=ASK%7B%7D", 30, process, Path(log.name))
        outcome = load(f"{base}/store", built, repo_paths)
        assert "HTTP 201" in outcome.output or "HTTP 204" in outcome.output
        yield base
    finally:
        stop(process)
        log.close()


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory, built, repo_paths):
    binary = require_binary("virtuoso-t")
    folder = tmp_path_factory.mktemp("virtuoso")
    isql_port, http_port = free_port(), free_port()
    while http_port == isql_port:
        http_port = free_port()
    (folder / "virtuoso.ini").write_text(VIRTUOSO_INI.format(isql_port=isql_port, http_port=http_port),
                                         encoding="utf-8")
    log = (folder / "server.out").open("wb")
    # +foreground keeps the PID ours to stop; a fresh database is made in the folder (dba/dba, loopback only).
    process = subprocess.Popen([binary, "+configfile", "virtuoso.ini", "+foreground"], cwd=folder, stdout=log,
                               stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{http_port}"
        wait_for_http(f"{base}/sparql?query=ASK%7B%7D", 90, process, folder / "server.out")
        load(f"{base}/sparql-graph-crud-auth", built, repo_paths, "--user", "dba", "--password", "dba")
        yield base
    finally:
        stop(process)
        log.close()
