"""Networks built once per sweep: saved to a folder, memory-mapped by every run that uses them.

A run's generated network depends only on the network parameters and the run's seed (it is drawn
from its own stream, :func:`pileon.model.network.network_rng`). Every arm of a point and replicate
shares the seed, so they share the network: the first run that needs it builds it and saves it
under a name made of a hash of the parameters and the seed; the others, in any worker process or
on any Dask worker that sees the folder, map it into memory. A run with a saved network gives the
same results as one that builds its own.

Two workers that want the same network at once take turns on a lock file (``fcntl.flock``, which
the operating system releases if a worker dies), so the network is built once.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

from pileon.model import Network
from pileon.model.network import network_rng
from pileon.model.params import NetworkParams

# Part of every name: bump it when Network.generate draws differently, so old files are not reused.
GENERATOR_VERSION = 2


def network_key(params: NetworkParams, seed: int) -> str:
    """The name of the network of these parameters and run seed."""
    doc = {"params": {k: getattr(params, k) for k in params.__dataclass_fields__}, "seed": int(seed)}
    doc["generator"] = GENERATOR_VERSION
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:20]


def cached_network(folder: str | Path, params: NetworkParams, seed: int) -> Network:
    """The network a run of ``params`` and ``seed`` would generate, from ``folder`` if it is there,
    otherwise built, saved there and returned."""
    folder = Path(folder)
    path = folder / network_key(params, seed)
    if path.is_dir():
        return Network.load(path)
    folder.mkdir(parents=True, exist_ok=True)
    with _locked(folder / f"{path.name}.lock"):
        if path.is_dir():  # another worker built it while this one waited
            return Network.load(path)
        network = Network.generate(params, network_rng(seed))
        network.save(path)
    return network


@contextlib.contextmanager
def _locked(lock: Path) -> Iterator[None]:
    with lock.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def remove(folder: str | Path) -> None:
    """Delete a folder of saved networks (and the lock files in it)."""
    shutil.rmtree(folder, ignore_errors=True)
