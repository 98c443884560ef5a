"""A free run of a Held–Suarez emulator from the held-out seed-101 state of the cached nine-run spin-up, on any
device, latent only or with the re-encoding ablation (BENCHMARKS.md, 2026-12-04: the CPU runs).

    python tools/hs_free_run.py --checkpoint heldsuarez-t42 --days 8 --out runs/free_latent.json
    python tools/hs_free_run.py --checkpoint heldsuarez-t42 --days 10 --reencode-days 1 --out runs/free_reencoded.json

The state is seed 101's spun-up state in `examples/results/hs42/spinup-T42-L20-b223a0be3cb9.npz` (the nine runs
`tools/hs_emulator.py` makes: seeds 1–8 and 101), stepped one output day by `mlscam.ensemble.simulate_ensemble` as
a run of its own; the run is `hs_emulator.free_run` (decoded once a day, stopped out of range or flat). No truth is
needed beyond the first state, so a CPU can run it (fp32, ~2 minutes per simulated day at T42 on 2 cores).
"""
import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hs_emulator                                   # sets the deterministic XLA flags before JAX starts
import numpy as np
import torch
import yaml

from mlscam.config import config_from_dict
from mlscam.data import Normalizer, forcing_columns
from mlscam.ensemble import simulate_ensemble, spinup_cache_path
from mlscam.model import Checkpoint

NINE = 'examples/results/hs42/spinup-T42-L20-b223a0be3cb9.npz'


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--checkpoint', default='heldsuarez-t42', help='a checkpoint file or the name of a bundled model')
    p.add_argument('--config', default='examples/heldsuarez_t42.yaml', help="whose `sim` section made the runs")
    p.add_argument('--days', type=int, default=10)
    p.add_argument('--reencode-days', type=int, default=0, help='decode and encode again every so many days (the ablation); 0 = latent only')
    p.add_argument('--device', default=None, help='cuda or cpu; default cuda if available')
    p.add_argument('--cache', default='runs/hs_free_run_cache', help="where seed 101's spun-up state is put as a run of its own")
    p.add_argument('--out', required=True, help='the JSON file of the free run')
    a = p.parse_args(argv)
    device = a.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    os.environ['MLSCAM_CACHE'] = str(Path(a.cache).resolve())
    sim = yaml.safe_load(Path(a.config).read_text())['sim']
    nine = spinup_cache_path(config_from_dict({'sim': dict(sim, seed=1)}).sim, list(range(1, 9)) + [101])
    if nine.name != Path(NINE).name:
        raise SystemExit(f'{a.config}: its sim section does not make the cached runs {NINE} (it would be {nine.name})')
    cfg = config_from_dict({'sim': dict(sim, seed=101, days=1)}).sim
    one = spinup_cache_path(cfg, [101])
    if not one.exists():                                   # seed 101's state (member 9 of 9) as a one-run cache
        one.parent.mkdir(parents=True, exist_ok=True)
        with np.load(NINE) as f: np.savez(one, **{k: f[k][8:9] for k in f.files})
    ens = simulate_ensemble(cfg, seeds=[101], device=device, progress=False)
    ckpt = Checkpoint.load(a.checkpoint, map_location=device)
    model = ckpt.model(device).eval()
    normalizer = Normalizer.from_dict(ckpt.normalizer).to(device)
    f_norm = normalizer.normalize_forcing(torch.from_numpy(forcing_columns(ens.coords(), ens.layout)).to(device))
    t0 = time.perf_counter()
    with torch.no_grad():
        free = hs_emulator.free_run(model, normalizer, ens.states.get(0, [0]), f_norm[[0]], a.days, ens,
                                    hs_emulator._bf16_step(model, device), reencode_days=a.reencode_days)
    free.update(checkpoint=str(a.checkpoint), device=device, state='seed 101, cached nine-run spin-up, day 1')
    out = Path(a.out); out.parent.mkdir(parents=True, exist_ok=True); out.write_text(json.dumps(free, indent=1, default=str))
    print(json.dumps({k: v for k, v in free.items()}, default=str), f'{time.perf_counter() - t0:.0f} s')


if __name__ == '__main__':
    main()
