"""The noise floor of a finished morris sweep folder, as each estimate gives it.

Per KPI and target: "independent-floor" is the mu* a factor without effect gets from each point's
replication spread pooled over points, as if points were independent (right for a sweep with a
seed per point); "paired-floor" the per-factor floor of `sim sensitivity` (pooled spread of the
replication-wise differences of paired points), summarised over the factors.

    python bench/noise_floor.py results/sweep-assumptions_morris
"""
import sys

from sim.experiments.sensitivity import (
    analyse,
    paired_noise,
    point_outputs,
    point_replicates,
    read_sweep_dir,
)

folder = sys.argv[1]
res = read_sweep_dir(folder, design=True)
for kpi in ["cycle_time_mean_h", "cycle_time_p95_h", "connectivity_loss_h_per_employee"]:
    out, noise = point_outputs(res.runs, kpi, res.platforms)
    reps = point_replicates(res.runs, kpi, res.platforms)
    for t in out.columns:
        y = out[t].to_numpy(float)
        old = analyse(res.spec, res.seed, y, noise[t])
        pairs = paired_noise(res.spec, res.seed, reps[t].to_numpy(float))
        new = analyse(res.spec, res.seed, y, pairs=pairs)
        fl = new.mu_star_noise
        print(f"{kpi:34s} {t:10s} independent-floor {old.mu_star_noise.iloc[0]:8.3f}  "
              f"paired-floor mean {fl.mean():8.3f} median {fl.median():8.3f} "
              f"min {fl.min():7.3f} max {fl.max():7.3f}  above_noise {int(new.above_noise.sum())}"
              f"/{len(new)} (indep. {int(old.above_noise.sum())})")
