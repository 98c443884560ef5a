"""Data-loading throughput of mlscam.data on synthetic NetCDF files (a benchmark, not a test).

    python tools/bench_data.py [--quick]

Writes T42-sized (64 x 128, 20 levels) and 1-degree-sized (181 x 360 with poles, 13 levels) files with 4 level
variables + surface pressure (float32, one time step per NetCDF chunk, as mlscam.simulate writes them) to a
temporary directory and measures, single process (num_workers=0) and with 2 DataLoader workers:
  - GlobalDataset one-step samples/s (state + forcing at t, t+1, normalised),
  - prepare_columns patches/s (lead 1),
  - ColumnDataset patches/s (batches of 256, shuffled, normalised).
Run from the repository root (`pip install -e .` or `PYTHONPATH=.`); set the cores with taskset, e.g.
`PYTHONPATH=. taskset -c 0,1 python tools/bench_data.py`.
"""
import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import torch

from mlscam.data import (ColumnDataset, ColumnLayout, GlobalDataset, Normalizer, compute_stats, open_dataset,
                         prepare_columns, synthetic_dataset)


def rate(loader, n_items, min_seconds, count):
    "Items per second over whole passes of `loader` until `min_seconds` have passed (after one warm-up batch)."
    it = iter(loader); next(it)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < min_seconds:
        for batch in it:
            done += count(batch)
            if time.perf_counter() - start >= min_seconds: break
        else: it = iter(loader)
    return done / (time.perf_counter() - start)


def bench(name, nlat, nlon, levels, times, n_patches, seconds, root):
    path = root / f'{name}.nc'
    t0 = time.perf_counter()
    ds = synthetic_dataset(nlat, nlon, levels=tuple(range(100, 100 + 50 * levels, 50)), times=times, step='30min',
                           poles=nlat % 2 == 1, static=False)
    enc = {v: dict(chunksizes=(1,) + ds[v].shape[1:]) for v in ds.data_vars}
    ds.to_netcdf(path, encoding=enc)
    write_s = time.perf_counter() - t0
    ds = open_dataset(path, surface=['surface_pressure'])
    layout = ColumnLayout.from_dataset(ds)
    norm = Normalizer.from_stats(compute_stats(ds.isel(time=slice(0, 4)), layout), layout)
    size_mb = path.stat().st_size / 2**20
    print(f'{name}: {nlat}x{nlon}, {layout.n_state} state channels, {times} times, {size_mb:.0f} MB (written in {write_s:.1f} s)')
    gds = GlobalDataset(ds, layout, norm, steps=1)
    for workers in (0, 2):
        loader = torch.utils.data.DataLoader(gds, batch_size=1, shuffle=True, num_workers=workers,
                                             persistent_workers=workers > 0)
        r = rate(loader, len(gds), seconds, lambda b: len(b['state']))
        print(f'  GlobalDataset (1 step), workers={workers}: {r:.1f} samples/s  ({r * 2 * layout.n_state * nlat * nlon * 4 / 2**20:.0f} MB/s of state)')
    t0 = time.perf_counter()
    prepare_columns(ds, layout, root / f'{name}-columns', n_patches, lead=1, progress=False)
    print(f'  prepare_columns (lead 1): {n_patches / (time.perf_counter() - t0):.0f} patches/s')
    cds = ColumnDataset(root / f'{name}-columns', norm)
    for workers in (0, 2):
        loader = torch.utils.data.DataLoader(cds, batch_size=256, shuffle=True, num_workers=workers,
                                             persistent_workers=workers > 0)
        r = rate(loader, len(cds), seconds, lambda b: len(b['patch']))
        print(f'  ColumnDataset (batch 256), workers={workers}: {r:.0f} patches/s')


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--quick', action='store_true', help='shorter measurements')
    a = p.parse_args()
    seconds = 3 if a.quick else 6
    torch.set_num_threads(1)
    print(f'cores available: {len(os.sched_getaffinity(0))}, torch threads {torch.get_num_threads()}')
    root = Path(tempfile.mkdtemp(prefix='mlscam-bench-'))
    try:
        bench('T42', 64, 128, 20, 48, 100_000, seconds, root)
        bench('1deg', 181, 360, 13, 12, 100_000, seconds, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
