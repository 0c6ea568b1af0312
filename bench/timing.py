"""Shared timing helpers for the benchmarks.

* ``thread_limits(n)``: numpy's BLAS (through threadpoolctl, if installed) and
  PyTorch (``torch.set_num_threads``, if imported) use ``n`` threads inside the block.
* ``time_interleaved(peers, repeats, warmup, ...)``: times every peer once per
  round, round after round in the same process, so that peers share the
  machine's conditions; rounds alternate the order, and rounds during which
  other processes were busy can be discarded and run again.
* ``Timing``: the median (the headline figure) and minimum of those times.
* ``OtherLoad``: how busy the machine was with other processes while timing
  (from ``/proc/stat``), so a noisy run can be recognised in the results.
"""

from __future__ import annotations

import contextlib
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field


@dataclass
class Figure:
    """One benchmark figure: a value (a number, or text such as "skipped: ...") and its unit."""

    value: float | int | str
    unit: str = ""

    @property
    def is_number(self) -> bool:
        return isinstance(self.value, (int, float)) and not isinstance(self.value, bool)


@dataclass
class Timing:
    """The seconds each timed repeat took."""

    seconds: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def min(self) -> float:
        return min(self.seconds)


def try_import_torch():
    """``torch``, or None when it is not installed (it is an optional dependency)."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def _threadpoolctl():
    try:
        import threadpoolctl
    except ImportError:
        return None
    return threadpoolctl


def default_threads() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@contextlib.contextmanager
def thread_limits(num_threads: int) -> Iterator[dict[str, str]]:
    """Runs the block with numpy's BLAS and PyTorch limited to ``num_threads`` threads.

    Yields a dict saying how each library's threads were set (for the results).
    numpy's BLAS is limited through threadpoolctl; without it, BLAS keeps its own
    default (its thread count is then reported as not controlled).
    """
    how: dict[str, str] = {}
    with contextlib.ExitStack() as stack:
        tpc = _threadpoolctl()
        if tpc is not None:
            stack.enter_context(tpc.threadpool_limits(limits=num_threads, user_api="blas"))
            how["numpy BLAS threads"] = f"{num_threads} (threadpoolctl)"
        else:
            how["numpy BLAS threads"] = "not controlled (threadpoolctl not installed)"
        torch = sys.modules.get("torch")
        if torch is not None:
            before = torch.get_num_threads()
            torch.set_num_threads(num_threads)
            stack.callback(torch.set_num_threads, before)
            how["torch threads"] = f"{num_threads} (torch.set_num_threads)"
        yield how


def blas_info() -> list[dict]:
    """threadpoolctl's description of the loaded BLAS and OpenMP libraries ([] without it)."""
    tpc = _threadpoolctl()
    return [] if tpc is None else tpc.threadpool_info()


def load_average() -> str:
    """The machine's load average over 1, 5 and 15 minutes (``os.getloadavg``), as text."""
    try:
        return " / ".join(f"{load:.2f}" for load in os.getloadavg())
    except OSError:
        return "unknown"


QUIET_LOAD = 0.25
"""Default for ``max_other_load``: a measurement is kept when other processes kept at most this many cores busy."""


def wait_for_quiet(max_other_load: float, timeout: float, sample: float = 1.0) -> float:
    """Waits until other processes keep at most ``max_other_load`` cores busy over ``sample`` seconds.

    Gives up after ``timeout`` seconds. Returns the seconds waited, at least
    one ``sample`` (none when ``/proc/stat`` cannot be read).
    """
    start = time.perf_counter()
    while True:
        load = OtherLoad().start()
        if load.stop() is None:
            return 0.0
        time.sleep(sample)
        other = load.stop()
        waited = time.perf_counter() - start
        if other <= max_other_load or waited >= timeout:
            return waited


@dataclass
class Interleaved:
    """What ``time_interleaved`` measured.

    Attributes:
        timings: peer name -> its kept times.
        loads: other processes' load (cores) during each kept round (None where unknown).
        discarded: rounds timed but not kept because other processes were busy.
        waited: seconds spent waiting for the machine to be quiet.
    """

    timings: dict[str, Timing]
    loads: list[float | None]
    discarded: int = 0
    waited: float = 0.0

    def busy_rounds(self, max_other_load: float) -> int:
        """Kept rounds during which other processes were busier than ``max_other_load``."""
        return sum(1 for load in self.loads if load is not None and load > max_other_load)


