"""Kim and Nelson's fully sequential selection of the best system, on paired differences.

Kim, S.-H. and Nelson, B. L. (2001), "A fully sequential procedure for indifference-zone
selection in simulation", ACM TOMACS 11(3), 251-273 [kim-nelson-2001]. Every system gets ``n0``
replications; the variance of each pair's difference comes from those (so common random numbers
narrow it); then, one replication at a time, a system is screened out as soon as its mean falls
below another's by more than a band that shrinks with the replications. With probability at
least ``1 - alpha`` the one left is the best whenever the best beats the rest by ``delta`` or
more (the indifference zone); within ``delta``, any survivor is as good as the best.

:func:`kim_nelson` is a pure function of the observations: it replays the screening over what
has been observed and says which systems remain and which replication they need next. The
evaluation of options calls it after every round, so an interrupted evaluation resumes where it
was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

__all__ = ["SelectionState", "kim_nelson", "kn_constant"]


@dataclass
class SelectionState:
    """Where the screening stands.

    ``survivors``: systems not screened out (indices into the observations); ``rounds``: the
    replications the last screen used (the next one needed is number ``rounds``);
    ``eliminated``: system -> replications it had when screened out; ``decided``: one left.
    """

    survivors: list[int]
    rounds: int
    eliminated: dict[int, int] = field(default_factory=dict)

    @property
    def decided(self) -> bool:
        """True when a single system is left."""
        return len(self.survivors) <= 1


def kn_constant(k: int, n0: int, alpha: float) -> float:
    """h**2 of the procedure (c = 1): 2 eta (n0 - 1), eta from alpha, k systems and n0."""
    eta = 0.5 * ((2 * alpha / (k - 1)) ** (-2 / (n0 - 1)) - 1)
    return 2 * eta * (n0 - 1)


def kim_nelson(observations: list[np.ndarray], n0: int, delta: float, alpha: float = 0.05,
               max_rounds: int | None = None) -> SelectionState:
    """Screen ``observations`` (per system, its values by replication; higher is better).

    Every system needs its first ``n0`` values. The screening goes on while every survivor has
    the next value, and stops at ``max_rounds`` replications if given.
    """
    k = len(observations)
    if k <= 1:
        return SelectionState(list(range(k)), n0)
    if n0 < 2:
        raise ValueError("Kim and Nelson's procedure needs n0 >= 2 first replications")
    data = [np.asarray(x, dtype=float) for x in observations]
    if any(len(x) < n0 for x in data):
        raise ValueError(f"every system needs its first {n0} replications")
    h2 = kn_constant(k, n0, alpha)
    variance = {(i, j): float(np.var(data[i][:n0] - data[j][:n0], ddof=1))
                for i, j in combinations(range(k), 2)}
    alive = list(range(k))
    eliminated: dict[int, int] = {}
    r = n0
    while True:
        means = {i: float(np.mean(data[i][:r])) for i in alive}
        out = set()
        for i in alive:
            for j in alive:
                if i == j:
                    continue
                s2 = variance[(min(i, j), max(i, j))]
                band = max(0.0, delta / (2 * r) * (h2 * s2 / delta**2 - r))
                if means[i] < means[j] - band:
                    out.add(i)
                    break
        for i in out:
            eliminated[i] = r
        alive = [i for i in alive if i not in out]
        if len(alive) <= 1 or (max_rounds is not None and r >= max_rounds):
            return SelectionState(alive, r, eliminated)
        if not all(len(data[i]) > r for i in alive):
            return SelectionState(alive, r, eliminated)
        r += 1
