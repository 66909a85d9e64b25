"""Server and VPN session pools: first come first served, and never more holders than sessions."""

from __future__ import annotations

import simpy
from conftest import small_scenario

from sim.model.platforms import ServerPool, SessionPool
from sim.model.replication import run_replication


def test_server_pool_is_fcfs_with_c_servers() -> None:
    pool = ServerPool(2)
    assert [pool.serve(0.0, 10.0), pool.serve(1.0, 10.0), pool.serve(2.0, 10.0),
            pool.serve(3.0, 1.0)] == [0.0, 1.0, 10.0, 11.0]
    assert pool.busy_minutes == 31.0


def _holders(env: simpy.Environment, pool: SessionPool, plan: list[tuple[float, float]]):
    """Holders asking at ``ask`` and working ``work`` minutes once granted; their grant times."""
    granted: dict[int, float] = {}
    peak = [0]

    def take(i: int, work: float) -> None:
        granted[i] = env.now
        peak[0] = max(peak[0], pool.held)
        pool.release(env.now + work, work)

    def ask(i: int, work: float):
        if pool.acquire(env.now, lambda holder, _since: take(*holder), (i, work)):
            take(i, work)
        yield env.timeout(0)

    for i, (at, work) in enumerate(plan):
        env.process(_later(env, at, ask, i, work))
    env.run()
    return granted, peak[0]


def _later(env, at, fn, *args):
    yield env.timeout(at)
    yield from fn(*args)


def test_sessions_are_capped_and_granted_first_come_first_served() -> None:
    env = simpy.Environment()
    pool = SessionPool(env, 2)
    # Four holders for two sessions: the third waits for the first release (at 5), the fourth
    # for the next one (at 7), in the order they asked.
    granted, peak = _holders(env, pool, [(0, 5), (1, 6), (2, 1), (3, 1)])
    assert granted == {0: 0.0, 1: 1.0, 2: 5.0, 3: 6.0}
    assert peak == 2
    assert pool.busy_minutes == 5 + 6 + 1 + 1


def test_a_newcomer_does_not_jump_the_queue_when_a_session_frees() -> None:
    env = simpy.Environment()
    pool = SessionPool(env, 1)
    # The second holder waits from 1; the third asks at exactly 4, the moment the session frees.
    granted, peak = _holders(env, pool, [(0, 4), (1, 2), (4, 1)])
    assert granted == {0: 0.0, 1: 4.0, 2: 6.0}
    assert peak == 1


def test_one_session_per_body_makes_remote_esed_staff_wait(monkeypatch) -> None:
    peaks: dict[int, int] = {}
    acquire, grant = SessionPool.acquire, SessionPool._grant

    def watch(pool: SessionPool) -> None:
        peaks[id(pool)] = max(peaks.get(id(pool), 0), pool.held)

    def watched_acquire(self, *args):
        ok = acquire(self, *args)
        watch(self)
        return ok

    def watched_grant(self, event):
        grant(self, event)
        watch(self)

    monkeypatch.setattr(SessionPool, "acquire", watched_acquire)
    monkeypatch.setattr(SessionPool, "_grant", watched_grant)
    scenario = small_scenario(
        staff={"remote_share": 0.6},
        platform={"esed": {"vpn_sessions_per_remote_employee": 0.001}},  # 1 session a body
    )
    runs = {p: run_replication(scenario, p, 0, keep_documents=True) for p in ("esed", "osdo")}
    assert peaks and max(peaks.values()) == 1  # contended, and never held twice at once
    assert runs["esed"].documents.delay_vpn_min.sum() > 0
    assert (runs["osdo"].documents.delay_vpn_min == 0).all()
