"""Serving the explorer: the app on a local address, its workers stopped on the way out."""

from __future__ import annotations

import sys
from pathlib import Path

from sim.explore.jobs import Explorer

__all__ = ["serve"]


def serve(target: str | Path | None, host: str = "127.0.0.1", port: int = 8765,
          open_browser: bool = True, workers: int | None = None,
          seed: int | None = None) -> None:
    """Serve the explorer of ``target`` at ``http://host:port`` until interrupted."""
    from shiny import run_app

    from sim.explore.app import make_app

    explorer = Explorer(workers)
    app = make_app(target, explorer, seed)
    explorer.warm()
    print(f"docflow-sim explorer at http://{host}:{port} (Ctrl-C stops it); run folders go to "
          f"{explorer.folder}", file=sys.stderr, flush=True)
    try:
        run_app(app, host=host, port=port, launch_browser=open_browser, log_level="warning",
                dev_mode=False)
    finally:
        explorer.close()
