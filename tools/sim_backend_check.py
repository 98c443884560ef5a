"""Does the GPU simulator reproduce the CPU's? One Held–Suarez run on the GPU, the same run as the first of two on
the GPU, and the same run on this machine's CPU (JAX on CPU in a child process), compared after a short spin-up.

    python tools/sim_backend_check.py --dot-precision highest  --out runs/simcheck_highest.json
    python tools/sim_backend_check.py --dot-precision dinosaur --out runs/simcheck_dinosaur.json
    XLA_FLAGS=--xla_gpu_enable_triton_gemm=true python tools/sim_backend_check.py ...   # with Triton GEMMs

Two days from rest the atmosphere is not chaotic yet: the three must agree to round-off (≪ 0.1 K, ≪ 1 hPa) and
keep the mass of a 1000 hPa atmosphere (BENCHMARKS.md, 2026-12-04: under dinosaur's own GPU arithmetic the one-run
GPU state had 916 hPa). `tools/hs_emulator` is imported first, so its deterministic XLA flags apply as in training.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hs_emulator                                   # noqa: F401  (sets the deterministic XLA flags before JAX starts)
import numpy as np
import torch

from mlscam.config import config_from_dict
from mlscam.ensemble import simulate_ensemble


def first_member(seeds, device, args):
    "Member 0 of `simulate_ensemble(seeds)` on `device`: (time, lat, lon, channel) float32, and its layout."
    sim = dict(resolution=args.resolution, levels=args.levels, spinup_days=args.spinup_days, days=1, seed=seeds[0],
               dot_precision=args.dot_precision)
    t0 = time.perf_counter()
    ens = simulate_ensemble(config_from_dict({'sim': sim}).sim, seeds=seeds, device=device, cache=False, progress=False)
    x = ens.states.get(0, slice(None)).float().cpu().numpy()
    print(f'seeds {seeds} on {device}: {time.perf_counter() - t0:.1f} s', flush=True)
    return x, ens.layout.state_names(), np.cos(np.radians(ens.lat))


def summary(x, names, w):
    "Global means of the last state: T (all levels), surface pressure; and the range of u."
    idx = lambda prefix: [i for i, n in enumerate(names) if n.startswith(prefix)]
    last, wl = x[-1], w[:, None] / w.mean()
    gmean = lambda ch: float((last[..., ch].mean(-1) * wl).mean())
    u = last[..., idx('u_component_of_wind')]
    return dict(mean_T=gmean(idx('temperature')), mean_ps=gmean(idx('surface_pressure')), u_min=float(u.min()),
                u_max=float(u.max()))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--dot-precision', default='highest', choices=('highest', 'dinosaur'), help='SimConfig.dot_precision')
    p.add_argument('--resolution', default='T42')
    p.add_argument('--levels', type=int, default=20)
    p.add_argument('--spinup-days', type=int, default=2)
    p.add_argument('--seed', type=int, default=101)
    p.add_argument('--out', default=None, help='a JSON file of the results')
    p.add_argument('--cpu-child', default=None, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.cpu_child:                                   # the child: JAX on the CPU
        x, _, _ = first_member([a.seed], 'cpu', a)
        np.save(a.cpu_child, x); return
    if not torch.cuda.is_available(): p.error('no GPU here: this compares the GPU simulator with the CPU one')
    runs = {'gpu, one run': first_member([a.seed], 'cuda', a), 'gpu, first of two': first_member([a.seed, a.seed + 1000], 'cuda', a)}
    tmp = Path(os.environ.get('TMPDIR', '/tmp')) / f'sim_backend_check_{os.getpid()}.npy'
    child = [sys.executable, __file__, '--cpu-child', str(tmp)] + [f'--{k.replace("_", "-")}={v}' for k, v in vars(a).items()
                                                                  if k not in ('out', 'cpu_child')]
    subprocess.run(child, env=dict(os.environ, JAX_PLATFORMS='cpu'), check=True)
    names, w = runs['gpu, one run'][1:]
    runs['cpu'] = (np.load(tmp), names, w); tmp.unlink()
    groups = {g: [i for i, n in enumerate(names) if n.startswith(g)] for g in
              ('temperature', 'u_component_of_wind', 'v_component_of_wind', 'surface_pressure')}
    result = dict(args={k: v for k, v in vars(a).items() if k != 'cpu_child'}, xla_flags=os.environ.get('XLA_FLAGS', ''),
                  summary={k: summary(*v) for k, v in runs.items()}, max_abs_diff_vs_cpu={})
    for name in ('gpu, one run', 'gpu, first of two'):
        d = np.abs(runs[name][0] - runs['cpu'][0])
        result['max_abs_diff_vs_cpu'][name] = {g: float(d[..., ch].max()) for g, ch in groups.items()}
    for k, v in result['summary'].items():
        print(f"{k:18s} mean T {v['mean_T']:.3f} K, mean surface pressure {v['mean_ps'] / 100:.2f} hPa, "
              f"u {v['u_min']:.1f} … {v['u_max']:.1f} m/s")
    for k, v in result['max_abs_diff_vs_cpu'].items():
        print(f'{k:18s} largest |GPU − CPU|:', ', '.join(f'{g} {x:.3g}' for g, x in v.items()))
    if a.out:
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        Path(a.out).write_text(json.dumps(result, indent=1))


if __name__ == '__main__':
    main()
