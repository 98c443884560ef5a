"""The T42 GPU experiment (issue 4): train ML-SCAM on Held–Suarez T42 and check it beats persistence at 6 h.

    python tools/t42_experiment.py --config examples/t42_h100.yaml [--out DIR] [--inits 6]

Runs the main job's stages (`mlscam.pipeline.quickstart`: simulate, prepare, pretrain, fine-tune), then rolls the
fine-tuned model out from `--inits` initial states spread over the held-out validation period and scores it
against persistence and climatology with `mlscam.metrics.skill` (WeatherBench2 latitude-weighted RMSE, ACC).
The RMSE is WeatherBench2's headline one: the square root after the mean over the initial times (not the mean of
each rollout's RMSE), per level, then averaged over levels. Writes `skill.csv`, `skill.png` and `summary_eval.json`
(which names that definition) into the run folder, beside the main job's own `summary.json`.

The simulator (JAX) runs in this process before torch trains; `mlscam.simulate` sets
`XLA_PYTHON_CLIENT_PREALLOCATE=false` before JAX starts (unless it is set already), so JAX does not reserve 75 % of the GPU.
"""
import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from mlscam.config import add_config_args, config_from_args
from mlscam.data import open_from_config
from mlscam.metrics import METRIC_DEFINITIONS, climatology
from mlscam.pipeline import held_out_starts, quickstart
from mlscam.report import combine_rollouts, forecast_skill
from mlscam.train import split_times
from mlscam.rollout import RolloutUnstable, run


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_config_args(p)
    p.add_argument('--out', default=None)
    p.add_argument('--inits', type=int, default=6)
    p.add_argument('--device', default='cuda')
    p.add_argument('--precision', default='bf16')
    args = p.parse_args(argv)
    cfg = config_from_args(args)
    t0 = time.perf_counter()
    out = quickstart(cfg, args.out)
    run_dir, ckpt = Path(out['run_dir']), out['checkpoint']
    cfg_data = dict(cfg.data.__dict__, paths=[str(q) for q in out['data']])
    from mlscam.config import DataConfig
    truth = open_from_config(DataConfig(**cfg_data))
    times = truth.time.values
    steps = cfg.rollout.steps
    train_t, val_t = split_times(times, cfg.data.train_times, cfg.data.val_times, min_val=steps + 1)
    inits = held_out_starts(val_t, steps, args.inits)
    paths, unstable = [], []
    for k, i in enumerate(inits):
        try:
            res = run(ckpt, [str(q) for q in out['data']], cfg.rollout, time=int(i), output=run_dir / f'eval_rollout_{k}.nc',
                      ensemble=0, device=args.device, precision=args.precision, progress=False)
        except RolloutUnstable as e:                 # keep the outputs before the trip and say so
            print(f'rollout {k}: {e}'); unstable.append(dict(init=str(times[i]), step=e.instability.step, reason=str(e)))
            res = e.result
        paths.append(res.path)
        print(f'rollout {k}: init {times[i]}, {res.steps} steps in {res.wall_seconds:.1f} s ({res.sypd:.0f} SYPD incl. writing)')
    pred, notes = combine_rollouts(paths)            # (init_time, lead_time, ...) on the leads every rollout reached
    for note in notes: print(note)
    truth_vars = truth[list(pred.data_vars)]
    clim = climatology(truth_vars.isel(time=np.flatnonzero(train_t)), by='mean')
    scores = forecast_skill(pred, truth_vars, clim)  # (forecast, metric, lead_time[, level])
    model, pers = scores.sel(forecast='model'), scores.sel(forecast='persistence')
    rows = []
    for v in model.data_vars:
        for name, s in (('mlscam', model), ('persistence', pers)):
            da = s[v].sel(metric='rmse')
            if 'level' in da.dims: da = da.mean('level')   # channels are in physical units; mean over levels
            for lead, value in zip(da.lead_time.values, da.values):
                rows.append(dict(variable=v, model=name, lead_hours=pd.Timedelta(lead).total_seconds() / 3600, rmse=float(value)))
    table = pd.DataFrame(rows)
    table.to_csv(run_dir / 'skill.csv', index=False)
    lead = 6.0 if np.isclose(table.lead_hours, 6).any() else table.lead_hours.max()
    six = table[np.isclose(table.lead_hours, lead)].pivot(index='variable', columns='model', values='rmse')
    six['beats_persistence'] = six['mlscam'] < six['persistence']
    print(f'\nlatitude-weighted RMSE at {lead:g} h (WeatherBench2: root after the mean over {pred.sizes["init_time"]} initial times; '
          f'then the mean over levels), validation period:\n' + six.to_string())
    from mlscam.plots import plot_skill
    fig = plot_skill({'mlscam': model.isel(level=slice(None, None, 5)) if 'level' in model.dims else model,
                      'persistence': pers.isel(level=slice(None, None, 5)) if 'level' in pers.dims else pers},
                     metric='rmse', path=run_dir / 'skill.png')
    summary = dict(inits=[str(times[i]) for i in inits], notes=notes, steps=steps, unstable=unstable, seconds=time.perf_counter() - t0,
                   lead_hours=lead, rmse=six.reset_index().to_dict(orient='records'),
                   rmse_definition=f"{METRIC_DEFINITIONS['rmse']}, per level; then the mean over levels")
    (run_dir / 'summary_eval.json').write_text(json.dumps(summary, indent=1, default=str))
    return six


if __name__ == '__main__':
    main()
