"""Bundle a trained checkpoint as one of mlscam's pretrained models (weights only, with provenance).

    python tools/bundle_pretrained.py            # examples/results/hs42/finetune_last.pt → mlscam/assets/pretrained/heldsuarez-t42.pt
    python tools/bundle_pretrained.py --source runs/hs42/finetune/checkpoints/last.pt --notes "how it was trained and evaluated"

The default notes describe one source file, named by its sha256 below: a different source (a better-trained
checkpoint) needs its own --notes (and, if its skill differs, its own --description), so that a bundle never carries
the story of another model. Commit the new .pt and index.json together.
"""
import argparse
import sys

from mlscam.model import Checkpoint
from mlscam.pretrained import bundle, sha256_of

SOURCE = 'examples/results/hs42/finetune_last.pt'
DESCRIPTION = 'Held–Suarez T42 L20 emulator (64 × 128, dt 30 min): beats persistence to ~12 h, unstable after ~2 days'
NOTES_SHA256 = 'a35276aef291c738d31949db656eb2b98e2972a776fe074b0b5a626dbb84bd69'   # the source NOTES describe (step 1800)
NOTES = """\
Trained by tools/hs_emulator.py --config examples/heldsuarez_t42.yaml on one H200 (2026-12-01/02). Data: 8 dinosaur
Held–Suarez T42 L20 runs (seeds 1–8), each 300 days of spin-up then 92 days every 30 min (2 simulated years).
Single-column pretraining (4,000 steps, batch 4,096 patches), then global autoregressive fine-tuning (batch 2,
K = 2 → 4 → 8 → 16 steps, bf16 autocast, AdamW lr 2e-4, cosine) to step 879, continued with every latitude row
weighted alike and noise on each training rollout's initial latent (10 %, then 30 %: variant noise30) to step 1800.
Evaluated on a held-out run (seed 101, 5 initial states, sigma = 0.475, latitude-weighted RMSE): temperature 0.61 K
at 6 h (persistence 0.90 K), 7.1 K at 30 h; the one-step Jacobian's leading mode grows 1.059 per step (grid-scale,
zonal wavenumbers >= 32); a free run is stopped by the instability flag on day 2. A short-range demonstration model,
not a climate emulator: BENCHMARKS.md, 'Held–Suarez emulator, session of 2026-12-02'."""

def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--source', default=SOURCE, help=f'training checkpoint to bundle (default {SOURCE})')
    p.add_argument('--name', default='heldsuarez-t42', help='bundled name (default heldsuarez-t42)')
    p.add_argument('--description', default=DESCRIPTION, help='one line for mlscam.pretrained.available()')
    p.add_argument('--notes', help='how the source was trained and evaluated (required unless the source is the one '
                   'the default notes describe)')
    p.add_argument('--dtype', default='float32', choices=['float32', 'bfloat16', 'float16'], help='storage of the weights')
    a = p.parse_args(argv)
    notes = a.notes
    if notes is None:
        digest = sha256_of(a.source)
        if digest != NOTES_SHA256:
            step = Checkpoint.load(a.source).step
            p.error(f'{a.source} (step {step}, sha256 {digest[:12]}…) is not the file the default notes describe '
                    f'(sha256 {NOTES_SHA256[:12]}…, step 1800): pass --notes saying how it was trained and evaluated')
        notes = NOTES
    path = bundle(a.source, a.name, a.description, notes, dtype=a.dtype)
    print(f'bundle_pretrained: wrote {path} ({path.stat().st_size / 1e6:.2f} MB) from {a.source}')
    return 0

if __name__ == '__main__':
    sys.exit(main())