def time_interleaved(
    peers: dict[str, Callable[[], object]],
    repeats: int,
    warmup: int = 1,
    max_other_load: float | None = None,
    max_discarded: int = 0,
    pause: float = 0.0,
    quiet_timeout: float = 0.0,
) -> Interleaved:
    """Times each peer ``repeats`` times, interleaved, after ``warmup`` untimed rounds.

    Each round runs every peer once; odd rounds run them in reverse order so
    that no peer always follows the same one. The machine may be shared: with
    ``max_other_load`` set, each round first waits (up to ``quiet_timeout``
    seconds in all) until other processes are quiet, and a round during which
    they kept more than ``max_other_load`` cores busy on average (see
    ``OtherLoad``) is discarded, all its peers together, and run again, at most
    ``max_discarded`` times in all; after that, rounds are kept whatever the
    load (``Interleaved.busy_rounds`` counts them).

    Args:
        peers: name -> a function that does one unit of work (e.g. one epoch).
        repeats: rounds to keep (at least 1).
        warmup: untimed rounds first (caches, thread pools, lazy initialisation).
        max_other_load: the most load from other processes a kept round may
            have had, in cores (None: keep every round, never wait).
        max_discarded: how many rounds may be discarded for load.
        pause: seconds to sleep before each peer runs. BLAS and OpenMP worker
            threads keep spinning for a while after their last call; measured
            here, numpy's OpenBLAS threads slowed the next PyTorch call and
            PyTorch's OpenMP threads the next numpy call. A pause lets them
            go to sleep, so that no peer pays for the one before it.
        quiet_timeout: the most seconds to wait for quiet, over all rounds.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    names = list(peers)
    result = Interleaved({name: Timing() for name in names}, [])
    for _ in range(warmup):
        for name in names:
            peers[name]()
    load = OtherLoad()
    round_number = 0
    while len(result.loads) < repeats:
        if max_other_load is not None and result.waited < quiet_timeout:
            result.waited += wait_for_quiet(max_other_load, quiet_timeout - result.waited)
        order = names if round_number % 2 == 0 else names[::-1]
        round_number += 1
        seconds = {}
        load.start()
        for name in order:
            time.sleep(pause)
            start = time.perf_counter()
            peers[name]()
            seconds[name] = time.perf_counter() - start
        other = load.stop()
        busy = max_other_load is not None and other is not None and other > max_other_load
        if busy and result.discarded < max_discarded:
            result.discarded += 1
            continue
        for name in names:
            result.timings[name].seconds.append(seconds[name])
        result.loads.append(other)
    return result


@dataclass
class Measured:
    """What ``median_time`` measured: the median seconds, and how many kept repeats were busy."""

    seconds: float
    busy_kept: int = 0


def median_time(
    work: Callable[[], object],
    repeats: int,
    warmup: int = 1,
    min_seconds: float = 0.05,
    max_other_load: float | None = None,
    max_discarded: int = 0,
    quiet_timeout: float = 0.0,
) -> Measured:
    """Median seconds of one call of ``work``, each repeat calling it enough times to last ``min_seconds``.

    With ``max_other_load`` set, the measurement first waits up to
    ``quiet_timeout`` seconds for other processes to be quiet, and a repeat
    during which they kept more cores busy is discarded and measured again
    (at most ``max_discarded`` times); see ``time_interleaved``.
    """
    if max_other_load is not None and quiet_timeout > 0:
        wait_for_quiet(max_other_load, quiet_timeout)
    for _ in range(warmup):
        work()
    start = time.perf_counter()
    work()
    once = max(time.perf_counter() - start, 1e-9)
    calls = max(1, int(min_seconds / once))
    samples: list[float] = []
    discarded = busy_kept = 0
    load = OtherLoad()
    while len(samples) < repeats:
        load.start()
        start = time.perf_counter()
        for _ in range(calls):
            work()
        seconds = (time.perf_counter() - start) / calls
        other = load.stop()
        busy = max_other_load is not None and other is not None and other > max_other_load
        if busy and discarded < max_discarded:
            discarded += 1
            continue
        busy_kept += busy
        samples.append(seconds)
    return Measured(statistics.median(samples), busy_kept)


class OtherLoad:
    """Measures how many cores other processes kept busy between ``start()`` and ``stop()``.

    Busy CPU time of the whole machine (``/proc/stat``) minus this process's
    own CPU time (all its threads), divided by the wall time. About 0 on a quiet
    machine; 1.0 means another process kept a whole core busy on average.
    None where ``/proc/stat`` does not exist.
    """

    def __init__(self) -> None:
        self._start: tuple[float, float, float] | None = None

    @staticmethod
    def _machine_busy_seconds() -> float | None:
        try:
            with open("/proc/stat") as stat:
                fields = [int(v) for v in stat.readline().split()[1:]]
        except OSError:
            return None
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")  # without guest time

    @staticmethod
    def _own_seconds() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def start(self) -> OtherLoad:
        busy = self._machine_busy_seconds()
        self._start = None if busy is None else (busy, self._own_seconds(), time.perf_counter())
        return self

    def stop(self) -> float | None:
        """Average number of cores busy with other processes since ``start()``."""
        busy = self._machine_busy_seconds()
        if self._start is None or busy is None:
            return None
        busy0, own0, wall0 = self._start
        wall = time.perf_counter() - wall0
        other = (busy - busy0) - (self._own_seconds() - own0)
        return max(0.0, other / wall) if wall > 0 else 0.0
