"""docflow-sim: official correspondence under remote work, central cloud vs per-agency EDMS.

``sim.run``, ``sim.compare``, ``sim.sweep`` and ``sim.options`` are the one-call API for
notebooks (see :mod:`sim.api` and ``docs/api.md``)::

    import sim
    results = sim.run("scenarios/baseline.yaml", replications=2)
    results.means        # per platform and KPI: mean, half_width, low, high, n
    results.paired       # per KPI: OSDO - ESED with its 95% interval

The layers below are ``sim.config`` (scenario schema and loading), ``sim.model`` (one
replication), ``sim.experiments`` (replications, comparisons, sweeps), ``sim.outputs`` (files,
plots, reports) and ``sim.cli`` (the ``sim`` command). Importing ``sim`` loads none of them (nor
pandas): each is imported when first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

__all__ = ["__version__", "run", "compare", "sweep", "options"]

_API = ("run", "compare", "sweep", "options", "RunResults", "OptionsResults")
_SUBPACKAGES = ("api", "cli", "config", "experiments", "model", "outputs")

if TYPE_CHECKING:  # for editors and static completion; at run time they load on first use
    from sim.api import compare, options, run, sweep


def __getattr__(name: str):  # noqa: ANN202 - lazy, so that `import sim` stays light
    if name in _API:
        from sim import api

        return getattr(api, name)
    if name in _SUBPACKAGES:
        return importlib.import_module(f"sim.{name}")
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*__all__, *_API, *_SUBPACKAGES})
