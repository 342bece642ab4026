"""Case errors point at the line of the case file that holds the offending key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import teilhabe_rules
from teilhabe_rules.inputs.locate import locate, locate_exact

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


class TestInsideValues:
    """Keys and elements inside JSON values and TOML inline values, each container scanned once."""

    JSON_TEXT = '{"m": [{"name": "a", "s": 1}, {"name": "b]", "s": [1, {"t": 2}]}],\n "b": {"c": "q"}, "e\\u00fc": 3}'

    @pytest.mark.parametrize(
        ("steps", "expected"),
        [
            (("m", 2, "name"), (1, 32, True)),  # the second element's key, not the first's
            (("m", 2, "s", 2, "t"), (1, 56, True)),
            (("b", "c"), (2, 8, True)),
            (("eü",), (2, 19, True)),
            (("m", 3), (1, 2, False)),  # no third element: at the list's key
            (("fehlt",), (1, 1, False)),
        ],
    )
    def test_json(self, steps: tuple, expected: tuple) -> None:
        assert locate_exact(self.JSON_TEXT, steps, json=True) == expected

    TOML_TEXT = 'm = ["a.toml", # Kommentar\n  "b.toml"]\nlp = { k = 2, "ü" = [1, 2] }\n[x.y]\nz = 1\n'

    @pytest.mark.parametrize(
        ("steps", "expected"),
        [
            (("m", 2), (2, 3, True)),
            (("lp", "ü", 2), (3, 25, True)),
            (("lp", "k"), (3, 8, True)),
            (("x",), (4, 1, True)),  # a table implied by a dotted header
            (("x", "y", "z"), (5, 1, True)),
        ],
    )
    def test_toml(self, steps: tuple, expected: tuple) -> None:
        assert locate_exact(self.TOML_TEXT, steps) == expected

    def test_many_paths_in_one_text_scan_each_container_once(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from teilhabe_rules.inputs import locate as module

        scans = []
        original = module._Containers._scan
        monkeypatch.setattr(module._Containers, "_scan", lambda self, at: scans.append(at) or original(self, at))
        text = json.dumps({f"k{i}": {"v": i} for i in range(2000)})
        for i in range(2000):
            line, column, exact = locate_exact(text, (f"k{i}", "v"), json=True)
            assert exact and text[column - 1:].startswith('"v"')
        assert len(scans) == 2001  # the root once, each inner object once


@pytest.mark.parametrize(("line", "column", "end", "caret"), [
    ("wert 🙂 = 1 + satzz", 14, 19, " " * 14 + "^~~~~"),  # an emoji takes two cells
    ("wert 漢字 = 1", 6, 8, " " * 5 + "^~~~"),  # wide characters: two cells each, the ~ too
    ("wert e\u0301 = satzz", 11, 16, " " * 9 + "^~~~~"),  # a combining accent takes none
    ("\twert = satzz", 9, 14, "\t" + " " * 7 + "^~~~~"),  # a tab stays a tab
])
def test_the_caret_lines_up_as_a_terminal_shows_the_line(line: str, column: int, end: int, caret: str) -> None:
    from teilhabe_rules.errors import Diagnostic, Location

    rendered = Diagnostic("x", Location("a.rules", 1, column, 1, end), source_line=line).render().splitlines()
    assert rendered[2] == "    " + caret
