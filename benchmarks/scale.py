"""How the project behaves as the graph grows: replicated corpora, measured side by side with raw pyoxigraph.

``corpus --copies N --out DIR`` writes a build folder holding N copies of the built graph, each copy's IRIs,
blank nodes and documents' named graphs renamed (``…/id/place/c7-zhaoshan-qixing-cun``), with its dumps (N-Triples
and N-Quads, sorted as the build writes them), its on-disk store, the explorer's index (the build's rows,
communities included, renamed the same way) and a build report, so that ``yuetang-kg serve --out DIR`` serves it as is
(never published: a benchmark's data). ``run`` makes the corpora
for each N in ``--copies`` and records, as a Markdown table on stdout:

- the corpus: triples, time and peak RSS to write it (bulk load included), store size on disk;
- raw pyoxigraph on that store: open time, first and median latency of five catalogue queries;
- ``yuetang-kg serve --out DIR``: seconds until it answers, RSS of the server and its workers, first and median
  latency of the same five queries as ``/queries/<name>.json`` and of ``/search``, ``/id/…``, ``/path``,
  ``/complete.json``, ``/charts`` and ``/reconcile``; the ratio to raw; the server process's own RSS at ready and
  after those requests (what it computes on start or on a first request shows there);
- as whole processes: ``yuetang-kg query village_industries``, ``stats --graph`` and ``export`` in every format.

``catalogue --out DIR [NAME …]`` times every catalogue query (or those named; their parameters' defaults bound) on
raw pyoxigraph over DIR's store, each in a process of its own that is stopped past ``--limit`` seconds; with
``--before FOLDER`` it times the same-named query of FOLDER (an older catalogue) right before each, so that both
run under the same load, its parameters bound by the package in ``--before-src`` when given (an older ``src/``).

A size whose step runs past ``--limit`` seconds is cut there and reported so; the server is always stopped.

    .venv/bin/yuetang-kg build
    .venv/bin/python benchmarks/scale.py run --copies 1 10 100 > results.md    # progress on stderr
    .venv/bin/python benchmarks/scale.py catalogue --out /tmp/c100 --before OLD/queries --before-src OLD/src
"""

import argparse
import json
import os
import re
import resource
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pyoxigraph as ox
from attack import tree_rss_mb  # benchmarks/ is on the path when a script here runs

from yuetang_kg.build import REPORT_NAME
from yuetang_kg.bundle import file_sha256
from yuetang_kg.explore.index import ALIAS_ID, INDEX_NAME, SCHEMA
from yuetang_kg.publish.formats import FORMATS
from yuetang_kg.publish.publication import CONTEXT_FILE
from yuetang_kg.query.catalogue import load_catalogue, parse_query_file
from yuetang_kg.query.sparql_text import bind_values
from yuetang_kg.query.store import STORE_DIR, OxigraphStore

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ("village_industries", "entity_card", "place_ancestors", "observations", "entity_search")
PAGES = {"/search": "/search?q=%E4%B8%83%E6%98%9F", "/id/…": "/id/place/zhaoshan-qixing-cun",
         "/path": "/path.json?from=place/zhaoshan-qixing-cun&to=place/xiangtan-shi",
         "/complete.json": "/complete.json?q=qix", "/charts": "/charts",
         "/reconcile": "/reconcile?queries=" + urllib.parse.quote('{"q0":{"query":"七星村"},"q1":{"query":"qixing"}}')}
_IRI = re.compile(rb"(https://w3id\.org/yuetang-kg/(?:id/[a-z-]+|graph/doc)/)")
_BNODE = re.compile(rb"_:([A-Za-z0-9]+)")
_TEXT_IRI = re.compile(r"((?:https://w3id\.org/yuetang-kg|\B)/id/[a-z-]+/)")


