"""The notebooks run end to end and show what they say they show (outputs are not committed; the
test executes them, then asks the notebook's own kernel for its key numbers)."""

from __future__ import annotations

import json
from pathlib import Path

import nbclient
import nbformat

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

# For each notebook: a cell appended to the executed notebook that prints its key results as JSON,
# and the number of figures it draws.
PROBES = {
    "01_anatomy_of_a_pile_on": (
        """{
            "posts": result.summary["total_posts"], "hostile_share": result.summary["hostile_share"],
            "anchors": [r["ok"] for r in check_buffy(buffy_measures(result))],
            "posts_by_audience": hubs.groupby("target's followers")["posts"].median().tolist(),
            "posts_by_trending": trend.groupby("")["posts"].mean().to_dict(),
            "hostile_share_by_norm_learning": norms.groupby("norm_learning")["hostile share of replies"].mean().tolist(),
        }""",
        3,
    ),
    "02_testing_interventions": (
        """{
            "runs": done.ran,
            "attacks": effects[effects.metric == "attacks_received"].set_index("arm")["rel_change"].to_dict(),
            "store_rows": len(runs), "versions": runs["pileon_version"].notna().all().item(),
        }""",
        3,
    ),
    "03_calibrating": (
        """{
            "posts": len(cascade),
            "nrmse": cal.metrics()[["nrmse_scale", "nrmse_depth", "nrmse_breadth"]].iloc[0].tolist(),
            "template": [nrmse(template[:, i], own[:, i]) for i in range(3)],
            "inside_priors": bool(((cal.intervals()["prior_low"] <= cal.intervals()["fitted"])
                                   & (cal.intervals()["fitted"] <= cal.intervals()["prior_high"])).all()),
            "forecast": {k: float(fc[k]) for k in ("observed_first_hour", "final_pileon_low", "final_pileon",
                                                    "final_pileon_high", "final_actual")},
        }""",
        3,
    ),
}


def test_every_notebook_has_its_checks():
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == sorted(PROBES)


def run(name: str) -> tuple[dict, int]:
    """Execute a notebook (a failing cell raises nbclient's CellExecutionError, with the cell and
    its traceback); return its probe's numbers and the number of figures drawn."""
    path = NOTEBOOKS / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), "commit notebooks without outputs"
    probe, _ = PROBES[name]
    nb.cells.append(nbformat.v4.new_code_cell(f"import json as _json\nprint(_json.dumps({probe}))"))
    resources = {"metadata": {"path": str(path.parent)}}  # the notebooks' own folder, as Jupyter runs them
    # the timeout only guards against a hang: a notebook takes under a minute alone, but a sweep cell
    # took over 300 s on a 2-core machine shared with other work
    nbclient.NotebookClient(nb, timeout=1200, kernel_name="python3", resources=resources).execute()
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("name") == "stdout")
    figures = sum("image/png" in o.get("data", {}) for c in nb.cells[:-1] if c.cell_type == "code" for o in c.outputs)
    return json.loads(printed), figures


def test_anatomy_of_a_pile_on():
    got, figures = run("01_anatomy_of_a_pile_on")
    assert figures == PROBES["01_anatomy_of_a_pile_on"][1]
    assert got["posts"] > 5_000 and 0.6 <= got["hostile_share"] <= 0.9
    assert got["anchors"][:4] == [True, True, True, True]  # the #Buffy anchors the text walks through
    assert len(got["posts_by_audience"]) == 3 and min(got["posts_by_audience"]) > 0
    assert got["posts_by_trending"]["with trending"] > got["posts_by_trending"]["without trending"]
    without, _, strong = got["hostile_share_by_norm_learning"]
    assert without < strong  # learning the norm from what one sees tilts replies to the majority side


def test_testing_interventions():
    got, figures = run("02_testing_interventions")
    assert figures == PROBES["02_testing_interventions"][1]
    assert got["runs"] == got["store_rows"] == 8 * 7 and got["versions"]
    attacks = got["attacks"]
    assert attacks["friction(friction.cancel=0.3)"] < attacks["friction(friction.cancel=0.09)"] < 0
    assert (
        attacks["removal(removal.delay=15)"]
        < attacks["removal(removal.delay=60)"]
        < attacks["removal(removal.delay=240)"]
    )


def test_calibrating():
    got, figures = run("03_calibrating")
    assert figures >= PROBES["03_calibrating"][1]
    assert got["posts"] > 50 and got["inside_priors"]
    # an in-sample fit: its error is shown beside the one-number template's (the notebook's point is
    # that the template can match it, so only their being computed and finite is checked)
    assert all(0 <= x < 1 for x in got["nrmse"]) and all(0 <= x < 1 for x in got["template"])
    f = got["forecast"]
    assert f["observed_first_hour"] <= f["final_pileon_low"] <= f["final_pileon"] <= f["final_pileon_high"]
    assert f["final_actual"] >= f["observed_first_hour"]
