"""The pool of query worker processes (``web.workers``) on its own, with real workers over the build's store."""

import asyncio
import threading

import pytest
from conftest import eventually

from yuetang_kg.store import STORE_DIR
from yuetang_kg.web.workers import Job, Limits, QueryTimeout, QueryWorkers

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
