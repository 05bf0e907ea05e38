"""Experiments over many seeded runs: the experiment file (:mod:`.design`), running it
(:mod:`.run`), the result store (:mod:`.store`), effects and figures (:mod:`.report`,
:mod:`.figures`)."""

from .design import BASELINE, Experiment, ExperimentError, RunSpec, load, parse
from .report import paired_effects, write_report
from .run import RunError, sweep
from .store import Store, StoreError

__all__ = [
    "BASELINE",
    "Experiment",
    "ExperimentError",
    "RunError",
    "RunSpec",
    "Store",
    "StoreError",
    "load",
    "paired_effects",
    "parse",
    "sweep",
    "write_report",
]
