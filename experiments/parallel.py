"""One way to fan work out to local processes: sweeps, calibration and validation all use it.

:func:`parallel_map` calls ``fn(shared, item)`` for every item, on ``workers`` processes or, with
one worker, in this process. The workers are spawned (not forked: numba's compiled code and
threads do not survive a fork) and receive ``shared`` once, when they start (a follower graph, a
reference table), rather than with every item. At most ``window`` items are in flight, so a long
iterator of items is read as the work goes and memory stays flat; results come back in the items'
order or as they finish. A failed item, Ctrl-C or a caller that stops reading shuts the pool down
at once: queued items are cancelled and the workers are ended, none is left running. (A caller
that may stop early closes the iterator, ``with contextlib.closing(parallel_map(...))``, so that
this happens at once rather than when the iterator is collected.)

What a worker does when it starts is one function, :func:`_start_worker`: the place to add
anything every worker must do (ignore Ctrl-C, which its parent handles; exit when its parent is
gone, even killed with SIGKILL).
"""

from __future__ import annotations

import collections
import contextlib
import gc
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any


class TaskError(RuntimeError):
    """An item raised; ``item`` is the item, ``__cause__`` the error it raised."""

    def __init__(self, item: Any, error: BaseException):
        super().__init__(f"{type(error).__name__}: {error}")
        self.item = item


def parallel_map[T, R](
    fn: Callable[[Any, T], R],
    items: Iterable[T],
    shared: Any = None,
    *,
    workers: int = 1,
    ordered: bool = True,
    window: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Generator[R]:
    """``fn(shared, item)`` for every item, on ``workers`` local processes.

    Args:
        fn: a top-level function (workers import it by name).
        shared: what every call needs; sent to each worker once, at its start.
        workers: processes; 1 (or fewer) runs every item here, one after another.
        ordered: yield results in the items' order (else as they finish).
        window: most items in flight at once (default: 4 per worker).
        progress: called with the number of results so far after each one.

    Yields:
        Each item's result.

    Raises:
        TaskError: an item raised (its error is the ``__cause__``); the results yielded before it
            are the caller's, the remaining items are not run.
    """
    if workers <= 1:
        yield from _counted(_here(fn, items, shared), progress)
        return
    ctx = multiprocessing.get_context("spawn")
    start = (fn, shared, os.getpid())
    pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_start_worker, initargs=start)
    try:
        results = windowed(pool.submit, _call, items, window or 4 * workers, ordered)
        yield from _counted(results, progress)
    except BaseException:  # a failed item, Ctrl-C, a caller that stopped reading: stop everything now
        _stop(pool)
        raise
    pool.shutdown(wait=True)


def windowed[T](
    submit: Callable[..., Any],
    fn: Callable[[T], Any],
    items: Iterable[T],
    window: int,
    ordered: bool = True,
    wait_first: Callable[[set[Any]], tuple[set[Any], set[Any]]] | None = None,
) -> Iterator[Any]:
    """Submit ``fn(item)`` for the items through ``submit`` (a pool's or a Dask client's), keeping
    at most ``window`` in flight, and yield the results in order or as they finish.

    ``wait_first`` waits for at least one of a set of futures (default: ``concurrent.futures``;
    Dask's futures need Dask's)."""
    wait_first = wait_first or _wait_first
    queue = iter(items)
    item_of: dict[Any, T] = {}
    order: collections.deque[Any] = collections.deque()

    def fill() -> None:
        while len(item_of) < window:
            item = next(queue, _END)
            if item is _END:
                return
            future = submit(fn, item)
            item_of[future] = item
            if ordered:
                order.append(future)

    fill()
    while item_of:
        # in order: the oldest future's result() waits for it; else the first to finish
        finished = [order.popleft()] if ordered else wait_first(set(item_of))[0]
        for future in finished:
            item = item_of.pop(future)
            try:
                result = future.result()
            except Exception as e:
                raise TaskError(item, e) from e
            yield result
        fill()


_END = object()


def _wait_first(futures: set[Future]) -> tuple[set[Future], set[Future]]:
    done, rest = wait(futures, return_when=FIRST_COMPLETED)
    return set(done), set(rest)


def _here[T, R](fn: Callable[[Any, T], R], items: Iterable[T], shared: Any) -> Iterator[R]:
    for item in items:
        with _interrupt_between_items():
            try:
                result = fn(shared, item)
            except Exception as e:
                raise TaskError(item, e) from e
        yield result


@contextlib.contextmanager
def _interrupt_between_items() -> Iterator[None]:
    """Take a Ctrl-C that comes during an item when the item ends. A KeyboardInterrupt raised
    inside numba's compiled loops (the model's) surfaces as a SystemError ("returned a result with
    an exception set") or crashes the process; between items it stops the work cleanly, with
    every finished item kept."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pressed: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: pressed.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if pressed:
        raise KeyboardInterrupt


def _counted[R](results: Iterator[R], progress: Callable[[int], None] | None) -> Iterator[R]:
    for done, result in enumerate(results, 1):
        yield result
        if progress is not None:
            progress(done)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel the queued items and end the workers now (a running item is not waited for)."""
    pool.shutdown(wait=False, cancel_futures=True)
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14
    if terminate is not None:
        terminate()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()


# -- in a worker -----------------------------------------------------------------------------------

_job: dict[str, Any] = {}
_frozen: list[bool] = []  # non-empty once this process has frozen its long-lived objects


PARENT_POLL_SECONDS = 0.5  # how often a worker checks that its parent is alive


def _start_worker(fn: Callable[[Any, Any], Any], shared: Any, parent: int) -> None:
    """Run once in each worker when it starts: keep the function and the shared state, leave
    Ctrl-C to the parent (which stops the pool; a worker's own KeyboardInterrupt would only add
    tracebacks), and end this worker when its parent is gone: a parent killed with SIGKILL cannot
    stop its workers, which would otherwise go on computing for nobody, holding their memory."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _job.update(fn=fn, shared=shared)
    threading.Thread(target=_watch_parent, args=(parent,), name="pileon-watch-parent", daemon=True).start()


def _watch_parent(parent: int) -> None:
    """Exit this process as soon as ``parent`` is no longer its parent (it died: the worker was
    handed to init or a subreaper)."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(1)


def _call(item: Any) -> Any:
    """One item in a worker."""
    result = _job["fn"](_job["shared"], item)
    collect_garbage()
    return result


def collect_garbage() -> None:
    """After an item in a worker, collect its garbage at once: a model leaves reference cycles
    behind (Mesa's model, its scenario and event generator refer to one another), which Python
    frees only at its next full collection, so over thousands of items memory would creep.
    Collecting after each item, with what is alive after the first frozen out of the collector's
    sight (``gc.freeze``), costs about a millisecond and keeps memory flat."""
    gc.collect()
    if not _frozen:
        gc.freeze()
        _frozen.append(True)
