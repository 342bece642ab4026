"""A model whose header gives no ``version``: every output names it without one — no „Version ?“
in the evaluation report, no stray blank after its name in a comparison, a counterexample, a
schema, a diff or the handbook — and a model with one is named with it."""

from __future__ import annotations

from pathlib import Path

import pytest

import teilhabe_rules
from teilhabe_rules.tools.compare import compare
from teilhabe_rules.tools.diff import diff_models
from teilhabe_rules.tools.handbook import render_handbook
from teilhabe_rules.tools.properties import counterexample_toml, property_checks
from teilhabe_rules.tools.schema import json_schema

BODY = """  gültig ab 01.01.2024
  budget betrag
ende

eingabe n: ganzzahl von 0 bis 10
wert betrag: EUR = n * {factor} EUR
wert doppelt: EUR = betrag * 2
eigenschaft "Nie mehr als 5 EUR": betrag <= 5 EUR
"""


def model(name: str, version: str | None, factor: int = 2) -> teilhabe_rules.Model:
    header = f'modell {name} "Titel {name}"\n' + (f'  version "{version}"\n' if version else "")
    return teilhabe_rules.loads(header + BODY.format(factor=factor), f"{name}.rules")


def test_the_report_of_an_evaluation_names_no_version() -> None:
    text = model("ohne", None).evaluate({"n": 1}).render_text(explain=True)
    assert text.split("\n")[0] == "Titel ohne"
    assert model("mit", "2.1").evaluate({"n": 1}).render_text().split("\n")[0] == "Titel mit — Version 2.1"


@pytest.mark.parametrize(("old", "new", "head"), [
    (None, None, "Budgetvergleich alt → neu"),
    ("1", None, "Budgetvergleich alt 1 → neu"),
    (None, "2", "Budgetvergleich alt → neu 2"),
])
def test_a_comparison_names_each_model_as_it_is_versioned(tmp_path: Path, old: str | None, new: str | None,
                                                          head: str) -> None:
    population = tmp_path / "fälle.jsonl"
    population.write_text('{"n": 1}\n{"n": 2}\n', encoding="utf-8")
    summary = compare(model("alt", old), model("neu", new, 3), population)
    assert summary.render_text().split("\n")[0] == head


def test_a_comparison_of_two_figures_names_the_model_without_version(tmp_path: Path) -> None:
    population = tmp_path / "fälle.jsonl"
    population.write_text('{"n": 1}\n', encoding="utf-8")
    summary = compare(model("ohne", None), None, population, figures=("betrag", "doppelt"))
    assert summary.render_text().split("\n")[0].startswith("Budgetvergleich ohne: ")


def test_a_counterexample_schema_diff_and_handbook_name_the_model_without_version() -> None:
    without, versioned = model("ohne", None), model("mit", "3")
    check = next(c for c in property_checks(without) if c.kind == "eigenschaft")
    assert "\n# Modell ohne\n" in counterexample_toml(check, {"n": 3}, "betrag = 6 EUR")
    assert json_schema(without, "fall")["title"] == "Fall für „Titel ohne“ (ohne)"
    assert json_schema(versioned, "fall")["title"] == "Fall für „Titel mit“ (mit 3)"
    lines = diff_models(versioned.checked, without.checked).render_text().split("\n")
    assert "  alt: mit 3 — mit.rules" in lines and "  neu: ohne — ohne.rules" in lines
    pages = render_handbook(without, previous=versioned)
    assert "Version" not in pages["index.html"].split("<main")[0]
    assert any("mit 3 (mit.rules)" in page for page in pages.values())
    assert not any("ohne </" in page or "ohne  " in page for page in pages.values())
