"""Studies built on the model (installed as ``pileon.experiments``).

* :mod:`.sweeps`: experiment files, sweeps over many seeded runs, the result store, reports;
* :mod:`.observed`: readers of real cascades, curves and null models, calibration, forecasts,
  the Hawkes baseline, validation;
* :mod:`.anchors`: the #Buffy case's observed facts, and checks of a run against them;
* :mod:`.cli`: the ``pileon`` command; :mod:`.app`: the interactive view;
* :mod:`.output` (a run written to disk with its provenance) and :mod:`.plots` (a run's figure).
"""
