"""Per-request overhead of ``/sparql``: our endpoint beside the Oxigraph server, on the same store.

Starts ``yuetang-kg serve`` (its defaults: the hard timeout, the fair queue; ``--workers`` to compare pool sizes
side by side) and the Oxigraph server
from PyPI (``oxigraph serve-read-only`` on the build's own store folder: the same data, the same engine), then
sends the same cheap SELECT to both at each concurrency, for a few seconds each, and prints requests/s side by
side with their ratio. The load generator is one asyncio process of raw keep-alive HTTP/1.1 connections (a
request is a prebuilt byte string, an answer is read by its Content-Length or its chunks): the same for both
servers, and cheap, so that it limits neither; its CPU time per request is printed beside each figure to show
it, and so is the servers' (the workers included), from ``/proc``. Each connection comes from a loopback
address of its own (127.0.1.x), so that the endpoint's per-client share sees distinct clients, as it would on
a network.

    .venv/bin/yuetang-kg build
    .venv/bin/python benchmarks/throughput.py > results.md      # progress on stderr; about a minute
    .venv/bin/python benchmarks/throughput.py --workers 2 4 > results.md      # two pool sizes and Oxigraph
    .venv/bin/python benchmarks/throughput.py --processes 1 2 > results.md    # one server process, and one per core
"""

import argparse
import asyncio
import itertools
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pyoxigraph as ox
from attack import process_tree, tree_rss_mb  # benchmarks/ is on the path when a script here runs

from yuetang_kg.query.store import STORE_DIR, OxigraphStore
from yuetang_kg.web import answers
from yuetang_kg.web.settings import Settings

QUERY = "SELECT ?s WHERE { ?s a <https://w3id.org/yuetang-kg/ontology#Village> } LIMIT 10"
LONG_QUERY = "SELECT * WHERE { ?s ?p ?o } LIMIT 5000"
ACCEPT = "application/sparql-results+json"
OXIGRAPH = "oxigraph serve-read-only"
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str, timeout: float = 5) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": ACCEPT})
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return answer.read()


def wait_ready(url: str, process: subprocess.Popen, seconds: float = 120) -> None:
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        if process.poll() is not None:
            sys.exit(f"the server exited with code {process.returncode}: {' '.join(map(str, process.args))}")
        try:
            fetch(url, 2)
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"no answer from {url} within {seconds:g} s")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process and its live children (the endpoint's workers)."""
    total = 0
    for p in process_tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat(5))
    return total / TICKS


class Client(asyncio.Protocol):
    """One keep-alive connection sending the same request again and again until ``stop``."""

    def __init__(self, request: bytes, stop: float, samples: list, statuses: dict, done: asyncio.Future):
        self.request, self.stop, self.samples, self.statuses, self.done = request, stop, samples, statuses, done
        self.buffer = bytearray()
        self.sent = 0.0

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.send()

    def send(self) -> None:
        self.buffer.clear()
        self.sent = time.perf_counter()
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        status = _complete(self.buffer)
        if status is None:
            return
        now = time.perf_counter()
        self.samples.append(now - self.sent)
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if time.monotonic() < self.stop:
            self.send()
        else:
            self.transport.close()

    def connection_lost(self, exc) -> None:
        if not self.done.done():
            self.done.set_result(None)


