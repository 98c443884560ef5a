"""List the notebook cells that nbdev's docs processing would execute and that fail there.

nbdev executes, when rendering docs, every exported cell and every cell that contains an import anywhere (its
`_do_eval`), in a fresh kernel without the other cells. A test cell that both imports and uses earlier state fails
`nbdev_proc_nbs`. Usage: python tools/check_docs_cells.py [NOTEBOOK ...]
"""
import os
import sys
from pathlib import Path

from execnb.shell import CaptureShell
from nbdev.config import get_config
from nbdev.process import NBProcessor
from nbdev.processors import _do_eval
from fastcore.xtras import working_directory


def failures(nb_path):
    nb = NBProcessor(nb_path, process=True).nb
    k = CaptureShell()
    k.run_cell('from nbdev.showdoc import show_doc')
    out = []
    with working_directory(Path(nb_path).parent):
        for cell in nb.cells:
            if cell.cell_type != 'code' or not _do_eval(cell): continue
            k.cell(cell)
            if k.exc:
                out.append((cell.idx_, cell.source.splitlines()[:3], repr(k.exc)[:200])); k.exc = None
    return out


if __name__ == '__main__':
    nbs = sys.argv[1:] or sorted(str(p) for p in (get_config().path('nbs_path')).rglob('*.ipynb') if not p.name.startswith('_'))
    bad = 0
    for nb in nbs:
        for idx, src, exc in failures(nb):
            bad += 1; print(f'{nb} cell {idx}: {exc}\n    ' + '\n    '.join(src))
    sys.exit(1 if bad else 0)
