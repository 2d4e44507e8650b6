"""The pool of query worker processes (``web.workers``) on its own, with real workers over the build's store."""

import asyncio
import contextlib
import os
import signal
import threading
import time

import pytest
from conftest import eventually

from yuetang_kg.query.store import STORE_DIR, OxigraphStore
from yuetang_kg.web import answers, bounded
from yuetang_kg.web.workers import Busy, Job, Limits, QueryTimeout, QueryWorkers, WorkerFailed, answer

JSON = "application/sparql-results+json"
CROSS = "SELECT (COUNT(*) AS ?n) WHERE { " + " ".join(f"?s{i} ?p{i} ?o{i} ." for i in range(6)) + " }"


class HeldReplacements(QueryWorkers):
    """A pool whose replacement workers start only when the test lets them: ``entered`` is set once a replacement
    is about to start, and it starts once ``go`` is set. Every worker started is kept in ``started``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.entered, self.go = threading.Event(), threading.Event()
        self.started = []

    def _spawn(self):
        if len(self.started) >= self.size:  # past the first workers: a replacement
            self.entered.set()
            self.go.wait(30)
        worker = super()._spawn()
        self.started.append(worker)
        return worker


def test_a_replacement_that_starts_while_the_pool_closes_is_killed(built):
    """The race found as a ResourceWarning in another test: a query overran, its worker was killed and a replacement
    began to start; the pool closed meanwhile and never saw the replacement, whose socket stayed open."""
    pool = HeldReplacements(built.out / STORE_DIR, "oxigraph", 1, Limits(1024 * 2**20), 4, 4, 1.0)
    pool.start()
    try:
        with pytest.raises(QueryTimeout):
            asyncio.run(pool.run(Job(CROSS, {}, None, (), 10), 0.5, "client"))
        assert pool.entered.wait(30), "the overrun worker was not replaced"
    finally:
        pool.close()
    pool.go.set()  # the replacement starts now, after the pool closed
    assert eventually(lambda: len(pool.started) == 2)
    fresh = pool.started[1]
    # Killed and its socket closed by the pool, not left to the kernel (the worker dies with the thread that started
    # it, once that ends) and to the garbage collector (a ResourceWarning, later, in another test).
    assert eventually(lambda: fresh.socket.fileno() == -1), "the replacement's socket was left open"
    assert eventually(lambda: fresh.process.poll() is not None), f"worker {fresh.process.pid} outlived its pool"


@pytest.fixture
def one_worker(built):
    pool = QueryWorkers(built.out / STORE_DIR, "oxigraph", 1, Limits(1024 * 2**20), 4, 4, 1.0)
    pool.start()
    yield pool
    pool.close()


def numbered(n: int) -> Job:
    """A query whose answer names ``n``, so that an answer read by the wrong exchange shows."""
    return Job(f"SELECT ?n WHERE {{ BIND({n} AS ?n) }}", {}, JSON, (), 10)


def test_the_worker_is_watched_from_whichever_loop_asks(one_worker):
    """The reader on a worker's socket stays on the loop that last asked (see ``_Worker``); a query from another
    loop moves it: from a loop that has closed (one ``asyncio.run`` after another), and from a loop that still
    runs in another thread, which must not read the answer meant for this one (it would complete the other loop's
    future from its own thread, without waking that loop)."""
    for n in (1, 2):
        assert f'"{n}"'.encode() in asyncio.run(one_worker.run(numbered(n), 5, "client")).body

    worker = next(iter(one_worker._all))
    read, wrong = worker._readable, []

    def readable():  # what the loop calls when the socket is readable
        reply = worker._reply
        if reply is not None and reply.get_loop() is not asyncio.get_running_loop():
            wrong.append("a loop read the answer meant for another loop")
        read()

    worker._readable = readable
    worker.detach()  # so that the next query watches with ``readable``

    def ask_many(first: int) -> None:
        async def many():
            for n in range(first, first + 40):
                body = (await one_worker.run(numbered(n), 5, f"client {first}")).body
                if f'"{n}"'.encode() not in body:
                    wrong.append(f"query {n} was answered {body!r}")
        asyncio.run(many())

    threads = [threading.Thread(target=ask_many, args=(first,)) for first in (100, 200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not wrong


def test_a_worker_that_dies_while_idle_is_not_watched_in_a_loop(one_worker):
    """A dead worker's socket stays readable (its end of file): the reader must leave, or the loop spins on it."""
    worker = next(iter(one_worker._all))

    async def scenario():
        await one_worker.run(numbered(1), 5, "client")  # the reader is on this loop now
        worker.process.kill()
        worker.process.wait(5)
        started = time.process_time()
        await asyncio.sleep(0.5)
        spun = time.process_time() - started
        with pytest.raises(WorkerFailed):
            await one_worker.run(numbered(2), 5, "client")
        return spun

    assert asyncio.run(scenario()) < 0.2
    assert eventually(lambda: _answers(one_worker, 3)), "the dead worker was not replaced"


def _answers(pool: QueryWorkers, n: int) -> bool:
    try:
        return f'"{n}"'.encode() in asyncio.run(pool.run(numbered(n), 5, "client")).body
    except Exception:  # noqa: BLE001 - not replaced yet: the pool answers Busy
        return False