def _complete(buffer: bytearray) -> int | None:
    """The status of the answer in ``buffer`` once it is whole (by Content-Length or chunked), else None."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buffer[:end]).decode("latin-1").lower().split("\r\n")
    status = int(head[0].split()[1])
    headers = dict(line.split(":", 1) for line in head[1:])
    body = end + 4
    if "content-length" in headers:
        return status if len(buffer) >= body + int(headers["content-length"]) else None
    while True:  # chunked: walk the chunks to the last one
        line_end = buffer.find(b"\r\n", body)
        if line_end < 0:
            return None
        size = int(bytes(buffer[body:line_end]).split(b";")[0], 16)
        if size == 0:
            return status if len(buffer) >= line_end + 4 else None  # "0\r\n\r\n", no trailers
        body = line_end + 2 + size + 2
        if len(buffer) < body:
            return None


async def load(port: int, path: str, concurrency: int, seconds: float) -> tuple[list[float], dict]:
    request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: {ACCEPT}\r\n"
               "User-Agent: throughput.py\r\n\r\n").encode("ascii")
    loop = asyncio.get_running_loop()
    stop = time.monotonic() + seconds
    samples: list[float] = []
    statuses: dict[int, int] = {}
    finished = []
    for index in range(concurrency):
        done = loop.create_future()
        finished.append(done)
        await loop.create_connection(lambda d=done: Client(request, stop, samples, statuses, d), "127.0.0.1", port,
                                     local_addr=(f"127.0.1.{index + 1}", 0))
    await asyncio.wait_for(asyncio.gather(*finished), seconds + 30)
    return samples, statuses


def measure(port: int, path: str, pid: int, concurrency: int, seconds: float) -> dict:
    asyncio.run(load(port, path, concurrency, min(1.0, seconds)))  # warm-up: connections, caches
    client_before, server_before = time.process_time(), cpu_seconds(pid)
    samples, statuses = asyncio.run(load(port, path, concurrency, seconds))
    count = len(samples)
    return {
        "rate": statuses.get(200, 0) / seconds,
        "p50": statistics.median(samples) * 1000,
        "p99": sorted(samples)[int(0.99 * (count - 1))] * 1000,
        "client_us": (time.process_time() - client_before) / count * 1e6,
        "server_us": (cpu_seconds(pid) - server_before) / count * 1e6,
        "statuses": dict(sorted(statuses.items())),
        "rss": tree_rss_mb(pid),
    }


def same_answer(ours: bytes, theirs: bytes) -> bool:
    def rows(body: bytes):
        return sorted(json.dumps(b, sort_keys=True) for b in json.loads(body)["results"]["bindings"])

    return rows(ours) == rows(theirs)


def best_ms(call, runs: int = 10) -> float:
    call()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return min(times) * 1000


def writers(store_path: Path) -> None:
    store = OxigraphStore.read_only(store_path)
    print(f"\nWriting a long answer (`{LONG_QUERY}`, in this process, best of 10, ms):\n")
    print("| format | engine alone | rdflib terms + our writer | engine's writers from its TSV | before ÷ engine | "
          "now ÷ engine |")
    print("|---|---:|---:|---:|---:|---:|")
    for media_type in ("application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                       "text/tab-separated-values"):
        fmt = ox.QueryResultsFormat.from_media_type(media_type)
        alone = best_ms(lambda f=fmt: store.store.query(LONG_QUERY).serialize(format=f))
        before = best_ms(lambda m=media_type: answers.write(store.query(LONG_QUERY, max_rows=10_000), m))
        now = best_ms(lambda m=media_type: answers.write_table(store.select_table(LONG_QUERY, 10_000), m))
        print(f"| {media_type} | {alone:.1f} | {before:.1f} | {now:.1f} | {before / alone:.1f}× | {now / alone:.1f}× |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="dist", help="build folder to serve (default dist/)")
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each measurement")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 16])
    parser.add_argument("--rounds", type=int, default=2, help="measurements per server and concurrency; the best "
                                                              "is shown (the machine is shared: noise only slows)")
    parser.add_argument("--workers", type=int, nargs="+", help="serve with each of these --workers, side by side "
                                                               "(default: serve's own default alone)")
    parser.add_argument("--query", default=QUERY, help="the SELECT to send (default: a single-pattern lookup, which "
                                                       "the server answers itself; add a pattern to measure the "
                                                       "exchange with a worker)")
    parser.add_argument("--processes", type=int, nargs="+", help="serve with each of these --processes, side by "
                                                                 "side (default: serve's own default alone)")
    args = parser.parse_args()
    bin_dir = Path(sys.executable).parent
    quoted = urllib.parse.quote(args.query)
    targets = {}
    for workers, processes in itertools.product(args.workers or [None], args.processes or [None]):
        port = free_port()
        option = [*([] if workers is None else ["--workers", str(workers)]),
                  *([] if processes is None else ["--processes", str(processes)])]
        name = " ".join(["yuetang-kg serve", *option])
        targets[name] = (port, f"/sparql?query={quoted}",
                         [bin_dir / "yuetang-kg", "serve", "--port", str(port), "--out", args.out, *option])
    oxigraph_port = free_port()
    targets[OXIGRAPH] = (oxigraph_port, f"/query?query={quoted}",
                         [bin_dir / "oxigraph", "serve-read-only", "--location", str(Path(args.out) / STORE_DIR),
                          "--bind", f"127.0.0.1:{oxigraph_port}"])
    processes = {}
    try:
        for name, (port, path, command) in targets.items():
            processes[name] = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_ready(f"http://127.0.0.1:{port}{path}", processes[name])
        answers = [fetch(f"http://127.0.0.1:{port}{path}") for port, path, _ in targets.values()]
        if not all(same_answer(answers[-1], answer) for answer in answers[:-1]):
            sys.exit("the servers answer differently:\n" + "\n".join(map(repr, answers)))
        print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
              f"`serve` defaults ({Settings.workers} workers, 5 s timeout) but for the options shown; "
              f"{args.seconds:g} s per measurement, best of {args.rounds}; query `{args.query}` as SPARQL JSON.\n")
        print("| concurrency | server | requests/s | p50 ms | p99 ms | server CPU µs/request | "
              "client CPU µs/request | statuses | RSS MB | ours ÷ Oxigraph |")
        print("|---:|---|---:|---:|---:|---:|---:|---|---:|---:|")
        for concurrency in args.concurrency:
            best = {}
            for _ in range(args.rounds):
                for name, (port, path, _) in targets.items():  # alternated, so that both see the same noise
                    print(f"concurrency {concurrency}: {name} …", file=sys.stderr)
                    result = measure(port, path, processes[name].pid, concurrency, args.seconds)
                    if name not in best or result["rate"] > best[name]["rate"]:
                        best[name] = result
            for name, r in best.items():
                shown = "" if name == OXIGRAPH else f"**{r['rate'] / best[OXIGRAPH]['rate']:.2f}**"
                print(f"| {concurrency} | {name} | {r['rate']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | "
                      f"{r['server_us']:.0f} | {r['client_us']:.0f} | {r['statuses']} | {r['rss']:.0f} | {shown} |")
    finally:
        for process in processes.values():
            process.terminate()
            process.wait(30)
    writers(Path(args.out) / STORE_DIR)


if __name__ == "__main__":
    main()