def write_corpus(source: Path, copies: int, out: Path) -> int:
    """N renamed copies of ``source``'s graph in ``out`` (N-Triples, N-Quads, store, report); the number of
    triples."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    original = (source / "yuetang.nt").read_bytes().splitlines(keepends=True)
    for name in ("yuetang.nt", "yuetang.nq"):
        # sorted as the build writes its dumps (the named graphs' lines as they were, only renamed)
        lines = (source / name).read_bytes().splitlines(keepends=True)
        sort_lines(renamed(lines, copies), out / name)
    for name in ("ontology.nt", CONTEXT_FILE):
        shutil.copy(source / name, out / name)
    write_corpus_index(source / INDEX_NAME, copies, out / INDEX_NAME)
    store = ox.Store(str(out / STORE_DIR))
    store.bulk_load(path=str(out / "yuetang.nt"), format=ox.RdfFormat.N_TRIPLES)
    store.bulk_load(path=str(out / "ontology.nt"), format=ox.RdfFormat.N_TRIPLES)
    store.optimize()
    stored = len(store)
    del store
    report = json.loads((source / REPORT_NAME).read_text(encoding="utf-8"))
    triples = len(original) * copies
    report.update(
        triples=triples,
        outputs={p.name: file_sha256(p) for p in sorted([*out.glob("*.n[tq]"), out / CONTEXT_FILE])},
        store={"folder": STORE_DIR, "triples": stored},
        index={"file": INDEX_NAME, "sha256": file_sha256(out / INDEX_NAME)},
    )
    (out / REPORT_NAME).write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return triples


def sort_lines(lines: Iterator[bytes], out: Path) -> None:
    """``lines`` into ``out`` in byte order, as ``sorted`` would put them (a line's end sorts before any character
    an N-Triples line holds), by GNU sort in bounded memory: sorting 15M lines in Python held 9 GB."""
    unsorted = out.with_name(f".{out.name}.unsorted")
    with unsorted.open("wb") as sink:
        sink.writelines(lines)
    subprocess.run(["sort", "--buffer-size=1G", f"--temporary-directory={out.parent}", "-o", str(out),
                    str(unsorted)], check=True, env={**os.environ, "LC_ALL": "C"})
    unsorted.unlink()


def renamed(lines: list[bytes], copies: int) -> Iterator[bytes]:
    """Every line once per copy, copy ``c`` with its IRIs, its blank nodes and its documents' graphs renamed."""
    for copy in range(copies):
        if copy == 0:
            yield from lines
            continue
        prefix = b"c%d-" % copy
        for line in lines:
            yield _BNODE.sub(rb"_:" + prefix.replace(b"-", b"x") + rb"\1", _IRI.sub(rb"\1" + prefix, line))


