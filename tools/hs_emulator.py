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
import shutil
import time
from pathlib import Path

os.environ.setdefault('XLA_PYTHON_CLIENT_PREALLOCATE', 'false')
# The data are remade from seeds in every call and must come out bit for bit the same (calls 8-10 ran without these
# and each got other weather of the same climate): deterministic GPU reductions, and no Triton GEMMs, for which XLA
# finds no deterministic configuration (BENCHMARKS.md, call 1). A user's own XLA_FLAGS are kept.
_flags = os.environ.get('XLA_FLAGS', '')
for _f in ('--xla_gpu_deterministic_ops=true', '--xla_gpu_enable_triton_gemm=false'):
    if _f.split('=')[0] not in _flags: _flags = f'{_flags} {_f}'.strip()
os.environ['XLA_FLAGS'] = _flags
import numpy as np
import torch
import yaml

from mlscam.config import config_from_dict
from mlscam.data import Normalizer, forcing_columns, load_stats, save_stats
from mlscam.model import Checkpoint
from mlscam.ensemble import EnsemblePatches, EnsembleWindows, ensemble_stats, simulate_ensemble
from mlscam.train import Trainer, TrainingData, max_rollout_steps, window_steps


def _stage_cfg(cfg, stage: dict, out: Path):
    c = copy.deepcopy(cfg)
    for key, value in stage.get('train', {}).items(): setattr(c.train, key, value)
    for key, value in stage.get('model', {}).items(): setattr(c.model, key, value)   # e.g. checkpoint_blocks
    c.train.out_dir = str(out / stage['name'])
    c.train.resume = (out / stage['name'] / 'checkpoints' / 'last.pt').exists()
    return c


def _done(cfg) -> bool:
    last = Path(cfg.train.out_dir) / 'checkpoints' / 'last.pt'
    return last.exists() and Checkpoint.load(last).step >= cfg.train.steps


def _level_index(levels, target=0.5) -> int:
    return int(np.argmin(np.abs(np.asarray(levels) - target)))


FLAT = 0.01   # a free-run field whose spatial spread falls below 1% of the training spread has stopped moving: the run ends

def free_run_stop(x, normalizer, names, lat, lon, day):
    "Why a free run's decoded state `x` (lat, lon, C) ends it, or None: non-finite or beyond the training mean ± 10 std, or a field gone flat (its spatial spread below `FLAT` of the training spread: a flow that has died)."
    mean, std = normalizer.mean.to(x), normalizer.std.to(x)
    bad = ~torch.isfinite(x) | (x < mean - 10 * std) | (x > mean + 10 * std)
    if bool(bad.any()):
        i, j, c = (int(a) for a in bad.nonzero()[0])
        return dict(day=day, reason='out of range', channel=names[c], lat=float(lat[i]), lon=float(lon[j]), value=float(x[i, j, c]))
    flat = x.flatten(0, 1).std(0) < FLAT * std                                      # (C,)
    if bool(flat.any()):
        c = int(flat.nonzero()[0])
        return dict(day=day, reason='flat', channel=names[c], spatial_std=float(x[..., c].std()), training_std=float(std[c]))
    return None

def eval_inits(n_times, args, per_day=48):
    "`args.inits` initial times spread over a run of `n_times` states, each leaving `args.lead_days` of truth after it."
    last = n_times - args.lead_days * per_day - 1
    if last < 0:
        raise SystemExit(f'hs_emulator: --lead-days {args.lead_days} needs runs of more than {args.lead_days} days; '
                         f'the held-out run has {n_times} states ({n_times / per_day:.1f} days): raise sim.days or lower --lead-days')
    return list(np.linspace(0, last, args.inits).astype(int))

