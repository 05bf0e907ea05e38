"""pileon: an agent-based simulator of online pile-ons and of the policies that curb them.

The public API is re-exported here::

    from pileon import OutrageModel, Params, scenarios

    result = OutrageModel(scenarios.buffy(), seed=7).run()

The simulation lives in :mod:`pileon.model` (parameters, network, users, feeds, decisions,
interventions, results); studies built on it in :mod:`pileon.experiments` (sweeps, observed
cascades, the #Buffy anchors, the command line and the interactive view).
"""

from .model import ACTIONS, Network, OutrageModel, Params, RunResult, interventions, scenarios

__version__ = "0.2.0"

__all__ = ["ACTIONS", "Network", "OutrageModel", "Params", "RunResult", "__version__", "interventions", "scenarios"]
