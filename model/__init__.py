"""pileon's simulation: the follower graph, the users, feeds, decisions and the model step.

Installed as ``pileon.model``; it imports no plotting, UI or orchestration code.
"""

from . import interventions, scenarios
from .decisions import ACTIONS
from .model import OutrageModel, UserView
from .network import Network
from .params import (
    ClassifierParams,
    DecisionParams,
    ExposureParams,
    NetworkParams,
    Params,
    PopulationParams,
    TimeParams,
)
from .results import RunResult
from .scenarios import SCENARIOS

__all__ = [
    "ACTIONS",
    "SCENARIOS",
    "ClassifierParams",
    "DecisionParams",
    "ExposureParams",
    "Network",
    "NetworkParams",
    "OutrageModel",
    "Params",
    "PopulationParams",
    "RunResult",
    "TimeParams",
    "UserView",
    "interventions",
    "scenarios",
]
