"""The one parallel-map helper and the one seeding rule that every fan-out of runs uses."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from pileon.experiments.parallel import TaskError, parallel_map
from pileon.experiments.seeds import REPLICATE, derive_seed


def square_plus(shared: int, x: int) -> tuple[int, int]:
    time.sleep(0.05 * (x % 3))  # finish out of order
    return x * x + shared, os.getpid()


def fail_on_three(shared: None, x: int) -> int:
    if x == 3:
        raise ZeroDivisionError("boom")
    return x


def sleepy_pid(shared: None, x: int) -> int:
    time.sleep(0.2)
    return os.getpid()


@pytest.mark.parametrize("workers", [1, 2])
def test_results_in_order_with_the_shared_state_and_progress(workers):
    done = []
    out = list(parallel_map(square_plus, range(10), 100, workers=workers, progress=done.append))
    assert [r for r, _ in out] == [x * x + 100 for x in range(10)]
    assert done == list(range(1, 11))
    pids = {pid for _, pid in out}
    assert (pids == {os.getpid()}) if workers == 1 else (os.getpid() not in pids and len(pids) <= 2)


def test_as_completed_gives_every_result_once():
    out = list(parallel_map(square_plus, range(12), 0, workers=2, ordered=False))
    assert sorted(r for r, _ in out) == [x * x for x in range(12)]


def test_at_most_a_window_of_items_is_taken_ahead():
    taken = []

    def items():
        for x in range(40):
            taken.append(x)
            yield x

    results = parallel_map(square_plus, items(), 0, workers=2, window=3)
    first = next(results)
    assert first[0] == 0 and len(taken) <= 4  # three in flight, the fourth submitted as the first came back
    results.close()


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failing_item_is_named_and_stops_the_rest(workers):
    got = []
    with pytest.raises(TaskError) as e:
        for r in parallel_map(fail_on_three, range(100), workers=workers, window=4):
            got.append(r)
    assert e.value.item == 3 and isinstance(e.value.__cause__, ZeroDivisionError) and "boom" in str(e.value)
    assert got == [0, 1, 2]


def test_a_caller_that_stops_reading_ends_the_workers():
    results = parallel_map(sleepy_pid, range(100), workers=2, window=4)
    pids = {next(results), next(results)}
    results.close()  # as on Ctrl-C or an error in the caller's loop
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in pids)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie has exited
        return f.read().split(")")[-1].split()[0] != "Z"


def test_one_seeding_rule():
    assert derive_seed(11, 0, 2) == derive_seed(11, 0, 2)
    assert derive_seed(11, 0, 2) == int(np.random.SeedSequence([11, 0, 2]).generate_state(1, np.uint64)[0] >> 1)
    seeds = {derive_seed(s, REPLICATE, i) for s in range(3) for i in range(1001)}
    assert len(seeds) == 3 * 1001  # seed * 1000 + i would give seed 1's replicate 1000 = seed 2's replicate 0
    assert all(0 <= s < 2**63 for s in seeds)
