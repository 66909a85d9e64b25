"""``sim report``: a self-contained HTML page of a run folder or a sweep folder."""

from __future__ import annotations

import click

from sim.cli.errors import user_errors

__all__ = ["report_command"]


@click.command("report")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--out", "out", type=click.Path(dir_okay=False), default=None,
              help="HTML file to write (default: FOLDER/report.html).")
@user_errors
def report_command(folder: str, out: str | None) -> None:
    """Write a self-contained HTML report of a run, sweep or options folder.

    FOLDER is a run folder (written by `sim run`, with summary.json), a sweep folder (written
    by `sim sweep`, with sweep.sqlite and points.csv) or an options folder (written by
    `sim options`, with options.sqlite and options.csv).
    """
    from sim.outputs.report import folder_kind, write_report

    kind = folder_kind(folder)
    if kind == "options":
        from sim.outputs.options_report import write_options_report

        click.echo(f"options report written to {write_options_report(folder, out)}")
    elif kind == "sweep":
        from sim.outputs.sweep_report import write_sweep_report

        click.echo(f"sweep report written to {write_sweep_report(folder, out)}")
    else:
        click.echo(f"report written to {write_report(folder, out)}")