@torch.no_grad()
def evaluate(model, normalizer, held_out, member, clim, layout, inits, lead_days=10, every=12, free_days=365, device='cuda',
             reencode_days=0):
    """10-day forecasts from `inits` of the held-out run vs persistence and climatology, and a free run of `free_days`
    (with `reencode_days` > 0 also the ablation `free_run_reencoded`: decoded and encoded again every so many days)."""
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
    spectra = {}                                                                     # lead (days) → ratios per variable
    unstable_at = None
    step = _bf16_step(model, device)
    for s, z, decoded in model.iter_unroll(z, lambda t: f_norm[np.asarray(inits) + t], steps, held_out.grid,
                                           decode_every=every, step=step):
        if decoded is None: continue
        pred = normalizer.denormalize_state(decoded)                                  # (init, lat, lon, C)
        truth = held_out.states.get(member, torch.as_tensor(np.asarray(inits) + s, device=device))
        c = clim[None]                                                               # (1, lat, 1, C)
        err = lambda a: ((a - truth) ** 2 * w[..., None]).mean((1, 2)).mean(0)       # (C,) WB2: mean over inits, then sqrt
        sq_model.append(err(pred)); sq_pers.append(err(x0)); sq_clim.append(err(c.expand_as(truth)))
        pa, ta = pred - c, truth - c
        acc.append(((pa * ta * w[..., None]).sum((1, 2)) / torch.sqrt((pa ** 2 * w[..., None]).sum((1, 2)) *
                                                                    (ta ** 2 * w[..., None]).sum((1, 2)))).mean(0))
        leads.append(s / dt_per_day)
        if s in (dt_per_day, 5 * dt_per_day, 10 * dt_per_day):
            spectra[f'{s // dt_per_day}'] = zonal_spectral_ratios(pred, truth, held_out.lat, held_out.lon, pick)
        if unstable_at is None and not bool(torch.isfinite(pred).all()): unstable_at = s / dt_per_day
    table = {}
    for v, c in pick.items():
        table[v] = dict(lead_days=leads, rmse=[float(torch.sqrt(q[c])) for q in sq_model],
                        persistence=[float(torch.sqrt(q[c])) for q in sq_pers],
                        climatology=[float(torch.sqrt(q[c])) for q in sq_clim], acc=[float(a[c]) for a in acc])
    # free run from the first held-out state: decoded once a day, checked against the physical range
    f0 = f_norm[[0]]                                                                  # Held–Suarez forcing is constant in time
    x0 = held_out.states.get(member, [0])
    free = free_run(model, normalizer, x0, f0, free_days, held_out, step)
    result = dict(level=float(layout.levels[k]), forecasts=table, spectral_ratio=spectra, free_run=free)
    if reencode_days: result['free_run_reencoded'] = free_run(model, normalizer, x0, f0, free_days, held_out, step,
                                                              reencode_days=reencode_days)
    return result


def free_run(model, normalizer, x0, f0, days, held_out, step, reencode_days=0, dt_per_day=48):
    """A free run of `days` from state `x0` (1, lat, lon, C), decoded once a day and checked against the physical
    range (`free_run_stop`). The rollout stays in latent space; `reencode_days` > 0 is the ablation that decodes and
    encodes the state again every so many days (what the design does not do), to tell drift off the encoder's
    manifold from the step's own dynamics. `held_out` (an `Ensemble`) gives the grid, its weights and the channels."""
    names = held_out.layout.state_names()
    t_mid = names.index(f'temperature@{held_out.layout.levels[_level_index(held_out.layout.levels)]:g}')
    w = torch.as_tensor(held_out.grid.lat_weights(), dtype=torch.float32, device=x0.device).view(-1, 1)   # (lat, 1)
    u_channels = [i for i, n in enumerate(names) if n.startswith('u_component')]
    free = dict(days=0, stopped=None, global_mean_T=[], max_abs_u=[], reencode_days=reencode_days)
    t0 = time.perf_counter()
    z = model.encode(normalizer.normalize_state(x0), f0)
    segment = reencode_days or days
    for first in range(0, days, segment):
        n = min(segment, days - first)
        decoded_last = None
        for s, z, decoded in model.iter_unroll(z, lambda t: f0, n * dt_per_day, held_out.grid,
                                               decode_every=dt_per_day, step=step):
            if decoded is None: continue
            day = first + s // dt_per_day
            x = normalizer.denormalize_state(decoded)[0]                              # (lat, lon, C)
            free['days'] = day
            free['global_mean_T'].append(float((x[..., t_mid] * w).mean()))
            free['max_abs_u'].append(float(x[..., u_channels].abs().max()))
            free['stopped'] = free_run_stop(x, normalizer, names, held_out.lat, held_out.lon, day)
            if free['stopped']: break
            decoded_last = decoded
        if free['stopped']: break
        if reencode_days: z = model.encode(decoded_last, f0)                          # the ablation: back onto the encoder's states
    free['seconds'] = time.perf_counter() - t0
    return free


