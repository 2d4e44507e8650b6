"""What every part of the web app shares: the graph, the ontology, the catalogue, the store and the limits."""

from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph

from ..catalogue import Query
from ..describe import Release
from .settings import Settings
from .workers import Limits, QueryWorkers


@dataclass
class Site:
    data: Graph
    ontology: Graph
    catalogue: dict[str, Query]
    settings: Settings = field(default_factory=Settings)
    store_kind: str = "oxigraph"
    viz: Path = Path("viz")  # the explorer's view styles and chart definitions (views.yaml, charts.yaml)
    release: Release = field(default_factory=Release)  # date, inputs hash and base URL for /downloads/void.ttl
    prepared: dict = field(default_factory=dict)  # what parts of the site build once (explorer.prepare)
    store_path: Path | None = None  # the build's on-disk store, which every worker opens read-only

    def __post_init__(self):
        # Started by the app's lifespan (or by the first query), stopped at shutdown.
        limits = Limits(self.settings.memory_mb * 2**20, self.settings.sandbox)
        source = self.store_path if self.store_path and self.store_kind == "oxigraph" else (self.data, self.ontology)
        self.workers = QueryWorkers(source, self.store_kind, self.settings.workers, limits,
                                    self.settings.queue, self.settings.per_client, self.settings.queue_wait_s)
