"""GPU throughput of `mlscam.rollout.run`: column-steps per second and simulated years per day (SYPD).

    python tools/bench_rollout.py --device cuda                      # T42 and 1°, fp32 and bf16, original model sizes
    python tools/bench_rollout.py --device cpu --grids 16x32 --tiny  # a smoke test on the CPU

The model has the original alpha's sizes (latent 128, 32 heads, 4 blocks, token hidden 32, FFN 1024; random weights,
which are as fast as trained ones) on 4 variables × 30 levels + sin/cos latitude (122 inputs per column), dt = 30 min.
For each grid and precision it times `run` end to end (stepping, decoding every `--decode-every` steps, health checks,
writing NetCDF) and, for comparison, the bare latent step `model.step` in a loop. Prints a Markdown table for
BENCHMARKS.md.
"""
import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from mlscam.config import Config, ModelConfig, config_to_dict
from mlscam.data import ColumnLayout, Normalizer, compute_stats, synthetic_dataset
from mlscam.grid import Grid
from mlscam.model import MLSCAM, count_parameters, save_checkpoint
from mlscam.rollout import run

GRIDS = {'t42': (64, 128), '1deg': (181, 360)}
VARIABLES = ['temperature', 'u_component_of_wind', 'v_component_of_wind', 'geopotential']


def make_case(nlat, nlon, levels, tiny, out_dir: Path):
    "A synthetic initial state on an nlat × nlon grid and a random-weight checkpoint for it."
    ds = synthetic_dataset(nlat=nlat, nlon=nlon, levels=np.linspace(50., 1000., levels), times=2, step='30min')
    ds = ds.drop_vars(['surface_pressure', 'geopotential_at_surface', 'land_sea_mask'])
    layout = ColumnLayout(VARIABLES, ds.level.values, [], ['sin_lat', 'cos_lat'],
                          {v: ds[v].attrs['units'] for v in VARIABLES})
    normalizer = Normalizer.from_stats(compute_stats(ds, layout), layout)
    cfg = ModelConfig(latent=16, encoder_hidden=32, heads=4, blocks=2, token_hidden=8, ffn_hidden=32) if tiny else ModelConfig()
    torch.manual_seed(0)
    model = MLSCAM(cfg, layout.n_state, layout.n_forcing, layout.odd_channels())
    with torch.no_grad():   # small deltas, so a long benchmark run never trips the instability flag
        model.mixer.final.ffn.net[-2].weight.mul_(1e-3); model.mixer.final.ffn.net[-2].bias.zero_()
        model.mixer.final.tokens.w2.mul_(1e-3); model.mixer.final.tokens.b2.zero_()
    grid = Grid.from_coords(ds.lat.values, ds.lon.values)
    ckpt = save_checkpoint(out_dir / f'bench_{nlat}x{nlon}.pt', model,
                           extra=dict(layout=layout.to_dict(), normalizer=normalizer.to_dict(), grid=grid.to_dict(),
                                      config=config_to_dict(Config()), time_step='30min'))
    return ds, ckpt, model, grid, layout


def bare_step_ms(model, grid, n_forcing, device, precision, steps=20):
    "Milliseconds per bare latent step of the global field (no decoding, no I/O)."
    model = model.to(device).eval()
    z = torch.randn(1, grid.nlat, grid.nlon, model.cfg.latent, device=device)   # (batch, lat, lon, latent)
    f = torch.randn(1, grid.nlat, grid.nlon, n_forcing, device=device)          # (batch, lat, lon, forcing)
    sync = torch.cuda.synchronize if device.startswith('cuda') else (lambda: None)
    with torch.inference_mode(), torch.autocast(device.split(':')[0], dtype=torch.bfloat16, enabled=precision == 'bf16'):
        for _ in range(3): z = model.step(z, f, grid).float()
        sync(); t = time.perf_counter()
        for _ in range(steps): z = model.step(z, f, grid).float()
        sync()
    return (time.perf_counter() - t) / steps * 1e3


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--grids', nargs='+', default=['t42', '1deg'], help="t42, 1deg or NLATxNLON")
    p.add_argument('--precision', nargs='+', default=['fp32', 'bf16'])
    p.add_argument('--steps', type=int, default=480, help='steps of each timed run (10 simulated days)')
    p.add_argument('--decode-every', nargs='+', type=int, default=[12, 480], help='output interval(s) in steps')
    p.add_argument('--levels', type=int, default=30)
    p.add_argument('--tiny', action='store_true', help='a tiny model (smoke test)')
    p.add_argument('--out-dir', default=None, help='where to write checkpoints and outputs (default: a temporary dir)')
    a = p.parse_args(argv)
    out_dir = Path(a.out_dir or tempfile.mkdtemp(prefix='mlscam-bench-'))
    out_dir.mkdir(parents=True, exist_ok=True)
    name = torch.cuda.get_device_name() if a.device.startswith('cuda') else 'CPU'
    rows = []
    for g in a.grids:
        nlat, nlon = GRIDS[g] if g in GRIDS else map(int, g.lower().split('x'))
        ds, ckpt, model, grid, layout = make_case(nlat, nlon, a.levels, a.tiny, out_dir)
        params = count_parameters(model)['total']
        for precision in a.precision:
            bare = bare_step_ms(model, grid, layout.n_forcing, a.device, precision)
            run(ckpt, ds, steps=4, output=out_dir / 'warmup.nc', device=a.device, precision=precision, progress=False, overwrite=True)
            for every in a.decode_every:
                every = min(every, a.steps)
                if a.device.startswith('cuda'): torch.cuda.reset_peak_memory_stats()
                res = run(ckpt, ds, steps=a.steps, output=out_dir / f'bench_{g}.nc', decode_every=every, overwrite=True,
                          chunk_steps=min(a.steps, 96), device=a.device, precision=precision, progress=False)
                peak = torch.cuda.max_memory_allocated() / 2**30 if a.device.startswith('cuda') else float('nan')
                ms = res.wall_seconds / res.steps * 1e3
                rows.append((g, f'{nlat}×{nlon}', precision, every, res.steps, ms, nlat * nlon * res.steps / res.wall_seconds,
                             res.sypd, bare, 0.5 / 24 / 365.25 / (bare / 1e3) * 86400, peak, params))
                print(f'{g} {precision} decode_every={every}: {ms:.2f} ms/step, {res.sypd:.1f} SYPD '
                      f'(bare step {bare:.2f} ms)', flush=True)
        (out_dir / f'bench_{g}.nc').unlink(missing_ok=True)
    print(f'\n`run` throughput on {name}, dt = 30 min, {a.levels} levels × 4 variables, '
          f'{rows[0][-1] / 1e6:.2f} M parameters, {a.steps} steps per run\n')
    print('| grid | columns | precision | decode every | ms/step (run) | column-steps/s | SYPD (run) | ms/step (bare step) | SYPD (bare) | peak GPU GiB |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    for g, size, prec, every, steps, ms, cps, sypd, bare, bare_sypd, peak, _ in rows:
        print(f'| {g} | {size} | {prec} | {every} | {ms:.2f} | {cps:.3g} | {sypd:.0f} | {bare:.2f} | {bare_sypd:.0f} | {peak:.2f} |')


if __name__ == '__main__':
    main()
