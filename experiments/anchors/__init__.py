"""The #Buffy anchors: soft points of the observed pile-on, the two-sided ranges a run is checked
against, and the documented configuration of the case (the victim going private, the
counter-hashtag).

``anchors.csv`` holds the facts as the press reported them. :data:`CHECKS` turns each into a range
a run's measure must fall into, with the reading that gives the range, and says whether the check
is *evidence* (the model could fail it) or *fixed by inputs* (a parameter sets it, so passing it
says nothing about the model). :func:`distance` is how far a run lies outside the evidence ranges,
the distance the ABC calibration (:mod:`.calibrate`) accepts on.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pileon.model.decisions import ATTACK, DEFEND
from pileon.model.interventions import CounterSpeech, Intervention, VictimProtection
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


@dataclass(frozen=True)
class Check:
    """A two-sided range a run's measure must fall into, read from one row of anchors.csv.

    ``measures`` names one measure of :func:`buffy_measures`, or two that bound a moment the press
    does not give (posts by 14:00 and by 19:00, the interview's window): the run passes if some
    moment of the window falls in the range, i.e. if the two intervals overlap.
    """

    quantity: str  # the row of anchors.csv
    measures: tuple[str, ...]
    low: float
    high: float
    unit: str
    evidence: bool  # False: the run's inputs set it, so passing says nothing about the model
    reading: str  # how the press report becomes this range
    log: bool = False  # distances in log10 units (counts)

    def interval(self, m: dict[str, Any]) -> tuple[float, float]:
        """The run's value (or, for a window, the values at its two ends)."""
        values = [float(m[k]) for k in self.measures]
        return min(values), max(values)

    def distance(self, m: dict[str, Any]) -> float:
        """How far the run lies outside the range, in widths of the range (0 inside)."""
        lo, hi = self.interval(m)
        f = _log if self.log else float
        width = f(self.high) - f(self.low) if math.isfinite(self.high) else max(abs(f(self.low)), 1.0)
        gap = max(f(self.low) - f(hi), f(lo) - f(self.high), 0.0)
        return gap / width if math.isfinite(gap) else math.inf

    def expected(self) -> str:
        """The range in words."""
        show = _clock if self.unit == "clock time" else (lambda x: f"{x:,.0f}" if x >= 100 else f"{x:g}")
        if not math.isfinite(self.high):
            text = f">= {show(self.low)}"
        else:
            text = f"{show(self.low)}-{show(self.high)}"
        if len(self.measures) == 2:
            text += " at some moment of the interview window (14:00-19:00)"
        return text + ("" if self.evidence else "; fixed by inputs")


def _log(x: float) -> float:
    return math.log10(x) if x > 0 else -math.inf


# The ranges, with the reading of the press report behind each (docs/model.md, "The #Buffy
# anchors"). Evidence: onset, posts by the interview, hostile share. Fixed by inputs: the rest.
CHECKS: tuple[Check, ...] = (
    Check(
        "seed_post_clock_time",
        ("seed_post_clock_time",),
        8.0,
        10.5,
        "clock time",
        False,
        "the post came in the morning, before the hostile wave (08:00-10:30); the run's seed_clock sets it",
    ),
    Check(
        "hostile_wave_onset_clock_time",
        ("hostile_wave_onset_clock_time",),
        10.0,
        11.5,
        "clock time",
        True,
        "'violent, misogynist tweets since 11 a.m.': the wave was under way by 11:00 and a reporter's 'since "
        "11' rounds to the hour; the measured onset (hourly attacks first at 10% of their peak) may precede "
        "what a reader notices by up to an hour and follow the rounded hour by half an hour",
    ),
    Check(
        "posts_about_case_by_interview",
        ("posts_by_14h", "posts_by_19h"),
        3000.0,
        15000.0,
        "posts",
        True,
        "'there have already been 5,000 tweets', said at an interview some time 14:00-19:00: a round number "
        "from what the victim saw (her mentions and notifications), so the total about the case may be a "
        "few times more (reshares she was not notified of) and somewhat less (rounded up): 0.6x to 3x",
        log=True,
    ),
    Check(
        "hostile_share_of_quoted_replies",
        ("hostile_share",),
        0.6,
        0.8,
        "",
        True,
        "of the replies the article quotes, most are hostile, a minority supportive or neutral: "
        "attacks / (attacks + defences) over the seed day in 0.6-0.8",
    ),
    Check(
        "victim_goes_private",
        ("private_clock_time",),
        0.0,
        24.0,
        "clock time",
        False,
        "she set her profile to private the same day; the protect intervention's start sets it",
    ),
    Check(
        "counter_hashtag_trending",
        ("counter_hashtag_volume_over_threshold",),
        1.0,
        math.inf,
        "",
        False,
        "the counter-hashtag became a trending topic: its hourly volume reaches the run's trend_threshold; the "
        "campaign's posts and duration set it",
    ),
    Check(
        "counter_hashtag_uses",
        ("counter_hashtag_uses",),
        1300.0,
        math.inf,
        "posts",
        False,
        "used more than 1,300 times (secondary source); the campaign's posts set it",
    ),
)

# The documented configuration of the case: she went private and a feminist association launched
# #harcelementdomicile the same day (anchors.csv). The times are our reading ("the same day", the
# counter-hashtag after the wave had begun); the share of mocking uses is assumed from "much of it to
# mock her" (a secondary source; no count is given).
PROTECT_START = 4.0  # hours after the seed post (13:00)
CAMPAIGN = {"start": 3.0, "duration": 6.0, "posts": 1400, "mocking": 0.5}  # "more than 1,300" uses


def documented_interventions() -> list[Intervention]:
    """The victim going private and the counter-hashtag campaign, as the case had them."""
    return [VictimProtection(start=PROTECT_START), CounterSpeech(**CAMPAIGN)]


def hostile_onset_step(result: RunResult, share_of_peak: float = 0.1, until: int | None = None) -> int | None:
    """First step at which attacks over the past hour reach ``share_of_peak`` of their hourly peak
    (the peak over the steps before ``until``, all by default)."""
    rolling = result.hourly_attacks()[:until]
    if rolling.max(initial=0) == 0:
        return None
    return int(np.argmax(rolling >= share_of_peak * rolling.max()))


def buffy_measures(result: RunResult) -> dict[str, Any]:
    """The quantities of a run that the #Buffy anchors speak of.

    Everything the press reported is of the seed day (the article was written that day and quotes
    its replies), so the onset's peak and the hostile share are taken over the seed day, to
    midnight: a run that stops at midnight has the same measures as one that goes on.
    """
    day = dt.datetime.combine(result.start.date(), dt.time())
    midnight = math.ceil((day + dt.timedelta(days=1) - result.start).total_seconds() / 60.0 / result.step_minutes)
    onset = hostile_onset_step(result, until=midnight)
    ev = result.events
    today = ev["step"] < midnight
    attacks = int(np.count_nonzero(today & (ev["action"] == ATTACK)))
    defences = int(np.count_nonzero(today & (ev["action"] == DEFEND)))
    out: dict[str, Any] = {
        "seed_post_clock_time": _hours(result.start - day),
        "hostile_wave_onset_clock_time": _hours(result.clock(onset) - day) if onset is not None else math.inf,
        "posts_by_14h": result.posts_by(day + dt.timedelta(hours=14)),
        "posts_by_19h": result.posts_by(day + dt.timedelta(hours=19)),
        "hostile_share": attacks / (attacks + defences) if attacks + defences else math.nan,
    }
    ivs = {iv["kind"]: iv for iv in result.interventions}
    if "protect" in ivs:  # the victim going private
        acted = ivs["protect"]["acted_at"]
        out["private_clock_time"] = _hours(result.clock(acted) - day) if acted is not None else math.inf
    if "counter_speech" in ivs:  # the counter-hashtag: its posts, and their hourly volume against the trend threshold
        cs = ivs["counter_speech"]
        posts = cs["report"]["campaign_posts"]
        out["counter_hashtag_uses"] = posts
        out["counter_hashtag_volume_over_threshold"] = (
            posts / cs["duration"] / max(result.params["trend_threshold"], 1e-9)
        )
    return out


def check_buffy(measures: dict[str, Any]) -> list[dict[str, Any]]:
    """Compare measures (of one run, or medians over runs) with every check of :data:`CHECKS`.

    Returns one row per check: ``quantity, value, expected, ok, evidence, distance``; a check the
    run cannot speak to (the victim going private without ``protect``, the counter-hashtag without
    ``counter_speech``) says so in ``expected`` and has ``ok`` and ``distance`` None.
    """
    rows = []
    for c in CHECKS:
        if not all(k in measures for k in c.measures):
            need = "protect" if c.quantity == "victim_goes_private" else "counter_speech"
            rows.append(_row(c, None, f"not checked: run with --intervene {need}", None, None))
            continue
        d = c.distance(measures)
        rows.append(_row(c, _value_text(c, measures), c.expected(), d == 0.0, d))
    return rows


def distance(measures: dict[str, Any], checks: Sequence[Check] = CHECKS) -> float:
    """Sum over the evidence checks of how far the run lies outside each range (0: all inside).

    A check whose measures the run does not have (a run stopped early) is left out, so the sum
    is then a lower bound."""
    return float(sum(c.distance(measures) for c in checks if c.evidence and all(k in measures for k in c.measures)))


def _row(c: Check, value: Any, expected: str, ok: bool | None, d: float | None) -> dict[str, Any]:
    return {
        "quantity": c.quantity,
        "value": value,
        "expected": expected,
        "ok": ok,
        "evidence": c.evidence,
        "distance": None if d is None else round(d, 4),
    }


def _value_text(c: Check, m: dict[str, Any]) -> Any:
    if c.quantity == "posts_about_case_by_interview":
        return f"{m['posts_by_14h']:,.0f} by 14:00, {m['posts_by_19h']:,.0f} by 19:00"
    v = float(m[c.measures[0]])
    if c.unit == "clock time":
        return _clock(v)
    if c.quantity == "counter_hashtag_trending":
        return f"{v:.1f}x the trend threshold"
    return round(v, 3) if c.unit == "" else f"{v:,.0f}"


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
