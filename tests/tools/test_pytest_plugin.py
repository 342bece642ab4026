"""The pytest plugin (``teilhabe_rules.tools.pytest_plugin``, entry point ``pytest11``): a rule file's
examples, properties and invariants are test items with stable ids, outcomes and failure texts,
and ``pytest models/`` collects every example of every bundled model."""

from __future__ import annotations

import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

import teilhabe_rules
from teilhabe_rules.tools.properties import property_checks
from teilhabe_rules.tools.pytest_plugin import ExampleItem, PropertyItem
from teilhabe_rules.tools.testing import example_id

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]
MODELS = sorted((ROOT / "models").glob("*.rules"))

MINI = """\
modell mini "Mini"
  version "1"
  gültig ab 01.01.2024
ende

eingabe minuten: auswahl {0, 7, 8, 15} min/Tag
wert stunden: h/Jahr = minuten als h/Jahr

paket lp "Ein Paket"
  stufen
    0 "kein Bedarf"
    1 "gering"
    2 "mittel"
  ende
  stufe nach korridor minuten
    0: ab 0 bis 0
    1: über 0 bis 7
    2: über 7
  ende

  beispiel "grenze-7" "7 min/Tag → noch Stufe 1"
    eingabe minuten = 7
    erwartet lp.stufe = 1
  ende
  beispiel "Grenze 8" "8 min/Tag → Stufe 1 (falsch erwartet)"
    eingabe minuten = 8
    erwartet lp.stufe = 1
  ende
ende

beispiel "15-minuten"
  eingabe minuten = 15
  erwartet stunden = 91.25 h/Jahr
ende

eigenschaft "Die Stunden sind nie negativ": stunden >= 0 h/Jahr
eigenschaft "Weniger als 50 Stunden": stunden < 50 h/Jahr
"""
FAILING_EXAMPLE_LINE = MINI.splitlines().index('  beispiel "Grenze 8" "8 min/Tag → Stufe 1 (falsch erwartet)"') + 1
FAILING_EXPECTATION_LINE = FAILING_EXAMPLE_LINE + 2  # its „erwartet lp.stufe = 1“
FAILING_PROPERTY_LINE = MINI.splitlines().index('eigenschaft "Weniger als 50 Stunden": stunden < 50 h/Jahr') + 1


@pytest.fixture
def mini(pytester: pytest.Pytester) -> Path:
    path = pytester.path / "mini.rules"
    path.write_text(MINI, encoding="utf-8")
    return path


