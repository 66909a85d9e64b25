"""The ``sim`` command line: one module per command, errors handled in :mod:`sim.cli.errors`.

The top layer: it parses options and prints, and leaves the work to ``sim.experiments`` and
``sim.outputs``, imported only when a command runs, so that ``sim --help`` starts fast.
"""

from __future__ import annotations

import click

from sim import __version__
from sim.cli.compare import compare_command
from sim.cli.report import report_command
from sim.cli.run import run, schema, validate
from sim.cli.sensitivity import discover_command, sensitivity_command
from sim.cli.sweep import sweep_command
from sim.cli.verify import verify_command

__all__ = ["main"]


@click.group()
@click.version_option(__version__, prog_name="sim")
def main() -> None:
    """docflow-sim: official correspondence under remote work, OSDO vs ESED."""


for _command in (run, validate, schema, verify_command, sweep_command, compare_command,
                 report_command, sensitivity_command, discover_command):
    main.add_command(_command)
