"""Case errors point at the line of the case file that holds the offending key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import teilhabe_rules
from teilhabe_rules.locate import locate

TOML = """# Kopf
name = "Haus"

[[zeitabschnitte]]
beginn = 2026-01-01

[[zeitabschnitte.massnahmen]]
stunden = 1

[[zeitabschnitte.massnahmen]]
stunden = 2

[[zeitabschnitte]]
beginn = 2026-07-01

[[zeitabschnitte.massnahmen]]
art = "qa"
stunden = 3

[paket]
wert.tief = 4
"""


class TestLocate:
    """Keys, arrays of tables (nested, counted per parent), dotted keys and fall-backs."""

    @pytest.mark.parametrize(
        ("steps", "line"),
        [
            (("name",), 2),
            (("zeitabschnitte", 1, "massnahmen", 2, "stunden"), 11),
            (("zeitabschnitte", 2, "beginn"), 14),
            (("zeitabschnitte", 2, "massnahmen", 1, "stunden"), 18),
            (("zeitabschnitte", 2, "massnahmen", 1, "fehlt"), 16),  # missing key: its table
            (("paket", "wert", "tief"), 21),
            (("gibt_es_nicht",), 1),
        ],
    )
    def test_toml(self, steps: tuple, line: int) -> None:
        assert locate(TOML, steps)[0] == line

    def test_json_searches_the_keys_in_order(self) -> None:
        text = json.dumps({"a": 1, "liste": [{"x": 1}, {"stunden": 5}]}, indent=2)
        line, column = locate(text, ("liste", 2, "stunden"), json=True)
        assert text.split("\n")[line - 1].strip().startswith('"stunden"')
        assert text.split("\n")[line - 1][column - 1] == '"'


MODEL = """modell m "M"
  version "1"
  gültig ab 01.01.2024
ende
liste massnahmen "Maßnahmen"
  eingabe stunden: zahl h/Jahr von 0 bis 2000
ende
"""


def test_case_error_shows_the_line_and_a_caret(tmp_path: Path) -> None:
    case = tmp_path / "fall.toml"
    case.write_text("[[massnahmen]]\nstunden = 5\n\n[[massnahmen]]\nstunden = 2500\n", encoding="utf-8")
    model = teilhabe_rules.loads(MODEL, "m.rules")
    with pytest.raises(teilhabe_rules.CaseError) as info:
        model.evaluate(case)
    (problem,) = info.value.diagnostics
    assert (problem.location.line, problem.location.column) == (5, 1)
    assert "stunden = 2500\n    ^" in problem.render()
