"""Outputs: the run folder, plots, the HTML report, the event log, sweep folders, text tables.

Reads what ``sim.experiments`` produced; writes files atomically. Imports nothing from
``sim.cli``.
"""
