"""Load and attack on loopback: how the endpoint serves everyone else while expensive queries run.

Starts ``yuetang-kg serve`` on 127.0.0.1 (the limits at their defaults), then for each concurrency (1, 8, 32):
keeps 8 expensive queries running (a six-way cross product, each stopped by the timeout) from 8 clients,
and meanwhile sends cheap queries (``ASK {}``), resource pages and static files from N other threads
for a fixed time, each client from a loopback address of its own (127.0.1.x, 127.0.2.x). Reports requests/s, p50/p99 latency and the statuses of each kind, the expensive queries'
statuses, and the peak RSS of the server and its workers. Bounded: each phase runs ``--seconds`` seconds, every
request has a client timeout, and the server is stopped at the end.

    .venv/bin/yuetang-kg build
    .venv/bin/python benchmarks/attack.py > results.md      # progress on stderr; about a minute
"""

import argparse
import collections
import concurrent.futures
import http.client
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

CROSS = "SELECT (COUNT(*) AS ?n) WHERE { " + " ".join(f"?s{i} ?p{i} ?o{i} ." for i in range(6)) + " }"
KINDS = {
    "cheap query": "/sparql?query=" + urllib.parse.quote("ASK {}"),
    "resource page": "/id/place/zhaoshan-qixing-cun",
    "static file": "/static/explorer/explorer.css",
}


def fetch(url: str, timeout: float = 15, source: str = "127.0.0.1") -> tuple[int, float]:
    """Status and seconds of a GET, sent from ``source``: each client its own loopback address, so that the
    server's per-client share sees distinct clients, as it would on a network."""
    parts = urllib.parse.urlsplit(url)
    started = time.monotonic()
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout, source_address=(source, 0))
    try:
        connection.request("GET", f"{parts.path}?{parts.query}" if parts.query else parts.path)
        answer = connection.getresponse()
        answer.read()
        status = answer.status
    except (OSError, http.client.HTTPException):
        status = 0
    finally:
        connection.close()
    return status, time.monotonic() - started


def process_tree(pid: int) -> list[int]:
    """A process and all its live descendants (the server's query workers; with ``--processes``, the server
    processes and theirs)."""
    children = [int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True,
                                               check=False).stdout.split()]
    return [pid] + [p for child in children for p in process_tree(child)]


def tree_rss_mb(pid: int, children: bool = True) -> float:
    """Resident memory of a process and its children (or of the process alone), in MB."""
    total = 0
    for p in process_tree(pid) if children else [pid]:
        try:
            for line in Path(f"/proc/{p}/status").read_text(encoding="ascii").splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total / 1024


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def phase(base: str, concurrency: int, seconds: float, pid: int) -> tuple[dict, collections.Counter, float]:
    stop = time.monotonic() + seconds
    peak = [tree_rss_mb(pid)]
    hog_statuses: collections.Counter = collections.Counter()
    samples: dict[str, list[tuple[int, float]]] = {kind: [] for kind in KINDS}
    lock = threading.Lock()

    def hog(index: int):
        while time.monotonic() < stop:
            status, _ = fetch(base + "/sparql?query=" + urllib.parse.quote(CROSS), 30, f"127.0.1.{index + 1}")
            with lock:
                hog_statuses[status] += 1
            if status == 503:
                time.sleep(0.2)  # what Retry-After asks, more or less

    def visitor(index: int):
        kinds = list(KINDS)
        i = index
        while time.monotonic() < stop:
            kind = kinds[i % len(kinds)]
            i += 1
            result = fetch(base + KINDS[kind], source=f"127.0.2.{index + 1}")
            with lock:
                samples[kind].append(result)

    def watch():
        while time.monotonic() < stop:
            peak[0] = max(peak[0], tree_rss_mb(pid))
            time.sleep(0.2)

    with concurrent.futures.ThreadPoolExecutor(8 + concurrency + 1) as pool:
        jobs = [pool.submit(hog, i) for i in range(8)]
        time.sleep(0.5)
        jobs += [pool.submit(visitor, i) for i in range(concurrency)] + [pool.submit(watch)]
        for job in jobs:
            job.result()
    return samples, hog_statuses, peak[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="dist", help="build folder to serve (default dist/)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    args = parser.parse_args()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [str(Path(sys.executable).with_name("yuetang-kg")), "serve", "--port", str(port), "--out", args.out]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            if fetch(base + KINDS["cheap query"], 2)[0] == 200:
                break
            time.sleep(0.2)
        else:
            sys.exit("the server did not start")
        print(f"Machine: {platform.machine()}, Python {platform.python_version()}; `serve` defaults (2 workers, "
              f"5 s timeout, queue 16, 4 per client); 8 expensive queries running throughout; {args.seconds:g} s "
              "per row.\n")
        print("| concurrency | kind | requests/s | p50 ms | p99 ms | statuses | expensive queries | peak RSS MB |")
        print("|---:|---|---:|---:|---:|---|---|---:|")
        for concurrency in (1, 8, 32):
            print(f"concurrency {concurrency} …", file=sys.stderr)
            samples, hogs, peak = phase(base, concurrency, args.seconds, server.pid)
            for kind, results in samples.items():
                times = [t * 1000 for _, t in results]
                statuses = collections.Counter(status for status, _ in results)
                print(f"| {concurrency} | {kind} | {len(results) / args.seconds:.0f} | "
                      f"{statistics.median(times):.1f} | {percentile(times, 0.99):.1f} | "
                      f"{dict(sorted(statuses.items()))} | {dict(sorted(hogs.items()))} | {peak:.0f} |")
    finally:
        server.terminate()
        server.wait(30)


if __name__ == "__main__":
    main()
