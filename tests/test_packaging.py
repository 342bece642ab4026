"""The wheel holds exactly our package with its grammar and models, and works without the checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import attrs
import cattrs
import lark
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "teilhabe_rules"

# Runs in a fresh interpreter without site processing (no editable install of the checkout);
# argv: the unpacked wheel, the checkout. Prints a JSON report.
PROBE = r"""
import json, sys, traceback
from pathlib import Path

unpacked, checkout = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
report = {"sys_path_has_checkout": any(
    Path(p or ".").resolve() in (checkout, checkout / "src") for p in sys.path
)}
import teilhabe_rules
from importlib import resources
from teilhabe_rules import registry, shipped
from teilhabe_rules.parser import grammar_text

report["package"] = str(Path(teilhabe_rules.__file__).resolve())
report["grammar"] = str(Path(str(resources.files("teilhabe_rules.grammars").joinpath("teilhabe.lark"))).resolve())
report["grammar_matches"] = grammar_text() == Path(report["grammar"]).read_text("utf-8")
model = teilhabe_rules.loads('''
modell mini "Mini"
  version "1"
  gültig ab 01.01.2024
ende
eingabe minuten: auswahl {0, 15} min/Tag
wert stunden: h/Jahr = minuten als h/Jahr
''', "mini.rules")
report["mini"] = model.evaluate({"minuten": 15}).to_dict()["ergebnis"]["werte"]["stunden"]["wert"]
report["models"] = {}
for path in shipped.model_files():
    try:
        loaded = teilhabe_rules.bundled(path.stem)
        report["models"][path.stem] = {"ok": True, "file": str(Path(loaded.info.file).resolve())}
    except Exception as exc:  # a bundled model may be under construction; report, do not fail here
        report["models"][path.stem] = {"ok": False, "error": f"{type(exc).__name__}: {str(exc)[:300]}"}
print(json.dumps(report))
"""


def _copy_project(target: Path) -> Path:
    """The files a build reads (top-level files, src/, grammars/, models/), without build leftovers."""
    target.mkdir()
    for entry in ROOT.iterdir():
        if entry.is_file() and not entry.is_symlink():
            shutil.copy2(entry, target / entry.name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for folder in ("src", "grammars", "models"):
        if (ROOT / folder).is_dir():
            shutil.copytree(ROOT / folder, target / folder, symlinks=True, ignore=ignore)
    return target


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("wheel")
    project = _copy_project(base / "project")
    out = base / "dist"
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(project)],
        capture_output=True, text=True, timeout=120, env=env,
    )
    assert done.returncode == 0, f"pip wheel failed (setuptools and wheel are in the test extra):\n{done.stdout}\n{done.stderr}"
    wheels = list(out.glob("teilhabe_rules-*.whl"))
    assert len(wheels) == 1, list(out.iterdir())
    return wheels[0]


@pytest.fixture(scope="module")
def names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


@pytest.fixture(scope="module")
def probe(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    unpacked = tmp_path_factory.mktemp("unpacked")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(unpacked)
    # only the unpacked wheel and the site-packages of the dependencies
    dependency_dirs = dict.fromkeys(str(Path(module.__file__).resolve().parents[1]) for module in (lark, attrs, cattrs))
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env["PYTHONPATH"] = os.pathsep.join([str(unpacked), *dependency_dirs])
    env["PYTHONNOUSERSITE"] = "1"
    done = subprocess.run(
        [sys.executable, "-S", "-c", PROBE, str(unpacked), str(ROOT)],
        capture_output=True, text=True, timeout=120, env=env, cwd=unpacked,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    report["unpacked"] = str(unpacked.resolve())
    return report


class TestWheelContents:
    """The wheel holds our package only, with its grammar and every bundled model."""

    def test_only_our_package(self, names: list[str]) -> None:
        tops = {name.split("/", 1)[0] for name in names}
        dist_info = {top for top in tops if top.endswith(".dist-info")}
        assert len(dist_info) == 1
        assert tops - dist_info == {PACKAGE}

    def test_top_level_and_entry_points(self, wheel: Path, names: list[str]) -> None:
        dist_info = next(name.split("/", 1)[0] for name in names if ".dist-info/" in name)
        with zipfile.ZipFile(wheel) as archive:
            if f"{dist_info}/top_level.txt" in names:
                assert archive.read(f"{dist_info}/top_level.txt").decode().split() == [PACKAGE]
            entry_points = archive.read(f"{dist_info}/entry_points.txt").decode()
            metadata = archive.read(f"{dist_info}/METADATA").decode()
        assert "teilhabe-rules = teilhabe_rules.cli:main" in entry_points
        for dependency in ("lark", "attrs", "cattrs"):
            assert f"Requires-Dist: {dependency}" in metadata

    def test_grammar(self, names: list[str]) -> None:
        assert f"{PACKAGE}/grammars/teilhabe.lark" in names

    def test_models(self, names: list[str]) -> None:
        in_checkout = {f"{PACKAGE}/models/{path.name}" for path in (ROOT / "models").glob("*.rules")}
        in_wheel = {name for name in names if name.startswith(f"{PACKAGE}/models/")}
        assert in_wheel == in_checkout

    def test_every_module(self, names: list[str]) -> None:
        modules = {f"{PACKAGE}/{path.name}" for path in (ROOT / "src" / PACKAGE).glob("*.py")}
        assert modules <= set(names)
        assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]


class TestUnpackedWheel:
    """The unpacked wheel works on its own: grammar, a model from text, the bundled models."""

    def test_package_comes_from_the_wheel(self, probe: dict) -> None:
        assert not probe["sys_path_has_checkout"]
        assert probe["package"].startswith(probe["unpacked"])
        assert probe["grammar"].startswith(probe["unpacked"])
        assert probe["grammar_matches"]

    def test_model_from_text(self, probe: dict) -> None:
        assert probe["mini"] == "91.25"  # 15 min/Tag × 365 / 60

    def test_bundled_model(self, probe: dict) -> None:
        models = probe["models"]
        loaded = {name: entry for name, entry in models.items() if entry["ok"]}
        if not loaded:
            reasons = "; ".join(f"{name}: {entry['error']}" for name, entry in models.items()) or "no models/*.rules"
            pytest.skip(f"no bundled model loads from the wheel: {reasons}")
        for entry in loaded.values():
            assert entry["file"].startswith(probe["unpacked"])
