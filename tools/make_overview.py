"""Draw nbs/images/overview.png, the README's picture, from the quickstart data and the T42 H100 results.

    python tools/make_overview.py [--data HELD_SUAREZ.nc]   (default: the quickstart simulation, made if missing)
"""
import argparse
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr

ROOT = Path(__file__).resolve().parents[1]

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0]); p.add_argument('--data')
    a = p.parse_args(argv)
    if a.data is None:
        from mlscam.config import load_config
        from mlscam.simulate import simulate
        a.data = simulate(load_config(ROOT / 'examples' / 'quickstart.yaml').sim)
    ds = xr.open_dataset(a.data)
    zm = ds[['u_component_of_wind', 'temperature']].mean(('time', 'lon'))
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8), gridspec_kw=dict(width_ratios=[1, 1, 1.1]))
    for ax, v, cmap, label in ((axes[0], 'u_component_of_wind', 'RdBu_r', 'zonal-mean u (m s⁻¹)'),
                               (axes[1], 'temperature', 'inferno', 'zonal-mean T (K)')):
        da = zm[v]
        lim = float(abs(da).max()) if cmap == 'RdBu_r' else None
        m = ax.contourf(ds.lat, ds.level, da, 21, cmap=cmap, vmin=-lim if lim else None, vmax=lim)
        ax.invert_yaxis(); ax.set(xlabel='latitude (°)', ylabel='σ', title=f'Held–Suarez T21 (dinosaur): {label}')
        fig.colorbar(m, ax=ax)
    t = pd.read_csv(ROOT / 'examples' / 'results' / 't42_h100' / 'skill.csv')
    ax = axes[2]
    for v, c in (('u_component_of_wind', 'C0'), ('v_component_of_wind', 'C1'), ('temperature', 'C3')):
        for model, ls in (('mlscam', '-'), ('persistence', '--')):
            s = t[(t.variable == v) & (t.model == model)]
            base = t[(t.variable == v) & (t.model == 'persistence') & np.isclose(t.lead_hours, 6)].rmse.item()
            ax.plot(s.lead_hours, s.rmse / base, ls, color=c, label=f'{v.split("_")[0]} {model}')
    ax.axvline(6, color='0.6', lw=0.8); ax.set_ylim(0, 2.5)
    ax.set(xlabel='lead (h)', ylabel='RMSE / persistence RMSE at 6 h',
           title='T42 model on an H100: RMSE vs lead (held out)')
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    out = ROOT / 'nbs' / 'images' / 'overview.png'
    fig.savefig(out, dpi=90); print(out)

if __name__ == '__main__':
    main()