def test_a_long_query_text_to_a_stuck_worker_times_out(one_worker):
    """A query text longer than the socket's buffer is sent as the worker reads; a worker that never reads (here
    stopped) must not hold the request past its deadline."""
    worker = next(iter(one_worker._all))
    os.kill(worker.process.pid, signal.SIGSTOP)
    long_text = "SELECT ?n WHERE { BIND(1 AS ?n) } #" + "x" * 4_000_000
    started = time.monotonic()
    with pytest.raises(QueryTimeout):
        asyncio.run(one_worker.run(Job(long_text, {}, JSON, (), 10), 0.5, "client"))
    assert time.monotonic() - started < 3
    assert eventually(lambda: worker.process.poll() is not None), "the stuck worker was not killed"
    assert eventually(lambda: _answers(one_worker, 4)), "the stuck worker was not replaced"


def test_closing_the_pool_while_another_thread_runs_the_watching_loop(one_worker):
    """``close`` from a thread other than the loop's: the socket ends closed and off the loop's selector (a socket
    closed under a registered reader would stay there, and the next socket given its number would fail to
    register), and the loop sees no error."""
    loop = asyncio.new_event_loop()
    errors = []
    loop.set_exception_handler(lambda _, context: errors.append(context))
    thread = threading.Thread(target=loop.run_forever)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(one_worker.run(numbered(1), 5, "client"), loop).result(10)
        worker = next(iter(one_worker._all))
        number = worker.socket.fileno()
        one_worker.close()
        assert eventually(lambda: worker.socket.fileno() == -1), "the socket was left open"
        assert worker.process.poll() is not None

        async def watched():  # the fds the loop's selector holds (asyncio's own loop, as the test runs it)
            return {key.fd for key in loop._selector.get_map().values()}

        assert number not in asyncio.run_coroutine_threadsafe(watched(), loop).result(10)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
    assert not errors


WRITTEN = [  # terms of every kind the writers treat apart: IRIs, language tags, datatypes, escapes, unbound
    "SELECT * WHERE { ?s ?p ?o } LIMIT 3000",
    "SELECT ?s ?note WHERE { ?s a ?c OPTIONAL { ?s <http://www.w3.org/2000/01/rdf-schema#comment> ?note } } LIMIT 500",
    'SELECT * WHERE { VALUES (?d ?l ?i ?t) { (1.50 "a\\tb\\nc\\""@zh-Hans <http://x/%20y> "x"^^<http://e/t>) } } LIMIT 5',
]


@pytest.mark.parametrize("media_type", sorted(answers.WRITTEN_AS_IS))
@pytest.mark.parametrize("text", WRITTEN)
def test_an_answer_written_whole_is_the_counted_answer(built, text, media_type):
    """A query whose own LIMIT keeps it within the cap is written by the engine at once (``answer``); its bytes are
    those of the path that counts the rows through TSV, which every other query takes."""
    store = OxigraphStore.read_only(built.out / STORE_DIR)
    whole = answer(store, Job(text, {}, media_type, (), 10_000), {})
    assert not whole.truncated
    assert whole.body == answers.write_table(store.select_table(text, 10_000), media_type)


def test_a_deadline_that_passes_while_the_watch_moves_is_kept(one_worker):
    """The watch moves from a loop in another thread by asking that loop (at most a second's wait); a deadline
    that passes meanwhile must stop the query before it is sent, not leave it to run without one."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever)
    thread.start()
    outcome = []

    def ask_late() -> None:
        try:
            asyncio.run(one_worker.run(Job(CROSS, {}, None, (), 10), 0.2, "client"))
        except Exception as error:  # noqa: BLE001 - the outcome is what the test checks
            outcome.append(error)

    try:
        asyncio.run_coroutine_threadsafe(one_worker.run(numbered(1), 5, "client"), loop).result(10)  # watched there
        loop.call_soon_threadsafe(time.sleep, 2)  # that loop busy: it cannot hand the watch over for 2 s
        asker = threading.Thread(target=ask_late, daemon=True)
        asker.start()
        asker.join(5)
        assert not asker.is_alive(), "the query was sent without its deadline"
        assert len(outcome) == 1 and isinstance(outcome[0], QueryTimeout)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


VILLAGES = "SELECT ?s WHERE { ?s a <https://w3id.org/yuetang-kg/ontology#Village> } LIMIT 3"


def test_a_bounded_query_needs_no_worker(built):
    """A query whose shape bounds its cost (``bounded``) is answered by the server itself, even while the only
    worker runs a long query; a query of any other shape waits for that worker (here: no queue, so it is turned
    away). The bounded answer is the worker's, byte for byte."""
    pool = QueryWorkers(built.out / STORE_DIR, "oxigraph", 1, Limits(1024 * 2**20), 0, 4, 0.1)
    pool.start()
    fast = Job(VILLAGES, {}, JSON, (), 10)
    joined = Job(VILLAGES.replace("} LIMIT", ". ?s ?p ?o } LIMIT"), {}, JSON, (), 10)

    async def scenario():
        long = asyncio.ensure_future(pool.run(Job(CROSS, {}, None, (), 10), 2, "a"))
        for _ in range(1000):  # until the long query holds the worker (at most ten seconds)
            if not pool._idle:
                break
            await asyncio.sleep(0.01)
        answered = await pool.run(fast, 5, "b")
        with pytest.raises(Busy):
            await pool.run(joined, 5, "b")
        with pytest.raises(QueryTimeout):
            await long
        with contextlib.suppress(Busy):  # to a worker, which may still be replacing the one killed
            await pool.run(Job("ASK {}" + " " * 3000, {}, JSON, (), 10), 5, "b")  # judged first, and not kept
        return answered

    try:
        answered = asyncio.run(scenario())
    finally:
        pool.close()
    assert answered == answer(OxigraphStore.read_only(built.out / STORE_DIR), fast, {})
    assert answered.body.count(b"/id/place/") == 3
    assert max(len(key) for key in pool._memo if isinstance(key, str)) <= bounded.MAX_CHARS
