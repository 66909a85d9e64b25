"""The ``sim`` command line: one module per command, errors handled in :mod:`sim.cli.errors`.

The top layer: it parses options and prints, and leaves the work to ``sim.experiments`` and
``sim.outputs``, imported only when a command runs, so that ``sim --help`` starts fast.
"""

from __future__ import annotations

import click

from sim import __version__
from sim.cli.compare import compare_command
from sim.cli.explore import explore_command
from sim.cli.options import options_command
from sim.cli.report import report_command
from sim.cli.run import examples, run, schema, validate
from sim.cli.sensitivity import discover_command, sensitivity_command
from sim.cli.sweep import sweep_command
from sim.cli.verify import verify_command

__all__ = ["main"]


@click.group(epilog=examples(
    "sim run scenarios/baseline.yaml",
    "sim compare scenarios/baseline.yaml --set staff.remote_share=0.8",
    "sim COMMAND --help"))
@click.version_option(__version__, prog_name="sim")
def main() -> None:
    """docflow-sim: official correspondence under remote work, OSDO vs ESED.

    The shipped scenarios are in scenarios/, sweep files in scenarios/sweeps/; the Python API
    (sim.run, sim.compare, sim.sweep) is described in docs/api.md.
    """


# Examples for the commands whose modules do not give their own yet.
_FALLBACK_EXAMPLES = {
    "sensitivity": ("sim sensitivity results/sweep-assumptions_morris",
                    "sim sensitivity results/sweep-assumptions_morris --kpi on_time_rate"),
    "discover": ("sim discover results/sweep-remote_share --kpi cycle_time_mean_h --margin 2",),
}

for _command in (run, validate, schema, verify_command, sweep_command, compare_command,
                 report_command, sensitivity_command, discover_command, options_command,
                 explore_command):
    if not _command.epilog and _command.name in _FALLBACK_EXAMPLES:
        _command.epilog = examples(*_FALLBACK_EXAMPLES[_command.name])
    main.add_command(_command)