def write_corpus_index(source: Path, copies: int, out: Path) -> None:
    """The explorer's index of N renamed copies: every row of ``source`` once per copy (the ontology's terms and
    the prefixes once), its IRIs, page paths, slugs and id spellings renamed as ``write_corpus`` renames the
    triples. The rows are copied by SQL inside SQLite: replacing ``/id/<kind>/`` in a text column renames full IRIs
    and ``/id/…`` paths alike."""
    temporary = out.with_name(f".{out.name}.tmp")
    temporary.unlink(missing_ok=True)
    with closing(sqlite3.connect(temporary, isolation_level=None)) as db:
        db.execute("PRAGMA journal_mode = OFF")
        db.executescript(SCHEMA)
        db.execute("ATTACH DATABASE ? AS src", (f"{source.resolve().as_uri()}?mode=ro",))
        text = " ".join(v for row in db.execute("SELECT data FROM src.node UNION ALL SELECT data FROM src.edge "
                                                "UNION ALL SELECT iri FROM src.label") for v in row)
        kinds = sorted(set(re.findall(r"/id/([a-z-]+)/", text)))

        def r(column: str, copy: int) -> str:
            for kind in kinds if copy else ():
                column = f"replace({column}, '/id/{kind}/', '/id/{kind}/c{copy}-')"
            return column

        charts = db.execute("SELECT count(*) FROM src.chart").fetchone()[0]
        # each copy's communities are the source's, numbered after the previous copy's
        step = db.execute("SELECT coalesce(max(community), -1) + 1 FROM src.community").fetchone()[0]
        db.execute("BEGIN")
        db.execute("INSERT INTO reconcile_type SELECT * FROM src.reconcile_type")  # classes: shared by every copy
        for c in range(copies):
            prefix = f"'c{c}-' || " if c else ""
            # the ontology's terms and the prefixes are shared by every copy: listed once
            shared = "" if c == 0 else f"WHERE {r('iri', c)} != iri"
            db.execute(f"INSERT INTO node SELECT {r('iri', c)}, {prefix}slug, kind, {r('data', c)}, "
                       f"{r('summary', c)} FROM src.node ORDER BY rowid")
            db.execute(f"INSERT INTO edge SELECT {r('source', c)}, {r('target', c)}, {r('data', c)} FROM src.edge "
                       "ORDER BY rowid")
            db.execute(f"INSERT INTO term SELECT {r('iri', c)}, kind, {r('data', c)} FROM src.term {shared}")
            key = f"CASE WHEN alias = {ALIAS_ID} THEN 'c{c}' || key ELSE key END" if c else "key"
            db.execute(f"INSERT INTO spelling SELECT {key}, alias, kind, {r('iri', c)} FROM src.spelling {shared}")
            db.execute(f"INSERT INTO label SELECT {r('iri', c)}, {r('zh', c)}, {r('en', c)} FROM src.label {shared}")
            slug = f"{prefix}slug"
            db.execute(f"INSERT INTO document SELECT {r('iri', c)}, {slug}, json_set({r('data', c)}, '$.slug', "
                       f"{slug}) FROM src.document")
            db.execute(f"INSERT INTO reading SELECT {r('iri', c)}, key, syllables FROM src.reading")
            db.execute(f"INSERT INTO span SELECT {r('iri', c)}, {r('document', c)}, begin, \"end\", {r('data', c)}, "
                       f"{r('targets', c)} FROM src.span")
            # each copy's charts after the previous copy's, their names (the pages' anchors) renamed too
            name = f"{prefix}json_extract(data, '$.name')"
            db.execute(f"INSERT INTO chart SELECT {c * charts} + position, json_set({r('data', c)}, '$.name', {name}) "
                       "FROM src.chart")
            db.execute(f"INSERT INTO chart_link SELECT {r('iri', c)}, role, {c * charts} + position FROM src.chart_link")
            db.execute(f"INSERT INTO reconcile_entity SELECT {r('iri', c)}, {r('data', c)} FROM src.reconcile_entity")
            db.execute(f"INSERT INTO reconcile_code SELECT code, {r('iri', c)} FROM src.reconcile_code")
            db.execute(f"INSERT INTO community SELECT {r('iri', c)}, community + {c * step} FROM src.community")
        meta = {key: json.loads(value) * copies for key, value in db.execute("SELECT key, value FROM src.meta")}
        db.executemany("INSERT INTO meta VALUES (?, ?)", [(k, json.dumps(v)) for k, v in sorted(meta.items())])
        db.execute("COMMIT")
    temporary.replace(out)


def timed(call, repeat: int = 5) -> tuple[float, float]:
    """First and median of ``repeat`` further runs, in milliseconds (one further run for a call of over 10 s)."""
    started = time.perf_counter()
    call()
    first = (time.perf_counter() - started) * 1000
    runs = []
    for _ in range(repeat if first < 10_000 else 1):
        started = time.perf_counter()
        call()
        runs.append((time.perf_counter() - started) * 1000)
    return first, statistics.median(runs)


def fetch(url: str, timeout: float = 60) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as answer:
        return answer.read()


