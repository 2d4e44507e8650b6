"""What every part of the web app shares: the build it serves, the catalogue, the limits, and where answers
come from (the build's on-disk store, or the remote SPARQL engine of ``serve --endpoint``)."""

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..bundle import REPORT_NAME
from ..explore.index import INDEX_NAME, Index
from ..publish.describe import Release
from ..publish.publication import CONTEXT_FILE
from ..query.catalogue import Query
from ..query.remote import RemoteStore
from ..query.store import STORE_DIR, OxigraphStore
from .settings import Settings
from .upstream import Upstream
from .workers import Limits, QueryWorkers


@dataclass
class Site:
    """A build folder (``yuetang-kg build``'s output: the store, the explorer's index, the published files)
    served with its catalogue. The server process holds no copy of the graph: queries run in the workers over the
    store (all but the bounded lookups, see ``workers``), pages read the index and ask the store (read-only, shared
    through the page cache) for descriptions."""

    build: Path
    catalogue: dict[str, Query]
    settings: Settings = field(default_factory=Settings)
    viz: Path = Path("viz")  # the explorer's view styles and chart definitions (views.yaml, charts.yaml)
    release: Release = field(default_factory=Release)  # date, inputs hash and base URL for /downloads/void.ttl
    prepared: dict = field(default_factory=dict)  # what parts of the site build once (explorer.prepare)
    upstream: Upstream | None = None  # a remote engine that answers the queries instead (serve --endpoint)

    def __post_init__(self):
        self.build = Path(self.build)
        self._opening = threading.Lock()
        if self.upstream is not None:  # the engine runs elsewhere: no worker process to start
            self.workers = self.upstream
            return
        # Started by the app's lifespan (or by the first query), stopped at shutdown.
        limits = Limits(self.settings.memory_mb * 2**20, self.settings.sandbox)
        self.workers = QueryWorkers(self.build / STORE_DIR, "oxigraph", self.settings.workers, limits,
                                    self.settings.queue, self.settings.per_client, self.settings.queue_wait_s,
                                    opened=self.source)  # one handle on the store in this process, for pages too

    def _opened(self, name: str, opener):
        with self._opening:
            if name not in self.prepared:
                self.prepared[name] = opener()
            return self.prepared[name]

    def index(self) -> Index:
        """The explorer's index of the build, opened once."""
        return self._opened("index", lambda: Index(self.build / INDEX_NAME))

    def source(self):
        """Where pages read descriptions from: the engine behind the site (``serve --endpoint``), else the build's
        store, opened read-only once."""
        if self.upstream is not None:
            up = self.upstream
            return self._opened("source", lambda: RemoteStore(up.endpoint, up.graph, self.settings.timeout_s,
                                                              up.max_bytes))
        return self._opened("source", lambda: OxigraphStore.read_only(self.build / STORE_DIR))

    def context(self) -> dict:
        """The published JSON-LD context, as the build wrote it."""
        document = self._opened("context", lambda: json.loads((self.build / CONTEXT_FILE).read_text(encoding="utf-8")))
        return document["@context"]

    def report(self) -> dict:
        """The build report (``build-report.json``): what the build wrote, and how many triples the store holds."""
        return self._opened("report", lambda: json.loads((self.build / REPORT_NAME).read_text(encoding="utf-8")))

    def triples(self) -> int:
        return self.report()["store"]["triples"]
