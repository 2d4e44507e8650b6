"""What every part of the web app shares: the graph, the ontology, the catalogue, the store and the limits."""

from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph

from ..catalogue import Query
from ..describe import Release
from ..store import open_store
from .workers import QueryWorkers


@dataclass(frozen=True)
class Settings:
    """Limits of the public endpoint."""

    timeout_s: float = 5.0
    max_rows: int = 10_000
    max_request_bytes: int = 100_000
    workers: int = 2  # processes answering /sparql and the catalogue pages; one stuck query blocks only one


@dataclass
class Site:
    data: Graph
    ontology: Graph
    catalogue: dict[str, Query]
    settings: Settings = field(default_factory=Settings)
    store_kind: str = "oxigraph"
    viz: Path = Path("viz")  # the explorer's view styles and chart definitions (views.yaml, charts.yaml)
    release: Release = field(default_factory=Release)  # date, inputs hash and base URL for /downloads/void.ttl

    def __post_init__(self):
        self.store = open_store(self.store_kind, self.data, self.ontology)
        # Started by the app's lifespan (or by the first query), stopped at shutdown.
        self.workers = QueryWorkers((self.data, self.ontology), self.store_kind, self.settings.workers)
