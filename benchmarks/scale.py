"""How the project behaves as the graph grows: replicated corpora, measured side by side with raw pyoxigraph.

``corpus --copies N --out DIR`` writes a build folder holding N copies of the built graph, each copy's IRIs and
blank nodes renamed (``…/id/place/c7-zhaoshan-qixing-cun``), with its on-disk store and a build report, so that
``yuetang-kg serve --out DIR`` serves it as is (never published: a benchmark's data). ``run`` makes the corpora
for each N in ``--copies`` and records, as a Markdown table on stdout:

- the corpus: triples, time and peak RSS to write it (bulk load included), store size on disk;
- raw pyoxigraph on that store: open time, first and median latency of five catalogue queries;
- ``yuetang-kg serve --out DIR``: seconds until it answers, RSS of the server and its workers, first and median
  latency of the same five queries as ``/queries/<name>.json`` and of ``/search``, ``/id/…``; the ratio to raw;
- ``yuetang-kg query village_industries`` as a whole process, and ``yuetang-kg export`` in every format.

A size whose step runs past ``--limit`` seconds is cut there and reported so; the server is always stopped.

    .venv/bin/yuetang-kg build
    .venv/bin/python benchmarks/scale.py run --copies 1 10 100 > results.md    # progress on stderr
"""

import argparse
import json
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pyoxigraph as ox
from attack import tree_rss_mb  # benchmarks/ is on the path when a script here runs

from yuetang_kg.build import REPORT_NAME
from yuetang_kg.bundle import file_sha256
from yuetang_kg.catalogue import load_catalogue
from yuetang_kg.formats import FORMATS
from yuetang_kg.store import STORE_DIR, OxigraphStore

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ("village_industries", "entity_card", "place_ancestors", "observations", "entity_search")
PAGES = {"/search": "/search?q=%E4%B8%83%E6%98%9F", "/id/…": "/id/place/zhaoshan-qixing-cun"}
_IRI = re.compile(rb"(https://w3id\.org/yuetang-kg/id/[a-z-]+/)")
_BNODE = re.compile(rb"_:([A-Za-z0-9]+)")


def write_corpus(source: Path, copies: int, out: Path) -> int:
    """N renamed copies of ``source``'s graph in ``out`` (N-Triples, store, report); the number of triples."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    original = (source / "yuetang.nt").read_bytes().splitlines(keepends=True)
    with (out / "yuetang.nt").open("wb") as nt:
        for copy in range(copies):
            if copy == 0:
                nt.writelines(original)
                continue
            prefix = b"c%d-" % copy
            for line in original:
                nt.write(_BNODE.sub(rb"_:" + prefix.replace(b"-", b"x") + rb"\1", _IRI.sub(rb"\1" + prefix, line)))
    for name in ("ontology.nt",):
        shutil.copy(source / name, out / name)
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
        outputs={p.name: file_sha256(p) for p in sorted(out.glob("*.nt"))},
        store={"folder": STORE_DIR, "triples": stored},
    )
    (out / REPORT_NAME).write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return triples


def timed(call, repeat: int = 5) -> tuple[float, float]:
    """First and median of ``repeat`` further runs, in milliseconds."""
    started = time.perf_counter()
    call()
    first = (time.perf_counter() - started) * 1000
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        runs.append((time.perf_counter() - started) * 1000)
    return first, statistics.median(runs)


def fetch(url: str, timeout: float = 60) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as answer:
        return answer.read()


def measure(copies: int, work: Path, limit: float) -> list[str]:
    cli = str(Path(sys.executable).with_name("yuetang-kg"))
    out = work / f"corpus-{copies}"
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run([sys.executable, __file__, "corpus", "--copies", str(copies), "--out", str(out)], check=True,
                   timeout=limit)
    build_s = time.perf_counter() - started
    peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    triples = json.loads((out / REPORT_NAME).read_text(encoding="utf-8"))["triples"]
    size = sum(p.stat().st_size for p in (out / STORE_DIR).rglob("*") if p.is_file()) / 2**20
    corpus = f"{triples:,} triples; {build_s:.1f} s; peak RSS {peak:.0f} MB; store {size:.0f} MB"
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
        rows.append(f"| {copies} | serve: ready; RSS of all processes | {ready:.1f} s; {tree_rss_mb(server.pid):.0f} MB"
                    " | | |")
        for name in QUERIES:
            url = f"{base}/queries/{name}.json"
            first, median = timed(lambda u=url: fetch(u))
            rows.append(f"| {copies} | endpoint `{name}` | {first:.1f} / {median:.1f} ms | "
                        f"{median / max(raw_ms[name], 0.001):.1f}× | |")
        for label, path in PAGES.items():
            first, median = timed(lambda u=base + path: fetch(u))
            rows.append(f"| {copies} | `{label}` | {first:.1f} / {median:.1f} ms | | |")
    finally:
        server.terminate()
        server.wait(30)
    commands = [("`query village_industries` (process)", ["query", "village_industries"])]
    commands += [(f"`export --format {name}` (process)", ["export", "--format", name, "-o", str(out / f"x.{name}")])
                 for name in FORMATS]
    for label, command in commands:
        started = time.perf_counter()
        try:
            subprocess.run([cli, *command, "--out", str(out)], check=True, timeout=limit, cwd=ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            rows.append(f"| {copies} | {label} | {time.perf_counter() - started:.2f} s | | |")
        except subprocess.TimeoutExpired:
            rows.append(f"| {copies} | {label} | > {limit:g} s (stopped) | | |")
    return rows


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
    args = parser.parse_args()
    if args.command == "corpus":
        print(f"{write_corpus(args.source, args.copies, args.out)} triples in {args.out}", file=sys.stderr)
        return
    print("| copies | what | first / median (or value) | endpoint ÷ raw | |")
    print("|---:|---|---|---:|---|")
    for copies in args.copies:
        print(f"{copies} copies …", file=sys.stderr)
        for row in measure(copies, args.work, args.limit):
            print(row, flush=True)


if __name__ == "__main__":
    main()
