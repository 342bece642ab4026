"""The wheel holds exactly our package with its grammar and models, and works without the checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import attrs
import cattrs
import lark
import pytest

ROOT = Path(__file__).resolve().parents[2]
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
from teilhabe_rules.syntax.parser import grammar_text

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
# every .rules file the installed package holds, loaded by name; the test decides what a failure means
shipped = sorted(p.name[:-6] for p in resources.files("teilhabe_rules.models").iterdir()
                 if p.name.endswith(".rules"))
report["models"] = {}
for name in shipped:
    try:
        loaded = teilhabe_rules.bundled(name)
        report["models"][name] = {"ok": True, "file": str(Path(loaded.info.file).resolve())}
    except Exception as exc:
        text = exc.render() if isinstance(exc, teilhabe_rules.TeilhabeError) else traceback.format_exc()
        report["models"][name] = {"ok": False, "error": f"{type(exc).__name__}: {text[:4000]}"}
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
    assert done.returncode == 0, (
        f"pip wheel failed (setuptools and wheel are in the test extra):\n{done.stdout}\n{done.stderr}"
    )
    wheels = list(out.glob("teilhabe_rules-*.whl"))
    assert len(wheels) == 1, list(out.iterdir())
    return wheels[0]


@pytest.fixture(scope="module")
def names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def run_probe(unpacked: Path) -> dict[str, Any]:
    """PROBE's report for the package unpacked in ``unpacked``, run without the checkout on the path."""
    # only the unpacked wheel and the site-packages of the dependencies
    dependencies = (lark, attrs, cattrs)
    dependency_dirs = dict.fromkeys(str(Path(str(module.__file__)).resolve().parents[1]) for module in dependencies)
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env["PYTHONPATH"] = os.pathsep.join([str(unpacked), *dependency_dirs])
    env["PYTHONNOUSERSITE"] = "1"
    done = subprocess.run(
        [sys.executable, "-S", "-c", PROBE, str(unpacked), str(ROOT)],
        capture_output=True, text=True, timeout=120, env=env, cwd=unpacked,
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    report["unpacked"] = str(unpacked.resolve())
    return report


def _unpack(wheel: Path, target: Path) -> Path:
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    return target


@pytest.fixture(scope="module")
def probe(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return run_probe(_unpack(wheel, tmp_path_factory.mktemp("unpacked")))


def shipped_models(names: list[str]) -> set[str]:
    """The names of the ``.rules`` files in the wheel's ``models`` folder."""
    prefix = f"{PACKAGE}/models/"
    return {name[len(prefix):-len(".rules")] for name in names if name.startswith(prefix) and name.endswith(".rules")}


def bundled_model_failures(probe: dict[str, Any], shipped: set[str]) -> list[str]:
    """Why the bundled models do not all load from the unpacked wheel: one entry per model that the
    wheel ships but that did not load (with its error), was not tried, or loaded from elsewhere."""
    models = probe["models"]
    failures = [f"{name}: not found by the installed package" for name in sorted(shipped - models.keys())]
    failures += [f"{name}: loaded, but the wheel ships no {name}.rules" for name in sorted(models.keys() - shipped)]
    for name, entry in sorted(models.items()):
        if not entry["ok"]:
            failures.append(f"{name} does not load from the wheel:\n{entry['error']}")
        elif not entry["file"].startswith(probe["unpacked"]):
            failures.append(f"{name} loaded from {entry['file']}, not from the wheel")
    return failures


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
        assert "teilhabe-rules = teilhabe_rules.cli:run" in entry_points
        assert "[pygments.lexers]\nteilhabe_rules = teilhabe_rules.tools.highlight:TeilhabeRulesLexer" in entry_points
        for dependency in ("lark", "attrs", "cattrs"):
            assert f"Requires-Dist: {dependency}" in metadata

    def test_grammar(self, names: list[str]) -> None:
        assert f"{PACKAGE}/grammars/teilhabe.lark" in names

    def test_handbook_templates(self, wheel: Path, names: list[str]) -> None:
        """``teilhabe-rules handbuch`` needs its templates and stylesheet (package data) and Jinja2."""
        folder = ROOT / "src" / PACKAGE / "tools" / "handbook" / "templates"
        templates = {f"{PACKAGE}/tools/handbook/templates/{path.name}" for path in folder.iterdir()}
        assert templates and templates <= set(names)
        dist_info = next(name.split("/", 1)[0] for name in names if ".dist-info/" in name)
        with zipfile.ZipFile(wheel) as archive:
            assert "Requires-Dist: Jinja2" in archive.read(f"{dist_info}/METADATA").decode()

    def test_models(self, names: list[str]) -> None:
        in_checkout = {f"{PACKAGE}/models/{path.name}" for path in (ROOT / "models").glob("*.rules")}
        in_wheel = {name for name in names if name.startswith(f"{PACKAGE}/models/")}
        assert in_wheel == in_checkout

    def test_every_module(self, names: list[str]) -> None:
        """Every module of every subpackage (pyproject.toml lists the packages by name)."""
        package = ROOT / "src" / PACKAGE
        modules = {f"{PACKAGE}/{path.relative_to(package).as_posix()}" for path in package.rglob("*.py")
                   if "__pycache__" not in path.parts}
        assert modules - set(names) == set()
        assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]

    def test_typed(self, names: list[str]) -> None:
        """The package says it is typed (PEP 561)."""
        assert f"{PACKAGE}/py.typed" in names


class TestUnpackedWheel:
    """The unpacked wheel works on its own: grammar, a model from text, the bundled models."""

    def test_package_comes_from_the_wheel(self, probe: dict[str, Any]) -> None:
        assert not probe["sys_path_has_checkout"]
        assert probe["package"].startswith(probe["unpacked"])
        assert probe["grammar"].startswith(probe["unpacked"])
        assert probe["grammar_matches"]

    def test_model_from_text(self, probe: dict[str, Any]) -> None:
        assert probe["mini"] == "91.25"  # 15 min/Tag × 365 / 60

    def test_every_bundled_model_loads(self, probe: dict[str, Any], names: list[str]) -> None:
        shipped = shipped_models(names)
        assert shipped == {path.stem for path in (ROOT / "models").glob("*.rules")}
        failures = bundled_model_failures(probe, shipped)
        assert not failures, "\n\n".join(failures)
        loaded = [name for name, entry in probe["models"].items() if entry["ok"]]
        assert len(loaded) == len(shipped)

    def test_a_broken_bundled_model_is_a_failure(self, wheel: Path, names: list[str], tmp_path: Path) -> None:
        """The check above can fail: a wheel whose bei_nrw2.rules does not check reports that model
        with the checker's error, and only that one."""
        unpacked = _unpack(wheel, tmp_path / "unpacked")
        broken = unpacked / PACKAGE / "models" / "bei_nrw2.rules"
        broken.write_text(broken.read_text(encoding="utf-8") + "\nwert kaputt = gibt_es_nicht\n", encoding="utf-8")
        failures = bundled_model_failures(run_probe(unpacked), shipped_models(names))
        assert len(failures) == 1, failures
        assert failures[0].startswith("bei_nrw2 does not load from the wheel:\nCheckError: ")
        assert "gibt_es_nicht" in failures[0] and "bei_nrw2.rules:" in failures[0]


def test_the_repository_holds_no_symbolic_link() -> None:
    """A checkout on a system without symbolic links (or a zip of the repository) is complete:
    the grammar and models reach the package by pyproject.toml's package-dir mapping."""
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-s"], capture_output=True, text=True, check=False)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    links = [line.split("\t", 1)[1] for line in listed.stdout.splitlines() if line.startswith("120000 ")]
    assert links == []


def test_an_sdist_builds_a_working_wheel(tmp_path: Path) -> None:
    """The source distribution holds what a build needs (grammar and models included): a wheel
    built from the unpacked sdist carries every bundled model and loads them."""
    project = _copy_project(tmp_path / "project")
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    done = subprocess.run(
        [sys.executable, "-c", "from setuptools import build_meta as b; import sys; print(b.build_sdist(sys.argv[1]))",
         str(tmp_path / "sdist")],
        capture_output=True, text=True, timeout=120, env=env, cwd=project,
    )
    assert done.returncode == 0, done.stderr
    sdist = tmp_path / "sdist" / done.stdout.strip().splitlines()[-1]
    with tarfile.open(sdist) as archive:
        members = archive.getnames()
        archive.extractall(tmp_path / "unpacked", filter="data")
    assert any(m.endswith("/grammars/teilhabe.lark") for m in members)
    assert {Path(m).name for m in members if "/models/" in m and m.endswith(".rules")} == {
        path.name for path in (ROOT / "models").glob("*.rules")}
    (source,) = (tmp_path / "unpacked").iterdir()
    out = tmp_path / "dist"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(source)],
        capture_output=True, text=True, timeout=120, env=env,
    )
    assert done.returncode == 0, done.stderr
    (built,) = out.glob("teilhabe_rules-*.whl")
    report = run_probe(_unpack(built, tmp_path / "wheel"))
    with zipfile.ZipFile(built) as archive:
        shipped = shipped_models(archive.namelist())
    assert bundled_model_failures(report, shipped) == []
