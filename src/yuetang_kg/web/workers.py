"""Queries run in worker processes, so that a timeout really stops the work and a query's memory is bounded.

An engine busy in native code cannot be interrupted from Python, and Oxigraph's own timeout is soft (see
reference/engines.md): a query past its time only ends when its process is killed. So queries run in worker
processes, each opening the build's on-disk store read-only (one copy on disk and in the page cache, shared by
all; a graph built in memory is sent to each worker instead); a query that overruns is answered with
``QueryTimeout`` at once, its worker killed and replaced in the background, while the other workers keep
answering. Before loading anything a worker cuts itself
off from the network, bounds its address space and arranges to die with the server (``sandbox``); a query that
needs more memory is answered with ``QueryTooBig`` and its worker replaced. A worker whose resident memory ever
passed three quarters of its bound answers its query and is then replaced in the background: a heap grown by a
near-limit query stays fragmented, and the next query on it would be refused for memory at once.

A worker does the whole job: it checks the query (``guard``), negotiates the format, runs the checked text with
the row cap and serializes the answer, so that parsing, evaluation and serialization all count against the
timeout and only bytes cross the process boundary. One shape is answered here instead, on the store this process
opens too: a single triple pattern with a small LIMIT, whose cost its shape bounds (``bounded``), and for which
the exchange with a worker cost three times the query.

Waiting never ties up the threads that other pages use: who gets a worker is decided by ``admission`` on the
event loop, and the exchange with a worker runs on the event loop too, over a non-blocking socket (a job out, an
answer back, each a length and a pickle), under the deadline. No thread is involved: a hand-over to a thread and
back cost more than the rest of a cheap query (the GIL passes between threads only every few milliseconds
under load), and a thread per waiting request would bound the waits by the pool's size. The answer is read by a
reader callback, one ``recv`` per arrival, registered once per worker (with the loop's ``sock_recv_into`` a cheap
query cost twelve ``epoll_ctl`` and two ``recv`` calls; with a reader added and removed per query, six and one;
now none and one), and the deadline is a timer of the loop's (see benchmarks/README.md). Workers are started
from one long-lived thread, because the kernel's "die with the parent" signal is tied to the thread that started
the process, and the threads of a request pool come and go.
"""

import asyncio
import concurrent.futures
import logging
import os
import pickle
import resource
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph

from ..errors import DataError
from ..query.sparql_text import bind_values
from ..query.store import OxigraphStore, open_store
from . import answers, bounded, guard, negotiation, sandbox
from .admission import Admission, Busy, running_loop

log = logging.getLogger(__name__)

_STARTUP_S = 120.0
_RECV_BYTES = 256 * 1024  # what one reader callback takes from a worker's socket
# Per worker: the catalogue's queries come again and again, and rdflib's parser is slow; so do a few clients'
# Accept headers, whose negotiation cost a cheap query a fifth of its time in the worker.
_REMEMBERED = 512
# A fresh interpreter, not a fork (the server has threads, which fork does not copy) and not multiprocessing's
# spawn (which re-imports the caller's main script): the worker reads its jobs from an inherited socket.
_WORKER_CODE = "import sys; from yuetang_kg.web.workers import serve; serve(int(sys.argv[1]), int(sys.argv[2]))"
# glibc gives each thread that allocates an arena of its own, reserving 64 MiB of address space: RocksDB's three
# threads took 330 of the 430 MiB a fresh worker had mapped, so little of the bound was left for queries, and a
# thread first allocating after the bound was set (late, on a busy machine) aborted the worker. One arena: 105 MiB.
_WORKER_ENV = {"MALLOC_ARENA_MAX": "1"}

__all__ = ["Answer", "Busy", "Job", "QueryTimeout", "QueryTooBig", "QueryWorkers", "WorkerFailed"]


class QueryTimeout(RuntimeError):
    """The query ran past the time limit and was stopped."""


class QueryTooBig(RuntimeError):
    """The query needed more memory than a worker may use and was stopped."""


class WorkerFailed(RuntimeError):
    """A worker could not start, or died while answering for a reason other than memory."""


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


@dataclass(frozen=True)
class Limits:
    """What each worker is held to: its address space, and whether it must be cut off from the network."""

    memory_bytes: int
    sandbox: bool = True

    @property
    def recycle_bytes(self) -> int:
        """Resident memory past which a worker is replaced once it has answered."""
        return self.memory_bytes * 3 // 4


_LENGTH = struct.Struct("!Q")  # each message: its length, then its pickle


def _frame(message) -> bytes:
    data = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(data)) + data


