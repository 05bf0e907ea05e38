"""The one rule for the seeds of runs that fan out from a base seed (sweeps, comparisons,
calibration, validation): NumPy's ``SeedSequence`` over the base seed and the run's keys.

Unlike arithmetic on seeds (``seed * 1000 + i``), streams derived this way never overlap: seed 1's
replicate 1000 is not seed 2's replicate 0.
"""

from __future__ import annotations

import numpy as np

# Keys that name what a seed is for, so that two uses of one base seed draw apart.
REPLICATE = 0  # the replicates of a comparison or of a calibration point
RECHECK = 1  # the replicates that recheck a calibration's closest points
REFINE = 2  # the draws of a calibration's refinement round
ANCHORS = 3  # the runs of the #Buffy calibration, one per design point


def derive_seed(base: int, *keys: int) -> int:
    """A run's seed from a base seed and its keys (e.g. point and replicate): a non-negative
    63-bit integer, the same for the same arguments on every machine."""
    return int(np.random.SeedSequence([base, *keys]).generate_state(1, np.uint64)[0] >> 1)
