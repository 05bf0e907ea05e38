"""What the machine can hold: work whose memory is estimated before it starts is refused, with the
estimate, when it cannot fit, instead of allocating until the machine runs out (or a traceback)."""

from __future__ import annotations

import os
from pathlib import Path


class TooLargeError(ValueError):
    """Work that would need more memory than the machine has; the message gives the estimate."""


def available_memory() -> int:
    """Bytes of memory available to new work now (Linux: ``MemAvailable``; elsewhere the machine's
    physical memory)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return 2**63  # unknown: refuse nothing


def size_text(n_bytes: float) -> str:
    """``1.2 GB``, ``340 MB`` (decimal units)."""
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:,.1f} {unit}"
    return f"{n_bytes / 1e3:,.0f} kB"


def check_fits(need: float, what: str, advice: str, force: bool = False, available: int | None = None) -> None:
    """Refuse work estimated to need ``need`` bytes when the machine has less available.

    Args:
        need: the estimate, in bytes.
        what: the work, for the message ("the follower graph of 5,000,000 users x 1,000 followers").
        advice: what to change ("fewer users or followers").
        force: go ahead anyway (the estimate may be pessimistic, or swap may serve).
        available: bytes available (default: :func:`available_memory`).

    Raises:
        TooLargeError: ``need`` exceeds what is available, and not ``force``.
    """
    available = available_memory() if available is None else available
    if need > available and not force:
        raise TooLargeError(
            f"{what} needs about {size_text(need)} of memory; this machine has {size_text(available)} "
            f"available: {advice}"
        )
