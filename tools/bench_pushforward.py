"""The pushforward prefix (`mlscam.train.pushforward_latent`) eager against CUDA-graphed, on the bundled T42 model.

    python tools/bench_pushforward.py [--batch 2] [--steps 64] [--repeats 5]

Checks first that the graphed prefix gives the eager one's values (random latents and forcing, bf16 autocast as in
training), then times both alternately with CUDA events (median of `--repeats`, each a whole prefix of `--steps`
steps), twice over, and prints ms per latent step. Needs a CUDA GPU.
"""
import argparse
import statistics

import torch

from mlscam.grid import Grid
from mlscam.model import Checkpoint
from mlscam.pretrained import checkpoint
from mlscam.train import pushforward_latent


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--batch', type=int, default=2)
    p.add_argument('--steps', type=int, default=64)
    p.add_argument('--repeats', type=int, default=5)
    a = p.parse_args(argv)
    if not torch.cuda.is_available(): raise SystemExit('bench_pushforward: needs a CUDA GPU')
    dev = torch.device('cuda')
    ck = Checkpoint.load(checkpoint('heldsuarez-t42'))
    grid = Grid.from_dict(ck.grid)
    model = ck.model().to(dev).train()                                   # as in training (dropout 0)
    g = torch.Generator(device=dev).manual_seed(0)
    shape = (a.batch, grid.nlat, grid.nlon)
    x = torch.randn(*shape, model.n_state, device=dev, generator=g)      # normalised state, fresh random
    f = torch.randn(a.batch, a.steps + 1, *shape[1:], model.n_forcing, device=dev, generator=g)

    def prefix(graphed):
        with torch.autocast('cuda', dtype=torch.bfloat16):
            return pushforward_latent(model, x, f, a.steps, grid, 0., graphed)

    eager, graphed = prefix(False), prefix(True)
    rel = float((graphed.float() - eager.float()).norm() / eager.float().norm())
    print(f'check: graphed vs eager, {a.steps} steps: bitwise equal {torch.equal(graphed, eager)}, relative difference {rel:.2e}, '
          f'finite {bool(torch.isfinite(graphed).all())}')
    times = {False: [], True: []}
    for _ in range(2):
        for graphed_ in (False, True):
            for _ in range(a.repeats):
                s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                s.record(); prefix(graphed_); e.record(); torch.cuda.synchronize()
                times[graphed_].append(s.elapsed_time(e) / a.steps)
    half = a.repeats
    print(f'| prefix (batch {a.batch}, T42, bf16) | ms per latent step, pass 1 | pass 2 |')
    print('|---|---|---|')
    for k, name in ((False, 'eager'), (True, 'CUDA graph')):
        t = times[k]
        print(f'| {name} | {statistics.median(t[:half]):.3f} | {statistics.median(t[half:]):.3f} |')
    print(f'speed-up (medians of all): {statistics.median(times[False]) / statistics.median(times[True]):.2f}x')


if __name__ == '__main__':
    main()
