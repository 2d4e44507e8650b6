"""The floor of a cheap ``/sparql`` query, part by part, against the budget that "a third of the Oxigraph server's
throughput" leaves on this machine.

A query of ours crosses two processes: a Python HTTP server, and a worker process that runs the engine and that
the hard timeout kills (Oxigraph's own timeout is soft: nothing else stops a query in the engine). Each part is
measured alone here, under the same load generator as ``throughput.py`` and at the same concurrencies:

- ``Oxigraph server`` and ``ours``: ``oxigraph serve-read-only`` and ``yuetang-kg serve`` on the build's store,
  as in ``throughput.py``;
- ``HTTP floor``: uvicorn with our connection protocol and an app that answers canned bytes through
  ``WHOLE_ANSWER``, no query at all;
- ``exchange``: ``QueryWorkers.run`` called from as many tasks as clients, in this process on uvloop, with no
  HTTP: the hop to a worker and back, admission and the engine's query included;
- ``query alone``: the worker's ``answer`` (check, negotiation, engine, writer) called in this process;
- ``bare hop``: a socketpair round trip of a few bytes to a process that echoes them, one at a time: what waking
  another process and being woken costs on this machine, with no Python work on either side.

The query is ``throughput.py``'s with a comment in it: the server answers that single-pattern query itself
(``web/bounded.py``), and a comment, which costs the engine nothing, sends it to a worker, whose path this
script takes apart; ``throughput.py`` measures the lane without a worker.

The budget at a concurrency is the CPU time per request that a third of Oxigraph's rate leaves on all cores,
less what the load generator takes per request from our server. A floor above the budget means that no trimming
of the server's own code (parameters, headers, admission) can reach the target with this design.

    .venv/bin/yuetang-kg build
    .venv/bin/python benchmarks/floors.py > results.md      # progress on stderr; about a minute
"""

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import throughput  # benchmarks/ is on the path when a script here runs
import uvicorn
import uvloop

from yuetang_kg.query.store import STORE_DIR, OxigraphStore
from yuetang_kg.web.connections import WHOLE_ANSWER, bounded_protocol
from yuetang_kg.web.settings import Settings
from yuetang_kg.web.workers import Job, Limits, QueryWorkers, answer

CANNED = b'{"head":{"vars":["s"]},"results":{"bindings":[]}}\n'
CANNED_HEADERS = [(b"content-type", b"application/sparql-results+json; charset=utf-8"),
                  (b"content-length", str(len(CANNED)).encode("ascii"))]
QUERY = throughput.QUERY.replace("} LIMIT", "# to a worker\n} LIMIT")  # see the module's note
HOPS = 20_000
ECHO = "import socket, sys\ns = socket.socket(fileno=int(sys.argv[1]))\nwhile data := s.recv(64): s.sendall(data)"


def serve_canned(port: int) -> None:
    """The HTTP floor's server (run in a process of its own by ``--canned PORT``)."""

    async def app(scope, receive, send) -> None:
        if scope["type"] == "http":
            await scope["extensions"][WHOLE_ANSWER](200, CANNED_HEADERS, CANNED)

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", http=bounded_protocol(10), ws="none",
                lifespan="off")


def children_cpu(pid: int) -> float:
    """CPU seconds of ``pid``'s live children (the exchange's workers), not of ``pid`` itself."""
    return sum(throughput.cpu_seconds(child) for child in throughput.process_tree(pid)[1:])


def exchange(store: Path, concurrency: int, seconds: float) -> dict:
    """Requests/s and CPU µs per request of this process and of its workers, ``concurrency`` tasks each running
    the cheap query again and again through ``QueryWorkers.run``."""
    settings = Settings()
    pool = QueryWorkers(store, "oxigraph", settings.workers, Limits(settings.memory_mb * 2**20),
                        settings.queue, settings.per_client, settings.queue_wait_s)
    pool.start()
    job = Job(QUERY, {}, throughput.ACCEPT, (), settings.max_rows)
    counts = [0] * concurrency

    async def client(index: int, stop: float) -> None:
        while time.monotonic() < stop:
            await pool.run(job, settings.timeout_s, f"client {index}")
            counts[index] += 1

    async def drive(span: float) -> None:
        stop = time.monotonic() + span
        await asyncio.gather(*(client(i, stop) for i in range(concurrency)))

    try:
        uvloop.run(drive(min(1.0, seconds)))  # warm-up
        counts[:] = [0] * concurrency
        own, theirs = time.process_time(), children_cpu(os.getpid())
        uvloop.run(drive(seconds))
        done = sum(counts)
        return {"rate": done / seconds, "server_us": (time.process_time() - own) / done * 1e6,
                "worker_us": (children_cpu(os.getpid()) - theirs) / done * 1e6}
    finally:
        pool.close()


