"""Completion latency per keystroke and the graph view's render time for the largest catalogue answer.

Serves the app (uvicorn on 127.0.0.1, a free port, in this process) over the built graph and:

- types every prefix of a set of names (hanzi, pinyin with and without tones, English: one request per
  keystroke, as the editor sends them) at ``/complete.json`` and reports p50/p99 of the round trip;
- opens ``/queries/<name>#view=graph`` in Debian's headless Chromium for the catalogue query with the most
  rows, and reports the time from navigation until the graph is drawn (``window.yuetangResults.ready``).

Run from the repository root after `yuetang-kg build`:

    .venv/bin/python benchmarks/explore_latency.py [--runs 5]
"""

import argparse
import shutil
import statistics
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

from yuetang_kg.query.catalogue import load_catalogue
from yuetang_kg.query.store import open_store
from yuetang_kg.web.app import create_app
from yuetang_kg.web.site import Site
from yuetang_kg.workspace import Paths, load_graphs

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TYPED = ["七星村", "长株潭都市圈生态绿心", "qixing cun", "Qīxīng Cūn", "zhaoshan", "Qixing Village",
         "Yuetang District", "ykg:Village", "locatedIn", "产业"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def keystrokes(base: str, runs: int) -> list[float]:
    """Milliseconds per /complete.json request, one per prefix of every name, ``runs`` times over."""
    timings = []
    for _ in range(runs):
        for name in TYPED:
            for end in range(1, len(name) + 1):
                url = f"{base}/complete.json?{urllib.parse.urlencode({'q': name[:end]})}"
                started = time.perf_counter()
                with urllib.request.urlopen(url) as answer:
                    answer.read()
                timings.append((time.perf_counter() - started) * 1000)
    return timings


def render(browser, base: str, name: str) -> tuple[float, dict]:
    """Seconds from navigation until the graph view of a catalogue page is drawn, and what it drew."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    started = time.perf_counter()
    page.goto(f"{base}/queries/{name}#view=graph")
    while not page.evaluate("() => !!(window.yuetangResults && window.yuetangResults.ready)"):
        page.wait_for_timeout(10)
    elapsed = time.perf_counter() - started
    drawn = page.evaluate("() => window.yuetangResults.drawn")
    context.close()
    return elapsed, drawn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    data, ontology = load_graphs(Paths())
    catalogue = load_catalogue(Path("queries"))
    store = open_store("oxigraph", data, ontology)
    sizes = {name: len(store.query(q.text, q.bindings({})).rows) for name, q in catalogue.items()}
    largest = max(sizes, key=lambda name: (sizes[name], name))
    site = Site(data, ontology, catalogue, viz=Path("viz"))
    server = uvicorn.Server(uvicorn.Config(create_app(site), host="127.0.0.1", port=0, lifespan="off",
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    try:
        keystrokes(base, 1)  # warm-up: the first request builds the explorer's data and its indexes
        timings = keystrokes(base, options.runs)
        print(f"{len(data) + len(ontology)} triples; completion: {len(timings)} keystrokes, "
              f"p50 {percentile(timings, 0.5):.1f} ms, p99 {percentile(timings, 0.99):.1f} ms, "
              f"max {max(timings):.1f} ms")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
            render(browser, base, largest)  # warm-up: the worker process and the term lookup
            runs = [render(browser, base, largest) for _ in range(options.runs)]
            browser.close()
        drawn = runs[0][1]
        print(f"graph view of the largest answer, {largest} ({sizes[largest]} rows → {drawn['nodes']} nodes, "
              f"{drawn['edges']} edges): median {statistics.median(r[0] for r in runs):.2f} s, "
              f"max {max(r[0] for r in runs):.2f} s from navigation until drawn ({options.runs} runs)")
    finally:
        server.should_exit = True
        thread.join(10)
        site.workers.close()


if __name__ == "__main__":
    main()
