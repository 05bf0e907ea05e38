"""Volume timelines of pile-ons: one timestamp per post, no reply tree.

A reader for any CSV with a timestamp column, hourly counts, the onset of the pile-on found from
the past only (so that a forecast made a day after it uses nothing later), and shape measures of
the observed pile-on (rise, peak, decay, daily rhythm, second waves). docs/observed.md, "Pile-on
timelines", gives every rule and its reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# Names of a time column, tried in this order (case-insensitive) when none is given.
TIME_COLUMNS = ("datetime", "timestamp", "created_at", "time", "date", "created", "posted_at", "time_utc", "utc")
_ZONE = re.compile(r"(?:Z|[+-]\d\d:?\d\d|UTC|GMT)\s*$", re.IGNORECASE)

# The onset: the first hour with at least ONSET_FACTOR times the median hourly volume of the
# ONSET_TRAILING hours before it and at least ONSET_MIN_POSTS posts, after ONSET_HISTORY hours of data.
ONSET_FACTOR = 5.0
ONSET_MIN_POSTS = 50
ONSET_TRAILING = 48
ONSET_HISTORY = 24
SECOND_WAVE_SHARE = 0.25  # a later peak of the day-smoothed volume counts as a second wave above this share of
TROUGH_SHARE = 0.5  # the main peak, if the volume fell below this share of it since the previous wave


@dataclass
class Timeline:
    """The posts of one pile-on as UTC times (``seconds``: Unix seconds, sorted)."""

    name: str
    seconds: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.seconds)

    @property
    def start(self) -> pd.Timestamp:
        """The start (UTC) of the hour of the first post: hour 0 of :meth:`hourly`."""
        return pd.Timestamp(int(self.seconds[0]) // 3600 * 3600, unit="s", tz="UTC")

    def hours(self) -> np.ndarray:
        """Each post's time in hours after :attr:`start`."""
        return (self.seconds - self.start.timestamp()) / 3600.0

    def hourly(self) -> np.ndarray:
        """Posts per hour from :attr:`start` to the hour of the last post (the data are taken to
        cover that last hour whole)."""
        return np.bincount(self.hours().astype(np.int64))

    def hour_time(self, hour: float) -> pd.Timestamp:
        """The UTC time ``hour`` hours after :attr:`start`."""
        return self.start + pd.Timedelta(hours=float(hour))

    def until(self, hour: float) -> Timeline:
        """The posts made before ``hour`` hours after :attr:`start` (what was known then)."""
        return Timeline(self.name, self.seconds[self.hours() < hour], dict(self.meta))


def find_time_column(columns: list[str], path: Path, given: str | None = None) -> str:
    """The time column: ``given`` (which must exist), else the first of :data:`TIME_COLUMNS`."""
    if given is not None:
        if given not in columns:
            raise ValueError(f"{path}: no time column {given!r}; columns are {', '.join(columns)}")
        return given
    lower = {c.strip().lower(): c for c in columns}
    for name in TIME_COLUMNS:
        if name in lower:
            return lower[name]
    raise ValueError(
        f"{path}: no time column found (looked for {', '.join(TIME_COLUMNS)}); columns are "
        f"{', '.join(columns)}: name one with --time-column"
    )


def read_timeline(path: str | Path, time_column: str | None = None) -> Timeline:
    """A pile-on's posts from any CSV with one row per post and a time column; other columns are
    ignored.

    Times are timestamps pandas parses (``2019-08-24 00:22:27+00:00``, ISO 8601, ...) converted to
    UTC; a timestamp without a zone is taken to be UTC (counted in ``meta['naive_times']``). A column
    of numbers is read as Unix seconds.

    Raises:
        FileNotFoundError: no such file.
        ValueError: no time column, no rows, or a value that is not a time (names file, line, column).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such CSV file")
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    col = find_time_column(list(df.columns), path, time_column)
    values = df[col].str.strip()
    if values.empty:
        raise ValueError(f"{path}: no rows after the header")
    numbers = pd.to_numeric(values, errors="coerce")
    if not numbers.isna().any():
        seconds = numbers.to_numpy(float)
        if seconds.max() > 4.1e9:  # after 2100: not Unix seconds
            i = int(np.argmax(seconds))
            raise ValueError(
                f"{path}, line {i + 2}, column {col!r}: {values.iloc[i]!r} read as Unix seconds is "
                "after 2100 (milliseconds?); numbers must be Unix seconds"
            )
        naive = 0
    else:
        stamps = pd.to_datetime(values, errors="coerce", utc=True, format="mixed")
        bad = np.flatnonzero(stamps.isna().to_numpy())
        if len(bad):
            i = int(bad[0])
            raise ValueError(f"{path}, line {i + 2}, column {col!r}: {values.iloc[i]!r} is not a timestamp")
        seconds = (stamps - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy(float)
        naive = int((~values.str.contains(_ZONE)).sum())
    meta = {"source": str(path), "format": "timeline", "time_column": col, "naive_times": naive}
    return Timeline(path.stem, np.sort(seconds), meta)


def timeline_files(folder: str | Path) -> list[Path]:
    """The CSV files of a folder of timelines, by name."""
    return sorted(p for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() == ".csv")


def read_timeline_folder(
    folder: str | Path, time_column: str | None = None, limit: int | None = None
) -> list[Timeline]:
    """Every CSV of ``folder`` as a :class:`Timeline` (by file name; at most ``limit``)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder")
    files = timeline_files(folder)
    if not files:
        raise ValueError(f"{folder}: no CSV files (expected one CSV per pile-on, one row per post)")
    return [read_timeline(f, time_column) for f in files[:limit]]