def query_alone(store_path: Path, runs: int = 5000) -> float:
    """CPU µs of the worker's ``answer`` for the cheap query, in this process (the engine warm)."""
    store = OxigraphStore.read_only(store_path)
    job = Job(QUERY, {}, throughput.ACCEPT, (), Settings.max_rows)
    memo: dict = {}
    for _ in range(200):
        answer(store, job, memo)
    started = time.process_time()
    for _ in range(runs):
        answer(store, job, memo)
    return (time.process_time() - started) / runs * 1e6


def bare_hop() -> float:
    """CPU µs (both processes) of one round trip of a few bytes to an echoing process over a socketpair."""
    ours, theirs = socket.socketpair()
    echo = subprocess.Popen([sys.executable, "-c", ECHO, str(theirs.fileno())], pass_fds=[theirs.fileno()])
    theirs.close()
    try:
        for _ in range(1000):
            ours.sendall(b"job")
            ours.recv(64)
        own, other = time.process_time(), throughput.cpu_seconds(echo.pid)
        for _ in range(HOPS):
            ours.sendall(b"job")
            ours.recv(64)
        return (time.process_time() - own + throughput.cpu_seconds(echo.pid) - other) / HOPS * 1e6
    finally:
        ours.close()
        echo.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="dist", help="build folder to serve (default dist/)")
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each measurement")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--canned", type=int, metavar="PORT", help=argparse.SUPPRESS)  # the HTTP floor's server
    args = parser.parse_args()
    if args.canned:
        serve_canned(args.canned)
        return
    store = Path(args.out) / STORE_DIR
    bin_dir = Path(sys.executable).parent
    quoted = urllib.parse.quote(QUERY)
    ports = [throughput.free_port() for _ in range(3)]
    servers = {
        "Oxigraph server": (ports[0], f"/query?query={quoted}", [bin_dir / "oxigraph", "serve-read-only",
                                                                "--location", str(store), "--bind",
                                                                f"127.0.0.1:{ports[0]}"]),
        "ours": (ports[1], f"/sparql?query={quoted}", [bin_dir / "yuetang-kg", "serve", "--port", str(ports[1]),
                                                       "--out", args.out]),
        "HTTP floor": (ports[2], f"/sparql?query={quoted}", [sys.executable, __file__, "--canned", str(ports[2])]),
    }
    processes = {}
    rows = []
    try:
        for name, (port, path, command) in servers.items():
            processes[name] = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            throughput.wait_ready(f"http://127.0.0.1:{port}{path}", processes[name])
        for concurrency in args.concurrency:
            measured = {}
            for name, (port, path, _) in servers.items():
                print(f"concurrency {concurrency}: {name} …", file=sys.stderr)
                measured[name] = throughput.measure(port, path, processes[name].pid, concurrency, args.seconds)
            print(f"concurrency {concurrency}: exchange …", file=sys.stderr)
            rows.append((concurrency, measured, exchange(store, concurrency, args.seconds)))
    finally:
        for process in processes.values():
            process.terminate()
            process.wait(30)
    alone, hop = query_alone(store), bare_hop()
    cores = os.cpu_count()
    print(f"{cores} cores; query `{QUERY}` as SPARQL JSON; {args.seconds:g} s per measurement. "
          f"The query alone in process: **{alone:.0f} µs**; a bare hop to another process and back: "
          f"**{hop:.0f} µs**. CPU µs per request; the load generator's own is not in any column but the budget.\n")
    print("| concurrency | Oxigraph server: requests/s, CPU | a third | budget: CPU per request | HTTP floor | "
          "exchange: server + worker | floor: HTTP + exchange | ours: requests/s, CPU | ours ÷ Oxigraph |")
    print("|---:|---|---:|---:|---:|---:|---:|---|---:|")
    for concurrency, measured, hop_part in rows:
        oxigraph, ours, http = measured["Oxigraph server"], measured["ours"], measured["HTTP floor"]
        third = oxigraph["rate"] / 3
        budget = cores * 1e6 / third - ours["client_us"]
        floor = http["server_us"] + hop_part["server_us"] + hop_part["worker_us"]
        print(f"| {concurrency} | {oxigraph['rate']:.0f}, {oxigraph['server_us']:.0f} | {third:.0f} | "
              f"{budget:.0f} | {http['server_us']:.0f} | {hop_part['server_us']:.0f} + "
              f"{hop_part['worker_us']:.0f} ({hop_part['rate']:.0f}/s) | **{floor:.0f}** | "
              f"{ours['rate']:.0f}, {ours['server_us']:.0f} | {ours['rate'] / oxigraph['rate']:.2f} |")


if __name__ == "__main__":
    main()
