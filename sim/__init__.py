"""docflow-sim: official correspondence under remote work, central cloud vs per-agency EDMS.

``sim.run``, ``sim.compare`` and ``sim.sweep`` are the one-call API (see :mod:`sim.api`); the
layers below are ``sim.config`` (scenario schema and loading), ``sim.model`` (one replication),
``sim.experiments`` (replications, comparisons, sweeps), ``sim.outputs`` (files, plots, reports)
and ``sim.cli`` (the ``sim`` command). Importing ``sim`` loads none of them.
"""

__version__ = "0.1.0"

__all__ = ["__version__", "run", "compare", "sweep"]


def __getattr__(name: str):  # noqa: ANN202 - lazy, so that `import sim` stays light
    if name in ("run", "compare", "sweep"):
        from sim import api

        return getattr(api, name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
