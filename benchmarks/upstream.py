"""The site in front of an external engine (``serve --endpoint``) against the engine alone: what the site adds.

Starts an Oxigraph server on 127.0.0.1 (a temporary store, loaded with the build by ``yuetang-kg load`` into a
named graph), ``yuetang-kg serve --endpoint`` in front of it, and ``yuetang-kg serve`` over the build's own store,
then measures

1. every catalogue query, median of ``--runs`` after a warm-up: the engine asked directly (the query with its
   parameters bound, POSTed to ``/query`` with the graph as ``default-graph-uri``, SPARQL JSON results) against
   ``/queries/<name>.json`` of each server (the query check, admission, the exchange with the engine or a
   worker, and the site's own JSON writer included);
2. a cheap SELECT sent again and again by 1 and 8 clients for ``--seconds``: requests/s of the engine's
   ``/query`` against each server's ``/sparql`` (each client from a loopback address of its own, so that the
   per-client share sees distinct clients; a new connection per request everywhere);
3. the resident memory of each server with its workers.

    .venv/bin/yuetang-kg build
    .venv/bin/python benchmarks/upstream.py > results.md      # progress on stderr; about two minutes
"""

import argparse
import concurrent.futures
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from attack import fetch, tree_rss_mb  # benchmarks/ is on the path when a script here runs

from yuetang_kg.query.catalogue import load_catalogue
from yuetang_kg.query.sparql_text import bind_values

GRAPH = "https://w3id.org/yuetang-kg/graph"
CHEAP = "SELECT * WHERE { ?s ?p ?o } LIMIT 1"
ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(command: list[str], ready: str) -> subprocess.Popen:
    """A server process, once ``ready`` answers 200."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        if fetch(ready, 2)[0] == 200:
            return process
        if process.poll() is not None:
            break
        time.sleep(0.2)
    process.kill()
    sys.exit(f"did not start: {' '.join(command)}")


def post_seconds(url: str, form: dict) -> float:
    request = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode(),
                                     headers={"Accept": "application/sparql-results+json"})
    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=60) as answer:
        answer.read()
    return time.monotonic() - started


def get_seconds(url: str) -> float:
    status, seconds = fetch(url, 60)
    if status != 200:
        raise RuntimeError(f"{url} answered {status}")
    return seconds


def median_ms(runs: int, measure, *arguments) -> float:
    measure(*arguments)  # warm-up
    return statistics.median(measure(*arguments) for _ in range(runs)) * 1000


def throughput(url: str, clients: int, seconds: float) -> tuple[float, int]:
    """Requests/s answered 200 by ``clients`` clients for ``seconds``, and how many were not."""
    stop = time.monotonic() + seconds

    def client(index: int) -> tuple[int, int]:
        done = failed = 0
        while time.monotonic() < stop:
            if fetch(url, 15, f"127.0.3.{index + 1}")[0] == 200:
                done += 1
            else:
                failed += 1
        return done, failed

    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        counts = list(pool.map(client, range(clients)))
    return sum(d for d, _ in counts) / seconds, sum(f for _, f in counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "dist"), help="build folder (default dist/)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per query, after one warm-up")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each throughput phase")
    args = parser.parse_args()
    catalogue = load_catalogue(ROOT / "queries")
    processes = []
    with tempfile.TemporaryDirectory() as folder:
        try:
            engine = f"http://127.0.0.1:{free_port()}"
            processes.append(start([str(BIN / "oxigraph"), "serve", "--location", folder, "--bind", engine[7:]],
                                   f"{engine}/query?query=ASK%7B%7D"))
            subprocess.run([str(BIN / "yuetang-kg"), "load", "--endpoint", f"{engine}/store", "--graph", GRAPH,
                            "--out", args.out], check=True, capture_output=True)
            servers = {}
            for name, extra in (("serve --endpoint", ["--endpoint", f"{engine}/query", "--graph", GRAPH]),
                                ("serve", [])):
                base = f"http://127.0.0.1:{free_port()}"
                command = [str(BIN / "yuetang-kg"), "serve", "--port", base.rsplit(":", 1)[1], "--out", args.out,
                           "--timeout", "60", *extra]
                processes.append(start(command, f"{base}/sparql?query=ASK%7B%7D"))
                servers[name] = (base, processes[-1].pid)
            version = subprocess.run([str(BIN / "oxigraph"), "--version"], capture_output=True, text=True,
                                     check=True).stdout.strip()
            print(f"Machine: {platform.machine()}, Python {platform.python_version()}; {version} server; `serve` "
                  "defaults (2 workers, or 2 queries at once to the engine).\n")
            print(f"### Catalogue queries: median of {args.runs} runs after a warm-up, ms\n")
            print("| query | engine alone | serve --endpoint | ratio | serve (own store) | ratio |")
            print("|---|---:|---:|---:|---:|---:|")
            ratios: dict[str, list[float]] = {name: [] for name in servers}
            for name, query in catalogue.items():
                print(f"{name} …", file=sys.stderr)
                text = bind_values(query.text, query.bindings({}))
                alone = median_ms(args.runs, post_seconds, f"{engine}/query",
                                  {"query": text, "default-graph-uri": GRAPH})
                cells = [f"{alone:.1f}"]
                for server, (base, _) in servers.items():
                    took = median_ms(args.runs, get_seconds, f"{base}/queries/{name}.json")
                    ratios[server].append(took / alone)
                    cells += [f"{took:.1f}", f"{took / alone:.1f}×"]
                print(f"| {name} | {' | '.join(cells)} |")
            print("\nGeometric mean of the ratios: " + "; ".join(
                f"{server} {statistics.geometric_mean(values):.2f}×" for server, values in ratios.items()) + "\n")
            print(f"### A cheap SELECT (`{CHEAP}`), {args.seconds:g} s per row\n")
            print("| clients | engine alone, req/s | serve --endpoint, req/s | share | serve (own store), req/s | "
                  "share |")
            print("|---:|---:|---:|---:|---:|---:|")
            quoted = urllib.parse.quote(CHEAP)
            for clients in (1, 8):
                print(f"{clients} clients …", file=sys.stderr)
                alone, _ = throughput(f"{engine}/query?query={quoted}&default-graph-uri={urllib.parse.quote(GRAPH)}",
                                      clients, args.seconds)
                cells = [f"{alone:.0f}"]
                for base, _ in servers.values():
                    rate, failed = throughput(f"{base}/sparql?query={quoted}", clients, args.seconds)
                    cells += [f"{rate:.0f}" + (f" ({failed} not 200)" if failed else ""), f"1/{alone / rate:.1f}"]
                print(f"| {clients} | {' | '.join(cells)} |")
            print("\nResident memory, server and its workers: " + "; ".join(
                f"{server} {tree_rss_mb(pid):.0f} MB" for server, (_, pid) in servers.items()))
        finally:
            for process in processes:
                process.terminate()
                process.wait(30)


if __name__ == "__main__":
    main()
