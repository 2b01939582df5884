"""The threads the local gateway runs invocations on: one while it keeps up, more when not.

Handlers that compute contend for the interpreter lock, and every hand-over between threads
costs a context switch or two: in the throughput benchmark several pooled threads taking
turns deliver less and spend more CPU per delivery than one thread does (docs/performance.md
has the figures). But an invocation that blocks (a network call, a sleep, a function hung
past its Timeout) must not hold up the others: on Lambda each runs in an environment of its
own.

So one thread, the primary, takes the work as it comes. When the oldest invocation still
waiting has waited ``patience`` (2 ms; a chat message takes about 0.05 ms), a helper thread
is called and takes work until none is waiting, then waits to be called again; helpers are
started as needed, up to ``max_workers`` threads in all. The check runs on the caller's
asyncio loop, armed only while work waits behind a busy primary: no thread wakes for it.
Submitted from a thread without a running loop, work that would wait calls a helper at once.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, NamedTuple

# Invocations the in-process handlers may run at once: the pool's ceiling of threads.
DEFAULT_WORKERS = 64


class _Work(NamedTuple):
    future: Future[Any]
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    queued_at: float


class ElasticPool(Executor):
    """An Executor that runs work on one thread while that keeps up (see the module's doc)."""

    def __init__(self, max_workers: int, patience: float = 0.002, name: str = "lambda") -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self.max_workers = max_workers
        self.patience = patience
        self._name = name
        self._work: deque[_Work] = deque()
        self._lock = threading.Lock()
        self._primary_wake = threading.Condition(self._lock)
        self._helper_wake = threading.Condition(self._lock)
        self._threads: list[threading.Thread] = []
        self._primary_busy = False
        self._idle_helpers = 0
        self._calls = 0  # helpers called and not yet woken
        self._shutdown = False
        self._check: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0

    @property
    def threads(self) -> int:
        """Threads started so far (the primary and the helpers)."""
        return len(self._threads)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot schedule new futures after shutdown")
            self._work.append(_Work(future, fn, args, kwargs, time.monotonic()))
            if not self._threads:
                self._start(self._primary)
            # Work waits when the primary is busy, or when more is queued than it takes next
            # (it may not have picked up the work before this yet).
            waits = self._primary_busy or len(self._work) > 1
            self._primary_wake.notify()
        if waits:
            self._watch()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Take no more work; with ``cancel_futures`` drop what waits. Threads running a
        handler finish it (they are daemons: a hung one never holds up the process's exit)."""
        with self._lock:
            self._shutdown = True
            if cancel_futures:
                while self._work:
                    self._work.popleft().future.cancel()
            self._primary_wake.notify_all()
            self._helper_wake.notify_all()
            threads = list(self._threads)
        if self._check is not None:
            self._check.cancel()
            self._check = None
        if wait:
            for thread in threads:
                thread.join()

    # -- the stall check -------------------------------------------------------------------
    def _watch(self) -> None:
        loop = self._loop
        if loop is None or loop.is_closed() or threading.get_ident() != self._loop_thread:
            try:  # (asking asyncio costs a getpid system call: once, not per submit)
                loop = asyncio.get_running_loop()
            except RuntimeError:  # no loop to time the wait on: help at once
                with self._lock:
                    self._call_helper()
                return
            self._loop, self._loop_thread = loop, threading.get_ident()
        if self._check is None:
            self._check = loop.call_later(self.patience, self._on_check)

    def _on_check(self) -> None:
        self._check = None
        with self._lock:
            if not self._work or self._shutdown:
                return
            if time.monotonic() - self._work[0].queued_at >= self.patience * 0.9:
                self._call_helper()
        if self._loop is not None:  # work still waits: look again
            self._check = self._loop.call_later(self.patience, self._on_check)

    def _call_helper(self) -> None:
        """(Under the lock.) Wake an idle helper, or start one if the pool may grow."""
        if self._idle_helpers > self._calls:
            self._calls += 1
            self._helper_wake.notify()
        elif len(self._threads) < self.max_workers:
            self._start(self._helper)

    # -- the threads -----------------------------------------------------------------------
    def _start(self, target: Callable[[], None]) -> None:
        thread = threading.Thread(
            target=target, name=f"{self._name}_{len(self._threads)}", daemon=True
        )
        self._threads.append(thread)
        thread.start()

    def _primary(self) -> None:
        while True:
            with self._lock:
                self._primary_busy = False
                while not self._work:
                    if self._shutdown:
                        return
                    self._primary_wake.wait()
                work = self._work.popleft()
                self._primary_busy = True
            _run(work)

    def _helper(self) -> None:
        called = True  # a helper starts because it was called
        while True:
            with self._lock:
                while not (called and self._work):
                    if self._shutdown:
                        return
                    called = False  # the backlog is gone: wait to be called again
                    self._idle_helpers += 1
                    self._helper_wake.wait()
                    self._idle_helpers -= 1
                    if self._calls:
                        self._calls -= 1
                        called = True
                work = self._work.popleft()
            _run(work)


def _run(work: _Work) -> None:
    if not work.future.set_running_or_notify_cancel():
        return
    try:
        result = work.fn(*work.args, **work.kwargs)
    except BaseException as error:  # handed to whoever awaits the future, as an Executor does
        work.future.set_exception(error)
    else:
        work.future.set_result(result)
