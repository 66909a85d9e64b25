"""``sim report``: a self-contained HTML page of a run folder."""

from __future__ import annotations

import click

from sim.cli.errors import user_errors

__all__ = ["report_command"]


@click.command("report")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("--out", "out", type=click.Path(dir_okay=False), default=None,
              help="HTML file to write (default: RUN_DIR/report.html).")
@user_errors
def report_command(run_dir: str, out: str | None) -> None:
    """Write a self-contained HTML report of the run folder RUN_DIR."""
    from sim.outputs.report import write_report

    click.echo(f"report written to {write_report(run_dir, out)}")
