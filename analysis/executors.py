"""Executors: one interface to map independent runs over a pool of workers.

- :class:`SerialExecutor` runs in this process (one worker, no start-up cost).
- :class:`ProcessExecutor` runs local worker processes started by ``spawn`` or ``forkserver``;
  ``fork`` is refused because HiGHS (the MILP solver) can hang in a forked child.
- :class:`DaskExecutor` runs on a dask.distributed cluster: an existing scheduler by address,
  or a LocalCluster it starts and stops. Dask is an optional extra, imported only here and
  only when this executor is built.

Each yields ``(item, result, error)`` as runs finish, in completion order: ``error`` is a
one-line string when the executor lost the worker (the function itself should not raise).
Executors do not know what they run: the caller names the modules each worker imports
before its first item (``warm_modules``). Local workers exit on their own when the process
that started them dies (even by ``kill -9``).
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from importlib import metadata
from typing import TypeVar

from simulator.errors import ExecutorError

T = TypeVar("T")
R = TypeVar("R")
START_METHODS = ("spawn", "forkserver")
PARENT_POLL_S = 1.0  # how often a local worker checks that its parent is alive


class Executor(ABC):
    """Maps a picklable function over items on some workers."""

    name: str = "executor"
    workers: int = 1

    @abstractmethod
    def map_unordered(self, fn: Callable[[T], R],
                      items: Sequence[T]) -> Iterator[tuple[T, R | None, str | None]]:
        """Yield ``(item, fn(item), None)`` as each finishes, or ``(item, None, error)``."""

    def close(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        """Release the workers."""

    def describe(self) -> str:
        """One line for logs: kind and number of workers."""
        return f"{self.name} ({self.workers} worker{'s' if self.workers != 1 else ''})"

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _one_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return type(err).__name__ + (f": {text[0]}" if text else "")


def _lost(err: BaseException) -> str:
    return f"worker lost: {_one_line(err)}"


class SerialExecutor(Executor):
    """Runs every item in this process, one after another."""

    name = "serial"

    def map_unordered(self, fn: Callable[[T], R],
                      items: Sequence[T]) -> Iterator[tuple[T, R | None, str | None]]:
        for item in items:
            yield item, fn(item), None


class ProcessExecutor(Executor):
    """Local worker processes (``spawn`` by default, or ``forkserver``)."""

    name = "processes"

    def __init__(self, workers: int | None = None, start_method: str = "spawn",
                 warm_modules: Sequence[str] = ()) -> None:
        if start_method not in START_METHODS:
            raise ExecutorError(f"start method '{start_method}': use one of "
                                f"{', '.join(START_METHODS)} (fork can hang the HiGHS solver)")
        if start_method not in multiprocessing.get_all_start_methods():
            raise ExecutorError(f"start method '{start_method}' is not available here")
        self.workers = workers or os.cpu_count() or 1
        if self.workers < 1:
            raise ExecutorError(f"workers: need at least 1, got {self.workers}")
        self.start_method = start_method
        self.warm_modules = tuple(warm_modules)
        self.name = f"processes/{start_method}"
        self._pool: ProcessPoolExecutor | None = None

    def _get_pool(self, n_items: int) -> ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context(self.start_method)
            if self.start_method == "forkserver":
                context.set_forkserver_preload(list(self.warm_modules))
            self._pool = ProcessPoolExecutor(max_workers=max(1, min(self.workers, n_items)),
                                             mp_context=context, initializer=_start_worker,
                                             initargs=(os.getpid(), self.warm_modules))
        return self._pool

    def map_unordered(self, fn: Callable[[T], R],
                      items: Sequence[T]) -> Iterator[tuple[T, R | None, str | None]]:
        if not items:
            return
        pool = self._get_pool(len(items))
        futures = {pool.submit(fn, item): item for item in items}
        try:
            pending = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    try:
                        yield futures[future], future.result(), None
                    except Exception as err:  # the pool lost this worker
                        yield futures[future], None, _lost(err)
        finally:
            for future in futures:
                future.cancel()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskExecutor(Executor):
    """A dask.distributed cluster: ``address`` of a running scheduler, or a LocalCluster of
    ``n_workers`` single-threaded worker processes started (and stopped) here."""

    name = "dask"

    def __init__(self, address: str | None = None, n_workers: int | None = None,
                 warm_modules: Sequence[str] = ()) -> None:
        if (address is None) == (n_workers is None):
            raise ExecutorError("dask: give a scheduler address or a LocalCluster size, not "
                                "both or neither")
        try:
            import dask
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise ExecutorError("--dask needs the optional extra: pip install "
                                "'gridshift[dask]'") from None
        self._cluster = None
        if address is None:
            if n_workers < 1:
                raise ExecutorError(f"--dask-local: need at least 1 worker, got {n_workers}")
            # The workers' statistical profiler samples every task's stack every 10 ms: it
            # slows simulations by about 7 %, and nobody looks at it here.
            with dask.config.set({"distributed.worker.profile.enabled": False}):
                self._cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1,
                                             processes=True, dashboard_address=None,
                                             silence_logs=logging.ERROR)
            self._client = Client(self._cluster)
            self.name = "dask/local"
        else:
            try:
                self._client = Client(address, timeout="15s")
            except OSError as err:
                raise ExecutorError(f"--dask {address}: cannot reach the scheduler "
                                    f"({_one_line(err)})") from None
            self.name = f"dask/{address}"
        self.workers = max(1, sum(w.get("nthreads", 1) for w in
                                  self._client.scheduler_info()["workers"].values()))
        self._warm_up(tuple(warm_modules))

    def _warm_up(self, modules: tuple[str, ...]) -> None:
        """Import the caller's modules on every worker now (not in the first runs) and check
        that every worker runs the same GridShift version."""
        try:
            versions = self._client.run(worker_version, modules)
        except Exception as err:  # e.g. GridShift is not installed on a worker
            self.close()
            raise ExecutorError(f"dask workers cannot run GridShift: {_one_line(err)}") from None
        ours = worker_version()
        other = sorted({v for v in versions.values() if v != ours})
        if other:
            self.close()
            raise ExecutorError(f"dask workers run GridShift {', '.join(other)}, this client "
                                f"{ours}: install the same version everywhere")

    def map_unordered(self, fn: Callable[[T], R],
                      items: Sequence[T]) -> Iterator[tuple[T, R | None, str | None]]:
        from dask.distributed import as_completed

        if not items:
            return
        futures = self._client.map(fn, list(items), pure=False)
        by_future = {f.key: item for f, item in zip(futures, items, strict=True)}
        try:
            for future in as_completed(futures):
                item = by_future[future.key]
                try:
                    yield item, future.result(), None
                except Exception as err:  # e.g. KilledWorker
                    yield item, None, _lost(err)
                finally:
                    future.release()
        finally:
            self._client.cancel(futures)

    def close(self) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def worker_version(modules: Sequence[str] = ()) -> str:
    """The GridShift version a worker runs, after importing ``modules``."""
    for name in modules:
        importlib.import_module(name)
    return metadata.version("gridshift")


def _start_worker(owner: int, modules: Sequence[str]) -> None:
    """Local worker start-up: watch the owner (the process that made the pool), then import
    ``modules``. The worker exits as soon as the owner is gone or it was re-parented."""
    parent = os.getppid()

    def owner_gone() -> bool:
        if os.getppid() != parent:
            return True
        try:
            os.kill(owner, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    def watch() -> None:
        while not owner_gone():
            time.sleep(PARENT_POLL_S)
        os._exit(1)  # nobody is left to want our result

    threading.Thread(target=watch, name="gridshift-owner-watch", daemon=True).start()
    for name in modules:
        importlib.import_module(name)


def make_executor(workers: int | None = None, *, start_method: str = "spawn",
                  dask: str | None = None, dask_local: int | None = None,
                  warm_modules: Sequence[str] = ()) -> Executor:
    """The executor the CLI options ask for: Dask if asked, else 1 worker = serial, else
    local processes (``workers`` None = one per CPU); ``warm_modules`` are imported by each
    worker before its first item."""
    if dask is not None and dask_local is not None:
        raise ExecutorError("--dask and --dask-local: give one, not both")
    if dask is not None or dask_local is not None:
        return DaskExecutor(address=dask, n_workers=dask_local, warm_modules=warm_modules)
    if workers is not None and workers < 1:
        raise ExecutorError(f"--workers: need at least 1, got {workers}")
    if workers == 1:
        return SerialExecutor()
    return ProcessExecutor(workers, start_method, warm_modules)

