"""Queries answered by a remote SPARQL engine (``serve --endpoint``), behind the same interface as the query
workers (``run(job, timeout_s, client) -> Answer``), so that ``/sparql``, the catalogue pages and the editor run
unchanged over the Oxigraph server, Virtuoso or any other SPARQL 1.1 Protocol endpoint.

A query is bound and checked here exactly as a worker does it (``workers.answer``): the guard refuses updates,
LOAD, SERVICE and FROM before anything is sent, and the engine gets the checked text, nothing else. The engine
is asked for SPARQL JSON results or Turtle (``remote.RemoteStore``), which every engine writes, and the client's
format is written by ``answers``: engines differ in the formats they offer and in how they write them (Virtuoso
writes SPARQL 1.0 JSON and a JSON-LD of its own media type), and the row cap and its flag must read as the
embedded store writes them.

Bounds: the whole exchange with the engine within the query's time (``deadline``: a stalled engine ends in
``QueryTimeout``), the engine's answer within ``max_bytes`` (``QueryTooBig``), the rows within the job's cap.
An engine that fails (unreachable, an error status, an answer that does not read) is answered with a generic
``UpstreamFailed``; what went wrong, its URL and its body go to the server's log, never to the client.

Nothing runs here but HTTP: no worker process is started and no sandbox is needed. ``admission`` bounds how
many queries go to the engine at once, fairly between clients, as it bounds the workers; the blocking exchange
runs on a thread pool of its own, one thread per slot.
"""

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor

from ..query.deadline import TimedOut, TooLarge, check_url
from ..query.remote import Incomplete, RemoteStore
from ..query.store import Result
from .admission import Admission, Busy
from .workers import Answer, Job, QueryTimeout, QueryTooBig, answer

log = logging.getLogger(__name__)

__all__ = ["Upstream", "UpstreamFailed"]


class UpstreamFailed(RuntimeError):
    """The engine behind the site did not answer a query it was sent."""


class _Engine:
    """The remote engine for one query: its time is what is left of the query's, its errors are the site's."""

    def __init__(self, upstream: "Upstream", deadline: float, timeout_s: float):
        self.upstream = upstream
        self.deadline = deadline
        self.timeout_s = timeout_s

    def query(self, text: str, max_rows: int) -> Result:
        up = self.upstream
        remote = RemoteStore(up.endpoint, up.graph, max(self.deadline - time.monotonic(), 0.001), up.max_bytes)
        try:
            return remote.query(text, max_rows=max_rows)
        except TimedOut:
            abandoned = f"the engine gave no answer within {self.timeout_s:g} s; the query was abandoned"
            raise QueryTimeout(abandoned) from None
        except Incomplete:
            raise QueryTimeout("the engine stopped the query at its own time limit and sent only part of the answer; "
                               "ask for less (LIMIT, a narrower pattern)") from None
        except TooLarge:
            raise QueryTooBig(f"the engine's answer is over the limit of {up.max_bytes:,} bytes; ask for less "
                              "(LIMIT, fewer columns)") from None
        except Exception as error:  # noqa: BLE001 - the readers fail in many ways, all the engine's fault
            log.error("the SPARQL engine failed to answer: %s: %s", type(error).__name__, error)
            raise UpstreamFailed("the SPARQL engine behind this site failed to answer the query; try again later, "
                                 "or ask the site's operator") from None


class Upstream:
    """Queries sent to the SPARQL endpoint ``endpoint``, ``graph`` as their default graph; ``run`` is a coroutine."""

    def __init__(self, endpoint: str, graph: str | None, size: int, queue_limit: int, per_client: int,
                 queue_wait_s: float, max_bytes: int):
        self.endpoint = check_url(endpoint, "--endpoint")
        self.graph = graph
        self.max_bytes = max_bytes
        self.admission = Admission(size, queue_limit, per_client)
        self.queue_wait_s = queue_wait_s
        self.isolation = "no query runs here: none needed"  # what the workers report, for the server's log
        self._memo: dict = {}  # checked queries and chosen formats (``workers.answer``)
        self._threads = ThreadPoolExecutor(size, thread_name_prefix="upstream-query")

    def start(self) -> None:
        """Nothing to start: the engine runs elsewhere (the workers' interface)."""

    def _serve(self, job: Job, deadline: float, timeout_s: float, client: str) -> Answer:
        """Answer ``job`` (blocking) and free its slot, even when the request that asked is gone."""
        try:
            return answer(_Engine(self, deadline, timeout_s), job, self._memo)
        finally:
            self.admission.release(client)

    async def run(self, job: Job, timeout_s: float, client: str) -> Answer:
        """Answer ``job`` within ``timeout_s`` seconds, the wait for a slot included.

        Raises Busy (refused, or not admitted in time), QueryTimeout, QueryTooBig, UpstreamFailed, or the guard,
        negotiation or data error of the query.
        """
        deadline = time.monotonic() + timeout_s
        await self.admission.acquire(client, min(deadline, time.monotonic() + self.queue_wait_s))
        loop = asyncio.get_running_loop()
        pending = loop.run_in_executor(self._threads, self._serve, job, deadline, timeout_s, client)
        try:
            return await asyncio.shield(pending)
        except asyncio.CancelledError:  # a server shutting down (see workers.run)
            raise Busy("the server is shutting down; try again shortly", retry_after=5) from None

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)