def zonal_spectral_ratios(pred, truth, lat, lon, pick: dict, m_max: int = 42) -> dict:
    "Zonal energy spectrum of `pred` over that of `truth` (both (init, lat, lon, C)), area-weighted over all rows and averaged over inits, for the channels of `pick` → {variable: dict(ratio per m ≤ m_max, range over 1 ≤ m ≤ 28)}."
    import xarray as xr
    from mlscam.spectra import zonal_spectrum
    out = {}
    for v, c in pick.items():
        da = lambda x: xr.DataArray(x[..., c].double().cpu().numpy(), dims=('init', 'lat', 'lon'), coords=dict(lat=lat, lon=lon))
        spec = lambda x: zonal_spectrum(da(x), lat_bands=[(-90., 90.)]).isel(lat_band=0).mean('init')   # (wavenumber,)
        with np.errstate(all='ignore'): ratio = (spec(pred) / spec(truth)).values[:m_max + 1]
        band = ratio[1:29]
        out[v] = dict(ratio=[float(r) for r in ratio],
                      min_1_28=float(np.min(band)) if np.isfinite(band).all() else None,
                      max_1_28=float(np.max(band)) if np.isfinite(band).all() else None)
    return out


def _bf16_step(model, device):
    "`model.step` under bf16 autocast on a GPU, returning float32 latents (the step `iter_unroll` is given)."
    def step(z, forcing, grid):
        with torch.autocast('cuda', dtype=torch.bfloat16, enabled=device == 'cuda'):
            return model.step(z, forcing, grid).float()
    return step


