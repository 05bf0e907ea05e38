"""Regenerate tests/data/golden_small.json: run only when a change to the model is meant to change results.

    .venv/bin/python -m tests.regenerate_golden

The golden test then checks that nothing else changes them. Say in the commit why they changed.
"""

from __future__ import annotations

import json
from pathlib import Path

from pileon.model import OutrageModel
from pileon.model.scenarios import buffy

GOLDEN = Path(__file__).parent / "data" / "golden_small.json"
PARAMS = {"n_users": 20_000, "target_followers": 300, "horizon_hours": 12.0}
SEED = 1


def golden_run() -> dict:
    """The small scenario's summary and per-hour counts by action."""
    r = OutrageModel(buffy().replace(**PARAMS), seed=SEED).run()
    hourly = r.counts.reshape(-1, 60, r.counts.shape[1]).sum(axis=1)
    return {"params": PARAMS, "seed": SEED, "summary": r.summary, "hourly_counts": hourly.tolist()}


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(golden_run(), indent=1) + "\n")
    print(f"wrote {GOLDEN}")