def find_onset(
    hourly: np.ndarray,
    factor: float = ONSET_FACTOR,
    min_posts: int = ONSET_MIN_POSTS,
    trailing: int = ONSET_TRAILING,
    history: int = ONSET_HISTORY,
) -> int | None:
    """The first hour (index into ``hourly``) from ``history`` on whose volume is at least
    ``factor`` times the median of the ``trailing`` hours before it and at least ``min_posts``:
    decided from that hour and the hours before it only. None if no hour qualifies."""
    if factor <= 0 or min_posts < 1 or trailing < 1 or history < 0:
        raise ValueError(
            f"onset rule: expected factor > 0, min_posts >= 1, trailing >= 1 and history >= 0, got "
            f"{factor}, {min_posts}, {trailing}, {history}"
        )
    for i in range(history, len(hourly)):
        if hourly[i] >= min_posts and hourly[i] >= factor * np.median(hourly[max(0, i - trailing) : i] if i else [0]):
            return i
    return None


def day_smoothed(hourly: np.ndarray) -> np.ndarray:
    """The centred 24-hour moving average of hourly volume (NaN within 12 hours of either end)."""
    out = np.full(len(hourly), np.nan)
    if len(hourly) >= 24:
        out[12 : len(hourly) - 11] = np.convolve(hourly, np.ones(24) / 24, mode="valid")
    return out


def shape_measures(hourly: np.ndarray, onset: int | None, start_hour_utc: int = 0) -> dict[str, float]:
    """Shape of an observed pile-on, from its onset to the end of the data (docs/observed.md):

    * ``peak_hours``: hours from the onset to the busiest hour;
    * ``peak_day_share``: the busiest day's share of the posts, days counted from the onset
      (whole days only);
    * ``halflife_hours``: hours from the start of the busiest hour until half of the posts made
      from it on had been made (within the data);
    * ``rhythm_amplitude``: the relative amplitude of the 24-hour Fourier component of hourly
      volume divided by its centred 24-hour average (the whole series: 0 for no daily rhythm, 1
      when the trough reaches zero), and ``rhythm_peak_utc``, the UTC hour of its peak;
    * ``second_waves``: later peaks of the day-smoothed volume above ``SECOND_WAVE_SHARE`` of its
      main peak, each after the volume fell below ``TROUGH_SHARE`` of it since the previous wave.

    ``start_hour_utc``: the UTC hour of day of ``hourly[0]``.
    """
    out = dict.fromkeys(
        ("peak_hours", "peak_day_share", "halflife_hours", "rhythm_amplitude", "rhythm_peak_utc", "second_waves"),
        float("nan"),
    )
    trend = day_smoothed(hourly)
    ok = np.flatnonzero(np.isfinite(trend) & (trend > 0))
    if len(ok) >= 48:
        phase = 2 * np.pi * (ok + start_hour_utc) / 24.0
        z = np.mean((hourly[ok] / trend[ok] - 1.0) * np.exp(-1j * phase))
        out["rhythm_amplitude"] = float(2 * abs(z))
        out["rhythm_peak_utc"] = float((-np.angle(z) * 24 / (2 * np.pi)) % 24)
    if onset is None:
        return out
    after = np.asarray(hourly[onset:], float)
    peak = int(np.argmax(after))
    out["peak_hours"] = float(peak)
    days = after[: len(after) // 24 * 24].reshape(-1, 24).sum(axis=1)
    if len(days) and days.sum() > 0:
        out["peak_day_share"] = float(days.max() / days.sum())
    tail = np.cumsum(after[peak:])
    out["halflife_hours"] = float(np.searchsorted(tail, tail[-1] / 2.0) + 1)
    smooth = trend[onset:]
    if np.isfinite(smooth).any():
        top = int(np.nanargmax(smooth))
        main, trough, waves = smooth[top], smooth[top], 0
        for t in range(top + 1, len(smooth) - 1):
            if not np.isfinite(smooth[t + 1]):
                break
            trough = min(trough, smooth[t])
            local_max = smooth[t] >= smooth[t - 1] and smooth[t] > smooth[t + 1]
            if local_max and smooth[t] >= SECOND_WAVE_SHARE * main and trough <= TROUGH_SHARE * smooth[t]:
                waves += 1
                trough = smooth[t]
        out["second_waves"] = float(waves)
    return out
