"""Write notebooks from percent-format sources, keeping them valid nbformat JSON.

    python tools/nbtool.py build SRC.py nbs/NN_name.ipynb   # '# %%' code cells, '# %% [markdown]' prose
    python tools/nbtool.py run nbs/NN_name.ipynb            # execute in place (keeps outputs for the docs)

In a source file, a cell starts at a line '# %%' (code) or '# %% [markdown]' (markdown); markdown lines are
written with a leading '# ' that is stripped. Everything else is verbatim.
"""
import sys
from pathlib import Path

import nbformat


def build(src, dst):
    cells, kind, buf = [], None, []
    def flush():
        if kind is None: return
        text = '\n'.join(buf).strip('\n')
        if kind == 'markdown':
            text = '\n'.join(l[2:] if l.startswith('# ') else l.lstrip('#') for l in text.splitlines())
            cells.append(nbformat.v4.new_markdown_cell(text))
        elif text: cells.append(nbformat.v4.new_code_cell(text))
    for line in Path(src).read_text().splitlines():
        if line.startswith('# %%'):
            flush(); buf = []
            kind = 'markdown' if '[markdown]' in line else 'code'
        else: buf.append(line)
    flush()
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata['kernelspec'] = {'display_name': 'python3', 'language': 'python', 'name': 'python3'}
    nbformat.validate(nb)
    nbformat.write(nb, dst)


def run(path, timeout=1800):
    from nbclient import NotebookClient
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=timeout, kernel_name='python3', resources={'metadata': {'path': str(Path(path).parent)}}).execute()
    nbformat.write(nb, path)


if __name__ == '__main__':
    cmd, *args = sys.argv[1:]
    {'build': build, 'run': run}[cmd](*args)
