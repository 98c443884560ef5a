"""Held–Suarez emulator experiment (issue 12): train ML-SCAM on years of in-memory simulated climate, resumably.

    python tools/hs_emulator.py --config examples/heldsuarez_t42.yaml --out runs/hs42 --budget 540

Each call (re)makes the data from seeds with `mlscam.ensemble.simulate_ensemble` (the training members, and one
held-out run with another seed), then continues the stages of the recipe where the last call stopped —
single-column pretraining on ensemble patches, then global-rollout fine-tuning on ensemble windows — each a
`mlscam.train.Trainer` run that resumes bit-exactly from its `checkpoints/last.pt` — and stops training when the
time budget is spent, keeping `--eval-seconds` for the evaluation: 10-day forecasts from held-out states
(latitude-weighted RMSE and ACC vs persistence and climatology at σ ≈ 0.5) and a free run of `--free-days` days
(when and where it first leaves the physical range). Results go to `<out>/eval.json` and are printed.

The spun-up states of the members are cached in `$MLSCAM_CACHE` (default `~/.cache/mlscam`), so later calls skip
the spin-up; the cache holds only what the seeds make again.
"""
import argparse
import copy
import json
import math
import os
import time
from pathlib import Path

os.environ.setdefault('XLA_PYTHON_CLIENT_PREALLOCATE', 'false')
import numpy as np
import torch
import yaml

from mlscam.config import config_from_dict
from mlscam.data import Normalizer, forcing_columns, load_stats, save_stats
from mlscam.ensemble import EnsemblePatches, EnsembleWindows, ensemble_stats, simulate_ensemble
from mlscam.train import Trainer, TrainingData


def _stage_cfg(cfg, stage: dict, out: Path):
    c = copy.deepcopy(cfg)
    for key, value in stage.get('train', {}).items(): setattr(c.train, key, value)
    for key, value in stage.get('model', {}).items(): setattr(c.model, key, value)   # e.g. checkpoint_blocks
    c.train.out_dir = str(out / stage['name'])
    c.train.resume = (out / stage['name'] / 'checkpoints' / 'last.pt').exists()
    return c


def _done(cfg) -> bool:
    last = Path(cfg.train.out_dir) / 'checkpoints' / 'last.pt'
    if not last.exists(): return False
    return torch.load(last, map_location='cpu', weights_only=True)['train_state']['step'] >= cfg.train.steps


def _level_index(levels, target=0.5) -> int:
    return int(np.argmin(np.abs(np.asarray(levels) - target)))


