"""Clock time and the daily rhythm of app use.

Steps count from the seed post; the clock turns a step into local time. Users open the app as a
Poisson process whose rate follows a circadian profile, so the next session after any moment can
be drawn by inverting the cumulative rate (the process is memoryless, so drawing it when first
needed is the same as having drawn all sessions in advance).
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import numba
import numpy as np

# Relative Twitter activity by local hour (0-23), mean 1: assumed, drawn by hand to the usual shape
# of hourly tweet volume (night trough near 04:00, morning rise, evening peak near 21:00), not fitted
# and not taken from a source (Golder & Macy 2011, once cited here, report mood by hour, not volume).
HOURLY_ACTIVITY = np.array(
    [
        0.62,
        0.40,
        0.25,
        0.17,
        0.14,
        0.18,
        0.35,
        0.70,
        1.00,
        1.10,
        1.15,
        1.20,
        1.30,
        1.30,
        1.20,
        1.15,
        1.15,
        1.20,
        1.30,
        1.42,
        1.55,
        1.62,
        1.50,
        1.05,
    ]
)
HOURLY_ACTIVITY = HOURLY_ACTIVITY / HOURLY_ACTIVITY.mean()

# The #Buffy post was made on Monday 16 January 2017; the clock runs from that date.
DEFAULT_DATE = dt.date(2017, 1, 16)


class SessionTable(NamedTuple):
    """The cumulative session intensity and its inverse, as the compiled loops read them."""

    cumulative: np.ndarray  # cumulative[k] = expected sessions of a rate-1/day user in steps [0, k)
    index: np.ndarray  # index[j] = the step in which the value j * resolution falls
    resolution: float


class Clock:
    """Maps steps to local clock time and minutes, and holds the cumulative session intensity."""

    def __init__(self, seed_clock: float, step_minutes: float, n_steps: int, date: dt.date = DEFAULT_DATE):
        self.start = dt.datetime.combine(date, dt.time()) + dt.timedelta(hours=seed_clock)
        self.step_minutes = step_minutes
        self.n_steps = n_steps
        minute_of_day = (seed_clock * 60.0 + step_minutes * (np.arange(n_steps) + 0.5)) % 1440.0
        self.activity = circadian(minute_of_day)  # relative activity of each step, mean 1 over a day
        cumulative = np.concatenate(([0.0], np.cumsum(self.activity * step_minutes / 1440.0)))
        # A lookup table inverting it: index[j] = the step in which the value j * resolution falls,
        # on a grid four times finer than the smallest step increment, so that finding the step of
        # any value is a table read and at most a step or two forward.
        resolution = float(np.diff(cumulative).min()) / 4.0
        grid = np.arange(int(cumulative[-1] / resolution) + 2) * resolution
        index = (np.searchsorted(cumulative, grid, side="right") - 1).astype(np.int64)
        self.sessions = SessionTable(cumulative, index, resolution)

    def minutes(self, step: float) -> float:
        """Minutes from the seed post to the start of ``step``."""
        return step * self.step_minutes

    def steps(self, minutes: float) -> float:
        """How many steps ``minutes`` last (not rounded)."""
        return minutes / self.step_minutes

    def time(self, step: float) -> dt.datetime:
        """Local clock time at the start of ``step``."""
        return self.start + dt.timedelta(minutes=float(step) * self.step_minutes)

    def hours(self, step: np.ndarray | float) -> np.ndarray | float:
        """Clock hour of day (may exceed 24 on later days) at the start of ``step``."""
        return self.start.hour + self.start.minute / 60.0 + np.asarray(step) * self.step_minutes / 60.0

    def session_share(self, step: int) -> float:
        """Expected sessions in ``step`` of a user with a rate of one session per day."""
        cumulative = self.sessions.cumulative
        return float(cumulative[step + 1] - cumulative[step])


def circadian(minute_of_day: np.ndarray) -> np.ndarray:
    """Relative activity at the given minutes of the day, linear between hourly values."""
    hours = np.asarray(minute_of_day) / 60.0 - 0.5  # hourly values sit at the middle of each hour
    x = np.append(HOURLY_ACTIVITY, HOURLY_ACTIVITY[0])
    return np.interp(hours % 24.0, np.arange(25), x)


@numba.njit(cache=True)
def next_session(table: SessionTable, after: int, rate_per_day: float, rng: np.random.Generator) -> int:
    """The step of a user's first session after step ``after`` (``n_steps``: none before the horizon).

    A user with a rate of ``a`` sessions a day opens the app in step ``k`` when its cumulative
    intensity ``a * cumulative`` passes an exponential draw during that step (sessions are a
    Poisson process whose rate follows the circadian profile; it is memoryless, so the draw can
    wait until the session is first needed).
    """
    x = table.cumulative[after + 1] + rng.standard_exponential() / rate_per_day
    return step_of(x, table)


@numba.njit(cache=True)
def step_of(x: float, table: SessionTable) -> int:
    """The step ``k`` with ``cumulative[k] <= x < cumulative[k + 1]`` (``n_steps`` past the end)."""
    cumulative, index = table.cumulative, table.index
    n_steps = len(cumulative) - 1
    j = int(x / table.resolution)
    if j >= len(index):
        return n_steps
    k = index[j]
    while k < n_steps and cumulative[k + 1] <= x:
        k += 1
    return k
