"""The model: one replication of one architecture, from staff and arrivals to KPIs.

Modules by the domain noun they hold: ``streams`` (random numbers), ``calendar`` (working time),
``network`` (connections and outages), ``population`` (bodies and employees), ``workload``
(arrivals), ``documents``, ``platforms`` (document systems and the gateway), ``work`` (a step's
time), ``staffing`` (role pools), ``routing`` (the document route), ``metrics`` and ``kpis``
(records and KPIs), ``stability`` (is the backlog bounded) and ``replication`` (wiring it all
into one SimPy run). It imports nothing from above it (``experiments``, ``outputs``, ``cli``).
"""

__all__ = ["run_replication", "RunRecords"]


def __getattr__(name: str):  # noqa: ANN202 - lazy: importing sim.model.kpis stays light
    if name == "run_replication":
        from sim.model.replication import run_replication

        return run_replication
    if name == "RunRecords":
        from sim.model.metrics import RunRecords

        return RunRecords
    raise AttributeError(f"module 'sim.model' has no attribute {name!r}")
