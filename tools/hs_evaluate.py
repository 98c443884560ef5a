"""Score a trained Held–Suarez emulator on a held-out run made here: any seed, any climate (issue 12's shifted climate).

    python tools/hs_evaluate.py --checkpoint heldsuarez-t42 --seed 101 --out runs/hs42/eval_seed101.json
    python tools/hs_evaluate.py --checkpoint heldsuarez-t42 --seed 102 --delta-T 70 --out runs/hs42/eval_dT70.json

No training: one Held–Suarez run of `--config`'s `sim` section (T42 L20, 300-day spin-up from rest, 30-min
output) with the given seed and equator–pole temperature difference is made with `mlscam.ensemble.simulate_ensemble`
(its spun-up state cached in `$MLSCAM_CACHE`, so a second evaluation of the same run skips the spin-up), and the
checkpoint — normalised with its own training statistics — is scored by the scorer of `tools/hs_emulator.py`:
forecasts from `--inits` states to `--lead-days` (latitude-weighted RMSE and ACC at σ ≈ 0.5 against persistence and
climatology), a free run of `--free-days`, and the leading linear growth of one step. The climatology is the
evaluated run's own time- and zonal-mean (no training runs are made here), so on a shifted climate it is that
climate's. On a GPU the defaults take a few minutes; on a CPU use few inits and short leads (a T42 step of the
original-size model costs seconds there).
"""
import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hs_emulator                                   # sets the deterministic XLA flags before JAX starts
import torch
import yaml

from mlscam.config import config_from_dict
from mlscam.data import Normalizer
from mlscam.ensemble import simulate_ensemble
from mlscam.model import Checkpoint


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--checkpoint', required=True, help='a checkpoint file or the name of a bundled model')
    p.add_argument('--config', default='examples/heldsuarez_t42.yaml', help="whose `sim` section makes the run")
    p.add_argument('--seed', type=int, default=101, help='seed of the run (the training runs used 1-8)')
    p.add_argument('--delta-T', type=float, default=None, help="equator-pole temperature difference (K); default the config's")
    p.add_argument('--days', type=int, default=20, help='days of the run kept after its spin-up')
    p.add_argument('--inits', type=int, default=5, help='initial states, spread evenly over the run')
    p.add_argument('--lead-days', type=int, default=10)
    p.add_argument('--free-days', type=int, default=365)
    p.add_argument('--reencode-days', type=int, default=0, help='also the re-encoding ablation of the free run (hs_emulator.free_run)')
    p.add_argument('--device', default=None, help='cuda or cpu; default cuda if available')
    p.add_argument('--out', required=True, help='the JSON file of the scores')
    a = p.parse_args(argv)
    if a.days <= a.lead_days: p.error(f'--days ({a.days}) must exceed --lead-days ({a.lead_days})')
    device = a.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    sim = yaml.safe_load(Path(a.config).read_text()).get('sim', {})
    sim.update(seed=a.seed, days=a.days, **({} if a.delta_T is None else {'delta_T': a.delta_T}))
    cfg = config_from_dict({'sim': sim}).sim
    t0 = time.perf_counter()
    ens = simulate_ensemble(cfg, seeds=[a.seed], device=device)
    print(f'held-out run: seed {a.seed}, delta_T {cfg.delta_T:g} K, {cfg.spinup_days}-day spin-up, {a.days} days '
          f'in {time.perf_counter() - t0:.0f} s', flush=True)
    ckpt = Checkpoint.load(a.checkpoint, map_location=device)
    model = ckpt.model(device).eval()
    normalizer = Normalizer.from_dict(ckpt.normalizer).to(device)
    clim = hs_emulator._climatology(ens, [0])                                          # (lat, 1, C): the run's own
    inits = hs_emulator.eval_inits(ens.states.shape[1], a)
    t0 = time.perf_counter()
    result = hs_emulator.evaluate(model, normalizer, ens, 0, clim, ens.layout, inits, lead_days=a.lead_days,
                                  free_days=a.free_days, device=device, reencode_days=a.reencode_days)
    result['diagnostics'] = hs_emulator.diagnose(model, normalizer, ens, 0, ens.layout, device)
    result.update(checkpoint=str(a.checkpoint), checkpoint_step=ckpt.step, seed=a.seed, delta_T=cfg.delta_T,
                  climatology='the evaluated run (time and zonal mean)', inits=[int(i) for i in inits], device=device,
                  seconds=time.perf_counter() - t0)
    out = Path(a.out); out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + '.tmp'); tmp.write_text(json.dumps(result, indent=1)); tmp.replace(out)
    hs_emulator._print_eval(result)
    print('diagnostics:', result['diagnostics'])
    print(f'wrote {out}')


if __name__ == '__main__':
    main()
