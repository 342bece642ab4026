"""Files saved with a UTF-8 byte order mark (as Windows editors and Excel write them) read like
files without one: rule files, bases of variants, cases, agreements and populations."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import teilhabe_rules
from teilhabe_rules.tools.compare import compare

ROOT = Path(__file__).resolve().parents[2]
BOM = "\ufeff"


def with_bom(source: Path, target: Path) -> Path:
    target.write_text(BOM + source.read_text("utf-8"), encoding="utf-8")
    return target


def test_rule_file_and_case_and_agreement(tmp_path: Path) -> None:
    rules = with_bom(ROOT / "models/mawo.rules", tmp_path / "mawo.rules")
    case = with_bom(ROOT / "examples/mawo/person_grundfall.toml", tmp_path / "fall.toml")
    agreement = with_bom(ROOT / "examples/mawo/vereinbarung_haus_linde.toml", tmp_path / "vereinbarung.toml")
    model = teilhabe_rules.load(rules)
    expected = teilhabe_rules.bundled("mawo").evaluate(
        ROOT / "examples/mawo/person_grundfall.toml", agreement=ROOT / "examples/mawo/vereinbarung_haus_linde.toml"
    )
    got = model.evaluate(case, agreement=agreement)
    assert got.to_dict()["ergebnis"] == expected.to_dict()["ergebnis"]


def test_json_case(tmp_path: Path) -> None:
    data = teilhabe_rules.inputs.cases.read_data(ROOT / "examples/mawo/person_grundfall.toml")
    case = tmp_path / "fall.json"
    case.write_text(BOM + json.dumps(data, default=str, ensure_ascii=False), encoding="utf-8")
    model = teilhabe_rules.bundled("mawo")
    assert model.evaluate(case).to_dict()["ergebnis"] == model.evaluate(data).to_dict()["ergebnis"]


def test_base_of_a_variant(tmp_path: Path) -> None:
    with_bom(ROOT / "models/mawo.rules", tmp_path / "mawo.rules")
    shutil.copy(ROOT / "models/mawo_2025.rules", tmp_path / "mawo_2025.rules")
    model = teilhabe_rules.load(tmp_path / "mawo_2025.rules")
    bundled = teilhabe_rules.bundled("mawo_2025")
    assert model.checked.parameters["fls_satz"].default == bundled.checked.parameters["fls_satz"].default


def test_json_lines_population(tmp_path: Path) -> None:
    data = teilhabe_rules.inputs.cases.read_data(ROOT / "examples/mawo/person_grundfall.toml")
    population = tmp_path / "fälle.jsonl"
    population.write_text(BOM + json.dumps(data, default=str, ensure_ascii=False) + "\n", encoding="utf-8")
    model = teilhabe_rules.bundled("mawo")
    summary = compare(model, model, population, out=tmp_path / "aus.csv")
    assert (summary.rows, summary.errors) == (1, 0)

