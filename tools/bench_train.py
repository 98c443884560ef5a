"""GPU training throughput of ML-SCAM per mode: columns per second, time per step and peak memory.

    python tools/bench_train.py --device cuda [--compile] [--quick]

One optimizer step = forward through `mlscam.train.ForecastStep`, the composite `TrainingLoss`, backward, gradient
clipping and AdamW, on synthetic tensors already on the device (so the data loader is out of the measurement; the
loader's own rate is in tools/bench_data.py). Model: the original sizes (latent 128, 32 heads, 4 blocks, token
hidden 32, FFN 1024, encoder hidden 256) on a T42 L20 column (81 state channels, 2 forcings), bf16 autocast.
Modes: single_column (patches), global (K = 1) and global_rollout (K = 2, 4, 8, 16), the rollouts with and
without activation checkpointing per block. Prints a Markdown table.
"""
import argparse
import dataclasses
import time

import torch

from mlscam.config import LossWeights, ModelConfig
from mlscam.grid import Grid
from mlscam.losses import TrainingLoss
from mlscam.model import MLSCAM
from mlscam.train import ForecastStep, rollout_loss

N_STATE, N_FORCING = 81, 2
ODD = list(range(20, 60))                                   # u, v on 20 levels


def make(mode, grid, checkpoint_blocks, device, compile_):
    cfg = ModelConfig(dropout=0.0, checkpoint_blocks=checkpoint_blocks)
    model = MLSCAM(cfg, N_STATE, N_FORCING, ODD).to(device)
    lw = torch.as_tensor(grid.lat_weights(), dtype=torch.float32) if mode != 'single_column' else None
    loss_fn = TrainingLoss.from_config(dataclasses.replace(LossWeights(), representation=0.1), lat_weights=lw).to(device)
    net = ForecastStep(model, mode, grid, torch.ones(N_STATE)).to(device)
    if compile_: net = torch.compile(net)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    return model, net, loss_fn, opt


def batch_for(mode, batch, k, grid, device):
    g = torch.Generator(device=device).manual_seed(0)
    r = lambda *s: torch.randn(*s, device=device, generator=g)
    if mode == 'single_column':
        return dict(patch=r(batch, 3, 3, N_STATE), forcing=r(batch, 3, 3, N_FORCING), target=r(batch, 1, N_STATE),
                    target_forcing=r(batch, 1, 3, 3, N_FORCING))
    return dict(state=r(batch, k + 1, grid.nlat, grid.nlon, N_STATE), forcing=r(batch, k + 1, grid.nlat, grid.nlon, N_FORCING))


def time_step(model, net, loss_fn, opt, b, k, device, n):
    def step():
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == 'cuda'):
            _, (loss, _) = None, rollout_loss(loss_fn, net(b, k))
        opt.zero_grad(set_to_none=True); loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0); opt.step()
    for _ in range(3): step()                                 # warm-up (and compilation)
    if device.type == 'cuda': torch.cuda.synchronize(); torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    for _ in range(n): step()
    if device.type == 'cuda': torch.cuda.synchronize()
    ms = (time.perf_counter() - t0) / n * 1e3
    peak = torch.cuda.max_memory_allocated() / 2**30 if device.type == 'cuda' else float('nan')
    return ms, peak


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--device', default='cuda'); p.add_argument('--compile', action='store_true')
    p.add_argument('--quick', action='store_true', help='tiny sizes, for a CPU smoke test')
    a = p.parse_args(argv)
    device = torch.device(a.device)
    grid = Grid.equiangular(8, 16) if a.quick else Grid.equiangular(64, 128)   # T42: 64 × 128
    cases = [('single_column', 64 if a.quick else 4096, 1, False), ('global', 2 if a.quick else 8, 1, False)]
    for k in ((2,) if a.quick else (2, 4, 8, 16)):
        cases += [('global_rollout', 1 if a.quick else 2, k, False), ('global_rollout', 1 if a.quick else 2, k, True)]
    print(f'| mode | batch | K | act. ckpt | compiled | ms/step | columns/s | peak GiB |\n|---|---|---|---|---|---|---|---|')
    for compile_ in ([False, True] if a.compile else [False]):
        for mode, batch, k, ckpt in cases:
            if compile_ and (ckpt or k not in (1, 4)): continue
            model, net, loss_fn, opt = make(mode, grid, ckpt, device, compile_)
            b = batch_for(mode, batch, k, grid, device)
            try: ms, peak = time_step(model, net, loss_fn, opt, b, k, device, 2 if a.quick else 10)
            except torch.OutOfMemoryError: print(f'| {mode} | {batch} | {k} | {ckpt} | {compile_} | OOM | | |'); continue
            cols = batch * (1 if mode == 'single_column' else grid.nlat * grid.nlon * k)
            print(f'| {mode} | {batch} | {k} | {"yes" if ckpt else "no"} | {"yes" if compile_ else "no"} | {ms:.1f} | '
                  f'{cols / ms * 1e3:,.0f} | {peak:.2f} |', flush=True)
            del model, net, opt, b
            if device.type == 'cuda': torch.cuda.empty_cache()


if __name__ == '__main__':
    main()
