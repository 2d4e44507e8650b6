"""Who gets the next free query worker: a bounded, fair queue.

A few clients sending expensive queries must not deny the endpoint to everyone else. So the queue is bounded
(past ``queue_limit`` waiting jobs, a new one is refused at once with ``Busy``, which the HTTP layer answers
``503`` with ``Retry-After``), each client address has at most ``per_client`` jobs running or waiting, and a
freed worker goes to the clients in turn (round robin), not to whoever queued first. A job never waits past
its deadline: the time in the queue counts against the query's timeout.

Safe to use from several threads and event loops (Starlette's test client runs one loop per request): the
state is guarded by a lock, and a waiter is woken on its own loop.
"""

import asyncio
import threading
import time
from collections import OrderedDict, deque


class Busy(RuntimeError):
    """No worker can take the job now; ``retry_after`` says when to try again (seconds)."""

    def __init__(self, message: str, retry_after: int = 1):
        super().__init__(message)
        self.retry_after = retry_after


class Admission:
    def __init__(self, slots: int, queue_limit: int, per_client: int):
        self.queue_limit = queue_limit
        self.per_client = per_client
        self._free = slots
        self._lock = threading.Lock()
        self._waiting: OrderedDict[str, deque[asyncio.Future]] = OrderedDict()
        self._held: dict[str, int] = {}  # jobs per client, running or waiting
        self._granted: set[asyncio.Future] = set()  # turns given a slot whose waiter has not woken yet

    def waiting(self) -> int:
        with self._lock:
            return sum(len(queue) for queue in self._waiting.values())

    async def acquire(self, client: str, deadline: float) -> None:
        """Wait for a worker slot until ``deadline`` (``time.monotonic()``); raise Busy when refused or late."""
        loop = asyncio.get_running_loop()
        with self._lock:
            held = self._held.get(client, 0)
            if held >= self.per_client:
                raise Busy(f"this client already has {held} queries running or waiting (at most "
                           f"{self.per_client}); wait for an answer before sending more")
            if self._free > 0 and not self._waiting:
                self._free -= 1
                self._held[client] = held + 1
                return
            if sum(len(queue) for queue in self._waiting.values()) >= self.queue_limit:
                raise Busy(f"the query queue is full ({self.queue_limit} waiting); try again shortly")
            turn = loop.create_future()
            self._waiting.setdefault(client, deque()).append(turn)
            self._held[client] = held + 1
        # The turn itself is awaited, under a timer of the loop's: ``wait_for`` over a ``shield`` made three more
        # futures and their callbacks for every query that waited, which at 8 clients on 2 workers is nearly every
        # one. A turn ended by the timer or by a shutdown may have been granted meanwhile: ``_abandon`` then hands
        # its slot on.
        timer = loop.call_later(max(deadline - time.monotonic(), 0), _expire, turn)
        try:
            await turn
        except _Late:
            self._abandon(client, turn)
            raise Busy("every query worker stayed busy until the time limit; try again shortly") from None
        except asyncio.CancelledError:  # only a server shutting down cancels a request (see workers.run)
            self._abandon(client, turn)
            raise Busy("the server is shutting down; try again shortly", retry_after=5) from None
        finally:
            timer.cancel()
        with self._lock:
            self._granted.discard(turn)

    def _abandon(self, client: str, turn: asyncio.Future) -> None:
        with self._lock:
            given = turn in self._granted
            self._granted.discard(turn)
            if not given:
                self._waiting[client].remove(turn)
                if not self._waiting[client]:
                    del self._waiting[client]
                self._drop(client)
        if given:  # the slot came just as the wait ended: hand it on
            self.release(client)

    def release(self, client: str) -> None:
        """Give the slot ``client`` held to the next client in turn, or free it."""
        with self._lock:
            self._drop(client)
            if self._waiting:
                next_client, queue = next(iter(self._waiting.items()))
                turn = queue.popleft()
                self._waiting.move_to_end(next_client)
                if not queue:
                    del self._waiting[next_client]
                self._granted.add(turn)
                if turn.get_loop() is running_loop():
                    _grant(turn)  # a wake-up of the loop through its self-pipe is a system call or two per query
                else:
                    turn.get_loop().call_soon_threadsafe(_grant, turn)
                return
            self._free += 1

    def _drop(self, client: str) -> None:
        held = self._held.get(client, 0) - 1
        if held > 0:
            self._held[client] = held
        else:
            self._held.pop(client, None)


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop running in this thread, or None."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:  # a thread without a loop (the one that starts replacement workers)
        return None


class _Late(Exception):
    """A turn's wait reached its deadline."""


def _expire(turn: asyncio.Future) -> None:
    if not turn.done():
        turn.set_exception(_Late())


def _grant(turn: asyncio.Future) -> None:
    if not turn.done():
        turn.set_result(None)
