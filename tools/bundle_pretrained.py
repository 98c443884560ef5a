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
DESCRIPTION = 'Held–Suarez T42 L20 emulator (64 × 128, dt 30 min): beats persistence to ~2 days, unstable after ~4 days'
NOTES_SHA256 = '20ffe4a2028c7d926fb94ec2a3d5c4bc1b18e6c201c855659936037925ce7adc'   # the source NOTES describe (push192, step 1119)
NOTES = """\
Trained by tools/hs_emulator.py --config examples/heldsuarez_t42.yaml on one H200 (2026-12-01/03). Data: 8 dinosaur
Held–Suarez T42 L20 runs (seeds 1–8), each 300 days of spin-up then 92 days every 30 min (2 simulated years).
Single-column pretraining (4,000 steps, batch 4,096 patches), then global autoregressive fine-tuning (batch 2,
K = 2 → 16 steps, bf16 autocast, AdamW) to step 1800 with every latitude row weighted alike and 30 % noise on each
training rollout's initial latent (variant noise30); then a new fine-tuning schedule from those weights (lr 1e-4,
cosine over 1,000 steps, K = 16, latent increment truncated at zonal wavenumber 42) with the pushforward trick: before
the 16 scored steps, up to 32 (steps 1-333), 96 (334-876), then 192 (877-1119, schedule stretched to 1,150) unscored
steps of the model's own rollout (variants push32 → push96 → push192). Evaluated on a held-out run (seed 101,
5 initial states, sigma = 0.475, latitude-weighted RMSE): temperature 0.65 K at 6 h (persistence 0.92 K), 1.86 K at
1.25 days (2.65 K), 2.80 K at 2.25 days (3.24 K); u, v beat persistence to 3.25 days; the one-step Jacobian's
leading mode grows 1.017 per step; a free run leaves the training range (mean +- 10 std) on day 4. A medium-range
demonstration model, not yet a climate emulator: BENCHMARKS.md, 'Held–Suarez emulator, session of 2026-12-03'."""

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
                    f'(sha256 {NOTES_SHA256[:12]}…, step 1119): pass --notes saying how it was trained and evaluated')
        notes = NOTES
    path = bundle(a.source, a.name, a.description, notes, dtype=a.dtype)
    print(f'bundle_pretrained: wrote {path} ({path.stat().st_size / 1e6:.2f} MB) from {a.source}')
    return 0

if __name__ == '__main__':
    sys.exit(main())
