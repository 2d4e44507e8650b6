"""How long each view of viz/views.yaml takes to settle in headless Chromium (target: under two seconds).

Writes every view (and the ego view of one entity) for the built graph, opens each offline in Debian's
Chromium, and prints the load time and the time from the start of drawing until physics stopped
(``window.yuetangView.settledMs``). Run from the repository root after `yuetang-kg build`:

    .venv/bin/python benchmarks/view_settle.py [--entity 七星村] [--runs 3]
"""

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from yuetang_kg.explore.project import to_networkx
from yuetang_kg.explore.views import load_views, write_views
from yuetang_kg.workspace import Paths, load_graphs

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def settle(browser, path: Path) -> tuple[float, float]:
    """(seconds until the page was ready, milliseconds of layout) for one view file."""
    context = browser.new_context(offline=True, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    started = time.perf_counter()
    page.goto(path.as_uri())
    while not page.evaluate("() => !!(window.yuetangView && window.yuetangView.ready)"):
        page.wait_for_timeout(20)
    ready = time.perf_counter() - started
    layout = page.evaluate("() => window.yuetangView.settledMs")
    context.close()
    return ready, layout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entity", default="七星村", help="the entity of the ego view")
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    data, ontology = load_graphs(Paths())
    projection = to_networkx(data, ontology)
    views = load_views(Path("viz"))
    out = Path(tempfile.mkdtemp(prefix="view-settle-"))
    try:
        files = write_views(projection, views, out) + write_views(
            projection, views, out, ["ego"], options.entity
        )
        print(f"{projection.number_of_nodes()} entities, {projection.number_of_edges()} relations")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
            for path in (p for p in files if p.name != "index.html"):
                runs = [settle(browser, path) for _ in range(options.runs)]
                ready = statistics.median(r[0] for r in runs)
                layout = statistics.median(r[1] for r in runs)
                print(
                    f"{path.stem:32} ready {ready:5.2f} s   layout {layout:7.0f} ms (median of {options.runs})"
                )
            browser.close()
    finally:
        shutil.rmtree(out)


if __name__ == "__main__":
    main()
