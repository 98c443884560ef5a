"""Write README.md from nbs/index.ipynb without Quarto (which these machines cannot install).

Markdown cells are copied; code cells are shown as ```python blocks unless hidden (`#| hide`,
`#| include: false`, `#| echo: false`); their text and Markdown outputs follow; images are skipped
(the README links its picture from the docs folder). `--check` fails if README.md is out of date (CI).
"""
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


def _directives(src):
    return {l[3:].strip().split(':')[0].split()[0] for l in src.splitlines() if l.startswith('#|') and l[3:].strip()}


def render(nb_path=ROOT / 'nbs' / 'index.ipynb'):
    nb = nbformat.read(nb_path, as_version=4)
    out = ['<!-- Generated from nbs/index.ipynb by tools/make_readme.py: edit the notebook, not this file. -->', '']
    for cell in nb.cells:
        src = cell.source
        if cell.cell_type == 'markdown':
            # Images are linked relative to nbs/ in the notebook and relative to the root in README.md.
            out += [re.sub(r'\]\((?!https?:|/)([^)]+)\)', lambda m: f'](nbs/{m.group(1)})' if m.group(1).startswith('images/') else m.group(0), src), '']
            continue
        if cell.cell_type != 'code': continue
        d = _directives(src)
        hidden = 'hide' in d or any(l.replace(' ', '') in ('#|include:false', '#|echo:false') for l in src.splitlines())
        code = '\n'.join(l for l in src.splitlines() if not l.startswith('#|')).strip()
        if not hidden and code: out += ['```python', code, '```', '']
        if 'hide' in d or any(l.replace(' ', '') == '#|include:false' for l in src.splitlines()): continue
        for o in cell.get('outputs', []):
            if o.output_type == 'stream': out += ['```', o.text.rstrip(), '```', '']
            elif 'text/markdown' in o.get('data', {}): out += [o.data['text/markdown'], '']
            elif 'text/plain' in o.get('data', {}) and 'image/png' not in o.get('data', {}):
                out += ['```', o.data['text/plain'].rstrip(), '```', '']
    return '\n'.join(out).rstrip() + '\n'


if __name__ == '__main__':
    text, readme = render(), ROOT / 'README.md'
    if '--check' in sys.argv:
        if not readme.exists() or readme.read_text() != text:
            sys.exit('README.md is out of date with nbs/index.ipynb: run python tools/make_readme.py')
        print('README.md is in sync with nbs/index.ipynb')
    else:
        readme.write_text(text)
        print(f'wrote {readme}')
