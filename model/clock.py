"""Clock time and the daily rhythm of app use.

Steps count from the seed post; the clock turns a step into local time. Users open the app as a
Poisson process whose rate follows a circadian profile, so the next session after any moment can
be drawn by inverting the cumulative rate (the process is memoryless, so drawing it when first
needed is the same as having drawn all sessions in advance).
"""

from __future__ import annotations

import datetime as dt

import numba
import numpy as np

# Relative Twitter activity by local hour (0-23), mean 1. The shape of published hourly tweet-volume
# curves (night trough near 04:00, morning rise, evening peak near 21:00; Golder & Macy 2011,
# Science 333:1878, Fig. 1); smoothed by hand, not fitted to #Buffy.
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


class Clock:
    """Maps steps to local clock time and holds the cumulative session intensity."""

    def __init__(self, seed_clock: float, step_minutes: float, n_steps: int, date: dt.date = DEFAULT_DATE):
        self.start = dt.datetime.combine(date, dt.time()) + dt.timedelta(hours=seed_clock)
        self.step_minutes = step_minutes
        self.n_steps = n_steps
        minute_of_day = (seed_clock * 60.0 + step_minutes * (np.arange(n_steps) + 0.5)) % 1440.0
        self.activity = circadian(minute_of_day)
        # cumulative[k] = expected sessions of a rate-1/day user in steps [0, k)
        self.cumulative = np.concatenate(([0.0], np.cumsum(self.activity * step_minutes / 1440.0)))
        # A lookup table inverting it: index[j] = the step in which the value j * resolution falls,
        # on a grid four times finer than the smallest step increment, so that finding the step of
        # any value is a table read and at most a step or two forward.
        self.resolution = float(np.diff(self.cumulative).min()) / 4.0
        grid = np.arange(int(self.cumulative[-1] / self.resolution) + 2) * self.resolution
        self.index = (np.searchsorted(self.cumulative, grid, side="right") - 1).astype(np.int64)

    def time(self, step: float) -> dt.datetime:
        """Local clock time at the start of ``step``."""
        return self.start + dt.timedelta(minutes=float(step) * self.step_minutes)

    def hours(self, step: np.ndarray | float) -> np.ndarray | float:
        """Clock hour of day (may exceed 24 on later days) at the start of ``step``."""
        return self.start.hour + self.start.minute / 60.0 + np.asarray(step) * self.step_minutes / 60.0

    def step_at(self, clock_hours: float) -> int:
        """First step at or after a clock time given in hours since midnight of the seed day."""
        start = self.start.hour + self.start.minute / 60.0
        return int(np.ceil((clock_hours - start) * 60.0 / self.step_minutes))

    def session_share(self, step: int) -> float:
        """Expected sessions in ``step`` of a user with a rate of one session per day."""
        return float(self.cumulative[step + 1] - self.cumulative[step])

    def next_sessions(self, after: int | np.ndarray, rate_per_day: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Draw each user's first session after step ``after`` (one or per user); ``n_steps`` means none.

        A user with daily rate ``a`` opens the app in step ``k`` when its cumulative intensity
        ``a * cumulative`` passes an exponential draw during that step.
        """
        after = np.broadcast_to(np.asarray(after, np.int64), np.shape(rate_per_day))
        x = self.cumulative[after + 1] + rng.standard_exponential(len(rate_per_day)) / rate_per_day
        return _steps_of(x, self.cumulative, self.index, self.resolution)


def circadian(minute_of_day: np.ndarray) -> np.ndarray:
    """Relative activity at the given minutes of the day, linear between hourly values."""
    hours = np.asarray(minute_of_day) / 60.0 - 0.5  # hourly values sit at the middle of each hour
    x = np.append(HOURLY_ACTIVITY, HOURLY_ACTIVITY[0])
    return np.interp(hours % 24.0, np.arange(25), x)


@numba.njit(cache=True)
def step_of(x: float, cumulative: np.ndarray, index: np.ndarray, resolution: float) -> int:
    """The step ``k`` with ``cumulative[k] <= x < cumulative[k + 1]`` (``n_steps`` past the end)."""
    n_steps = len(cumulative) - 1
    j = int(x / resolution)
    if j >= len(index):
        return n_steps
    k = index[j]
    while k < n_steps and cumulative[k + 1] <= x:
        k += 1
    return k


@numba.njit(cache=True)
def _steps_of(x, cumulative, index, resolution):
    out = np.empty(len(x), np.int64)
    for i in range(len(x)):
        out[i] = step_of(x[i], cumulative, index, resolution)
    return out