def _read_exactly(sock: socket.socket, size: int) -> bytearray:
    """``size`` bytes from a blocking socket; EOFError if it closes first."""
    data = bytearray(size)
    view, got = memoryview(data), 0
    while got < size:
        read = sock.recv_into(view[got:])
        if read == 0:
            raise EOFError
        got += read
    return data


def _receive(sock: socket.socket):
    """The next message on a blocking socket; EOFError once it is closed."""
    (size,) = _LENGTH.unpack(_read_exactly(sock, _LENGTH.size))
    return pickle.loads(_read_exactly(sock, size))


def _grown(limits: Limits) -> bool:
    """Whether this process's resident memory has ever passed the point where it is replaced (``ru_maxrss`` is in
    KiB on Linux): cheap enough to ask after every job, unlike reading ``/proc``."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 > limits.recycle_bytes


def _remembered(memo: dict, key, compute):
    value = memo.get(key)
    if value is None:
        value = compute()
        if len(memo) >= _REMEMBERED:
            memo.clear()
        memo[key] = value
    return value


def answer(store, job: Job, memo: dict) -> Answer:
    """Check, negotiate, run and serialize one query on ``store``; ``memo`` remembers the queries that passed the
    check (by their text) and the formats chosen (by form, Accept and ``format``)."""
    text = bind_values(job.text, job.bindings)  # bound first, so that the check judges what the engine runs
    return answer_checked(store, _remembered(memo, text, lambda: guard.check_query(text)), job, memo)


def answer_checked(store, query: guard.Checked, job: Job, memo: dict) -> Answer:
    """Negotiate, run and serialize a query that passed the check (``query.text``, nothing else, is run)."""
    form = query.form
    media_type = _remembered(memo, (form, job.accept, job.formats), lambda: negotiation.choose(
        answers.offers(form), job.accept, job.formats, answers.format_names(form)))
    if form == "SELECT" and isinstance(store, OxigraphStore):  # the engine's writers: no row becomes Python
        written = answers.WRITTEN_AS_IS.get(media_type)
        if written is not None and query.limit is not None and query.limit <= job.max_rows:
            # Its own LIMIT keeps the answer within the cap: the engine writes it whole, without the TSV that
            # counts the rows (and, for JSON, its reading back), a fifth of a cheap query's time in the worker.
            return Answer(form, media_type, store.select_written(query.text, written), False)
        table = store.select_table(query.text, job.max_rows)  # the checked text, nothing else
        return Answer(form, media_type, answers.write_table(table, media_type), table.truncated)
    result = store.query(query.text, max_rows=job.max_rows)
    return Answer(form, media_type, answers.write(result, media_type), result.truncated)


def _isolate(limits: Limits, parent: int) -> str:
    """Cut this process off (from the network, and from life past the server's); what was done, for the log."""
    sandbox.die_with_parent()
    if os.getppid() != parent:  # the server died before the signal was armed
        sys.exit(1)
    done = ["no network sandbox (--no-sandbox)"]
    if limits.sandbox:
        done = [sandbox.isolate_network()]
    sandbox.yield_cpu()
    return ", ".join(done + [f"address space ≤ {limits.memory_bytes // 2**20} MiB"])


def serve(fd: int, parent: int) -> None:
    """A worker process's main loop: cut itself off, open (or load) the store it is sent, bound its memory, answer
    jobs until the socket closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in the terminal is the server's to handle
    sock = socket.socket(fileno=fd)
    source, store_kind, limits = _receive(sock)
    try:
        how = _isolate(limits, parent)
        if isinstance(source, str):  # the build's on-disk store: opened, not loaded
            store = OxigraphStore.read_only(source)
        else:
            store = open_store(store_kind, Graph().parse(data=source, format="nt"))
        # Bounded once the store is open: RocksDB starts its threads when it opens, and a thread's stack is
        # address space, which under the bound could fail (and abort) at random, depending on what else is mapped.
        sandbox.limit_memory(limits.memory_bytes)
    except (sandbox.Unavailable, MemoryError, OSError, DataError) as error:
        sock.sendall(_frame(("failed", f"{type(error).__name__}: {error}")))
        return
    del source
    sock.sendall(_frame(("ready", how)))
    memo: dict = {}
    while True:
        try:
            job = _receive(sock)
        except EOFError:
            return
        try:
            reply = ("ok", answer(store, job, memo))
        except (guard.Malformed, guard.Refused, negotiation.NotAcceptable, DataError) as error:
            reply = ("error", type(error).__name__, str(error))
        except (MemoryError, SystemError):
            # pyoxigraph reports an allocation refused under the address-space bound as a SystemError ("error
            # return without exception set") as often as a MemoryError: either way the query needed more memory.
            sock.sendall(_frame((("error", "QueryTooBig", ""), True)))
            return  # a fresh worker replaces this one, whose heap may stay fragmented
        except Exception as error:  # noqa: BLE001 - an engine bug must not kill the worker; logged by the server
            reply = ("error", "WorkerFailed", f"{type(error).__name__}: {error}")
        grown = _grown(limits)
        sock.sendall(_frame((reply, grown)))  # the answer first; then, grown, leave to be replaced
        if grown:
            return


class _Worker:
    """A worker process and the server's end of its socket, which is watched by a reader on the event loop of the
    exchanges (see the module's note): registered once, not per exchange, since adding and removing it cost a
    cheap query two system calls and a tenth of the server's time. So the socket is closed only once the reader
    is off its loop (``detach``, on that loop), never under a registered reader."""

    def __init__(self, source: bytes | str, store_kind: str, limits: Limits):
        ours, theirs = socket.socketpair()
        with theirs:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _WORKER_CODE, str(theirs.fileno()), str(os.getpid())],
                pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, env={**os.environ, **_WORKER_ENV},
            )
        self.socket = ours
        self.socket.sendall(_frame((source, store_kind, limits)))
        self._loop: asyncio.AbstractEventLoop | None = None  # whose reader watches the socket
        self._reply: asyncio.Future | None = None  # what the reader completes: the current job's answer
        self._received = bytearray()

    def wait_ready(self) -> str:
        """How the worker isolated itself, once it has loaded the store; WorkerFailed if it could not.
        From then on the socket is non-blocking, for ``ask`` on the event loop."""
        self.socket.settimeout(_STARTUP_S)
        try:
            reply = _receive(self.socket)
        except TimeoutError:
            reply = ("failed", "no answer")
        except (EOFError, OSError):
            reply = ("failed", f"it exited with code {self.process.wait(5)}")
        if reply[0] != "ready":
            self.kill()
            raise WorkerFailed(f"a query worker did not start: {reply[1]}")
        self.socket.setblocking(False)
        return reply[1]

    async def ask(self, job: Job):
        """The worker's reply to ``job`` and whether the worker must be replaced, or an error reply if the worker
        died (no time limit: see ``QueryWorkers._serve``, which may end the wait with ``overrun``)."""
        loop = asyncio.get_running_loop()
        self._reply = reply = loop.create_future()  # before any wait, so that ``overrun`` can end it
        self._received.clear()
        try:
            if self._loop is not loop:
                await self._attach(loop)
                if reply.done():  # the deadline passed while the watch moved: the job is not sent
                    return await reply
            frame = _frame(job)
            try:
                sent = self.socket.send(frame)
            except BlockingIOError:
                sent = 0
            if sent < len(frame):  # a query text longer than the socket's buffer: the rest as the worker reads
                await _unless_ended(loop.sock_sendall(self.socket, memoryview(frame)[sent:]), reply)
            return await reply
        except (EOFError, OSError):
            code = await asyncio.to_thread(self.process.wait, 5)
            if code == -signal.SIGABRT:  # Oxigraph's answer to a failed allocation
                return ("error", "QueryTooBig", ""), True
            return ("error", "WorkerFailed", f"the worker exited with code {code}"), True

    def overrun(self) -> None:
        """End the wait for the current job's answer with QueryTimeout (a timer of the loop's calls it)."""
        if self._reply is not None and not self._reply.done():
            self._reply.set_exception(QueryTimeout())

    def _readable(self) -> None:
        try:
            chunk = self.socket.recv(_RECV_BYTES)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        reply = self._reply
        if not chunk:  # the worker died; its socket would stay readable, so the reader goes
            self.detach()
            if reply is not None and not reply.done():
                reply.set_exception(EOFError())
            return
        if reply is None or reply.done():  # nobody waits (the wait ended by the timer): the worker is retired
            return
        self._received += chunk
        if len(self._received) >= _LENGTH.size:
            (size,) = _LENGTH.unpack_from(self._received)
            if len(self._received) >= _LENGTH.size + size:
                reply.set_result(pickle.loads(memoryview(self._received)[_LENGTH.size:_LENGTH.size + size]))

    async def _attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Watch the socket from ``loop``, off the loop that watched it before. Only tests use several loops
        (Starlette's test client runs one per request); ``serve`` runs one."""
        moved = self._on_watching_loop(self.detach)
        if moved is not None:  # bounded: a loop that stops without running it leaves no one to steal the answers
            await asyncio.wait((asyncio.wrap_future(moved),), timeout=1)
        self.detach()
        loop.add_reader(self.socket, self._readable)
        self._loop = loop

    def detach(self) -> None:
        """Take the reader off its loop; on that loop's thread, or once that loop has stopped."""
        loop, self._loop = self._loop, None
        if loop is not None and not loop.is_closed():
            loop.remove_reader(self.socket)

    def kill(self) -> None:
        """Kill the process and close the socket, off its loop first (see the class's note)."""
        self.process.kill()
        self.process.wait(5)
        if self._on_watching_loop(self._close) is None:
            self._close()

    def _on_watching_loop(self, call) -> concurrent.futures.Future | None:
        """Run ``call`` on the loop that watches the socket, when that is another loop still running (the reader is
        that loop's to remove); the future of its result, or None when it is for the caller to do."""
        loop = self._loop
        if loop is None or loop.is_closed() or not loop.is_running() or loop is running_loop():
            return None
        done = concurrent.futures.Future()
        try:
            loop.call_soon_threadsafe(lambda: done.set_result(call()))
        except RuntimeError:  # that loop closed meanwhile, and its watch with it
            return None
        return done

    def _close(self) -> None:
        self.detach()
        self.socket.close()


async def _unless_ended(sending, reply: asyncio.Future) -> None:
    """Finish ``sending``, unless the wait for ``reply`` ends first (the deadline's timer, or the worker's death):
    then raise what ended it."""
    task = asyncio.ensure_future(sending)
    try:
        await asyncio.wait((task, reply), return_when=asyncio.FIRST_COMPLETED)
        if not task.done():
            reply.result()
        task.result()
    finally:
        task.cancel()


class QueryWorkers:
    """A small pool of worker processes over one dataset, with fair admission; ``run`` is a coroutine."""

    def __init__(self, source: Path | tuple[Graph, ...], store_kind: str, size: int, limits: Limits,
                 queue_limit: int, per_client: int, queue_wait_s: float, opened=None):
        self.source = source  # an on-disk store every worker opens, or graphs each worker loads a copy of
        # How this process gets its own handle on an on-disk ``source`` (for ``bounded`` queries): the caller's, if
        # it already holds one, else opened here.
        self.opened = opened or (lambda: OxigraphStore.read_only(source))
        self.store_kind = store_kind
        self.size = size
        self.limits = limits
        self.admission = Admission(size, queue_limit, per_client)
        self.queue_wait_s = queue_wait_s
        self.isolation = ""  # how the workers isolated themselves, once started
        self._data: bytes | str | None = None
        self._idle: list[_Worker] = []  # a worker is here exactly when its admission slot is free
        self._all: set[_Worker] = set()
        self._closed = False
        self._here: OxigraphStore | None = None  # the store opened in this process, for ``bounded`` queries
        self._memo: dict = {}  # which query texts are bounded, and the formats chosen for them
        self._start_lock = threading.Lock()
        # One long-lived thread starts every worker (see the module's note), and reaps the killed ones.
        self._spawner = ThreadPoolExecutor(1, thread_name_prefix="query-worker-start")

    def start(self) -> None:
        """Start the workers and wait until each has loaded the store (blocking; idempotent)."""
        with self._start_lock:
            if self._data is not None:
                return
            if isinstance(self.source, Path):
                self._here = self.opened()
                self._data = str(self.source)
            else:
                self._data = b"".join(g.serialize(format="nt", encoding="utf-8") for g in self.source)
            started = [self._spawner.submit(self._spawn).result() for _ in range(self.size)]
            try:
                self.isolation = "; ".join(sorted({worker.wait_ready() for worker in started}))
            except WorkerFailed:
                self.close()
                raise
            self._idle.extend(started)

    def _spawn(self) -> _Worker:
        worker = _Worker(self._data, self.store_kind, self.limits)
        self._all.add(worker)
        return worker

    def _replace(self, worker: _Worker, client: str) -> None:
        """Reap a killed worker and start another in its place; the slot is freed once the new one has loaded the
        store."""
        worker.kill()
        self._all.discard(worker)
        if self._closed:
            return
        try:
            fresh = self._spawn()
            fresh.wait_ready()
        except WorkerFailed:
            if not self._closed:
                log.exception("a replacement query worker failed; the pool has one worker fewer")
            return
        if self._closed:  # closed while the fresh worker started: ``close`` may not have seen it
            self._all.discard(fresh)
            fresh.kill()
            return
        self._idle.append(fresh)
        self.admission.release(client)

    async def _serve(self, worker: _Worker, job: Job, deadline: float, client: str):
        """Run ``job`` on ``worker`` and put the worker back, or kill it and have it replaced.

        No worker or slot is ever lost: past ``deadline`` the worker is killed at once (only that stops a query in
        the engine), and so is a worker whose exchange is cut short because the request is cancelled (the server
        shutting down), whose state is unknown; each is replaced. So is a worker that failed, or that says it has
        grown too big, once its answer is in hand.
        """
        # A timer of the loop's ends the wait, not ``asyncio.timeout``, which cost a cheap query a tenth of the
        # server's time; the rare long send of a query text is bounded by the same deadline in ``ask``.
        timer = asyncio.get_running_loop().call_later(max(deadline - time.monotonic(), 0.0), worker.overrun)
        try:
            reply, replace = await worker.ask(job)
        except QueryTimeout:
            self._retire(worker, client)
            raise
        except BaseException:  # cancelled mid-exchange
            self._retire(worker, client)
            raise
        finally:
            timer.cancel()
        if replace or (reply[0] == "error" and reply[1] == "WorkerFailed"):
            self._retire(worker, client)
        else:
            self._idle.append(worker)
            self.admission.release(client)
        return reply

    def _retire(self, worker: _Worker, client: str) -> None:
        """Kill a worker whose state is unknown and have it replaced, unless the pool has closed (on the loop of the
        exchange, whose reader is taken off first)."""
        worker.detach()
        worker.process.kill()  # at once; reaping and replacing it take longer, on the spawner's thread
        try:
            self._spawner.submit(self._replace, worker, client)
        except RuntimeError:  # the pool closed meanwhile: nothing to replace
            worker.kill()

    async def run(self, job: Job, timeout_s: float, client: str) -> Answer:
        """Answer ``job`` within ``timeout_s`` seconds, the wait for a worker included.

        Raises Busy (refused, or not admitted in time), QueryTimeout, QueryTooBig, WorkerFailed, or the worker's
        guard, negotiation or data error again.
        """
        if self._data is None:  # no lifespan ran (a test client without it): start on first use
            await asyncio.to_thread(self.start)
        # A longer text is never bounded, and is not remembered here either: the memo's keys stay short.
        if self._here is not None and not job.bindings and len(job.text) <= bounded.MAX_CHARS:
            query = _remembered(self._memo, job.text, lambda: bounded.check(job.text) or False)
            if query:
                return self._answer_here(query, job)
        deadline = time.monotonic() + timeout_s
        # A short wait for a worker, not the whole timeout: when every worker is busy a client hears so at once
        # (503, Retry-After) rather than after the time limit.
        await self.admission.acquire(client, min(deadline, time.monotonic() + self.queue_wait_s))
        worker = self._idle.pop()
        try:  # in the request's own task: a task and a shield of their own cost more than a cheap query
            reply = await self._serve(worker, job, deadline, client)
        except QueryTimeout:
            raise QueryTimeout(f"the query ran longer than {timeout_s:g} s and was stopped") from None
        except asyncio.CancelledError:
            # Only a server shutting down cancels a request (uvicorn, past its grace period): answer it rather
            # than die with a traceback in the log; ``_serve`` has had the worker replaced.
            raise Busy("the server is shutting down; try again shortly", retry_after=5) from None
        if reply[0] == "ok":
            return reply[1]
        _, kind, message = reply
        if kind == "QueryTooBig":
            raise QueryTooBig(f"the query needed more than {self.limits.memory_bytes // 2**20} MiB of memory "
                              "and was stopped; ask for less (LIMIT, fewer joins, no ORDER BY over everything)")
        if kind == "WorkerFailed":
            log.error("a query failed in its worker: %s", message)
            raise WorkerFailed("the query failed inside the engine")
        raise _ERRORS[kind](message)

    def _answer_here(self, query: guard.Checked, job: Job) -> Answer:
        """A bounded query answered in this process, on the event loop: it reads at most OFFSET + LIMIT (1,100)
        entries of one index, which costs less than handing it to a worker (see ``bounded``)."""
        try:
            return answer_checked(self._here, query, job, self._memo)
        except (negotiation.NotAcceptable, DataError):
            raise
        except Exception:  # an engine bug: logged here, as the workers' are, and answered without its details
            log.exception("a bounded query failed in the server")
            raise WorkerFailed("the query failed inside the engine") from None

    def close(self) -> None:
        self._closed = True
        self._here = None
        workers, self._all = list(self._all), set()
        for worker in workers:
            worker.kill()
        self._idle.clear()
        self._spawner.shutdown(wait=False, cancel_futures=True)


_ERRORS = {
    "Malformed": guard.Malformed,
    "Refused": guard.Refused,
    "NotAcceptable": negotiation.NotAcceptable,
    "DataError": DataError,
}
