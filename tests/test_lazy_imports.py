"""What a new process imports: the package alone pulls in no heavy dependency, and a model taken from
the cache is loaded and evaluates a valid case file without the parser (lark) and the case loader's
converter (cattrs)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("lark", "duckdb", "sqlglot", "openpyxl", "jinja2", "hypothesis", "pygments")


def imported(code: str, cache: Path) -> set[str]:
    """The top-level packages in ``sys.modules`` after ``code`` ran in a new process."""
    env = dict(os.environ, TEILHABE_RULES_CACHE=str(cache))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    probe = code + "\nimport sys, json\nprint(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120,
                          cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_importing_the_package_imports_no_heavy_dependency(tmp_path: Path) -> None:
    assert not imported("import teilhabe_rules", tmp_path) & set(HEAVY)


def test_a_cached_model_is_loaded_and_evaluated_without_the_parser(tmp_path: Path) -> None:
    work = ("import teilhabe_rules\n"
            "m = teilhabe_rules.load('models/mawo.rules')\n"
            "r = m.evaluate('examples/mawo/person_grundfall.toml')\n"
            "r.render_text(); r.to_dict()\n")
    first = imported(work, tmp_path)  # checks the text: parses it
    assert "lark" in first
    assert not imported(work, tmp_path) & {*HEAVY, "cattrs"}


def test_the_default_cache_places_need_no_platformdirs_on_linux(tmp_path: Path) -> None:
    """On Linux the cache and its key lie in the XDG directories, read without importing platformdirs."""
    if sys.platform != "linux":
        pytest.skip("elsewhere platformdirs names the places")
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"), XDG_CONFIG_HOME=str(tmp_path / "config"))
    env.pop("TEILHABE_RULES_CACHE", None)
    env.pop("TEILHABE_RULES_CACHE_KEY", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    probe = ("import sys, teilhabe_rules\n"
             "teilhabe_rules.load('models/mawo.rules')\n"
             "print('platformdirs' in sys.modules)\n")
    for _ in range(2):  # the second load comes from the cache
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120,
                              cwd=ROOT, check=False)
        assert done.returncode == 0, done.stderr
        assert done.stdout.split() == ["False"]
    assert (tmp_path / "cache" / "teilhabe_rules").is_dir()
    assert (tmp_path / "config" / "teilhabe_rules" / "cache-schluessel").is_file()


def test_eval_of_a_cached_model_file_imports_only_what_it_uses(tmp_path: Path) -> None:
    """``teilhabe-rules eval MODEL.rules CASE`` without ``--out``: no writers, no catalog or registry
    (a model file, not a bundled model's name), no search for level changes, no locator of case
    lines (the case is valid), neither ``tempfile`` nor ``secrets`` (the cache is only read)."""
    env = dict(os.environ, TEILHABE_RULES_CACHE=str(tmp_path))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    probe = ("import contextlib, io, json, sys\n"
             "from teilhabe_rules.cli import main\n"
             "with contextlib.redirect_stdout(io.StringIO()):\n"
             "    code = main(['eval', 'models/mawo.rules', 'examples/mawo/person_grundfall.toml'])\n"
             "print(json.dumps([code, sorted(sys.modules)]))\n")
    found: list[str] = []
    for _ in range(2):  # the second run takes the model from the cache
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120,
                              cwd=ROOT, check=False)
        assert done.returncode == 0, done.stderr
        code, found = json.loads(done.stdout.splitlines()[-1])
        assert code == 0
    assert "teilhabe_rules.runtime.results" in found  # (the probe sees what was imported)
    unused = {"teilhabe_rules.tools.export", "teilhabe_rules.catalog", "teilhabe_rules.registry",
              "teilhabe_rules.runtime.changes", "teilhabe_rules.inputs.locate", "teilhabe_rules.check.checker",
              "tempfile", "secrets", "calendar", "lark", "shutil"}
    assert not unused & set(found)
