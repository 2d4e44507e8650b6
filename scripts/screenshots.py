"""The README's screenshots, taken in Debian's headless Chromium from the app serving the built graph:
the result views (graph, chart, timeline), the editor with a completion, the path finder and the canvas.

Run from the repository root after `yuetang-kg build`; writes docs/screenshots/*.png:

    .venv/bin/python scripts/screenshots.py
"""

import shutil
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

from yuetang_kg.query.catalogue import load_catalogue
from yuetang_kg.web.app import create_app
from yuetang_kg.web.site import Site
from yuetang_kg.workspace import Paths, load_graphs

OUT = Path("docs/screenshots")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1000, "height": 680}
QIXING = "https://w3id.org/yuetang-kg/id/place/zhaoshan-qixing-cun"


def wait_for(page, expression: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not page.evaluate(f"() => !!({expression})"):
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {expression} on {page.url}")
        page.wait_for_timeout(50)


def shoot(browser, base: str, path: str, name: str, ready: str, then=None, selector: str = "main") -> None:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(base + path)
    wait_for(page, ready)
    if then is not None:
        then(page)
    page.locator(selector).screenshot(path=str(OUT / f"{name}.png"))
    context.close()
    print(OUT / f"{name}.png")


def expand_twice(page) -> None:
    for node in (QIXING, None):
        page.evaluate("(id) => window.yuetangCanvas.expand(id || window.yuetangCanvas.nodes.getIds()[1])", node)
        wait_for(page, "window.yuetangCanvas.ready")


def complete(page) -> None:
    page.evaluate("() => { const y = window.yasgui.getTab().getYasqe(); y.setValue('SELECT * WHERE {\\n  ?s ?p '); "
                  "y.focus(); y.setCursor(1, 100); }")
    page.keyboard.type("qixing")
    wait_for(page, "document.querySelector('.CodeMirror-hints li')")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    data, ontology = load_graphs(Paths())
    site = Site(data, ontology, load_catalogue(Path("queries")), viz=Path("viz"))
    server = uvicorn.Server(uvicorn.Config(create_app(site), host="127.0.0.1", port=0, lifespan="off",
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    results = "window.yuetangResults && window.yuetangResults.ready"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
            shoot(browser, base, "/queries/utterance_topics", "view-graph", results, selector="#view-drawn")
            shoot(browser, base, "/queries/counts_per_class", "view-chart", results, selector="#view-drawn")
            shoot(browser, base, "/queries/events_timeline", "view-timeline", results, selector="#view-drawn")
            shoot(browser, base, "/query", "editor-completion", "window.yasgui && window.yasgui.getTab()", complete,
                  selector="#yasgui")
            shoot(browser, base, "/path?from=七星村&to=湘潭市", "path", "window.yuetangPath && window.yuetangPath.ready")
            shoot(browser, base, "/canvas?start=七星村", "canvas", "window.yuetangCanvas && window.yuetangCanvas.ready",
                  expand_twice, selector=".canvas-layout")
            browser.close()
    finally:
        server.should_exit = True
        thread.join(10)
        site.workers.close()


if __name__ == "__main__":
    main()
