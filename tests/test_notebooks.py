"""Run every notebook in `nbs/` through nbdev's own test runner, one pytest test per notebook.

`nbdev_test` prints only "Success."; this gives CI a counted "N passed, N failed" line while keeping
nbdev's semantics (its directives, `tst_flags`, skipped `#| eval: false` cells). Notebooks in a folder
holding a `.notest` file, and files starting with `_` or `.`, are skipped, as `nbdev_test` does.
Run flagged cells too with `MLSCAM_TEST_FLAGS="slow gpu"`.

Each notebook runs with its own empty temporary folder (`tempfile.tempdir` and `TMPDIR`) and must leave it empty:
a notebook removes the temporary files it makes (the folder is removed afterwards either way).
"""
import getpass
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from nbdev.test import test_nb as run_notebook  # renamed so pytest does not collect it

# torch.compile keeps its caches under the temporary folder it sees when first imported; import it while that is
# still the machine's, or a later notebook would look for them in an earlier notebook's removed folder
os.environ.setdefault('TORCHINDUCTOR_CACHE_DIR', os.path.join(tempfile.gettempdir(), f'torchinductor_{getpass.getuser()}'))
import torch._inductor.codecache  # noqa: E402,F401  (its precompiled-header folder is fixed at import)

NBS = Path(__file__).resolve().parents[1] / 'nbs'
FLAGS = ['slow', 'gpu']


def _notebooks():
    for nb in sorted(NBS.rglob('*.ipynb')):
        rel = nb.relative_to(NBS)
        if any(p.startswith(('_', '.')) for p in rel.parts): continue
        if any((NBS / Path(*rel.parts[:i]) / '.notest').exists() for i in range(len(rel.parts))): continue
        yield nb


@pytest.mark.parametrize('nb', list(_notebooks()), ids=lambda p: str(p.relative_to(NBS)))
def test_notebook(nb):
    force = os.environ.get('MLSCAM_TEST_FLAGS', '').split()
    scratch, saved = tempfile.mkdtemp(prefix=f'mlscam-test-{nb.stem}-'), (tempfile.tempdir, os.environ.get('TMPDIR'))
    tempfile.tempdir, os.environ['TMPDIR'] = scratch, scratch
    try:
        ok, seconds = run_notebook(nb, skip_flags=FLAGS, force_flags=force, showerr=True)
        left = sorted(p.name for p in Path(scratch).iterdir() if not p.name.startswith('torchinductor_'))   # a compile cache
    finally:
        tempfile.tempdir = saved[0]
        if saved[1] is None: os.environ.pop('TMPDIR', None)
        else: os.environ['TMPDIR'] = saved[1]
        shutil.rmtree(scratch, ignore_errors=True)
    assert ok, f'{nb.name} failed (see the traceback above)'
    assert not left, f'{nb.name} left {len(left)} temporary file(s) or folder(s): {left[:5]}'
