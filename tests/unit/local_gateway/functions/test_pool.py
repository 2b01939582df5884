"""The gateway's pool: one thread while it keeps up, helpers when work waits on a busy one."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import CancelledError

import pytest

from local_gateway.functions.pool import ElasticPool


def _thread_name() -> str:
    return threading.current_thread().name


async def test_work_that_keeps_up_runs_on_one_thread() -> None:
    pool = ElasticPool(8, patience=0.5)  # generous: a loaded CI machine must not call help
    loop = asyncio.get_running_loop()
    names: set[str] = set()
    for _ in range(40):  # five at a time, as five clients sending
        names.update(
            await asyncio.gather(*(loop.run_in_executor(pool, _thread_name) for _ in range(5)))
        )
    assert names == {"lambda_0"}
    assert pool.threads == 1
    pool.shutdown()


async def test_a_blocked_thread_gets_a_helper_after_its_patience() -> None:
    pool = ElasticPool(8, patience=0.01)
    loop = asyncio.get_running_loop()
    release = threading.Event()
    stuck = loop.run_in_executor(pool, release.wait, 120)
    started = time.monotonic()
    name = await asyncio.wait_for(loop.run_in_executor(pool, _thread_name), 60)
    waited = time.monotonic() - started
    assert name == "lambda_1"  # a helper's, not the stuck thread's (it waits 120 s)
    assert waited >= 0.005  # it waited its patience first
    release.set()
    assert await stuck is True
    pool.shutdown()


async def test_helpers_are_reused_and_never_more_than_max_workers() -> None:
    pool = ElasticPool(3, patience=0.005)
    loop = asyncio.get_running_loop()
    release = threading.Event()
    blocked = [loop.run_in_executor(pool, release.wait, 10) for _ in range(5)]
    await asyncio.sleep(0.2)
    assert pool.threads == 3  # two of the five wait for a thread
    release.set()
    assert await asyncio.gather(*blocked) == [True] * 5
    again = [loop.run_in_executor(pool, release.wait, 10) for _ in range(3)]
    await asyncio.gather(*again)
    assert pool.threads == 3
    pool.shutdown()


async def test_an_idle_primary_takes_the_work_not_a_helper() -> None:
    # A patience no busy machine's scheduling reaches: between two calls the primary may
    # not yet have said it is idle, and only a wait past patience calls a helper.
    pool = ElasticPool(4, patience=2.0)
    loop = asyncio.get_running_loop()
    release = threading.Event()
    stuck = loop.run_in_executor(pool, release.wait, 10)
    await loop.run_in_executor(pool, _thread_name)  # a helper is called for this one
    release.set()
    await stuck
    names = [await loop.run_in_executor(pool, _thread_name) for _ in range(50)]
    assert set(names) == {"lambda_0"}  # the helper waits to be called again
    pool.shutdown()


def test_without_a_loop_work_that_would_wait_gets_a_helper_at_once() -> None:
    pool = ElasticPool(4)
    release = threading.Event()
    stuck = pool.submit(release.wait, 10)
    time.sleep(0.05)  # the primary has taken it
    assert pool.submit(_thread_name).result(5) == "lambda_1"
    release.set()
    assert stuck.result(5) is True
    pool.shutdown()


def test_errors_reach_the_caller() -> None:
    pool = ElasticPool(2)

    def fail() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        pool.submit(fail).result(5)
    assert pool.submit(lambda: 7).result(5) == 7
    pool.shutdown()


def test_shutdown_cancels_what_waits_and_refuses_more() -> None:
    pool = ElasticPool(1)
    release = threading.Event()
    running = pool.submit(release.wait, 10)
    time.sleep(0.05)
    waiting = pool.submit(_thread_name)
    pool.shutdown(wait=False, cancel_futures=True)
    with pytest.raises(CancelledError):
        waiting.result(5)
    with pytest.raises(RuntimeError, match="after shutdown"):
        pool.submit(_thread_name)
    release.set()
    assert running.result(5) is True


def test_max_workers_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        ElasticPool(0)
