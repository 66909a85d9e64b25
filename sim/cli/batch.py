"""Options shared by the commands that run a batch of runs into a resumable folder."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from sim.cli.run import parallel_options

__all__ = ["batch_options"]


def batch_options(folder: str, set_help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """--out, --workers, --scheduler, --resume, --set and --no-plots, as sweep and options use.

    ``folder`` names the default output folder in the help (e.g. ``results/sweep-<name>``);
    ``set_help`` says what ``--set`` overrides.
    """
    decorators = [
        click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
                     help=f"Output folder (default: {folder}); an existing one resumes."),
        parallel_options,
        click.option("--resume", is_flag=True,
                     help="Require an existing store in --out and finish its missing runs."),
        click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help=set_help),
        click.option("--no-plots", is_flag=True, help="Skip the PNG plots."),
    ]

    def apply(func: Callable[..., Any]) -> Callable[..., Any]:
        for decorator in reversed(decorators):
            func = decorator(func)
        return func

    return apply
