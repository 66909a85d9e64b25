"""``sim explore``: levers to a paired result in a local web page (Shiny for Python).

An interface layer beside :mod:`sim.cli`, importing downward only: :mod:`levers` (what each
control sets in a scenario), :mod:`jobs` (paired replications streamed from the process pool,
cached, cancellable), :mod:`browse` (sweep and options folders, read-only) and :mod:`app` (the
page). Only :mod:`app` imports Shiny, and only ``sim explore`` imports :mod:`app`.
"""
