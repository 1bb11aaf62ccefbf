"""What a benchmark reports, and the interleaved repetition every benchmark measures with."""

from __future__ import annotations

import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

Ours = TypeVar("Ours")
Ref = TypeVar("Ref")


@dataclass(frozen=True)
class Result:
    """One row of the table: our side, the reference side and the verdict against the target."""

    name: str
    ours: float
    reference: float
    unit: str
    """Unit of ``ours`` and ``reference`` ("s", "MB")."""
    ratio: float
    """As ``target`` defines it (ours / reference, or reference / ours for a speed-up)."""
    target: str
    """The target in words, e.g. "ours/floor <= 1.3"."""
    meets: bool
    details: list[str] = field(default_factory=list)
    """Further facts printed under the table (request counts, clips made ...)."""
    samples: dict[str, list[float]] = field(default_factory=dict)
    """Every measurement, for the JSON report."""


def interleave(
    repeat: int, ours: Callable[[], Ours], reference: Callable[[], Ref], *, name: str
) -> tuple[list[Ours], list[Ref]]:
    """Run both sides ``repeat`` times, alternating which goes first, so that a change in the
    machine's load during the run weighs on both sides alike."""
    mine: list[Ours] = []
    theirs: list[Ref] = []
    for index in range(repeat):
        progress(f"{name}: run {index + 1} of {repeat}")
        if index % 2 == 0:
            mine.append(ours())
            theirs.append(reference())
        else:
            theirs.append(reference())
            mine.append(ours())
    return mine, theirs


def median(values: list[float]) -> float:
    return statistics.median(values)


def progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)
