"""Writing a run to disk with its provenance (timeline, event log, summary), and the one way a
result's values are written as plain JSON (here and in a sweep's store) and read back."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path
from typing import Any

import numpy as np

from pileon.model.results import RunResult


def package_version() -> str:
    """pileon's version."""
    from pileon import __version__

    return __version__


def git_commit() -> str | None:
    """Commit of the checkout this code runs from, with ``+dirty`` for uncommitted changes."""
    here = Path(__file__).resolve().parent
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
        if sha.returncode != 0:
            return None
        status = ["git", "status", "--porcelain", "--untracked-files=no"]
        dirty = subprocess.run(status, cwd=here, capture_output=True, text=True, timeout=5).stdout.strip()
        return sha.stdout.strip() + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def provenance() -> dict[str, Any]:
    """What produced a result: package version and git commit."""
    return {"pileon_version": package_version(), "git_commit": git_commit()}


def write_run(result: RunResult, out: str | Path, extra: dict[str, Any] | None = None) -> dict[str, Path]:
    """Write ``timeline.csv``, ``events.parquet``, ``summary.json`` into folder ``out``.

    The summary holds the metrics under ``summary``, the parameters, seed and provenance, and
    whatever ``extra`` adds (for instance anchor checks).

    Returns:
        The paths written, by name.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "timeline": out / "timeline.csv",
        "events": out / "events.parquet",
        "summary": out / "summary.json",
    }
    result.timeline().to_csv(paths["timeline"], index=False)
    result.events_frame().to_parquet(paths["events"], index=False)
    doc = {
        "summary": result.summary,
        "seed": result.seed,
        "target_user": result.target,
        "seed_post_clock": result.start.isoformat(timespec="minutes"),
        "params": result.params,
        **provenance(),
        **(extra or {}),
    }
    paths["summary"].write_text(json.dumps(to_plain(doc), indent=2) + "\n", encoding="utf-8")
    return paths


def read_run_params(path: str | Path) -> dict[str, Any]:
    """The flat parameters of a run from its ``summary.json`` (:func:`write_run`): with them and
    the run's seed, the run is replayed exactly."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such run summary")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not valid JSON: {e}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("params"), dict):
        raise ValueError(f"{path}: expected a run summary with a 'params' table (pileon run writes one)")
    return from_plain(doc["params"])


_INFINITIES = {"inf": math.inf, "-inf": -math.inf}


def to_plain(x: Any) -> Any:
    """``x`` with only what JSON holds, recursively: numpy scalars and arrays as Python numbers and
    lists, tuples as lists, infinities as the text ``"inf"``/``"-inf"`` (so a parameter such as
    ``visibility_tail = inf`` survives the trip; :func:`from_plain` reads it back) and NaN, which
    stands for a missing value, as null."""
    if isinstance(x, dict):
        return {k: to_plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple | np.ndarray):
        return [to_plain(v) for v in x]
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None if math.isnan(x) else ("inf" if x > 0 else "-inf")
    return x


def from_plain(x: Any) -> Any:
    """The inverse of :func:`to_plain` for what it changed: ``"inf"``/``"-inf"`` as infinities."""
    if isinstance(x, dict):
        return {k: from_plain(v) for k, v in x.items()}
    if isinstance(x, list):
        return [from_plain(v) for v in x]
    return _INFINITIES.get(x, x) if isinstance(x, str) else x
