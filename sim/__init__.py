"""docflow-sim: official correspondence under remote work, central cloud vs per-agency EDMS."""

from sim.compiled import use_sources_where_stale

__version__ = "0.1.0"

use_sources_where_stale()  # an optional compiled build never hides an edit of a source

__all__ = ["__version__", "run", "compare", "sweep"]


def __getattr__(name: str):  # noqa: ANN202 - lazy, so that `import sim` stays light
    if name in ("run", "compare", "sweep"):
        from sim import api

        return getattr(api, name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
