"""The validation report: calibrate and forecast every cascade of a folder, tabulate, and plot.

One reference table (see :mod:`experiments.calibrate`) is simulated for the whole folder, its runs
followed to 72 hours, and a population prior for forecasting is learned from all the folder's
cascades (:class:`experiments.forecast.PopulationPrior`; each cascade's forecast leaves itself
out). Then each cascade, on a pool of local processes, is fitted over its first 150 minutes (the
NRMSE of its scale, depth and breadth curves) and forecast from its first hour (against the Hawkes
baseline). Each finished cascade is appended to ``validation.csv`` at once; run again on the same
output folder, the report skips the cascades already there.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..output import safe_name
from ..parallel import parallel_map
from .calibrate import ReferenceTable, Simulator, calibrate
from .curves import BIN, WINDOW
from .forecast import HORIZON, OBSERVE, POINTS, PopulationPrior, count_times, forecast
from .readers import Cascade

COLUMNS = [
    *("cascade", "label", "posts", "nrmse_scale", "nrmse_depth", "nrmse_breadth"),
    *("forecast_error", "forecast_error_hawkes", "forecast_error_unpooled", "forecast_nrmse", "forecast_nrmse_hawkes"),
]


def validate_one(
    c: Cascade, simulator: Simulator, table: ReferenceTable, prior: PopulationPrior | None = None, refine: int = 128
) -> tuple[dict, Any]:
    """The report's row for one cascade, and its 150-minute comparison (for the figure)."""
    t0 = time.perf_counter()
    cal = calibrate([c], simulator, table=table, refine=refine, window=WINDOW, bin_minutes=BIN)
    m = cal.metrics().iloc[0].to_dict()
    row = {
        "cascade": c.name,
        "label": c.meta.get("label"),
        "posts": len(c),
        **{k: m[k] for k in ("nrmse_scale", "nrmse_depth", "nrmse_breadth")},
        **forecast(c, table, prior),
        **{f"fit150_{k}": v for k, v in cal.best.items()},
    }
    row["seconds"] = time.perf_counter() - t0
    return row, cal.comparisons[0]


def run_validation(
    cascades: list[Cascade],
    out: Path,
    points: int = POINTS,
    replicates: int = 3,
    refine: int = 128,
    workers: int = 2,
    figures: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
    training: list[Cascade] | None = None,
) -> pd.DataFrame:
    """Validate every cascade, writing ``out/validation.csv`` row by row, then the figures.

    The forecasts' population prior is learned from ``training`` if given (a held-out set), else
    from ``cascades`` themselves, each forecast leaving its own cascade out."""
    out.mkdir(parents=True, exist_ok=True)
    table_csv = out / "validation.csv"
    learned_from = "the other cascades" if training is None else sorted(c.name for c in training)
    settings = {"points": points, "replicates": replicates, "refine": refine, "learned_from": learned_from}
    check_settings(out, settings)
    done = set(pd.read_csv(table_csv, dtype={"cascade": str})["cascade"]) if table_csv.is_file() else set()
    todo = [c for c in cascades if c.name not in done]
    simulator = Simulator()
    if todo:
        report = (lambda d, n: progress("reference table", d, n)) if progress else None
        table = ReferenceTable.build(
            simulator, points=points, replicates=replicates, workers=workers, progress=report, count_times=count_times()
        )
        prior = PopulationPrior.learn(table, training or cascades)  # all of them: a resumed report agrees
        (out / "cascades").mkdir(exist_ok=True)
        taken: set[str] = set()  # a cascade's name comes from the data: a safe file name in cascades/
        args = [(c, refine, figures, str(out / "cascades" / f"{safe_name(c.name, taken)}.png")) for c in todo]
        with closing(parallel_map(_one, args, (simulator, table, prior), workers=workers, ordered=False)) as rows:
            _consume(rows, table_csv, len(todo), progress)
    result = pd.read_csv(table_csv, dtype={"cascade": str})
    keep = {c.name for c in cascades}
    growth = None
    if training is not None:
        growth = [np.sum(c.minutes <= HORIZON) / max(np.sum(c.minutes <= OBSERVE), 1) for c in training]
    result = with_naive(result[result["cascade"].isin(keep)], growth)
    if figures:
        from ..plots import save
        from .figures import validation_forecast_figure, validation_nrmse_figure

        save(validation_nrmse_figure(result), out / "nrmse.png")
        save(validation_forecast_figure(result), out / "forecast.png")
    return result


