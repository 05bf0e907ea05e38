"""Writing a run to disk with its provenance: timeline, event log, summary and figure."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path
from typing import Any

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
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=5).stdout.strip()  # fmt: skip
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
    paths["summary"].write_text(json.dumps(_jsonable(doc), indent=2) + "\n", encoding="utf-8")
    return paths


def _jsonable(x: Any) -> Any:
    """NaN and infinities as null (JSON has neither), recursively."""
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x
