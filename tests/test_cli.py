"""The pileon command line, end to end, and its agreement with the Python API."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from pileon.experiments.cli import build_parser, main
from pileon.experiments.observed.calibrate import PRIORS
from pileon.experiments.output import read_run_params, to_plain
from pileon.model import OutrageModel, Params
from pileon.model.scenarios import buffy

SMALL = ["--n-users", "20000", "--target-followers", "300", "--horizon-hours", "8"]


def test_run_writes_timeline_events_summary_and_figure(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "--scenario", "buffy", "--seed", "3", "--out", str(out), *SMALL]) == 0
    summary = json.loads((out / "summary.json").read_text())
    for key in ("total_posts", "attacks_on_target", "unique_attackers", "exposures"):
        assert isinstance(summary["summary"][key], int)
    assert summary["seed"] == 3 and summary["params"]["n_users"] == 20000
    assert "git_commit" in summary and "pileon_version" in summary
    assert {r["quantity"] for r in summary["anchors"]} >= {"hostile_share_of_quoted_replies"}
    tl = pd.read_csv(out / "timeline.csv")
    assert list(tl.columns[:7]) == ["step", "minutes", "clock", "seed_post", "amplify", "attack", "defend"]
    assert len(tl) == 8 * 60 and tl["posts"].sum() == summary["summary"]["total_posts"]
    ev = pd.read_parquet(out / "events.parquet")
    assert len(ev) == summary["summary"]["total_posts"]
    assert (ev["action"] == "attack").sum() == summary["summary"]["attacks_on_target"]
    assert (out / "timeline.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "attacks_on_target" in capsys.readouterr().out


def test_cli_and_api_agree(tmp_path):
    out = tmp_path / "run"
    main(["run", "--seed", "5", "--out", str(out), "--no-plot", "--quiet", *SMALL])
    cli = json.loads((out / "summary.json").read_text())["summary"]
    api = OutrageModel(buffy().replace(n_users=20000, target_followers=300, horizon_hours=8), seed=5).run()
    assert json.loads(json.dumps(api.summary).replace("NaN", "null")) == cli


def test_help_explains_every_parameter(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--help"])
    text = capsys.readouterr().out
    for name in Params.specs():
        assert "--" + name.replace("_", "-") in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--amplify-prob", "1.7"], "command line: amplify_prob=1.7 is out of range: expected [0, 1]"),
        (["--scenario", "bufy"], "unknown scenario 'bufy' (did you mean buffy?)"),
        (["--edges", "/nonexistent/edges.csv"], "/nonexistent/edges.csv: no such edge-list file"),
    ],
)
def test_bad_input_gets_a_clear_error(tmp_path, capsys, args, message):
    assert main(["run", "--out", str(tmp_path / "x"), *args]) == 2
    assert message in capsys.readouterr().err


def test_params_file_unknown_key_and_bad_value(tmp_path, capsys):
    f = tmp_path / "p.toml"
    f.write_text("n_users = 1000\n[decisions]\nfatigue = 0.3\nfatiuge = 0.4\n")
    assert main(["run", "--params", str(f), "--out", str(tmp_path / "x")]) == 2
    assert f"{f}: [decisions] unknown parameter 'fatiuge' (did you mean fatigue?)" in capsys.readouterr().err
    f.write_text("reply_prob = 2.0\n")
    assert main(["run", "--params", str(f), "--out", str(tmp_path / "x")]) == 2
    assert "reply_prob=2.0 is out of range" in capsys.readouterr().err


def test_edge_list_file_drives_the_run_and_its_title(tmp_path, monkeypatch):
    from pileon.experiments import plots

    titles = []
    draw = plots.run_timeline_figure
    monkeypatch.setattr(plots, "run_timeline_figure", lambda *a, **kw: titles.append(kw["title"]) or draw(*a, **kw))
    edges = tmp_path / "edges.csv"
    edges.write_text("follower,followee\n" + "".join(f"u{i},hub\n" for i in range(30)))
    out = tmp_path / "run"
    args = f"run --scenario independent_cascade --edges {edges} --amplify-prob 1 --horizon-hours 0.2 --quiet"
    assert main([*args.split(), "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["params"]["n_users"] == 31 and summary["summary"]["total_posts"] == 31
    assert titles == ["#independent_cascade: 31 posts (31 users, seed 7)"]  # the file's users, not the scenario's


def test_a_runs_summary_replays_it(tmp_path):
    out = tmp_path / "run"
    assert main(["run", "--seed", "4", "--out", str(out), "--no-plot", "--quiet", *SMALL, "--fatigue", "0.3"]) == 0
    doc = json.loads((out / "summary.json").read_text())
    assert doc["params"]["visibility_tail"] == "inf"  # JSON has no infinity: written as text, read back as one
    params = Params().replace(**read_run_params(out / "summary.json"))
    assert params.visibility_tail == float("inf") and params.fatigue == 0.3 and params.n_users == 20000
    assert to_plain(OutrageModel(params, seed=doc["seed"]).run().summary) == doc["summary"]
    again = tmp_path / "again"  # the same through the command line: --params takes a summary.json
    assert main(["run", "--params", str(out / "summary.json"), "--seed", "4", "--out", str(again), "--no-plot"]) == 0
    assert json.loads((again / "summary.json").read_text())["summary"] == doc["summary"]


def test_a_params_file_may_use_concern_tables_but_not_give_a_key_twice(tmp_path, capsys):
    f = tmp_path / "p.toml"
    f.write_text("n_users = 20000\nhorizon_hours = 2\n[decisions]\nfatigue = 0.3\n")
    assert main(["run", "--params", str(f), "--out", str(tmp_path / "x"), "--no-plot", "--quiet"]) == 0
    assert json.loads((tmp_path / "x" / "summary.json").read_text())["params"]["fatigue"] == 0.3
    f.write_text("fatigue = 0.2\n[decisions]\nfatigue = 0.3\n")
    assert main(["run", "--params", str(f), "--out", str(tmp_path / "x")]) == 2
    assert f"{f}: fatigue is given twice, as fatigue and as [decisions] fatigue" in capsys.readouterr().err


TREES = Path(__file__).parent / "data" / "twitter15_16_slice"


def test_compare_prints_metrics_and_writes_figures(tmp_path, capsys):
    out = tmp_path / "cmp"
    assert main(["compare", str(TREES / "twitter16"), "--replicates", "3", "--out", str(out)]) == 0
    table = pd.read_csv(out / "comparison.csv", dtype={"cascade": str})
    assert len(table) == 2 and {"nrmse_scale", "nrmse_depth", "nrmse_breadth", "ks_time"} <= set(table.columns)
    assert len(list(out.glob("*.png"))) == 2
    assert "nrmse_scale" in capsys.readouterr().out


def test_calibrate_reports_values_with_intervals(tmp_path, capsys):
    out = tmp_path / "cal"
    tree = next((TREES / "twitter16" / "tree").glob("*.txt"))
    args = ["calibrate", str(tree), "--points", "16", "--refine", "4", "--replicates", "1", "--workers", "1"]
    assert main([*args, "--out", str(out)]) == 0
    iv = pd.read_csv(out / "intervals.csv")
    assert set(iv["parameter"]) == {p.name for p in PRIORS}
    assert ((iv["low"] <= iv["median"]) & (iv["median"] <= iv["high"])).all()
    assert ((iv["prior_low"] <= iv["fitted"]) & (iv["fitted"] <= iv["prior_high"])).all()
    assert "fitted to 1 cascade" in capsys.readouterr().out


def test_forecast_learns_a_prior_and_agrees_with_the_api(tmp_path, capsys):
    import numpy as np

    from pileon.experiments.observed.calibrate import ReferenceTable, Simulator
    from pileon.experiments.observed.forecast import PopulationPrior, count_times, forecast
    from pileon.experiments.observed.readers import read_twitter_folder

    out = tmp_path / "fc"
    table_options = ["--points", "16", "--replicates", "1", "--workers", "1"]
    args = ["forecast", str(TREES / "twitter16"), "--learn-from", str(TREES / "twitter15"), *table_options]
    args += ["--out", str(out)]
    assert main(args) == 0
    assert "a prior learned from 3 cascade(s)" in capsys.readouterr().out
    rows = pd.read_csv(out / "forecast.csv", dtype={"cascade": str})
    assert len(rows) == 2 and rows["pooled"].all() and (out / "forecast.png").is_file()
    # the same forecast through the Python API
    table = ReferenceTable.build(Simulator(), points=16, replicates=1, count_times=count_times())
    prior = PopulationPrior.learn(table, read_twitter_folder(TREES / "twitter15"))
    c = read_twitter_folder(TREES / "twitter16")[0]
    row = rows.set_index("cascade").loc[c.name]
    assert forecast(c, table, prior)["final_pileon"] == pytest.approx(row["final_pileon"])
    # a file that stops at the first hour has nothing to score against
    early = tmp_path / "early.csv"
    pd.DataFrame({"minutes": c.minutes[c.minutes <= 60]}).to_csv(early, index=False)
    assert main(["forecast", str(early), *args[2:]]) == 0
    row = pd.read_csv(out / "forecast.csv").iloc[0]
    assert np.isnan(row["forecast_error"]) and row["final_pileon"] >= row["observed_first_hour"]
    assert main(["forecast", str(early), "--observe", "0", "--out", str(out)]) == 2
    assert "--observe=0: expected minutes in (0, 4320)" in capsys.readouterr().err


def test_validate_varies_a_mechanism_in_the_reference_table(tmp_path, capsys):
    out = tmp_path / "mech"
    options = ["--limit", "1", "--points", "16", "--replicates", "1", "--workers", "1", "--no-fit", "--no-figures"]
    vary = ["--vary", "novelty_shape=0.15:1", "--vary", "pulse_rate=0.05:10"]
    assert main(["validate", str(TREES), "--out", str(out), *options, *vary]) == 0
    table = pd.read_csv(out / "validation.csv")
    for name in ("novelty_shape", "pulse_rate"):  # the matched value of each varied parameter, within its bounds
        assert table[f"fit_{name}"].between(*{"novelty_shape": (0.15, 1), "pulse_rate": (0.05, 10)}[name]).all()
    assert json.loads((out / "validation_settings.json").read_text())["vary"][0] == ["novelty_shape", 0.15, 1.0, True]
    capsys.readouterr()
    # the same folder without the mechanism is another report: refused, not mixed
    assert main(["validate", str(TREES), "--out", str(out), *options]) == 2
    assert "other settings" in capsys.readouterr().err
    for bad, message in (
        ("novelty_shape=1:0.5", "expected LOW < HIGH"),
        ("nonsense=1:2", "'nonsense' is not a numeric model parameter"),
        ("novelty_shape=0.01:1", "outside novelty_shape's range"),
        ("pulse_rate=0:3", "both above 0 on a log scale"),
        ("novelty_shape", "expected NAME=LOW:HIGH"),
        ("novelty_halflife=1:5", "already varied by the reference table"),
    ):
        assert main(["validate", str(TREES), "--out", str(tmp_path / "x"), *options, "--vary", bad]) == 2, bad
        assert message in capsys.readouterr().err, bad


def test_validate_and_bad_inputs(tmp_path, capsys):
    out = tmp_path / "val"
    options = ["--limit", "1", "--points", "16", "--refine", "4", "--replicates", "1", "--workers", "1"]
    args = ["validate", str(TREES), "--out", str(out), *options]
    assert main(args) == 0
    table = pd.read_csv(out / "validation.csv")
    for col in ("nrmse_scale", "nrmse_depth", "nrmse_breadth", "forecast_error", "forecast_error_hawkes"):
        assert col in table.columns
    assert not table["pooled"].any()  # one cascade: no other to learn a prior from
    held_out = ["validate", str(TREES / "twitter16"), "--learn-from", str(TREES / "twitter15")]
    held_out += ["--out", str(tmp_path / "held"), *options]
    assert main(held_out) == 0
    assert pd.read_csv(tmp_path / "held" / "validation.csv")["pooled"].all()
    assert main(["validate", str(tmp_path / "nowhere"), "--out", str(out)]) == 2
    assert "nowhere: no such folder" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("minutes\n0\nlater\n")
    assert main(["compare", str(bad), "--out", str(out)]) == 2
    assert "bad.csv, line 3, column 'minutes'" in capsys.readouterr().err
