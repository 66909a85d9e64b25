"""Experiments: replications with intervals, paired comparisons, sweeps and their store.

``replications`` (many runs of a scenario, precision-driven or fixed), ``statistics``
(Student-t intervals, paired differences), ``comparison`` (OSDO against ESED in words),
``sweeps`` (sweep files and designs), ``executors`` (process pools and Dask), ``store`` (the
resumable SQLite store), ``calibration`` (the model's survey sweeps) and ``verification``
(reduced models against queueing theory). Imports ``sim.model`` and ``sim.config`` only.
"""