@torch.no_grad()
def linear_growth(model, z, forcing, grid, iters=30, eps=1e-2, seed=0):
    "Power iteration on the step's Jacobian at latent `z` (1, lat, lon, D) by central differences → (growth per step, mode energy per latitude)."
    g = torch.Generator(device=z.device).manual_seed(seed)
    v = torch.randn(z.shape, generator=g, device=z.device)
    v /= v.norm()
    ratios = []
    for _ in range(iters):
        jv = (model.step(z + eps * v, forcing, grid) - model.step(z - eps * v, forcing, grid)) / (2 * eps)
        r = jv.norm(); ratios.append(float(r)); v = jv / r
    energy = v.square().sum((0, 2, 3))                                               # (lat,)
    spec = torch.fft.rfft(v[0], dim=1).abs().square().sum((0, 2))                    # (m,) zonal wavenumbers
    short = float(spec[spec.shape[0] // 2:].sum() / spec.sum())                      # share at m >= nlon/4
    return float(np.exp(np.mean(np.log(ratios[iters // 2:])))), (energy / energy.sum()).cpu().numpy(), short, spec.cpu().numpy()


def diagnose(model, normalizer, ens, member, layout, device, polar_filter=None):
    "Leading linear growth of one step from a held-out state; with `polar_filter` set on a copy of the model's config."
    m = model
    if polar_filter is not None:
        m = copy.deepcopy(model); m.cfg = copy.copy(model.cfg); m.cfg.polar_filter = polar_filter
    forcing = torch.from_numpy(forcing_columns(ens.coords(), layout)).to(device)
    f = normalizer.normalize_forcing(forcing)[[0]]
    z = m.encode(normalizer.normalize_state(ens.states.get(member, [0])), f).float()
    growth, energy, short, spec = linear_growth(m, z, f, ens.grid)
    truncation = int(str(ens.cfg.resolution).lstrip('TL'))                           # the data hold nothing above it
    lat = np.asarray(ens.grid.lat)
    top = np.argsort(energy)[::-1][:3]
    return dict(growth_per_step=growth, growth_per_6h=growth ** 12, polar_filter=m.cfg.polar_filter,
                energy_poleward_80=float(energy[np.abs(lat) > 80].sum()), energy_short_waves=short,
                energy_above_truncation=float(spec[truncation + 1:].sum() / spec.sum()), zonal_truncation=m.cfg.zonal_truncation,
                top_lats=[float(lat[i]) for i in top], top_energy=[float(energy[i]) for i in top])


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items(): out[k] = _merge(out.get(k, {}), v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--config', required=True)
    p.add_argument('--out', required=True)
    p.add_argument('--budget', type=float, default=540., help='seconds for this call, data and evaluation included')
    p.add_argument('--eval-seconds', type=float, default=100., help='seconds kept for each evaluation')
    p.add_argument('--free-days', type=int, default=365)
    p.add_argument('--reencode-days', type=int, default=0, help='also a free run decoded and encoded again every so many '
                   'days: an ablation (the design never re-encodes)')
    p.add_argument('--inits', type=int, default=5)
    p.add_argument('--lead-days', type=int, default=10)
    p.add_argument('--variants', default='', help="comma-separated names of the config's `variants:` to train side by side "
                   "(each in <out>/<name>, on the same data); '' = the recipe itself in <out>")
    p.add_argument('--start-from', default=None, help='a fine-tuning last.pt that a variant without its own checkpoint continues')
    p.add_argument('--diagnose', action='store_true', help="leading linear growth of each trained model's step at a held-out state")
    p.add_argument('--diagnose-start', action='store_true', help='the same for the --start-from checkpoint, with and without a polar filter')
    args = p.parse_args(argv)
    start = time.perf_counter()
    raw = yaml.safe_load(Path(args.config).read_text())
    variants = raw.pop('variants', {})
    names = [v for v in args.variants.split(',') if v]
    unknown = [v for v in names if v not in variants]
    if unknown: raise SystemExit(f'{args.config}: no variants {unknown} (it has {sorted(variants)})')
    out = Path(args.out); out.mkdir(parents=True, exist_ok=True)
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    base = _merge(raw, {}); base.pop('stages'); recipe = base.pop('ensemble')
    cfg0 = config_from_dict(base)
    t = time.perf_counter()
    train_members = list(range(recipe['members']))
    seeds = [cfg0.sim.seed + m for m in train_members] + [recipe['val_seed']]   # the held-out run steps with the others
    ens = simulate_ensemble(cfg0.sim, seeds=seeds, device=device)
    held = ens.members - 1
    data_s = time.perf_counter() - t
    print(f'data: {len(train_members)} training runs + 1 held-out run (seeds {seeds}) × {cfg0.sim.days} days in {data_s:.0f} s; '
          f'{ens.states.codes.numel() * 2 / 2**30:.1f} GiB of int16 on {device}', flush=True)
    stats_path = out / 'stats.nc'
    if not stats_path.exists(): save_stats(ensemble_stats(ens, members=train_members, every=recipe.get('stats_every', 3)), stats_path)
    stats = load_stats(stats_path)                  # the first call's statistics, reused by every later call
    normalizer = Normalizer.from_stats(stats, ens.layout)
    diagnostics = {}
    if args.diagnose_start and args.start_from:
        from mlscam.model import load_model
        m0, _ = load_model(args.start_from, map_location=device)
        nd = normalizer.to(device)
        diagnostics['start'] = diagnose(m0, nd, ens, held, ens.layout, device)
        diagnostics['start+filter60'] = diagnose(m0, nd, ens, held, ens.layout, device, polar_filter=60.)
        print('diagnostics:', json.dumps(diagnostics), flush=True)
        inits = eval_inits(ens.states.shape[1], args)
        clim = _climatology(ens, train_members)
        m0f = copy.deepcopy(m0); m0f.cfg = copy.copy(m0.cfg); m0f.cfg.polar_filter = 60.
        r = evaluate(m0f, nd, ens, held, clim, ens.layout, inits, lead_days=args.lead_days, free_days=args.free_days, device=device)
        r.update(stage='start checkpoint, polar filter 60° at inference only')
        (out / 'eval_start_filter60.json').write_text(json.dumps(r, indent=1)); _print_eval(r)
    runs = [(name, out / name, _merge(raw, variants[name])) for name in names] or [(None, out, raw)]
    for n, (name, vout, vraw) in enumerate(runs):
        vout.mkdir(parents=True, exist_ok=True)
        last = vout / 'finetune' / 'checkpoints' / 'last.pt'
        restart = vraw.pop('restart', False)      # a new fine-tuning run (fresh optimizer and schedule) from --start-from's weights
        if restart and last.exists(): restart = False        # begun in an earlier call: resume it
        if restart and not args.start_from: raise SystemExit(f'variant {name}: restart needs --start-from')
        if restart: vraw['restart_from'] = args.start_from
        elif name and args.start_from and not last.exists():
            last.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(args.start_from, last)
            metrics = Path(args.start_from).parent.parent / 'metrics.csv'
            if metrics.exists(): shutil.copyfile(metrics, vout / 'finetune' / 'metrics.csv')
        left = args.budget - (time.perf_counter() - start)
        share = left / (len(runs) - n)
        print(f'variant {name or "recipe"}: {share:.0f} s of {left:.0f} s left', flush=True)
        run_recipe(vraw, vout, ens, held, train_members, normalizer, data_s, args, budget=share, device=device)
    if diagnostics: (out / 'diagnostics.json').write_text(json.dumps(diagnostics, indent=1))
    print(f'total {time.perf_counter() - start:.0f} s')


def _climatology(ens, train_members):
    x = ens.states.get(torch.as_tensor(train_members)[:, None], torch.arange(0, ens.states.shape[1], 24)[None])   # (member, time, lat, lon, C)
    return x.mean((0, 1, 3))[:, None, :]                                               # (lat, 1, C) zonal-time mean


def _print_eval(result):
    for v, r in result['forecasts'].items():
        row = lambda key: ' '.join(f'{a:7.3g}' for a in r[key][::max(1, len(r[key]) // 10)])
        print(f'{v:22s} leads {" ".join(f"{a:7.3g}" for a in r["lead_days"][::max(1, len(r["lead_days"]) // 10)])}\n  rmse {row("rmse")}\n  pers {row("persistence")}\n  clim {row("climatology")}\n  acc  {row("acc")}')
    for key in ('free_run', 'free_run_reencoded'):
        if key in result:
            print(key.replace('_', ' ') + ':', {k: v for k, v in result[key].items() if k not in ('global_mean_T', 'max_abs_u')}, flush=True)


def run_recipe(raw, out, ens, held, train_members, normalizer, data_s, args, budget, device):
    "Continue the stages of `raw` in `out` for `budget` seconds (evaluation included), then evaluate the last stage."
    start = time.perf_counter()
    raw = copy.deepcopy(raw)
    stages = raw.pop('stages'); raw.pop('ensemble')
    stage_train = raw.pop('stage_train', {})         # per-stage train overrides of a variant
    restart_from = raw.pop('restart_from', None)     # the last stage starts from these weights; earlier ones are skipped
    for stage in stages: stage.setdefault('train', {}).update(stage_train.get(stage['name'], {}))
    cfg = config_from_dict(raw)
    log = json.loads((out / 'log.json').read_text()) if (out / 'log.json').exists() else []
    started = [i for i, st in enumerate(stages) if (out / st['name'] / 'checkpoints' / 'last.pt').exists()]
    for n, stage in enumerate(stages):
        scfg = _stage_cfg(cfg, stage, out)
        if started and n < started[-1]: print(f"stage {stage['name']}: done (a later stage has begun)"); continue
        if restart_from and n < len(stages) - 1: print(f"stage {stage['name']}: skipped (the last stage restarts from {restart_from})"); continue
        if stage.get('init_from') and not scfg.train.resume: scfg.train.init_from = str(out / stage['init_from'] / 'checkpoints' / 'last.pt')
        if restart_from and not scfg.train.resume: scfg.train.init_from = str(restart_from)
        left = budget - (time.perf_counter() - start) - args.eval_seconds
        if _done(scfg): print(f"stage {stage['name']}: done"); continue
        if left < 30: print(f"stage {stage['name']}: no time left ({left:.0f} s)"); break
        tc = scfg.train
        k = max_rollout_steps(tc.mode, tc.rollout_steps, tc.rollout_curriculum)          # scored steps (validation)
        pushed = window_steps(tc)                                                         # + unscored
        if scfg.train.mode == 'single_column':
            train = EnsemblePatches(ens, normalizer, n=stage['patches'], members=train_members, seed=scfg.train.seed,
                                    weighting=stage.get('weighting', 'area'))
            val = EnsemblePatches(ens, normalizer, n=8192, members=[held], seed=1)
        else:
            train = EnsembleWindows(ens, normalizer, steps=pushed, members=train_members, stride=stage.get('stride', 1))
            val = EnsembleWindows(ens, normalizer, steps=k, members=[held], stride=24)
        data = TrainingData(train, val, ens.layout, normalizer, ens.grid, normalizer.tendency_scale.detach().clone(),
                            (normalizer.std + normalizer.eps).cpu().numpy().astype(np.float64), str(ens.time_step))
        trainer = Trainer(scfg, data=data, progress=True)
        t = time.perf_counter(); step0 = trainer.step
        trainer.fit(time_limit=min(left, stage.get('max_seconds', math.inf)))
        log.append(dict(stage=stage['name'], steps=[step0, trainer.step], seconds=time.perf_counter() - t))
        print(f"stage {stage['name']}: steps {step0} → {trainer.step} in {time.perf_counter() - t:.0f} s", flush=True)
        del trainer
    last = [s for s in stages if (out / s['name'] / 'checkpoints' / 'last.pt').exists()]
    if last:
        from mlscam.model import load_model
        model, _ = load_model(out / last[-1]['name'] / 'checkpoints' / 'last.pt', map_location=device)
        inits = eval_inits(ens.states.shape[1], args)
        nd = normalizer.to(device)
        result = evaluate(model, nd, ens, held, _climatology(ens, train_members), ens.layout, inits,
                          lead_days=args.lead_days, free_days=args.free_days, device=device, reencode_days=args.reencode_days)
        result.update(stage=last[-1]['name'], data_seconds=data_s, log=log)
        if args.diagnose: result['diagnostics'] = diagnose(model, nd, ens, held, ens.layout, device)
        (out / 'eval.json').write_text(json.dumps(result, indent=1))
        _print_eval(result)
        if args.diagnose: print('diagnostics:', result['diagnostics'], flush=True)
    (out / 'log.json').write_text(json.dumps(log, indent=1))


if __name__ == '__main__':
    main()
