"""Median latency of every catalogue query on each way of answering it, to choose the default store by numbers.

Ways: rdflib's in-memory store (``RdflibStore``), pyoxigraph (``OxigraphStore``, the embedded default), rdflib
over Oxigraph (oxrdflib, ``Graph(store="Oxigraph")``), and the HTTP endpoint (``yuetang-kg serve`` started here
on 127.0.0.1, each query fetched as ``/queries/<name>.json``: checks, a worker process, JSON and HTTP included).
Each query runs once to warm up, then ``--repeat`` times or until ``--budget`` seconds are spent; each store
lives in its own process, and a query that takes longer than ``--limit`` seconds there (warm-up included) is
stopped and reported as "> limit" (rdflib's store needs minutes for some).

    .venv/bin/python benchmarks/bench_queries.py > results.md

Results and the machine they were measured on: benchmarks/README.md. Not a test: nothing here fails on speed.
"""

import argparse
import multiprocessing
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import rdflib

from yuetang_kg.query.catalogue import load_catalogue
from yuetang_kg.query.store import open_store
from yuetang_kg.workspace import Paths, load_graphs

ROOT = Path(__file__).resolve().parent.parent


class OxrdflibStore:
    """rdflib's API over Oxigraph: loaded with oxrdflib's own parser (``ox-nt``; plain ``nt`` would be rdflib's)."""

    def __init__(self, *graphs: rdflib.Graph):
        self.graph = rdflib.Graph(store="Oxigraph")
        for graph in graphs:
            self.graph.parse(data=graph.serialize(format="nt", encoding="utf-8"), format="ox-nt")

    def query(self, sparql, bindings=None):
        return list(self.graph.query(sparql, initBindings=bindings or {}))


WAYS = {
    "rdflib": lambda data: open_store("rdflib", data),
    "pyoxigraph": lambda data: open_store("oxigraph", data),
    "oxrdflib": lambda data: OxrdflibStore(data),
}


def measure(connection, way: str, ntriples: bytes, repeat: int, budget: float) -> None:
    """A store's process: build the store from the graph (timed, as ``yuetang-kg`` builds it from an rdflib graph
    in memory), then time the queries it is sent."""
    graph = rdflib.Graph().parse(data=ntriples, format="nt")
    start = time.perf_counter()
    store = WAYS[way](graph)
    connection.send(time.perf_counter() - start)
    while (job := connection.recv()) is not None:
        text, bindings = job
        connection.send(timed(lambda text=text, bindings=bindings: store.query(text, bindings), repeat, budget))


class Measured:
    """One store in its own process, so that a query past the limit can be stopped."""

    def __init__(self, way: str, ntriples: bytes, args):
        self.way, self.ntriples, self.args = way, ntriples, args
        self.start()

    def start(self):
        context = multiprocessing.get_context("spawn")
        self.connection, theirs = context.Pipe()
        self.process = context.Process(target=measure, args=(theirs, self.way, self.ntriples, self.args.repeat,
                                                             self.args.budget))
        self.process.start()
        self.load = self.connection.recv()

    def median(self, text: str, bindings) -> float | None:
        self.connection.send((text, bindings))
        if self.connection.poll(self.args.limit):
            return self.connection.recv()
        self.process.kill()
        self.process.join()
        self.start()
        return None

    def close(self):
        self.connection.send(None)
        self.process.join(30)


class Endpoint:
    """``yuetang-kg serve`` in a subprocess; a query is a GET of its catalogue page's JSON twin."""

    def __init__(self, paths: Paths, port: int):
        self.base = f"http://127.0.0.1:{port}"
        command = [str(Path(sys.executable).parent / "yuetang-kg"), "serve", "--port", str(port), "--data",
                   str(paths.data), "--ontology", str(paths.ontology), "--out", str(paths.out), "--queries",
                   str(paths.queries), "--timeout", "120"]
        self.process = subprocess.Popen(command, stderr=subprocess.DEVNULL)
        for _ in range(600):
            try:
                urllib.request.urlopen(f"{self.base}/sparql?query=ASK%7B%7D", timeout=2).close()
                return
            except OSError:
                time.sleep(0.1)
        self.close()
        raise SystemExit("the endpoint did not start")

    def query_page(self, name: str) -> bytes:
        with urllib.request.urlopen(f"{self.base}/queries/{name}.json", timeout=300) as response:
            return response.read()

    def close(self):
        self.process.terminate()
        self.process.wait(30)


