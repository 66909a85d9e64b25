"""``sim explore``: the interactive explorer, a local web page (Shiny for Python, an extra).

Shiny is imported only here, inside the command: ``import sim`` and ``sim --help`` load no web
framework.
"""

from __future__ import annotations

import importlib.util
import socket

import click

from sim.cli.errors import user_errors
from sim.cli.run import examples
from sim.config.errors import InputError

__all__ = ["explore_command"]


class ExploreError(InputError):
    """``sim explore`` cannot start: Shiny is missing, or the port is taken."""


def _check_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the server will: a port whose last connections are still closing (TIME_WAIT)
        # is free to listen on.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ExploreError(f"--port {port}: cannot listen on {host}:{port} ({exc.strerror});"
                               " choose another --port") from None


@click.command("explore", epilog=examples(
    "sim explore scenarios/baseline.yaml",
    "sim explore results/sweep-remote_share",
    "sim explore scenarios/baseline.yaml --no-browser --port 8765"))
@click.argument("target", required=False, type=click.Path(exists=True))
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True,
              help="Port of the local page.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (the default is this machine only).")
@click.option("--no-browser", is_flag=True, help="Do not open a browser; print the address.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes for the runs (default: the machine's cores).")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Root seed (default: the scenario's `seed`).")
@user_errors
def explore_command(target: str | None, port: int, host: str, no_browser: bool,
                    workers: int | None, seed: int | None) -> None:
    """Explore TARGET in a local web page: levers, paired runs, sweep and options folders.

    TARGET is a scenario file (default: the shipped baseline.yaml), a run folder (its
    scenario), a sweep folder or an options folder (opened read-only). Needs the `explore`
    extra: pip install 'docflow-sim[explore]'.
    """
    if importlib.util.find_spec("shiny") is None:
        raise ExploreError("sim explore needs Shiny for Python: pip install "
                           "'docflow-sim[explore]' (or pip install shiny)")
    from sim.explore.serve import serve

    _check_port(host, port)
    serve(target, host, port, open_browser=not no_browser, workers=workers, seed=seed)
