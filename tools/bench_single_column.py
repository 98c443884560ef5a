"""Where single-column training time goes on a GPU: the patch loader (whole batches vs per-item collate) against
the optimizer step on a batch already on the device, side by side on one machine.

    python tools/bench_single_column.py --config examples/t42_h100.yaml [--batches 200] [--workers 6]

Uses the config's simulation (cached) and prepares `--patches` patches into a temporary folder.
"""
import argparse, dataclasses, tempfile, time
from pathlib import Path

import numpy as np
import torch

from mlscam.config import add_config_args, config_from_args
from mlscam.data import ColumnDataset, ColumnLayout, open_from_config, prepare_columns
from mlscam.simulate import resolve_data
from mlscam.train import EpochBatches, Trainer, WholeBatches


def rate(loader, n, batch):
    it = iter(loader); next(it); t = time.perf_counter()
    for _ in range(n): next(it)
    return n * batch / (time.perf_counter() - t)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0]); add_config_args(p)
    p.add_argument('--batches', type=int, default=200); p.add_argument('--workers', type=int, default=6)
    p.add_argument('--patches', type=int, default=200_000)
    a = p.parse_args(argv)
    cfg = resolve_data(config_from_args(a), progress=False)
    tmp = Path(tempfile.mkdtemp())
    ds = open_from_config(cfg.data); layout = ColumnLayout.from_dataset(ds, cfg.data)
    prepare_columns(ds, layout, tmp / 'columns', a.patches, progress=False)
    cfg = dataclasses.replace(cfg, data=dataclasses.replace(cfg.data, columns_dir=str(tmp / 'columns')),
                              train=dataclasses.replace(cfg.train, out_dir=str(tmp / 'run'), num_workers=a.workers))
    tr = Trainer(cfg, progress=False)
    B = cfg.train.batch_size
    sub = tr.data.train
    kw = dict(num_workers=a.workers, pin_memory=torch.cuda.is_available())
    whole = rate(torch.utils.data.DataLoader(WholeBatches(sub), sampler=EpochBatches(len(sub), B), batch_size=None, **kw), a.batches, B)
    collate = rate(torch.utils.data.DataLoader(sub, batch_sampler=EpochBatches(len(sub), B), **kw), a.batches, B)
    batch = next(iter(torch.utils.data.DataLoader(WholeBatches(sub), sampler=EpochBatches(len(sub), B), batch_size=None)))
    for _ in range(5): tr.train_step(batch, 1)
    if torch.cuda.is_available(): torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(a.batches // 2): tr.train_step(batch, 1)
    if torch.cuda.is_available(): torch.cuda.synchronize()
    step = a.batches // 2 * B / (time.perf_counter() - t)
    print(f'batch {B}, {a.workers} workers: loader whole batches {whole:,.0f} patches/s, per-item collate {collate:,.0f} '
          f'patches/s, Trainer.train_step on a device batch {step:,.0f} columns/s')


if __name__ == '__main__':
    main()
