"""Parameters: every range is checked, unknown names are errors, names are the same everywhere."""

from __future__ import annotations

import dataclasses

import pytest

from pileon.model import OutrageModel, Params
from pileon.model.params import CONCERNS


def _out_of_range_cases():
    for concern in CONCERNS:
        for f in dataclasses.fields(concern):
            if f.type == "bool":
                continue
            lo, hi = f.metadata["range"]
            if lo is not None:
                yield f.name, lo - (1 if f.type == "int" else abs(lo) * 0.5 + 0.1), lo, hi
            if hi is not None:
                yield f.name, hi + (1 if f.type == "int" else abs(hi) * 0.5 + 0.1), lo, hi


@pytest.mark.parametrize(("name", "bad", "lo", "hi"), list(_out_of_range_cases()))
def test_every_out_of_range_value_names_field_value_and_range(name, bad, lo, hi):
    with pytest.raises(ValueError) as e:
        Params().replace(**{name: bad})
    msg = str(e.value)
    assert name in msg
    assert repr(bad) in msg or str(bad) in msg
    assert str(lo if lo is not None else "-inf") in msg and str(hi if hi is not None else "inf") in msg


def test_every_numeric_field_has_a_declared_range_and_help():
    for name, f in Params.names().items():
        assert f.metadata["help"], name
        if f.type != "bool":
            assert f.metadata["range"] != (None, None), name


def test_probability_of_1_7_is_rejected():
    with pytest.raises(ValueError, match=r"amplify_prob=1\.7 is out of range: expected \[0\.0, 1\.0\]"):
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
    assert Params.from_flat(flat) == p
    assert p.n_users == p.network.n_users == 1234
    assert len(flat) == sum(len(dataclasses.fields(c)) for c in CONCERNS)
