"""Every console script of settings.ini, run in-process through its `main(argv)`: the options all of them share
(`mlscam.config.command` and `run_command`), and one tqdm for every progress bar."""
import contextlib
import importlib
import io
import re
from configparser import ConfigParser
from pathlib import Path

import pytest

import mlscam

ROOT = Path(__file__).resolve().parents[1]
_cfg = ConfigParser(delimiters=['=']); _cfg.read(ROOT / 'settings.ini', encoding='utf-8')
SCRIPTS = dict(s.split('=') for s in _cfg['DEFAULT']['console_scripts'].split())
REQUIRED = {'mlscam_rollout': ['--checkpoint', 'model.pt', '--initial-state', 'state.nc'],    # what each needs to start
            'mlscam_report': ['--rollout', 'rollout.nc', '--truth', 'truth.nc', '--out', 'report'],
            'mlscam_prepare_columns': ['--n', '10'], 'mlscam_bench': ['--device', 'cpu']}
DEFAULT_SHOWN = {'mlscam_simulate': '(default: sim.levels, 20)', 'mlscam_rollout': '(default: rollout.steps, 48)',
                 'mlscam_prepare_columns': '(default: 65536)', 'mlscam_bench': '(default: runs/bench)', 'mlscam_report': '(default: 60)'}


def _main(prog):
    module, name = SCRIPTS[prog].split(':')
    return getattr(importlib.import_module(module), name)


def _run(prog, argv):
    "(exit status, stdout, stderr) of `prog`'s main(argv), --help and --version included (they exit)."
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try: status = _main(prog)(argv)
        except SystemExit as e: status = e.code
    return status, out.getvalue(), err.getvalue()


def test_every_command_is_listed():
    assert set(SCRIPTS) == {'mlscam_simulate', 'mlscam_prepare_columns', 'mlscam_train', 'mlscam_rollout', 'mlscam_report',
                            'mlscam_quickstart', 'mlscam_bench', 'mlscam_config'}


@pytest.mark.parametrize('prog', sorted(SCRIPTS))
def test_version(prog):
    assert _run(prog, ['--version']) == (0, f'{prog} {mlscam.__version__}\n', '')


@pytest.mark.parametrize('prog', sorted(SCRIPTS))
def test_help_shows_the_shared_options_and_defaults(prog):
    status, out, err = _run(prog, ['--help'])
    text = ' '.join(out.split())                  # argparse wraps at the terminal width
    assert status == 0 and err == ''
    for option in ('--version', '--quiet', '--debug', '--config FILE', '--set KEY=VALUE', 'mlscam_config --defaults'):
        assert option in text, option
    assert '--no-progress' not in text and '--output' not in text          # one spelling: --quiet, --out
    assert '(default: None)' not in text and '(default: False)' not in text
    if prog in DEFAULT_SHOWN: assert DEFAULT_SHOWN[prog] in text, text


@pytest.mark.parametrize('prog', sorted(SCRIPTS))
def test_a_bad_key_is_one_line_and_status_2(prog):
    status, out, err = _run(prog, REQUIRED.get(prog, []) + ['--set', 'train.lrr=1e-3', '--quiet'])
    assert status == 2
    assert err == (f"{prog}: error: ConfigError: --set: unknown key 'train.lrr' (did you mean 'lr'?) "
                   "(exit status 2; --debug shows the traceback)\n"), err
    status, out, err = _run(prog, REQUIRED.get(prog, []) + ['--set', 'train.lrr=1e-3', '--quiet', '--debug'])
    assert status == 2 and err.startswith('Traceback (most recent call last)') and 'ConfigError' in err


def test_config_defaults_lists_a_key_its_default_and_meaning():
    status, out, err = _run('mlscam_config', ['--defaults'])
    assert status == 0 and err == ''
    assert re.search(r'^train\.lr: 0\.0003 +# AdamW peak learning rate$', out, re.M), out
    assert re.search(r'^sim\.resolution: T21 +# spectral truncation', out, re.M)


def test_every_progress_bar_is_tqdm_auto():
    "Bars come from `mlscam.config.progress_bar` (tqdm.auto, without the IProgress warning); nothing imports plain tqdm."
    for py in sorted((ROOT / 'mlscam').glob('*.py')):
        text = py.read_text()
        imports = re.findall(r'^\s*(?:from tqdm[\w.]* import .*|import tqdm.*)$', text, re.M)
        if py.name == 'config.py': assert imports == ['        from tqdm.auto import tqdm'], imports
        else: assert imports == [], (py.name, imports)