def timed(run, repeat: int, budget: float) -> float:
    """Median seconds of ``run()`` after one warm-up run."""
    run()
    times, spent = [], 0.0
    while len(times) < repeat and (not times or spent < budget):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
        spent += times[-1]
    return statistics.median(times)


def ms(seconds: float | None, limit: float = 0) -> str:
    if seconds is None:
        return f"> {limit * 1000:.0f}"
    return f"{seconds * 1000:.1f}" if seconds < 10 else f"{seconds * 1000:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT / "graph_data")
    parser.add_argument("--ontology", type=Path, default=ROOT / "ontology")
    parser.add_argument("--queries", type=Path, default=ROOT / "queries")
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="build output (built if missing)")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--budget", type=float, default=10.0, help="seconds of timed runs per query and way")
    parser.add_argument("--limit", type=float, default=30.0, help="seconds after which a query is stopped")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # so that `finally` stops the server and the stores
    paths = Paths(data=args.data, ontology=args.ontology, queries=args.queries, out=args.out)
    data, ontology = load_graphs(paths, lambda message: print(message, file=sys.stderr))
    catalogue = load_catalogue(paths.queries)

    ntriples = data.serialize(format="nt", encoding="utf-8") + ontology.serialize(format="nt", encoding="utf-8")
    stores = {way: Measured(way, ntriples, args) for way in WAYS}
    loads = {way: store.load for way, store in stores.items()}
    start = time.perf_counter()
    endpoint = Endpoint(paths, args.port)
    loads["endpoint"] = time.perf_counter() - start
    ways = [*stores, "endpoint"]

    medians: dict[str, dict[str, float | None]] = {}
    try:
        for name, query in catalogue.items():
            bindings = query.bindings({})
            medians[name] = {way: store.median(query.text, bindings) for way, store in stores.items()}
            medians[name]["endpoint"] = timed(lambda name=name: endpoint.query_page(name), args.repeat, args.budget)
            print(f"{name}: " + ", ".join(f"{w} {ms(medians[name][w], args.limit)} ms" for w in ways),
                  file=sys.stderr)
    finally:
        endpoint.close()
        for store in stores.values():
            store.close()

    triples = len(data) + len(ontology)
    print(f"{len(catalogue)} catalogue queries over {triples} triples; median of up to {args.repeat} runs after a "
          f"warm-up; milliseconds.\n")
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"rdflib {rdflib.__version__}, pyoxigraph {_version('pyoxigraph')}, oxrdflib {_version('oxrdflib')}.\n")
    others = ("rdflib", "oxrdflib", "endpoint")
    print("| query | " + " | ".join(ways) + " | " + " | ".join(f"{w} ÷ pyoxigraph" for w in others) + " |")
    print("|---|" + "---:|" * (len(ways) + len(others)))
    # A stopped query counts as the limit: the sums and ratios below are then lower bounds ("≥").
    capped = {name: {w: args.limit if t is None else t for w, t in row.items()} for name, row in medians.items()}
    for name, row in medians.items():
        base = capped[name]["pyoxigraph"]
        ratios = [("≥ " if row[w] is None else "") + f"{capped[name][w] / base:.1f}×" for w in others]
        print(f"| {name} | " + " | ".join(ms(row[w], args.limit) for w in ways) + " | " + " | ".join(ratios) + " |")
    bound = {w: "≥ " if any(row[w] is None for row in medians.values()) else "" for w in ways}
    totals = {w: sum(row[w] for row in capped.values()) for w in ways}
    geo = {w: statistics.geometric_mean([row[w] / row["pyoxigraph"] for row in capped.values()]) for w in others}
    print("| **whole catalogue** | " + " | ".join(f"**{bound[w]}{ms(totals[w])}**" for w in ways) + " | "
          + " | ".join(f"**{bound[w]}{totals[w] / totals['pyoxigraph']:.1f}×**" for w in others) + " |")
    print("| geometric mean of the ratios | | | | | " + " | ".join(f"{bound[w]}{geo[w]:.1f}×" for w in others)
          + " |")
    stopped = {w: sum(row[w] is None for row in medians.values()) for w in ways}
    print("\nStopped at the limit of " + f"{args.limit:g} s: "
          + ", ".join(f"{w} {n}" for w, n in stopped.items()) + " queries.")
    print("\nBuilding the store from the rdflib graph in memory (the endpoint: from starting `yuetang-kg serve` "
          "until it answers, reading dist/ and starting its workers included):\n")
    print("| " + " | ".join(ways) + " |\n|" + "---:|" * len(ways))
    print("| " + " | ".join(f"{ms(loads[w])} ms" for w in ways) + " |")


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


if __name__ == "__main__":
    main()
