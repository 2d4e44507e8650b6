"""What every part of the web app shares: the graph, the ontology, the catalogue, the store and the limits."""

from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph

from ..catalogue import Query
from ..describe import Release
from .upstream import Upstream
from .workers import Limits, QueryWorkers


@dataclass(frozen=True)
class Settings:
    """Limits of the public endpoint (``serve``'s options; ``cli`` checks their ranges)."""

    timeout_s: float = 5.0
    max_rows: int = 10_000
    max_request_bytes: int = 100_000
    workers: int = 2  # processes answering /sparql and the catalogue pages; one stuck query blocks only one
    memory_mb: int = 1024  # address space of each worker: a query needing more is stopped
    queue: int = 16  # queries waiting for a worker, all clients together; more are refused with 503
    queue_wait_s: float = 1.0  # the longest a query waits for a worker before a 503 with Retry-After
    per_client: int = 4  # queries one client address may have running or waiting
    client_timeout_s: float = 10.0  # for a request's head (connections) and its body (sparql.read_body)
    sandbox: bool = True  # workers cut off from the network; False only where the platform cannot do it


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
    upstream: Upstream | None = None  # a remote engine that answers the queries instead (serve --endpoint)

    def __post_init__(self):
        if self.upstream is not None:  # the engine runs elsewhere: no worker process to start
            self.workers = self.upstream
            return
        # Started by the app's lifespan (or by the first query), stopped at shutdown.
        limits = Limits(self.settings.memory_mb * 2**20, self.settings.sandbox)
        source = self.store_path if self.store_path and self.store_kind == "oxigraph" else (self.data, self.ontology)
        self.workers = QueryWorkers(source, self.store_kind, self.settings.workers, limits,
                                    self.settings.queue, self.settings.per_client, self.settings.queue_wait_s)
