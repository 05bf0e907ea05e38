"""The model against observed cascades: readers (:mod:`.readers`), curves and comparisons
(:mod:`.curves`), calibration by ABC (:mod:`.calibrate`), forecasts (:mod:`.forecast`), the Hawkes
baseline (:mod:`.hawkes`), the validation report (:mod:`.validate`) and their figures
(:mod:`.figures`)."""

from .calibrate import Calibration, ReferenceTable, Simulator, calibrate
from .curves import Comparison, curves, nrmse
from .forecast import PopulationPrior, forecast
from .readers import Cascade, load
from .validate import run_validation

__all__ = [
    "Calibration",
    "Cascade",
    "Comparison",
    "PopulationPrior",
    "ReferenceTable",
    "Simulator",
    "calibrate",
    "curves",
    "forecast",
    "load",
    "nrmse",
    "run_validation",
]