def test_the_plugin_is_registered_as_entry_point() -> None:
    """pyproject declares it, and the installed distribution carries the declaration."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["entry-points"]["pytest11"] == {"teilhabe_rules": "teilhabe_rules.tools.pytest_plugin"}
    installed = {e.name: e.value for e in entry_points(group="pytest11")}
    assert installed.get("teilhabe_rules") == "teilhabe_rules.tools.pytest_plugin"


def test_examples_are_items_with_ids_outcomes_and_failure_text(pytester: pytest.Pytester, mini: Path) -> None:
    result = pytester.runpytest("-v", "-p", "no:cacheprovider", "--teilhabe-faelle", "0")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines_random([
        "mini.rules::lp::grenze-7 PASSED*",
        "mini.rules::lp::grenze-8 FAILED*",
        "mini.rules::15-minuten PASSED*",
    ])
    # the failure names file, line and example, expected and computed value, and explains the computed one
    result.stdout.fnmatch_lines([
        f"*mini.rules:{FAILING_EXAMPLE_LINE}: Beispiel „Grenze 8“",
        f"lp.stufe: erwartet 1 (gering), berechnet 2 (mittel)  [[]*mini.rules:{FAILING_EXPECTATION_LINE}]",
        "*Erklärung: *8 min/Tag liegt im Korridor über 7 min/Tag → Stufe 2 (mittel)*",
    ])
    assert "Traceback" not in result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_properties_and_invariants_are_items(pytester: pytest.Pytester, mini: Path, tmp_path: Path) -> None:
    folder = tmp_path / "gegen"
    result = pytester.runpytest("-v", "-p", "no:cacheprovider", "--teilhabe-faelle", "5",
                                "--teilhabe-gegenbeispiele", str(folder), "-k", "eigenschaft or invarianten")
    names = {check.name for check in property_checks(teilhabe_rules.load(mini))}
    assert {"eigenschaft::die-stunden-sind-nie-negativ", "eigenschaft::weniger-als-50-stunden",
            "invarianten::auswertbar"} <= names
    result.assert_outcomes(passed=len(names) - 1, failed=1, deselected=3)
    result.stdout.fnmatch_lines_random([
        "mini.rules::eigenschaft::die-stunden-sind-nie-negativ PASSED*",
        "mini.rules::eigenschaft::weniger-als-50-stunden FAILED*",
        "mini.rules::invarianten::auswertbar PASSED*",
        f"*mini.rules:{FAILING_PROPERTY_LINE}: Eigenschaft „Weniger als 50 Stunden“",
        "    mit den Werten des Falls: 91.25 h/Jahr < 50 h/Jahr",
        "Gegenbeispiel als Falldatei*",
    ])
    written = sorted(folder.glob("*.toml"))
    assert len(written) == 1 and "\nminuten = 15\n" in written[0].read_text(encoding="utf-8")
    assert str(written[0]) in result.stdout.str()


def test_a_file_that_does_not_load_is_one_failing_item(pytester: pytest.Pytester) -> None:
    (pytester.path / "kaputt.rules").write_text(MINI.replace("minuten als h/Jahr", "minuten als h/Jahrr"),
                                                encoding="utf-8")
    result = pytester.runpytest("-v", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "kaputt.rules::laden FAILED*",
        "*kaputt.rules:7:36: fehler: Unbekannte Einheit „Jahrr“ in „h/Jahrr“",
        "    wert stunden: h/Jahr = minuten als h/Jahrr",
    ])


def test_without_the_plugin_rule_files_are_not_collected(pytester: pytest.Pytester, mini: Path) -> None:
    """What collects rule files is this plugin, loaded by its entry point name."""
    result = pytester.runpytest("-p", "no:teilhabe_rules", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_the_suite_collects_the_models() -> None:
    """A plain ``pytest`` in the checkout collects ``models/`` next to ``tests/``."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["tool"]["pytest"]["ini_options"]["testpaths"] == ["tests", "models"]


@pytest.mark.parametrize("cases", [0, 25], ids=["nur-beispiele", "mit-eigenschaften"])
def test_every_example_of_every_bundled_model_is_an_item(pytester: pytest.Pytester, cases: int) -> None:
    """``pytest models/`` collects one item per ``beispiel`` of the bundled models (their number as the
    library counts them) and, with generated cases, one per property and invariant."""
    models = [teilhabe_rules.load(path) for path in MODELS]
    assert len(models) == 4
    expected_examples = sorted(example_id(model, example) for model in models for example in model.checked.examples)
    items, _ = pytester.inline_genitems(str(ROOT / "models"), "-p", "no:cacheprovider", "--teilhabe-faelle", str(cases))
    examples = sorted(f"{item.path.name}::{item.name}" for item in items if isinstance(item, ExampleItem))
    assert examples == expected_examples
    assert len(set(examples)) == len(examples) > 140
    properties = [item for item in items if isinstance(item, PropertyItem)]
    assert len(properties) == (sum(len(property_checks(model)) for model in models) if cases else 0)
    assert len(items) == len(examples) + len(properties)


@pytest.mark.parametrize(("given", "words"), [(["--teilhabe-faelle", "-3"], "die Zahl der Fälle ist 0 oder mehr"),
                                              (["--teilhabe-faelle", "viele"], "ist keine ganze Zahl"),
                                              (["-o", "teilhabe_faelle=-1"], "die Zahl der Fälle ist 0 oder mehr")])
def test_a_number_of_cases_that_is_none_is_a_usage_error(pytester: pytest.Pytester, mini: Path, given: list[str],
                                                        words: str) -> None:
    result = pytester.runpytest("-p", "no:cacheprovider", *given)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert words in result.stderr.str()
