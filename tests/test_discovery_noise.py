"""sim discover does not present noise as a finding: a box needs points and to beat the noise."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.experiments.discovery import (
    MIN_BOX_POINTS,
    Noise,
    box_interval,
    discover,
    replication_noise,
)
from sim.experiments.sensitivity import SweepResults

KPI = "cycle_time_mean_h"


def results_of(x: pd.DataFrame, differences: np.ndarray) -> SweepResults:
    """A made-up sweep: per replication (row of ``differences``) OSDO = ESED + difference."""
    frames = []
    for r, d in enumerate(differences):
        esed = np.full(len(x), 30.0)
        for platform, y in (("osdo", esed + d), ("esed", esed)):
            frames.append(x.assign(point=np.arange(len(x)), replication=r, platform=platform,
                                   status="ok", **{KPI: y}))
    return SweepResults(Path("made-up"), pd.concat(frames, ignore_index=True), list(x.columns),
                        [KPI], ["osdo", "esed"], len(differences), 1, "made-up")


def test_pooled_noise_and_box_interval_by_hand():
    points = pd.DataFrame({"difference": [-2.0, -4.0], "replications": [2, 3],
                           "variance": [2.0, 5.0]})
    noise = replication_noise(points)
    assert noise.dof == 1 + 2 and noise.variance == pytest.approx((2.0 + 2 * 5.0) / 3)
    mean, half = box_interval(points, noise)
    # var of the mean of two point means = 4 * (1/2 + 1/3) / 4; t(0.975, 3) = 3.182446
    assert mean == -3.0
    assert half == pytest.approx(3.182446 * np.sqrt(4.0 * (1 / 2 + 1 / 3)) / 2, rel=1e-5)
    assert np.isnan(box_interval(points, Noise(np.nan, 0))[1])


def test_a_one_point_box_within_noise_is_not_a_finding():
    """The report's case: a grid of 6 points where one wins by chance (-2.2 h, noise ±8 h)."""
    x = pd.DataFrame({"staff.remote_share": [0.3, 0.5, 0.7] * 2,
                      "staff.home_internet": ["typical"] * 3 + ["poor"] * 3})
    d = np.array([[6.0, 5.0, 9.0, 4.0, 8.0, 7.0], [7.0, -9.4, 8.0, 6.0, 5.0, 9.0]])
    found = discover(results_of(x, d), KPI, margin=1.0)
    assert found.n_wins == 1  # point 1: mean (5.0 - 9.4) / 2 = -2.2
    assert found.boxes == []
    (box,) = found.rejected
    assert box.points == 1 and f"fewer than {MIN_BOX_POINTS}" in box.rejected
    lines = found.sentences()
    assert lines[-1].startswith("nothing found: no region of the swept ranges where OSDO's "
                                "cycle_time_mean_h is lower than ESED's by at least 1 h beyond "
                                "replication noise")
    assert not any(line.startswith("OSDO's cycle_time_mean_h is lower than ESED's by at least 1 "
                                   "h when") for line in lines)


@pytest.mark.parametrize("seed", range(5))
def test_pure_noise_gives_nothing(seed):
    """Differences with no effect at all (sd 8 h per replication): nothing is found."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({"staff.remote_share": rng.uniform(0, 0.8, 60),
                      "platform.osdo.ui_time_factors.detractors": rng.uniform(0.8, 1.3, 60)})
    found = discover(results_of(x, rng.normal(0, 8.0, (2, 60))), KPI, margin=1.0)
    assert found.n_wins > 10  # plenty of points win by chance
    assert found.boxes == []
    assert found.sentences()[-1].startswith("nothing found")


def test_an_effect_beyond_noise_is_found():
    rng = np.random.default_rng(3)
    x = pd.DataFrame({"staff.remote_share": rng.uniform(0, 0.8, 96),
                      "platform.osdo.ui_time_factors.detractors": rng.uniform(0.8, 1.3, 96)})
    effect = np.where(x["platform.osdo.ui_time_factors.detractors"] < 1.05, -6.0, 3.0)
    found = discover(results_of(x, effect + rng.normal(0, 4.0, (2, 96))), KPI, margin=1.0)
    (box,) = found.boxes
    assert [c.parameter for c in box.conditions] == ["platform.osdo.ui_time_factors.detractors"]
    assert box.conditions[0].high == pytest.approx(1.05, abs=0.05)
    assert box.mean + box.half_width < -1.0
    assert "mean OSDO - ESED in the box" in found.sentences()[-1]
