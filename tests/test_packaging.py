"""One import name: pileon installs pileon.model and pileon.experiments and nothing else at top level."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOP_LEVEL = re.compile(r"^\s*\"?(from|import)\s+(model|experiments)\b", re.MULTILINE)


def test_the_public_api_imports_from_pileon():
    import pileon

    assert {"OutrageModel", "Params", "scenarios", "__version__"} <= set(dir(pileon))
    assert pileon.scenarios.buffy().n_users == 200_000


@pytest.mark.parametrize("name", ["model", "experiments"])
def test_no_top_level_package_besides_pileon(tmp_path, name):
    """From a folder outside the checkout, the generic names are not importable."""
    proc = subprocess.run([sys.executable, "-c", f"import {name}"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode != 0 and "ModuleNotFoundError" in proc.stderr
    ok = subprocess.run([sys.executable, "-c", "import pileon.model, pileon.experiments.cli"], cwd=tmp_path)
    assert ok.returncode == 0


def test_no_code_imports_the_folders_by_their_bare_names():
    """Inside the checkout the folders are importable by accident (the repository root is on the
    path when tests run); the code must still use pileon.model / pileon.experiments."""
    files = [p for d in ("model", "experiments", "benchmarks", "tests", "pileon") for p in (ROOT / d).rglob("*.py")]
    files += list((ROOT / "notebooks").glob("*.ipynb"))
    offenders = [str(p.relative_to(ROOT)) for p in files if TOP_LEVEL.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
