"""The interactive view: its model in Python, and the page in a real headless Chromium.

The browser test drives Debian's chromium (``/usr/bin/chromium``) with the ``playwright`` package.
solara and playwright are test dependencies (``./run.sh`` installs them): without them the tests
fail. Chromium is a system package that ``.ci/run`` installs; where it is absent (a machine whose
set-up could not install it) the browser test alone is skipped, saying so. It saves a screenshot
to ``runs/test-artifacts/app.png``.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "runs" / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def test_app_model_draws_the_neighbourhood_and_newcomers():
    from pileon.experiments.app import COLORS, AppModel, clock_text, status

    m = AppModel(n_users=5000, draw_users=600, seed=3)
    assert m.drawn[0] == m.target and m.n_fixed == 300 and len(m.xy) == 600
    assert np.all(np.abs(m.xy[: m.n_fixed]) <= 1.0 + 1e-9)  # the neighbourhood inside the unit square
    for _ in range(240):
        m.step()
    st = status(m)
    assert st.max() < len(COLORS) and (st >= 0).sum() == len(m.drawn)
    acted = np.unique(m.log.user[1:])
    shown = set(m.drawn.tolist())
    # every user who acted is drawn (while ring slots last), coloured by their last action
    assert all(u in shown for u in acted) or len(m.drawn) == len(m.xy)
    last = {int(u): int(a) for u, a in zip(m.log.user, m.log.action, strict=True)}
    code = {1: 2, 2: 3, 3: 4}
    for u, a in list(last.items())[1:50]:
        if u in shown and a in code:
            assert st[m.slot_of[u]] == code[a]
    assert "Mon 16 Jan 13:00" in clock_text(m)  # 240 steps of a minute from 09:00


def test_app_model_switches_build_interventions():
    from pileon.experiments.app import AppModel, settings_text

    m = AppModel(n_users=3000, friction=True, friction_cancel=0.5, removal=True, removal_delay=30, protect=True)
    kinds = [iv.kind for iv in m.interventions]
    assert kinds == ["friction", "protect", "removal"]
    assert m.interventions[0].cancel == 0.5 and m.interventions[2].delay == 30
    assert AppModel(n_users=3000).interventions == []
    text = settings_text(m)
    assert "n_users 3,000" in text and "friction (start 0, revise 0.22, cancel 0.5" in text and "removal (" in text


def test_the_sliders_read_the_declared_ranges_and_defaults():
    from pileon.experiments.app import LIVE_USERS, MODEL_PARAMS, SWITCHES
    from pileon.model import Params
    from pileon.model.interventions import KINDS
    from pileon.model.params import specs
    from pileon.model.scenarios import buffy

    declared = Params.specs()
    for name in ("hostile_fraction", "amplify_prob", "reply_prob", "norm_learning", "outrage_effect"):
        s, spec = MODEL_PARAMS[name], declared[name]
        assert (s.min, s.max, s.value) == (spec.low, spec.high, getattr(buffy(), name)), name
    threshold = buffy().trend_threshold  # open above: the slider goes to 10 x the preset's value
    assert (MODEL_PARAMS["trend_threshold"].min, MODEL_PARAMS["trend_threshold"].max) == (0, 10 * threshold)
    assert (MODEL_PARAMS["n_users"].min, MODEL_PARAMS["n_users"].max) == LIVE_USERS
    for kind, (setting, _) in SWITCHES.items():
        s, spec = MODEL_PARAMS[f"{kind}_{setting}"], specs(KINDS[kind])[setting]
        assert s.value == spec.default and s.min == spec.low, kind
        assert s.max == (spec.high if spec.high is not None else 10 * spec.default), kind


@pytest.fixture(scope="module")
def server():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "pileon.experiments.cli", "app", "--port", str(port)],
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail(f"pileon app did not start: {proc.stderr.read().decode()[-2000:]}")
        time.sleep(0.5)
    yield url
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def test_the_page_in_headless_chromium(server):
    from playwright import sync_api

    if not Path(CHROMIUM).exists():  # a system package, not a Python one: .ci/run installs it
        pytest.skip("needs Debian's chromium at /usr/bin/chromium (apt-get install chromium; .ci/run does)")
    expect = sync_api.expect
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        page.goto(server, timeout=90_000)
        status = page.get_by_text(re.compile(r"attacks received by the target"))
        expect(status).to_contain_text("Mon 16 Jan 09:00 · 1 posts", timeout=90_000)  # the page is up, at step 0

        def step(times: int) -> str:
            for _ in range(times):
                before = status.inner_text()
                page.get_by_role("button", name="Step").click()
                expect(status).not_to_have_text(before, timeout=60_000)
            return status.inner_text()

        # a step advances the clock and the timeline by render_interval (15) minutes
        assert "Mon 16 Jan 09:15" in step(1)
        baseline = step(7)
        assert "Mon 16 Jan 11:00" in baseline

        # switch the friction prompt on, reset, and run to the same time: a different outcome
        page.get_by_text("friction prompt", exact=True).click()  # Vuetify's ripple covers the box itself
        expect(page.get_by_label("friction prompt")).to_be_checked()
        page.get_by_role("button", name="Reset").click()
        expect(status).to_contain_text("09:00 · 1 posts", timeout=90_000)
        with_friction = step(8)
        assert "Mon 16 Jan 11:00" in with_friction
        assert _numbers(with_friction) != _numbers(baseline)

        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "app.png"), full_page=True)
        browser.close()
    assert (ARTIFACTS / "app.png").stat().st_size > 10_000


def _numbers(text: str) -> tuple[str, ...]:
    """The counts in the status line (posts, attacks received)."""
    return tuple(re.findall(r"([\d,]+) (?:posts|attacks)", text))