def measure(copies: int, work: Path, limit: float, exports_up_to: int, reuse: bool) -> list[str]:
    cli = str(Path(sys.executable).with_name("yuetang-kg"))
    out = work / f"corpus-{copies}"
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    made = "reused"
    if not (reuse and (out / REPORT_NAME).exists()):
        subprocess.run([sys.executable, __file__, "corpus", "--copies", str(copies), "--out", str(out)], check=True,
                       timeout=limit)
        build_s = time.perf_counter() - started
        peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
        made = f"{build_s:.1f} s; peak RSS {peak:.0f} MB"
    triples = json.loads((out / REPORT_NAME).read_text(encoding="utf-8"))["triples"]
    size = sum(p.stat().st_size for p in (out / STORE_DIR).rglob("*") if p.is_file()) / 2**20
    index = (out / INDEX_NAME).stat().st_size / 2**20
    corpus = f"{triples:,} triples; {made}; store {size:.0f} MB; index {index:.0f} MB"
    rows = [f"| {copies} | corpus | {corpus} | | |"]
    catalogue = load_catalogue(ROOT / "queries")
    started = time.perf_counter()
    raw = OxigraphStore.read_only(out / STORE_DIR)
    rows.append(f"| {copies} | raw pyoxigraph: open | {(time.perf_counter() - started) * 1000:.1f} ms | | |")
    raw_ms = {}
    for name in QUERIES:
        query = catalogue[name]
        first, median = timed(lambda q=query: raw.query(q.text, q.bindings({})))
        raw_ms[name] = median
        rows.append(f"| {copies} | raw `{name}` | {first:.1f} / {median:.1f} ms | | |")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    server = subprocess.Popen([cli, "serve", "--port", str(port), "--out", str(out), "--timeout", "60"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    try:
        while time.perf_counter() - started < limit:
            try:
                fetch(f"{base}/sparql?query=ASK%7B%7D", 5)
                break
            except (urllib.error.URLError, OSError):
                if server.poll() is not None:
                    return rows + [f"| {copies} | serve | exited with code {server.returncode} | | |"]
                time.sleep(0.5)
        else:
            return rows + [f"| {copies} | serve | not ready within {limit:g} s | | |"]
        ready = time.perf_counter() - started
        rows.append(f"| {copies} | serve: ready; RSS of all processes; of the server | {ready:.1f} s; "
                    f"{tree_rss_mb(server.pid):.0f} MB; {tree_rss_mb(server.pid, children=False):.0f} MB | | |")
        for name in QUERIES:
            url = f"{base}/queries/{name}.json"
            started = time.perf_counter()
            try:
                first, median = timed(lambda u=url: fetch(u))
            except urllib.error.HTTPError as error:  # past serve's --timeout: the answer the issue asks for
                rows.append(f"| {copies} | endpoint `{name}` | HTTP {error.code} after "
                            f"{time.perf_counter() - started:.1f} s (serve --timeout 60) | | |")
                continue
            rows.append(f"| {copies} | endpoint `{name}` | {first:.1f} / {median:.1f} ms | "
                        f"{median / max(raw_ms[name], 0.001):.1f}× | |")
        for label, path in PAGES.items():
            first, median = timed(lambda u=base + path: fetch(u))
            rows.append(f"| {copies} | `{label}` | {first:.1f} / {median:.1f} ms | | |")
        rows.append(f"| {copies} | RSS of the server after these | {tree_rss_mb(server.pid, children=False):.0f} MB | | |")
    finally:
        server.terminate()
        server.wait(30)
    # The whole `query` process beside the same query on the raw engine: what the command adds is the difference.
    commands = [(f"`query {name}` (process; raw {raw_ms[name] / 1000:.2f} s)", ["query", name]) for name in QUERIES]
    commands.append(("`stats --graph` (process)", ["stats", "--graph"]))
    commands += [(f"`export --format {name}` (process)", ["export", "--format", name, "-o", str(work / f"x.{name}")])
                 for name in FORMATS if copies <= exports_up_to]
    for label, command in commands:
        started = time.perf_counter()
        try:
            subprocess.run([cli, *command, "--out", str(out)], check=True, timeout=limit, cwd=ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            rows.append(f"| {copies} | {label} | {time.perf_counter() - started:.2f} s | | |")
        except subprocess.TimeoutExpired:
            rows.append(f"| {copies} | {label} | > {limit:g} s (stopped) | | |")
    return rows


def time_query(store: Path, file: Path, repeat: int) -> None:
    """Print the first and median run (ms) and the rows of one query file on raw pyoxigraph, as JSON."""
    query = parse_query_file(file)
    text = bind_values(query.text, query.bindings({}))
    engine = ox.Store.read_only(str(store))
    rows = []

    def run():
        answer = engine.query(text)
        rows.append(len(list(answer)) if isinstance(answer, (ox.QuerySolutions, ox.QueryTriples)) else 1)

    first, median = timed(run, repeat)
    print(json.dumps({"first": first, "median": median, "rows": rows[0]}))


def time_catalogue(out: Path, queries: Path, before: Path | None, before_src: Path | None, limit: float,
                   repeat: int, names: list[str]):
    """A row per catalogue query, as each is timed: raw first / median ms (and rows), the older query's before it
    (its parameters bound by the package in ``before_src``, when given)."""

    def timing(file: Path, src: Path | None = None) -> str:
        if not file.exists():
            return "—"
        env = {**os.environ, "PYTHONPATH": str(src)} if src else None
        try:
            done = subprocess.run([sys.executable, __file__, "time-query", "--store", str(out / STORE_DIR), "--file",
                                   str(file), "--repeat", str(repeat)], check=True, timeout=limit,
                                  capture_output=True, text=True, env=env)
        except subprocess.TimeoutExpired:
            return f"> {limit:g} s (stopped)"
        except subprocess.CalledProcessError as error:
            return f"failed: {error.stderr.strip().splitlines()[-1]}"
        got = json.loads(done.stdout)
        return f"{got['first']:.1f} / {got['median']:.1f} ({got['rows']})"

    for file in sorted(queries.glob("*.rq")):
        if names and file.stem not in names:
            continue
        print(file.stem, file=sys.stderr)
        old = timing(before / file.name, before_src) if before else ""
        yield f"| {file.stem} | {old} | {timing(file)} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    corpus = commands.add_parser("corpus", help="write one replicated corpus")
    corpus.add_argument("--copies", type=int, required=True)
    corpus.add_argument("--out", type=Path, required=True)
    corpus.add_argument("--source", type=Path, default=ROOT / "dist", help="a build folder (default dist/)")
    run = commands.add_parser("run", help="make corpora and measure them")
    run.add_argument("--copies", type=int, nargs="+", default=[1, 10, 100])
    run.add_argument("--work", type=Path, default=Path("/tmp/yuetang-scale"))
    run.add_argument("--limit", type=float, default=600, help="seconds a step may take before it is cut")
    run.add_argument("--exports-up-to", type=int, default=100, help="time the exports only up to this many copies")
    run.add_argument("--reuse", action="store_true", help="measure a corpus already in --work rather than make it")
    catalogue = commands.add_parser("catalogue", help="time every catalogue query on raw pyoxigraph")
    catalogue.add_argument("--out", type=Path, required=True, help="a corpus (or build) folder")
    catalogue.add_argument("--queries", type=Path, default=ROOT / "queries")
    catalogue.add_argument("--before", type=Path, help="a folder of older .rq files to time beside each")
    catalogue.add_argument("--before-src", type=Path, help="the src/ folder of the package that binds --before's")
    catalogue.add_argument("--limit", type=float, default=120, help="seconds a query may take before it is cut")
    catalogue.add_argument("--repeat", type=int, default=3, help="runs after the first (their median is kept)")
    catalogue.add_argument("names", nargs="*", help="only these queries (default: every one)")
    one = commands.add_parser("time-query", help=argparse.SUPPRESS)
    one.add_argument("--store", type=Path, required=True)
    one.add_argument("--file", type=Path, required=True)
    one.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.command == "time-query":
        time_query(args.store, args.file, args.repeat)
        return
    if args.command == "catalogue":
        print(f"{args.out}; raw pyoxigraph {ox.__version__}: first / median of {args.repeat} ms (rows)\n")
        print("| query | before | after |\n|---|---:|---:|")
        for row in time_catalogue(args.out, args.queries, args.before, args.before_src, args.limit,
                                  args.repeat, args.names):
            print(row, flush=True)
        return
    if args.command == "corpus":
        print(f"{write_corpus(args.source, args.copies, args.out)} triples in {args.out}", file=sys.stderr)
        return
    print("| copies | what | first / median (or value) | endpoint ÷ raw | |")
    print("|---:|---|---|---:|---|")
    for copies in args.copies:
        print(f"{copies} copies …", file=sys.stderr)
        for row in measure(copies, args.work, args.limit, args.exports_up_to, args.reuse):
            print(row, flush=True)


if __name__ == "__main__":
    main()
