"""Queries run in worker processes, so that a timeout really stops the work.

An engine busy in native code cannot be interrupted from Python, and Oxigraph's own timeout is soft (see
reference/engines.md): a query past its time only ends when its process is killed. So each worker process holds
its own copy of the store, loaded from N-Triples; a query that overruns is answered with ``QueryTimeout`` at once,
its worker killed and replaced in the background, while the other workers keep answering.

A worker does the whole job: it checks the query (``guard``), negotiates the format, runs the query with the row
cap and serializes the answer, so that parsing, evaluation and serialization all count against the timeout and
only bytes cross the process boundary.
"""

import logging
import queue
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection

from rdflib import Graph

from ..errors import DataError
from . import answers, guard, negotiation

log = logging.getLogger(__name__)

_STARTUP_S = 120.0
_CHECKED_QUERIES = 512  # per worker: the catalogue's queries come again and again; rdflib's parser is slow
# A fresh interpreter, not a fork (the server has threads, which fork does not copy) and not multiprocessing's
# spawn (which re-imports the caller's main script): the worker reads its jobs from an inherited socket.
_WORKER_CODE = "import sys; from yuetang_kg.web.workers import serve; serve(int(sys.argv[1]))"


class QueryTimeout(RuntimeError):
    """The query ran past the time limit and was stopped."""


class Busy(RuntimeError):
    """No worker became free within the time limit."""


class WorkerFailed(RuntimeError):
    """The worker process died while answering (e.g. out of memory)."""


@dataclass(frozen=True)
class Job:
    text: str
    bindings: dict
    accept: str | None
    formats: tuple[str, ...]  # the request's ``format`` parameters, which win over ``accept``
    max_rows: int


@dataclass(frozen=True)
class Answer:
    form: str
    media_type: str
    body: bytes
    truncated: bool


def answer(store, job: Job, checked: dict[str, str]) -> Answer:
    """Check, negotiate, run and serialize one query on ``store``; ``checked`` remembers queries that passed."""
    form = checked.get(job.text)
    if form is None:
        form = guard.check_query(job.text)
        if len(checked) >= _CHECKED_QUERIES:
            checked.clear()
        checked[job.text] = form
    media_type = negotiation.choose(answers.offers(form), job.accept, job.formats, answers.format_names(form))
    result = store.query(job.text, job.bindings, max_rows=job.max_rows)
    return Answer(form, media_type, answers.write(result, media_type), result.truncated)


def serve(fd: int) -> None:
    """A worker process's main loop: load the store it is sent, then answer jobs until the socket closes."""
    from ..store import open_store

    connection = Connection(fd)
    ntriples, store_kind = connection.recv()
    store = open_store(store_kind, Graph().parse(data=ntriples, format="nt"))
    connection.send("ready")
    checked: dict[str, str] = {}
    while True:
        try:
            job = connection.recv()
        except EOFError:
            return
        try:
            reply = ("ok", answer(store, job, checked))
        except (guard.Malformed, guard.Refused, negotiation.NotAcceptable, DataError) as error:
            reply = ("error", type(error).__name__, str(error))
        except Exception as error:  # noqa: BLE001 - an engine bug must not kill the worker: answer it as a 500
            reply = ("error", "WorkerFailed", f"the query failed: {type(error).__name__}: {error}")
        connection.send(reply)


class _Worker:
    def __init__(self, ntriples: bytes, store_kind: str):
        ours, theirs = socket.socketpair()
        with theirs:
            self.process = subprocess.Popen([sys.executable, "-c", _WORKER_CODE, str(theirs.fileno())],
                                            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL)
        self.connection = Connection(ours.detach())
        self.connection.send((ntriples, store_kind))

    def wait_ready(self) -> None:
        try:
            ready = self.connection.poll(_STARTUP_S) and self.connection.recv() == "ready"
        except (EOFError, OSError):  # the process died while loading
            ready = False
        if not ready:
            self.kill()
            raise WorkerFailed("a query worker did not start")

    def ask(self, job: Job, seconds: float):
        self.connection.send(job)
        if not self.connection.poll(max(seconds, 0.0)):
            raise QueryTimeout
        return self.connection.recv()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(5)
        self.connection.close()


class QueryWorkers:
    """A small pool of worker processes over one dataset; ``run`` is safe to call from many threads."""

    def __init__(self, graphs: tuple[Graph, ...], store_kind: str, size: int = 2):
        self.graphs = graphs
        self.store_kind = store_kind
        self.size = size
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._workers: set[_Worker] = set()
        self._ntriples: bytes | None = None
        self._closed = False

    def start(self) -> None:
        """Start the workers and wait until each has loaded the store (idempotent)."""
        with self._lock:
            if self._ntriples is not None:
                return
            self._ntriples = b"".join(g.serialize(format="nt", encoding="utf-8") for g in self.graphs)
            started = [self._spawn() for _ in range(self.size)]
        for worker in started:
            worker.wait_ready()
            self._idle.put(worker)

    def _spawn(self) -> _Worker:
        worker = _Worker(self._ntriples, self.store_kind)
        self._workers.add(worker)
        return worker

    def _replace(self, worker: _Worker) -> None:
        """Kill a worker and start another; the new one joins the idle queue once its store is loaded."""
        worker.kill()
        with self._lock:
            self._workers.discard(worker)
            if self._closed:
                return
            fresh = self._spawn()

        def wait_then_enlist():
            try:
                fresh.wait_ready()
            except WorkerFailed:
                log.exception("replacement query worker failed")
                return
            self._idle.put(fresh)

        threading.Thread(target=wait_then_enlist, daemon=True).start()

    def run(self, job: Job, timeout_s: float) -> Answer:
        """Answer ``job`` within ``timeout_s`` seconds, waiting for a free worker included (blocking).

        Raises QueryTimeout, Busy, WorkerFailed, or the worker's guard/negotiation/data error again.
        """
        self.start()
        deadline = time.monotonic() + timeout_s
        try:
            worker = self._idle.get(timeout=timeout_s)
        except queue.Empty:
            raise Busy(f"every query worker stayed busy for {timeout_s:g} s; try again later") from None
        try:
            reply = worker.ask(job, deadline - time.monotonic())
        except QueryTimeout:
            self._replace(worker)
            raise QueryTimeout(f"the query ran longer than {timeout_s:g} s and was stopped") from None
        except (EOFError, OSError):
            self._replace(worker)
            raise WorkerFailed("the query worker died while answering (out of memory?)") from None
        self._idle.put(worker)
        if reply[0] == "ok":
            return reply[1]
        _, kind, message = reply
        raise _ERRORS[kind](message)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers, self._workers = list(self._workers), set()
        for worker in workers:
            worker.kill()


_ERRORS = {
    "Malformed": guard.Malformed,
    "Refused": guard.Refused,
    "NotAcceptable": negotiation.NotAcceptable,
    "DataError": DataError,
    "WorkerFailed": WorkerFailed,
}
