"""Run every notebook in `nbs/` through nbdev's own test runner, one pytest test per notebook.

`nbdev_test` prints only "Success."; this gives CI a counted "N passed, N failed" line while keeping
nbdev's semantics (its directives, `tst_flags`, skipped `#| eval: false` cells). Notebooks in a folder
holding a `.notest` file, and files starting with `_` or `.`, are skipped, as `nbdev_test` does.
Run flagged cells too with `MLSCAM_TEST_FLAGS="slow gpu"`.
"""
import os
from pathlib import Path

import pytest
from nbdev.test import test_nb as run_notebook  # renamed so pytest does not collect it

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
    ok, seconds = run_notebook(nb, skip_flags=FLAGS, force_flags=force, showerr=True)
    assert ok, f'{nb.name} failed (see the traceback above)'
