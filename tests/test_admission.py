"""The fair queue in front of the query workers: bounded, per client, round robin, and no slot ever lost."""

import asyncio
import time

import pytest

from yuetang_kg.web.admission import Admission, Busy

FAR = 60.0


def soon(seconds: float = FAR) -> float:
    return time.monotonic() + seconds


async def waiting(admission: Admission, client: str, deadline: float) -> asyncio.Task:
    """A task waiting for a slot, once it has joined the queue."""
    before = admission.waiting()
    task = asyncio.create_task(admission.acquire(client, deadline))
    while admission.waiting() == before and not task.done():
        await asyncio.sleep(0)
    return task


def test_free_slots_are_taken_at_once_then_clients_wait():
    async def scenario():
        admission = Admission(slots=1, queue_limit=4, per_client=4)
        await admission.acquire("a", soon())
        task = await waiting(admission, "b", soon())
        assert not task.done()
        admission.release("a")
        await task
        assert admission.waiting() == 0

    asyncio.run(scenario())


def test_a_wait_past_its_deadline_is_busy_and_leaves_nothing_behind():
    async def scenario():
        admission = Admission(slots=1, queue_limit=4, per_client=1)
        await admission.acquire("a", soon())
        with pytest.raises(Busy, match="stayed busy until the time limit"):
            await admission.acquire("b", soon(0.05))
        assert admission.waiting() == 0
        admission.release("a")
        await asyncio.wait_for(admission.acquire("b", soon()), 1)  # b's share was given back, the slot is free

    asyncio.run(scenario())


def test_the_queue_and_each_clients_share_are_bounded():
    async def scenario():
        admission = Admission(slots=1, queue_limit=2, per_client=2)
        await admission.acquire("a", soon())
        first = await waiting(admission, "a", soon())
        with pytest.raises(Busy, match="already has 2 queries"):
            await admission.acquire("a", soon())
        second = await waiting(admission, "b", soon())
        with pytest.raises(Busy, match="queue is full"):
            await admission.acquire("c", soon())
        for task in (first, second):
            task.cancel()
        await asyncio.gather(first, second, return_exceptions=True)

    asyncio.run(scenario())


def test_freed_slots_go_to_the_clients_in_turn():
    async def scenario():
        admission = Admission(slots=1, queue_limit=8, per_client=4)
        await admission.acquire("a", soon())
        order = []
        tasks = []
        for client in ("a", "a", "b", "c"):
            task = await waiting(admission, client, soon())
            task.add_done_callback(lambda _, c=client: order.append(c))
            tasks.append(task)
        for _ in tasks:
            admission.release(order[-1] if order else "a")
            await asyncio.sleep(0)
            await asyncio.sleep(0)
        await asyncio.gather(*tasks)
        assert order == ["a", "b", "c", "a"]

    asyncio.run(scenario())


def test_a_slot_granted_to_a_wait_that_is_cancelled_is_handed_on():
    async def scenario():
        admission = Admission(slots=1, queue_limit=4, per_client=4)
        await admission.acquire("a", soon())
        task = await waiting(admission, "b", soon())
        admission.release("a")  # b's turn is granted …
        task.cancel()  # … and b is cancelled before it wakes (a server shutting down)
        with pytest.raises(Busy, match="shutting down"):
            await task
        await asyncio.wait_for(admission.acquire("c", soon()), 1)  # the slot was not lost with b

    asyncio.run(scenario())
