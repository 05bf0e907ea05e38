"""Parameters: every range is checked, unknown names are errors, names are the same everywhere."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import typing
from collections import Counter

import pytest

from pileon.experiments.cli import main
from pileon.model import OutrageModel, Params, interventions
from pileon.model.interventions import KINDS
from pileon.model.params import CONCERNS, Source, cited, flatten, read_toml, specs


def _out_of_range_cases():
    for spec in Params.specs().values():
        if spec.kind is bool:
            continue
        step = (lambda x: 1) if spec.kind is int else (lambda x: abs(x) * 0.5 + 0.1)
        if spec.low is not None:
            yield spec.name, spec.low - step(spec.low)
        if spec.high is not None:
            yield spec.name, spec.high + step(spec.high)


@pytest.mark.parametrize(("name", "bad"), list(_out_of_range_cases()))
def test_every_out_of_range_value_names_field_value_and_range(name, bad):
    with pytest.raises(ValueError) as e:
        Params().replace(**{name: bad})
    assert str(e.value) == f"{name}={bad!r} is out of range: expected {Params.specs()[name].range_text()}"


def test_every_numeric_field_has_a_declared_range_and_help():
    for name, spec in Params.specs().items():
        assert spec.help, name
        if spec.kind is not bool:
            assert (spec.low, spec.high) != (None, None), name


def test_each_kind_is_the_annotation_of_its_field():
    for cls in (*CONCERNS, *KINDS.values()):
        hints = typing.get_type_hints(cls)
        declared = specs(cls)
        assert set(declared) == {f.name for f in dataclasses.fields(cls) if f.init}
        for name, spec in declared.items():
            assert spec.kind is hints[name], (cls.__name__, name)
    assert Params.specs()["n_users"].kind is int and Params.specs()["decay"].kind is bool
    assert specs(KINDS["removal"])["what"].kind is str


def test_ranges_are_written_one_way():
    s = Params.specs()
    assert s["amplify_prob"].range_text() == "[0, 1]"
    assert s["n_users"].range_text() == "[3, 50000000]"
    assert s["visibility_tail"].range_text() == "[0.05, inf]"
    assert s["max_followers"].range_text() == "[1, inf]"
    assert s["decay"].range_text() == "true or false"
    assert specs(KINDS["removal"])["what"].range_text() == "one of 'hostile', 'seed', 'all'"


def test_probability_of_1_7_is_rejected():
    with pytest.raises(ValueError, match=r"amplify_prob=1\.7 is out of range: expected \[0, 1\]"):
        Params().replace(amplify_prob=1.7)


@pytest.mark.parametrize("value", ["0.5", None, float("nan"), True])
def test_non_numbers_are_rejected(value):
    with pytest.raises(ValueError, match="reply_prob"):
        Params().replace(reply_prob=value)


def test_whole_numbers_and_booleans_are_checked():
    with pytest.raises(ValueError, match="n_users=2.5: expected a whole number"):
        Params().replace(n_users=2.5)
    with pytest.raises(ValueError, match="sessions=2: expected true or false"):
        Params().replace(sessions=2)
    assert Params().replace(n_users=10.0).n_users == 10


def test_cross_field_rule():
    with pytest.raises(ValueError, match="hostile_fraction \\+ supportive_fraction = 1.1"):
        Params().replace(hostile_fraction=0.9, supportive_fraction=0.2)


def test_unknown_names_are_errors_with_a_suggestion():
    with pytest.raises(ValueError, match="unknown parameter 'n_user' \\(did you mean n_users"):
        Params().replace(n_user=10)
    with pytest.raises(ValueError, match="unknown parameter 'virality'"):
        OutrageModel(virality=3, n_users=100)


def test_flat_names_round_trip_and_are_unique():
    p = Params().replace(n_users=1234, decay=False, fatigue=0.25)
    flat = p.to_flat()
    assert flat["n_users"] == 1234 and flat["decay"] is False and flat["fatigue"] == 0.25
    assert Params().replace(**flat) == p
    assert p.n_users == p.network.n_users == 1234
    assert len(flat) == sum(len(dataclasses.fields(c)) for c in CONCERNS)


def test_a_parameter_table_may_be_flat_or_by_concern():
    table = {"n_users": 1000, "decisions": {"fatigue": 0.3, "max_actions": 2}, "exposure": {"visibility_tail": 2.0}}
    assert flatten(table, "here") == {"n_users": 1000, "fatigue": 0.3, "max_actions": 2, "visibility_tail": 2.0}


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            {"fatigue": 0.3, "decisions": {"fatigue": 0.4}},
            "f.toml: fatigue is given twice, as fatigue and as [decisions] fatigue",
        ),
        ({"decisions": {"n_users": 10}}, "f.toml: [decisions] n_users is a parameter of [network]"),
        (
            {"decisions": {"fatiuge": 1}},
            "f.toml: [decisions] unknown parameter 'fatiuge' (did you mean fatigue?)",
        ),
        ({"decision": {"fatigue": 1}}, "f.toml: [decision]: unknown table 'decision' (did you mean decisions?)"),
        ({"virality": 3}, "f.toml: unknown parameter 'virality'"),
    ],
)
def test_parameter_table_errors_name_the_file_and_key(table, message):
    with pytest.raises(ValueError) as e:
        flatten(table, "f.toml")
    assert message in str(e.value)


def test_a_parameter_file_is_read_with_the_same_rules(tmp_path):
    f = tmp_path / "p.toml"
    f.write_text("n_users = 1000\nvisibility_tail = inf\n[decisions]\nfatigue = 0.3\n")
    assert read_toml(f) == {"n_users": 1000, "visibility_tail": float("inf"), "fatigue": 0.3}
    f.write_text("n_users = \n")
    with pytest.raises(ValueError, match=f"{f}: not valid TOML"):
        read_toml(f)
    with pytest.raises(FileNotFoundError, match="nope.toml: no such parameter file"):
        read_toml(tmp_path / "nope.toml")


def test_every_parameter_declares_where_its_default_comes_from():
    every = {**Params.sources(), **interventions.sources()}
    kinds = Counter()
    for name, source in every.items():
        assert isinstance(source, Source), f"{name}: no source declared"
        kinds[source.kind] += 1
        if source.kind == "cited":  # a citation gives the figure the default takes
            assert source.ref and re.search(r"\d", source.figure), name
        if source.kind == "calibrated":  # the default is the posterior median, inside its interval
            low, high = map(float, re.fullmatch(r"90% \[(.+), (.+)\]", source.figure).groups())
            default = Params.specs()[name].default
            assert low <= default <= high, name
    assert set(kinds) == {"cited", "calibrated", "assumed"}
    with pytest.raises(ValueError, match="a cited source needs a reference and a figure"):
        cited("Brady et al. 2017", "")
    with pytest.raises(ValueError, match="source kind 'guessed'"):
        Source("guessed")


def test_the_assumed_parameters_are_listed_for_sensitivity_studies(capsys):
    assumed = Params.assumed()
    assert set(assumed) == {n for n, s in Params.sources().items() if s.kind == "assumed"}
    assert "norm_learning" in assumed and "outrage_effect" not in assumed and "amplify_prob" not in assumed
    assert "friction.revised_outrage" in interventions.assumed_names()
    assert "friction.cancel" not in interventions.assumed_names()
    assert main(["params", "--assumed"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["name"] for r in rows] == [*assumed, *interventions.assumed_names()]
    assert {r["owner"] for r in rows} >= {"network", "decisions", "intervention"}


def test_params_and_interventions_commands_show_each_source(capsys):
    assert main(["params"]) == 0
    text = capsys.readouterr().out
    assert "source: Brady et al. 2017 (PNAS): +20% per moral-emotional word" in text
    assert "measured on retweets; the model applies it to attacks and defences too" in text
    assert "source: calibrated to #Buffy anchors: 90% [" in text
    assert main(["interventions"]) == 0
    assert "source: Katsaros et al. 2022" in capsys.readouterr().out
