"""The limits of the public endpoint, in a module of their own: the command line reads their defaults for its
options without importing the web app."""

from dataclasses import dataclass


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
