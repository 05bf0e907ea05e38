"""Time the same run in two source checkouts of pileon (before and after a change), in one command.

    .venv/bin/python benchmarks/ab.py BEFORE_CHECKOUT [--after CHECKOUT] [--users 200000] [--repeats 5]

Each checkout's ``model/`` and ``experiments/`` are laid out as the package ``pileon`` in a
temporary folder, and every timing runs in a fresh process with that folder first on the path,
alternating before and after (and which goes first) so that the machine's load falls on both alike. A process loads the
compiled loops with a small run first, then times the build of the model (graph and users) and
the run of a 48 h #Buffy scenario separately. Prints the medians and the ratio after / before, and
checks that both gave the same run (same posts and exposures) when the change should not alter it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

_CHILD = r"""
import json, time, resource
from pileon.model import OutrageModel
from pileon.model.scenarios import buffy
OutrageModel(buffy().replace(n_users=2000, target_followers=50, horizon_hours=0.5, trend_threshold=0), seed=0).run()
n, seed = {users}, {seed}
t0 = time.perf_counter()
model = OutrageModel(buffy().replace(n_users=n, target_followers=3000 * n // 200_000), seed=seed)
t1 = time.perf_counter()
s = model.run().summary
t2 = time.perf_counter()
print(json.dumps({{"build_s": t1 - t0, "run_s": t2 - t1, "posts": s["total_posts"], "exposures": s["exposures"],
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def layout(checkout: Path, into: Path) -> Path:
    """A folder holding ``pileon/`` made of the checkout's package, model and experiments."""
    pkg = into / "pileon"
    pkg.mkdir(parents=True)
    for f in (checkout / "pileon").glob("*.py"):
        shutil.copy(f, pkg / f.name)
    (pkg / "model").symlink_to((checkout / "model").resolve())
    (pkg / "experiments").symlink_to((checkout / "experiments").resolve())
    return into


def time_once(path: Path, users: int, seed: int) -> dict:
    code = _CHILD.format(users=users, seed=seed)
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
        cwd=path,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("before", type=Path, help="source checkout before the change")
    ap.add_argument("--after", type=Path, default=Path(__file__).resolve().parents[1], help="default: this checkout")
    ap.add_argument("--users", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"before": layout(args.before, Path(tmp, "before")), "after": layout(args.after, Path(tmp, "after"))}
        times: dict[str, list[dict]] = {"before": [], "after": []}
        for path in trees.values():
            time_once(path, 2000, 0)  # compile or load the numba cache once, untimed
        for i in range(args.repeats):
            order = ["before", "after"] if i % 2 == 0 else ["after", "before"]  # neither always goes first
            for name in order:
                times[name].append(time_once(trees[name], args.users, args.seed))
    for key in ("build_s", "run_s"):
        b = statistics.median(r[key] for r in times["before"])
        a = statistics.median(r[key] for r in times["after"])
        print(f"{key:8} before {b:7.3f} s  after {a:7.3f} s  after/before {a / b:5.2f}")
    same = all(
        (r["posts"], r["exposures"]) == (times["before"][0]["posts"], times["before"][0]["exposures"])
        for r in times["before"] + times["after"]
    )
    print(
        f"same run before and after: {same} ({times['after'][0]['posts']:,} posts, "
        f"{times['after'][0]['exposures']:,} exposures); peak "
        f"{max(r['peak_mb'] for r in times['before']):,.0f} MB before, "
        f"{max(r['peak_mb'] for r in times['after']):,.0f} MB after"
    )


if __name__ == "__main__":
    main()