@torch.no_grad()
def evaluate(model, normalizer, held_out, member, clim, layout, inits, lead_days=10, every=12, free_days=365, device='cuda'):
    "10-day forecasts from `inits` of the held-out run vs persistence and climatology, and a free run of `free_days`."
    dt_per_day = 48
    k = _level_index(layout.levels)
    names = layout.state_names()
    pick = {v: names.index(f'{v}@{layout.levels[k]:g}') for v in ('temperature', 'u_component_of_wind',
                                                                  'v_component_of_wind', 'geopotential')}
    w = torch.as_tensor(held_out.grid.lat_weights(), dtype=torch.float32, device=device).view(1, -1, 1)   # (1, lat, 1)
    forcing = torch.from_numpy(forcing_columns(held_out.coords(), layout)).to(device)
    f_norm = normalizer.normalize_forcing(forcing)                                   # (time, lat, lon, F)
    steps = lead_days * dt_per_day
    x0 = held_out.states.get(member, torch.as_tensor(inits, device=device))             # (init, lat, lon, C)
    z = model.encode(normalizer.normalize_state(x0), f_norm[inits])
    leads, sq_model, sq_pers, sq_clim, acc = [], [], [], [], []
    unstable_at = None
    for s in range(1, steps + 1):
        with torch.autocast('cuda', dtype=torch.bfloat16, enabled=device == 'cuda'):
            z = model.step(z, f_norm[np.asarray(inits) + s - 1], held_out.grid)
        z = z.float()
        if s % every: continue
        pred = normalizer.denormalize_state(model.decode(z))                         # (init, lat, lon, C)
        truth = held_out.states.get(member, torch.as_tensor(np.asarray(inits) + s, device=device))
        c = clim[None]                                                               # (1, lat, 1, C)
        err = lambda a: ((a - truth) ** 2 * w[..., None]).mean((1, 2)).mean(0)       # (C,) WB2: mean over inits, then sqrt
        sq_model.append(err(pred)); sq_pers.append(err(x0)); sq_clim.append(err(c.expand_as(truth)))
        pa, ta = pred - c, truth - c
        acc.append(((pa * ta * w[..., None]).sum((1, 2)) / torch.sqrt((pa ** 2 * w[..., None]).sum((1, 2)) *
                                                                    (ta ** 2 * w[..., None]).sum((1, 2)))).mean(0))
        leads.append(s / dt_per_day)
        if unstable_at is None and not bool(torch.isfinite(pred).all()): unstable_at = s / dt_per_day
    table = {}
    for v, c in pick.items():
        table[v] = dict(lead_days=leads, rmse=[float(torch.sqrt(q[c])) for q in sq_model],
                        persistence=[float(torch.sqrt(q[c])) for q in sq_pers],
                        climatology=[float(torch.sqrt(q[c])) for q in sq_clim], acc=[float(a[c]) for a in acc])
    # free run from the first held-out state: decoded once a day, checked against the physical range
    z = model.encode(normalizer.normalize_state(held_out.states.get(member, [0])), f_norm[[0]])
    lo, hi = normalizer.mean - 10 * normalizer.std, normalizer.mean + 10 * normalizer.std
    free = dict(days=0, stopped=None, global_mean_T=[], max_abs_u=[])
    u_channels = [i for i, n in enumerate(names) if n.startswith('u_component')]
    t0 = time.perf_counter()
    for day in range(1, free_days + 1):
        for s in range(dt_per_day):
            with torch.autocast('cuda', dtype=torch.bfloat16, enabled=device == 'cuda'):
                z = model.step(z, f_norm[[0]], held_out.grid).float()    # Held–Suarez forcing is constant in time
        x = normalizer.denormalize_state(model.decode(z))[0]                          # (lat, lon, C)
        free['days'] = day
        free['global_mean_T'].append(float((x[..., pick['temperature']] * w[0]).mean()))
        free['max_abs_u'].append(float(x[..., u_channels].abs().max()))
        bad = ~torch.isfinite(x) | (x < lo) | (x > hi)
        if bool(bad.any()):
            i, j, c = (int(a) for a in bad.nonzero()[0])
            free['stopped'] = dict(day=day, channel=names[c], lat=float(held_out.lat[i]), lon=float(held_out.lon[j]),
                                   value=float(x[i, j, c]))
            break
    free['seconds'] = time.perf_counter() - t0
    return dict(level=float(layout.levels[k]), forecasts=table, free_run=free)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--config', required=True)
    p.add_argument('--out', required=True)
    p.add_argument('--budget', type=float, default=540., help='seconds for this call, data and evaluation included')
    p.add_argument('--eval-seconds', type=float, default=100.)
    p.add_argument('--free-days', type=int, default=365)
    p.add_argument('--inits', type=int, default=5)
    p.add_argument('--lead-days', type=int, default=10)
    args = p.parse_args(argv)
    start = time.perf_counter()
    raw = yaml.safe_load(Path(args.config).read_text())
    stages = raw.pop('stages')
    recipe = raw.pop('ensemble')
    cfg = config_from_dict(raw)                     # the sections Config knows; 'stages' and 'ensemble' are this script's
    out = Path(args.out); out.mkdir(parents=True, exist_ok=True)
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    t = time.perf_counter()
    train_members = list(range(recipe['members']))
    seeds = [cfg.sim.seed + m for m in train_members] + [recipe['val_seed']]   # the held-out run steps with the others
    ens = simulate_ensemble(cfg.sim, seeds=seeds, device=device)
    held = ens.members - 1
    data_s = time.perf_counter() - t
    print(f'data: {len(train_members)} training runs + 1 held-out run (seeds {seeds}) × {cfg.sim.days} days in {data_s:.0f} s; '
          f'{ens.states.codes.numel() * 2 / 2**30:.1f} GiB of int16 on {device}', flush=True)
    stats_path = out / 'stats.nc'
    if not stats_path.exists(): save_stats(ensemble_stats(ens, members=train_members, every=recipe.get('stats_every', 3)), stats_path)
    stats = load_stats(stats_path)                  # the first call's statistics, reused by every later call
    normalizer = Normalizer.from_stats(stats, ens.layout)
    log = json.loads((out / 'log.json').read_text()) if (out / 'log.json').exists() else []
    model = None
    started = [i for i, st in enumerate(stages) if (out / st['name'] / 'checkpoints' / 'last.pt').exists()]
    for n, stage in enumerate(stages):
        scfg = _stage_cfg(cfg, stage, out)
        if started and n < started[-1]: print(f"stage {stage['name']}: done (a later stage has begun)"); continue
        if stage.get('init_from') and not scfg.train.resume: scfg.train.init_from = str(out / stage['init_from'] / 'checkpoints' / 'last.pt')
        left = args.budget - (time.perf_counter() - start) - args.eval_seconds
        if _done(scfg): print(f"stage {stage['name']}: done"); continue
        if left < 30: print(f"stage {stage['name']}: no time left ({left:.0f} s)"); break
        k = max([scfg.train.rollout_steps] + [s for _, s in scfg.train.rollout_curriculum]) if scfg.train.mode == 'global_rollout' else 1
        if scfg.train.mode == 'single_column':
            train = EnsemblePatches(ens, normalizer, n=stage['patches'], members=train_members, seed=scfg.train.seed)
            val = EnsemblePatches(ens, normalizer, n=8192, members=[held], seed=1)
        else:
            train = EnsembleWindows(ens, normalizer, steps=k, members=train_members, stride=stage.get('stride', 1))
            val = EnsembleWindows(ens, normalizer, steps=k, members=[held], stride=24)
        data = TrainingData(train, val, ens.layout, normalizer, ens.grid, normalizer.tendency_scale.detach().clone(),
                            (normalizer.std + normalizer.eps).cpu().numpy().astype(np.float64), str(ens.time_step))
        trainer = Trainer(scfg, data=data, progress=True)
        t = time.perf_counter(); step0 = trainer.step
        trainer.fit(time_limit=min(left, stage.get('max_seconds', math.inf)))
        log.append(dict(stage=stage['name'], steps=[step0, trainer.step], seconds=time.perf_counter() - t))
        print(f"stage {stage['name']}: steps {step0} → {trainer.step} in {time.perf_counter() - t:.0f} s", flush=True)
        model = trainer.model
    last = [s for s in stages if (out / s['name'] / 'checkpoints' / 'last.pt').exists()]
    if last:
        from mlscam.model import load_model
        model, _ = load_model(out / last[-1]['name'] / 'checkpoints' / 'last.pt', map_location=device)
        x = ens.states.get(torch.as_tensor(train_members)[:, None], torch.arange(0, ens.states.shape[1], 24)[None])                              # (member, time, lat, lon, C)
        clim = x.mean((0, 1, 3))[:, None, :]                                             # (lat, 1, C) zonal-time mean
        inits = list(np.linspace(0, ens.states.shape[1] - args.lead_days * 48 - 1, args.inits).astype(int))
        result = evaluate(model, normalizer.to(device), ens, held, clim, ens.layout, inits, lead_days=args.lead_days,
                          free_days=args.free_days, device=device)
        result.update(stage=last[-1]['name'], data_seconds=data_s, log=log)
        (out / 'eval.json').write_text(json.dumps(result, indent=1))
        for v, r in result['forecasts'].items():
            row = lambda key: ' '.join(f'{a:7.3g}' for a in r[key][::max(1, len(r[key]) // 10)])
            print(f'{v:22s} leads {" ".join(f"{a:7.3g}" for a in r["lead_days"][::max(1, len(r["lead_days"]) // 10)])}\n  rmse {row("rmse")}\n  pers {row("persistence")}\n  clim {row("climatology")}\n  acc  {row("acc")}')
        print('free run:', {k: v for k, v in result['free_run'].items() if k not in ('global_mean_T', 'max_abs_u')})
    (out / 'log.json').write_text(json.dumps(log, indent=1))
    print(f'total {time.perf_counter() - start:.0f} s')


if __name__ == '__main__':
    main()