def check_settings(out: Path, settings: dict[str, Any]) -> None:
    """Record the settings of a validation in ``out/validation_settings.json``; a rerun resumes the
    folder only with the same settings, so that ``validation.csv`` never mixes rows made two ways.

    Raises:
        ValueError: ``out`` holds rows made with other settings; names them.
    """
    record = out / SETTINGS
    table_csv = out / "validation.csv"
    if table_csv.is_file() and record.is_file():
        try:
            before = json.loads(record.read_text(encoding="utf-8"))
        except (ValueError, OSError) as e:
            raise ValueError(f"{record}: cannot read the settings of the rows in {table_csv.name} ({e})") from None
        changed = [
            f"{k}={_short(before.get(k))} there, {_short(v)} now" for k, v in settings.items() if before.get(k) != v
        ]
        if changed:
            raise ValueError(
                f"{out}: its {table_csv.name} was made with other settings ({'; '.join(changed)}); resuming would "
                f"mix rows made two ways: give another --out, or delete {table_csv} to start afresh"
            )
        return
    if table_csv.is_file():
        print(
            f"note: {table_csv} has no record of its settings (an older pileon): resumed as if made with these",
            file=sys.stderr,
        )
    record.write_text(json.dumps(settings, indent=1) + "\n", encoding="utf-8")


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


SETTINGS = "validation_settings.json"

FORECASTS = (
    *("forecast_error", "forecast_error_hawkes", "forecast_error_unpooled", "forecast_error_naive"),
    *("forecast_nrmse", "forecast_nrmse_hawkes"),
)


def medians(result: pd.DataFrame) -> dict[str, float]:
    """Medians of the report's columns. The forecasts' medians are over the cascades every forecast
    scored (``forecast_cascades``: Hawkes needs 3 posts in the first hour), the naive forecast
    (:func:`with_naive`) included."""
    if "forecast_error_naive" not in result:
        result = with_naive(result)
    out = {c: float(np.nanmedian(result[c].to_numpy(float))) for c in COLUMNS[3:6] if c in result}
    scored = result.dropna(subset=[c for c in FORECASTS if c in result])
    out |= {c: float(np.median(scored[c].to_numpy(float))) for c in FORECASTS if c in scored and len(scored)}
    return out | {"forecast_cascades": len(scored), "cascades": len(result)}


def with_naive(result: pd.DataFrame, training_growth: list[float] | None = None) -> pd.DataFrame:
    """``result`` with ``forecast_error_naive``: the first-hour count times the median growth of
    ``training_growth`` if given (final / first-hour size of held-out cascades), else of the other
    cascades of ``result`` (:func:`naive_forecast_errors`; it needs two)."""
    if not {"final_actual", "observed_first_hour"} <= set(result.columns):
        return result
    if training_growth is not None:
        guess = result["observed_first_hour"] * float(np.median(training_growth))
        return result.assign(forecast_error_naive=(guess - result["final_actual"]).abs() / result["final_actual"])
    if len(result) < 2:
        return result
    return result.assign(forecast_error_naive=naive_forecast_errors(result))


def naive_forecast_errors(result: pd.DataFrame) -> np.ndarray:
    """Relative errors of the naive forecast: a cascade's first-hour count times the median growth
    (final / first hour) of the other cascades of the report (leave one out)."""
    growth = (result["final_actual"] / result["observed_first_hour"]).to_numpy(float)
    first = result["observed_first_hour"].to_numpy(float)
    actual = result["final_actual"].to_numpy(float)
    others = [np.median(np.delete(growth, i)) for i in range(len(growth))]
    return np.abs(first * np.array(others) - actual) / actual


def _one(state: tuple[Simulator, ReferenceTable, PopulationPrior], arg: tuple[Cascade, int, bool, str]) -> dict:
    c, refine, figure, figure_path = arg
    row, comparison = validate_one(c, *state, refine=refine)
    if figure:
        from ..plots import save
        from .figures import comparison_figure

        save(comparison_figure(comparison), Path(figure_path))
    return row


def _consume(rows: Any, table_csv: Path, total: int, progress: Callable[[str, int, int], None] | None) -> None:
    header = list(pd.read_csv(table_csv, nrows=0).columns) if table_csv.is_file() else None
    for k, row in enumerate(rows, 1):
        frame = pd.DataFrame([row])
        if header is None:  # the first row fixes the columns: the report's first, then the rest
            header = [*COLUMNS, *[c for c in frame.columns if c not in COLUMNS]]
            frame.reindex(columns=header).to_csv(table_csv, index=False)
        else:
            frame.reindex(columns=header).to_csv(table_csv, mode="a", header=False, index=False)
        if progress:
            progress("cascades", k, total)
