"""docflow-sim: official correspondence under remote work, central cloud vs per-agency EDMS."""

__version__ = "0.1.0"
