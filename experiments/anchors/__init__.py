"""The #Buffy anchors: soft points of the observed pile-on, and checks of a run against them."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pileon.model.results import RunResult

ANCHORS_CSV = Path(__file__).parent / "data" / "buffy_2017" / "anchors.csv"
_COLUMNS = ["quantity", "low", "high", "unit", "note"]


@dataclass(frozen=True)
class Anchor:
    """One row of anchors.csv: a range an observed quantity fell into."""

    quantity: str
    low: str
    high: str
    unit: str
    note: str


def load_anchors(path: str | Path = ANCHORS_CSV) -> dict[str, Anchor]:
    """Read an anchors file (columns ``quantity,low,high,unit,note``) keyed by quantity.

    Raises:
        FileNotFoundError: no such file.
        ValueError: wrong header or a short line; the message names the file and line.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such anchors file")
    out: dict[str, Anchor] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader, [])
        if header != _COLUMNS:
            raise ValueError(f"{path}, line 1: expected header {','.join(_COLUMNS)!r}, found {','.join(header)!r}")
        for row in reader:
            if len(row) != len(_COLUMNS):
                raise ValueError(f"{path}, line {reader.line_num}: expected {len(_COLUMNS)} fields, found {len(row)}")
            out[row[0]] = Anchor(*row)
    return out


def hostile_onset_step(result: RunResult, share_of_peak: float = 0.1) -> int | None:
    """First step at which attacks over the past hour reach ``share_of_peak`` of their hourly peak."""
    rolling = result.hourly_attacks()
    if rolling.max(initial=0) == 0:
        return None
    return int(np.argmax(rolling >= share_of_peak * rolling.max()))


def buffy_measures(result: RunResult) -> dict[str, Any]:
    """The quantities of a run that the #Buffy anchors speak of."""
    day = dt.datetime.combine(result.start.date(), dt.time())
    onset = hostile_onset_step(result)
    out: dict[str, Any] = {
        "seed_post_clock_time": _hours(result.start - day),
        "hostile_wave_onset_clock_time": _hours(result.clock(onset) - day) if onset is not None else float("inf"),
        "posts_by_14h": result.posts_by(day + dt.timedelta(hours=14)),
        "posts_by_19h": result.posts_by(day + dt.timedelta(hours=19)),
        "hostile_share": result.summary["hostile_share"],
    }
    ivs = {iv["kind"]: iv for iv in result.interventions}
    if "protect" in ivs:  # the victim going private
        acted = ivs["protect"]["acted_at"]
        out["private_clock_time"] = _hours(result.clock(acted) - day) if acted is not None else float("inf")
    if "counter_speech" in ivs:  # the counter-hashtag: its posts, and their hourly volume
        cs = ivs["counter_speech"]
        posts = cs["report"]["campaign_posts"]
        out["counter_hashtag_uses"] = posts
        out["counter_hashtag_hourly"] = posts / cs["duration"]
    return out


def check_buffy(
    measures: dict[str, Any], anchors: dict[str, Anchor] | None = None, trend_threshold: float = 30.0
) -> list[dict[str, Any]]:
    """Compare measures (of one run, or medians over runs) with every anchor a run can be checked on.

    The victim going private and the counter-hashtag are checked when the run had the ``protect``
    and ``counter_speech`` interventions; ``trend_threshold`` is the run's (the volume a topic needs
    to trend).

    Returns one row per anchor: ``quantity, value, expected, ok``; anchors the run cannot speak to
    say so in ``expected`` and have ``ok`` None.
    """
    a = anchors or load_anchors()
    seed = a["seed_post_clock_time"]
    onset = a["hostile_wave_onset_clock_time"]
    posts = a["posts_about_case_by_interview"]
    interview = a["interview_clock_time"]
    share = a["hostile_share_of_quoted_replies"]
    need = float(posts.low)
    rows = [
        _row(
            "seed_post_clock_time",
            _clock(measures["seed_post_clock_time"]),
            f"{seed.low}-{seed.high}",
            _h(seed.low) <= measures["seed_post_clock_time"] <= _h(seed.high),
        ),
        _row(
            "hostile_wave_onset_clock_time",
            _clock(measures["hostile_wave_onset_clock_time"]),
            f"by {onset.high} (hourly attacks at 10% of their peak)",
            measures["hostile_wave_onset_clock_time"] <= _h(onset.high),
        ),
        _row(
            "posts_about_case_by_interview",
            f"{measures['posts_by_14h']:,.0f} by 14:00, {measures['posts_by_19h']:,.0f} by 19:00",
            f">= {need:g} by the interview ({interview.low}-{interview.high})",
            measures["posts_by_19h"] >= need,
        ),
        _row(
            "hostile_share_of_quoted_replies",
            round(float(measures["hostile_share"]), 3),
            f"{share.low}-{share.high} (attacks / (attacks + defences))",
            float(share.low) <= measures["hostile_share"] <= float(share.high),
        ),
    ]
    if "private_clock_time" in measures:
        rows.append(
            _row(
                "victim_goes_private",
                _clock(measures["private_clock_time"]),
                "the same day (before 24:00)",
                measures["private_clock_time"] < 24.0,
            )
        )
    else:
        rows.append(_row("victim_goes_private", None, "not checked: run with --intervene protect", None))
    if "counter_hashtag_uses" in measures:
        threshold = float(trend_threshold)
        rows.append(
            _row(
                "counter_hashtag_trending",
                f"{measures['counter_hashtag_hourly']:.0f} posts/hour",
                f">= trend_threshold ({threshold:g}): enough volume to trend on its own",
                measures["counter_hashtag_hourly"] >= threshold,
            )
        )
        uses = a["counter_hashtag_uses"]
        rows.append(
            _row(
                "counter_hashtag_uses",
                f"{measures['counter_hashtag_uses']:,}",
                f">= {uses.low} campaign posts",
                measures["counter_hashtag_uses"] >= float(uses.low),
            )
        )
    else:
        for name in ("counter_hashtag_trending", "counter_hashtag_uses"):
            rows.append(_row(name, None, "not checked: run with --intervene counter_speech", None))
    return rows


def _row(quantity: str, value: Any, expected: str, ok: bool | None) -> dict[str, Any]:
    return {"quantity": quantity, "value": value, "expected": expected, "ok": None if ok is None else bool(ok)}


def _h(hhmm: str) -> float:
    h, m = hhmm.split(":")
    return int(h) + int(m) / 60.0


def _hours(d: dt.timedelta) -> float:
    return d.total_seconds() / 3600.0


def _clock(hours: float) -> str:
    if not np.isfinite(hours):
        return "never"
    minutes = int(round(hours * 60))
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
