"""Which single input value would change a corridor level: every reported change, applied to the
case alone, gives the reported level; no value nearer to the current one already does; and where
no change is reported, no value of the choice set gives such a level (docs/04_results.md, "Which
single input would change the level")."""

from __future__ import annotations

import copy
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples

import teilhabe_rules
from teilhabe_rules.cli import main
from teilhabe_rules.inputs.cases import read_data
from teilhabe_rules.paths import parse_path, set_path
from teilhabe_rules.runtime.results import LevelChange

ROOT = Path(__file__).resolve().parents[2]
HEAD = "modell m\n  version \"1\"\n  gültig ab 01.01.2025\nende\n"

KAP4 = (0, 2, 5, 8, 16)
KAP5 = (0, 2, 9)
SUM = teilhabe_rules.loads(
    HEAD
    + "paket lp2a \"LP 2a\"\n"
    "  stufen\n    0 \"kein\"\n    1 \"gering\"\n    2 \"mittel\"\n  ende\n"
    "  eingabe kap4: auswahl {0, 2, 5, 8, 16} min/Tag \"Kap. 4 Mobilität\"\n"
    "  eingabe kap5: auswahl {0, 2, 9} min/Tag \"Kap. 5 Selbstversorgung\"\n"
    "  wert summe: min/Tag = kap4 + kap5\n"
    "  stufe nach korridor summe\n    0: ab 0 bis 0\n    1: über 0 bis 7\n    2: über 7\n  ende\n"
    "ende\n"
)

HOURS = teilhabe_rules.loads(
    HEAD
    + "eingabe stunden: zahl h/Jahr von 0 bis 100\n"
    "paket lp3b \"LP 3b\"\n"
    "  stufen\n    0 \"kein\"\n    1 \"bis 10\"\n    2 \"bis 20\"\n    3 \"über 20\"\n  ende\n"
    "  stufe nach korridor stunden\n"
    "    0: ab 0 bis 0\n    1: über 0 bis 10\n    2: über 10 bis 20\n    3: über 20\n  ende\n"
    "ende\n"
)


def crosses(direction: str, current: int, level: int) -> bool:
    """Whether ``level`` lies in ``direction`` ("höher"/"niedriger") from ``current``."""
    return level > current if direction == "höher" else level < current


def changes_of(result: Any, path: str) -> list[tuple[str, Decimal, Decimal, int, str, str | None]]:
    return [(c.input, c.current.value, c.new.value, c.level, c.direction, c.beyond) for c in result.level_changes(path)]


def applied(data: dict[str, Any], change: LevelChange, value: Decimal | None = None) -> dict[str, Any]:
    """The case data with only the input of ``change`` set to ``value`` (default: its new value)."""
    moved = copy.deepcopy(data)
    set_path(moved, parse_path(change.input), change.new.value if value is None else value)
    return moved


class TestChoiceSets:
    def test_exact_changes(self) -> None:
        result = SUM.evaluate({"lp2a": {"kap4": 5, "kap5": 0}})
        assert result.value("lp2a.berechnete_stufe") == 1
        assert changes_of(result, "lp2a") == [
            ("lp2a.kap4", Decimal(5), Decimal(8), 2, "höher", None),
            ("lp2a.kap4", Decimal(5), Decimal(0), 0, "niedriger", None),
            ("lp2a.kap5", Decimal(0), Decimal(9), 2, "höher", None),
        ]
        first = result.level_changes("lp2a")[0]
        assert first.label == "Kap. 4 Mobilität" and first.current.unit == "min/Tag"
        assert first.text() == "lp2a.kap4 = 8 min/Tag (statt 5 min/Tag) → Stufe 2"
        assert result.level_changes("lp2a.stufe") == result.level_changes("lp2a")

    def test_no_change_at_the_top_of_every_choice_set(self) -> None:
        result = SUM.evaluate({"lp2a": {"kap4": 16, "kap5": 9}})
        # 16 + 9: lowering kap4 to 0 leaves 9 (still Stufe 2), lowering kap5 to 0 leaves 16
        assert changes_of(result, "lp2a") == []
        assert result.explain("lp2a.berechnete_stufe", level_changes=True).text.endswith(
            "; Stufenwechsel durch eine einzelne Eingabe: keiner")

    @given(st.sampled_from(KAP4), st.sampled_from(KAP5))
    def test_every_change_holds_and_is_the_nearest(self, kap4: int, kap5: int) -> None:
        data = {"lp2a": {"kap4": kap4, "kap5": kap5}}
        result = SUM.evaluate(data)
        current = result.value("lp2a.berechnete_stufe")
        reported = {(c.input, c.direction): c for c in result.level_changes("lp2a")}
        for name, choices in (("kap4", KAP4), ("kap5", KAP5)):
            value = data["lp2a"][name]
            levels = {v: SUM.evaluate({"lp2a": {**data["lp2a"], name: v}}).value("lp2a.berechnete_stufe")
                      for v in choices}
            for direction in ("höher", "niedriger"):
                change = reported.get((f"lp2a.{name}", direction))
                crossing = [v for v in choices if crosses(direction, current, levels[v])]
                if change is None:
                    assert crossing == []
                    continue
                assert change.current.value == value and not change.beyond
                assert levels[change.new.value] == change.level and crosses(direction, current, change.level)
                distance = abs(change.new.value - value)
                assert all(abs(v - value) >= distance for v in crossing)


class TestBoundedNumbers:
    def test_exact_changes(self) -> None:
        result = HOURS.evaluate({"stunden": 12})
        assert changes_of(result, "lp3b") == [
            ("stunden", Decimal(12), Decimal(20), 3, "höher", "über"),
            ("stunden", Decimal(12), Decimal(10), 1, "niedriger", None),
        ]
        up, down = result.level_changes("lp3b")
        assert up.text() == "stunden > 20 h/Jahr (statt 12 h/Jahr) → Stufe 3"
        assert down.text() == "stunden = 10 h/Jahr (statt 12 h/Jahr) → Stufe 1"
        on_edge = HOURS.evaluate({"stunden": 10})
        assert changes_of(on_edge, "lp3b") == [
            ("stunden", Decimal(10), Decimal(10), 2, "höher", "über"),
            ("stunden", Decimal(10), Decimal(0), 0, "niedriger", None),
        ]
        # on the upper edge of its band: any more gives the next level
        assert on_edge.level_changes("lp3b")[0].text() == "stunden > 10 h/Jahr (statt 10 h/Jahr) → Stufe 2"

    @settings(max_examples=examples(100), deadline=None)
    @given(st.decimals(min_value=0, max_value=100, places=2))
    def test_every_change_holds_and_nothing_nearer_does(self, hours: Decimal) -> None:
        def level(value: Decimal) -> int:
            return HOURS.evaluate({"stunden": value}).value("lp3b.berechnete_stufe")  # type: ignore[no-any-return]

        result = HOURS.evaluate({"stunden": hours})
        current = level(hours)
        reported = {c.direction: c for c in result.level_changes("lp3b")}
        for direction in ("höher", "niedriger"):
            change = reported.get(direction)
            if change is None:
                assert not any(crosses(direction, current, level(Decimal(v))) for v in (0, 5, 10, 15, 20, 21, 100))
                continue
            new = change.new.value
            sign = 1 if direction == "höher" else -1  # the levels rise with the hours
            assert change.beyond in (None, "über" if sign > 0 else "unter")
            tiny = Decimal("0.001")
            if change.beyond:
                assert level(new + sign * tiny) == change.level and not crosses(direction, current, level(new))
            else:
                assert level(new) == change.level
            steps = [hours + (new - hours) * k / 10 for k in range(1, 10)]
            if abs(new - hours) > tiny and not change.beyond:
                steps.append(new - sign * tiny)
            assert not any(crosses(direction, current, level(v)) for v in steps)

    def test_affine_quantity_and_whole_numbers(self) -> None:
        model = teilhabe_rules.loads(
            HEAD
            + "eingabe besuche: ganzzahl von 0 bis 50 \"Besuche im Jahr\"\n"
            "paket lp \"LP\"\n"
            "  stufen\n    0 \"kein\"\n    1 \"gering\"\n    2 \"hoch\"\n  ende\n"
            "  wert menge: h/Jahr = (besuche * 3 h/Jahr + 1 h/Jahr) / 2\n"
            "  stufe nach korridor menge\n    0: ab 0 bis 0.5\n    1: über 0.5 bis 6\n    2: über 6\n  ende\n"
            "ende\n"
        )
        result = model.evaluate({"besuche": 2})  # (6 + 1) / 2 = 3.5
        # up: 3n + 1 > 12 first at n = 4; down: 3n + 1 <= 1 only at n = 0
        assert changes_of(result, "lp") == [
            ("besuche", Decimal(2), Decimal(4), 2, "höher", None),
            ("besuche", Decimal(2), Decimal(0), 0, "niedriger", None),
        ]
        assert model.evaluate({"besuche": 4}).value("lp.berechnete_stufe") == 2
        assert model.evaluate({"besuche": 3}).value("lp.berechnete_stufe") == 1

    def test_not_affine_is_skipped(self) -> None:
        model = teilhabe_rules.loads(
            HEAD
            + "eingabe stunden: zahl h/Jahr von 0 bis 100\n"
            "paket lp \"LP\"\n"
            "  stufen\n    0 \"kein\"\n    1 \"bis 10\"\n    2 \"über 10\"\n  ende\n"
            "  wert menge: h/Jahr = min(stunden, 50 h/Jahr)\n"
            "  stufe nach korridor menge\n    0: ab 0 bis 0\n    1: über 0 bis 10\n    2: über 10\n  ende\n"
            "ende\n"
        )
        assert model.evaluate({"stunden": 5}).level_changes("lp") == ()

    def test_a_failing_check_rules_a_change_out(self) -> None:
        model = teilhabe_rules.loads(
            HEAD
            + "eingabe stunden: zahl h/Jahr von 0 bis 100\n"
            "prüfung \"höchstens 15 h/Jahr\": stunden <= 15 h/Jahr\n"
            "paket lp3b \"LP 3b\"\n"
            "  stufen\n    0 \"kein\"\n    1 \"bis 10\"\n    2 \"bis 20\"\n    3 \"über 20\"\n  ende\n"
            "  stufe nach korridor stunden\n"
            "    0: ab 0 bis 0\n    1: über 0 bis 10\n    2: über 10 bis 20\n    3: über 20\n  ende\n"
            "ende\n"
        )
        assert changes_of(model.evaluate({"stunden": 12}), "lp3b") == [
            ("stunden", Decimal(12), Decimal(10), 1, "niedriger", None),
        ]


class TestScopes:
    MODEL = teilhabe_rules.loads(
        HEAD
        + "eingabe zuschlag: auswahl {0, 4} min/Tag \"Zuschlag des Hauses\"\n"
        "liste bereiche \"Bereiche\"\n"
        "  eingabe minuten: auswahl {0, 3, 6} min/Tag\n"
        "ende\n"
        "wert summe: min/Tag = summe(bereiche.minuten) + zuschlag\n"
        "paket lp \"LP\"\n"
        "  stufen\n    0 \"kein\"\n    1 \"gering\"\n    2 \"hoch\"\n  ende\n"
        "  stufe nach korridor summe\n    0: ab 0 bis 0\n    1: über 0 bis 7\n    2: über 7\n  ende\n"
        "ende\n"
    )

    def test_inputs_of_list_elements_and_the_case(self) -> None:
        result = self.MODEL.evaluate({"zuschlag": 0, "bereiche": [{"minuten": 6}, {"minuten": 0}]})  # 6: Stufe 1
        assert changes_of(result, "lp") == [
            ("bereiche[1].minuten", Decimal(6), Decimal(0), 0, "niedriger", None),
            ("bereiche[2].minuten", Decimal(0), Decimal(3), 2, "höher", None),
            ("zuschlag", Decimal(0), Decimal(4), 2, "höher", None),
        ]

    def test_not_a_corridor_is_a_key_error(self) -> None:
        result = self.MODEL.evaluate({"zuschlag": 0, "bereiche": [{"minuten": 3}]})
        for path in ("summe", "lp2", "bereiche[3].lp", "zuschlag", "[", 5):
            with pytest.raises(KeyError):
                result.level_changes(path)  # type: ignore[arg-type]


class TestOutputs:
    def test_only_on_request(self) -> None:
        result = SUM.evaluate({"lp2a": {"kap4": 5, "kap5": 0}}, explain=True)
        plain = result.to_dict()
        stufe = plain["ergebnis"]["pakete"]["lp2a"]["stufe"]
        assert "stufenwechsel" not in stufe and "Stufenwechsel" not in json.dumps(plain, ensure_ascii=False)
        assert "Stufenwechsel" not in result.explain("lp2a.berechnete_stufe").text
        assert "Stufenwechsel" not in result.render_text(explain=True)
        asked = result.to_dict(level_changes=True)["ergebnis"]["pakete"]["lp2a"]["stufe"]
        assert asked["stufenwechsel"][0] == {
            "eingabe": "lp2a.kap4", "bezeichnung": "Kap. 4 Mobilität", "bisher": {"wert": "5", "einheit": "min/Tag"},
            "neu": {"wert": "8", "einheit": "min/Tag"}, "jenseits": None, "stufe": 2, "richtung": "höher"}
        sentence = ("Stufenwechsel durch eine einzelne Eingabe: lp2a.kap4 = 8 min/Tag (statt 5 min/Tag) → Stufe 2, "
                    "lp2a.kap4 = 0 min/Tag (statt 5 min/Tag) → Stufe 0, "
                    "lp2a.kap5 = 9 min/Tag (statt 0 min/Tag) → Stufe 2")
        assert asked["erklärung_berechnet"]["text"].endswith("; " + sentence)
        assert result.render_text(explain=True, level_changes=True).count(sentence) == 1
        assert f"    ↳ {sentence}\n" in result.render_text(level_changes=True)
        assert result.to_dict() == plain  # asking once leaves the default form as it was

    def test_command_line_flag(self) -> None:
        model = ROOT / "models" / "mawo.rules"
        case = ROOT / "examples" / "mawo" / "person_grundfall.toml"
        out, err = io.StringIO(), io.StringIO()
        assert main(["eval", str(model), str(case), "--format", "json", "--stufenwechsel"], out, err) == 0
        lp2a = json.loads(out.getvalue())["ergebnis"]["listen"]["bewohner"][0]["pakete"]["lp2a"]["stufe"]
        assert [(c["eingabe"], c["neu"]["wert"], c["stufe"]) for c in lp2a["stufenwechsel"]] == [
            ("bewohner[1].lp2a.kap4", "8", 3), ("bewohner[1].lp2a.kap5", "9", 3), ("bewohner[1].lp2a.kap6", "3", 1)]
        out = io.StringIO()
        assert main(["eval", str(model), str(case), "--format", "json"], out, err) == 0
        assert "stufenwechsel" not in out.getvalue()
        out = io.StringIO()
        assert main(["eval", str(model), str(case), "--explain", "--stufenwechsel"], out, err) == 0
        assert "lp3b.stunden > 20 h/Jahr (statt 12 h/Jahr) → Stufe 3" in out.getvalue()


MAWO = teilhabe_rules.load(ROOT / "models" / "mawo.rules")
GRUNDFALL = read_data(ROOT / "examples" / "mawo" / "person_grundfall.toml")
LP2A = {"kap4": (0, 2, 5, 8, 16), "kap5": (0, 2, 9, 16, 24), "kap6": (0, 3, 7, 13, 19)}
LP3A = {f"kap{n}": (Decimal(0), Decimal("0.5"), Decimal("1.0"), Decimal("1.5"), Decimal("2.0"), Decimal("2.5"))
        for n in range(1, 10)}


def mawo_level(data: dict[str, Any], package: str) -> int:
    return MAWO.evaluate(data).value(f"bewohner[1].{package}.berechnete_stufe")  # type: ignore[no-any-return]


def check_choice_changes(data: dict[str, Any], package: str, areas: dict[str, tuple[Any, ...]]) -> None:
    """Each reported change, applied to the case, gives the reported level; no nearer value of
    its choice set crosses in that direction; no change reported: no value of the set crosses."""
    result = MAWO.evaluate(data)
    current = result.value(f"bewohner[1].{package}.berechnete_stufe")
    reported = {(c.input, c.direction): c for c in result.level_changes(f"bewohner[1].{package}")}
    assert {key[0] for key in reported} <= {f"bewohner[1].{package}.{name}" for name in areas}
    for name, choices in areas.items():
        path = f"bewohner[1].{package}.{name}"
        value = result.value(path)
        levels = {}
        for choice in choices:
            moved = copy.deepcopy(data)
            set_path(moved, parse_path(path), choice)
            levels[Decimal(choice)] = mawo_level(moved, package)
        for direction in ("höher", "niedriger"):
            change = reported.get((path, direction))
            crossing = [v for v, lv in levels.items() if crosses(direction, current, lv)]
            if change is None:
                assert crossing == [], (path, direction)
                continue
            assert change.current.value == value and change.level == levels[change.new.value]
            assert crosses(direction, current, change.level)
            assert mawo_level(applied(data, change), package) == change.level
            assert all(abs(v - value) >= abs(change.new.value - value) for v in crossing)


class TestMawo:
    def test_grundfall_lp2a(self) -> None:
        result = MAWO.evaluate(GRUNDFALL)
        assert changes_of(result, "bewohner[1].lp2a") == [
            ("bewohner[1].lp2a.kap4", Decimal(0), Decimal(8), 3, "höher", None),
            ("bewohner[1].lp2a.kap5", Decimal(2), Decimal(9), 3, "höher", None),
            ("bewohner[1].lp2a.kap6", Decimal(13), Decimal(3), 1, "niedriger", None),
        ]
        for change in result.level_changes("bewohner[1].lp2a"):
            assert mawo_level(applied(GRUNDFALL, change), "lp2a") == change.level
        check_choice_changes(GRUNDFALL, "lp2a", LP2A)

    def test_grundfall_lp3b_bounded_hours(self) -> None:
        result = MAWO.evaluate(GRUNDFALL)
        up, down = result.level_changes("bewohner[1].lp3b")
        assert (up.new.value, up.beyond, up.level) == (20, "über", 3)
        assert (down.new.value, down.beyond, down.level) == (10, None, 1)
        assert mawo_level(applied(GRUNDFALL, up, Decimal("20.5")), "lp3b") == 3
        assert mawo_level(applied(GRUNDFALL, up), "lp3b") == 2
        assert mawo_level(applied(GRUNDFALL, down), "lp3b") == 1

    @settings(max_examples=examples(30), deadline=None)
    @given(st.fixed_dictionaries({name: st.sampled_from(choices) for name, choices in LP2A.items()}))
    def test_lp2a_changes_hold_over_the_choice_sets(self, areas: dict[str, int]) -> None:
        data = copy.deepcopy(GRUNDFALL)
        data["bewohner"][0]["lp2a"] = dict(areas)
        check_choice_changes(data, "lp2a", LP2A)

    @settings(max_examples=examples(10), deadline=None)
    @given(st.fixed_dictionaries({name: st.sampled_from(choices) for name, choices in LP3A.items()}))
    def test_lp3a_changes_hold_over_the_choice_sets(self, areas: dict[str, Decimal]) -> None:
        data = copy.deepcopy(GRUNDFALL)
        data["bewohner"][0]["lp3a"] = dict(areas)
        check_choice_changes(data, "lp3a", LP3A)

    @settings(max_examples=examples(30), deadline=None)
    @given(st.decimals(min_value=0, max_value=50, places=1))
    def test_lp3b_changes_hold(self, hours: Decimal) -> None:
        data = copy.deepcopy(GRUNDFALL)
        data["bewohner"][0]["lp3b"] = {"stunden": hours}
        current = mawo_level(data, "lp3b")
        for change in MAWO.evaluate(data).level_changes("bewohner[1].lp3b"):
            sign = {None: 0, "über": 1, "unter": -1}[change.beyond]
            probe = change.new.value + sign * Decimal("0.01")
            assert mawo_level(applied(data, change, probe), "lp3b") == change.level
            assert (change.level > current) == (change.direction == "höher") and change.level != current


def test_the_documented_sentences_are_what_eval_prints() -> None:
    docs = (ROOT / "docs" / "04_results.md").read_text(encoding="utf-8")
    section = docs.split("### Which single input would change the level", 1)[1].split("## Example", 1)[0]
    block = section.split("```text\n", 1)[1].split("```", 1)[0]
    out, err = io.StringIO(), io.StringIO()
    case = ROOT / "examples" / "mawo" / "person_grundfall.toml"
    assert main(["eval", str(ROOT / "models" / "mawo.rules"), str(case), "--stufenwechsel"], out, err) == 0
    printed = [line.strip().removeprefix("↳ ") for line in out.getvalue().splitlines()]
    for sentence in block.splitlines():
        assert sentence in printed


@pytest.mark.parametrize(("quantity", "declarations"), [
    ("1:10 * x", ""),
    ("x + zuschlag[k]", 'tabelle zuschlag "Z": ganzzahl -> zahl teilweise\n  1: 0\n  2: 10\n  3: 20\nende\n'),
])
def test_a_staff_key_or_a_table_row_of_another_input_keeps_the_quantity_linear(quantity: str,
                                                                              declarations: str) -> None:
    """``1:10 * x`` and ``x + zuschlag[k]`` are linear in ``x``: the change of ``x`` that moves
    the level is found (it was „keiner“: a term the analysis could not fold made the whole
    quantity count as not linear)."""
    model = teilhabe_rules.loads(
        HEAD + declarations + "eingabe x: zahl von 0 bis 100\neingabe k: ganzzahl von 1 bis 3\n"
        'paket p "P"\n  stufen\n    0 "a"\n    1 "b"\n  ende\n'
        f"  stufe nach korridor {quantity}\n    0: ab 0 bis 5\n    1: über 5\n  ende\nende\n", "m.rules")
    result = model.evaluate({"x": 90, "k": 1})
    assert result.value("p.stufe") == 1
    (change,) = result.level_changes("p")
    assert change.input == "x" and change.level == 0 and change.beyond is None
    assert model.evaluate({"x": change.new.value, "k": 1}).value("p.stufe") == 0
    nearer = change.new.value + Decimal("0.01")
    assert model.evaluate({"x": nearer, "k": 1}).value("p.stufe") == 1


UNTRIED = teilhabe_rules.loads(
    HEAD
    + "eingabe stunden: zahl h/Jahr von 0 bis 100\n"
    "eingabe doppelt: ja_nein standard nein \"zählt doppelt\"\n"
    "eingabe extra: zahl h/Jahr von 0 bis 100 standard 0\n"
    "wert menge: h/Jahr = (wenn doppelt dann stunden * 2 sonst stunden) + min(extra, 5 h/Jahr)\n"
    "paket p \"P\"\n"
    "  stufen\n    0 \"kein\"\n    1 \"wenig\"\n    2 \"viel\"\n  ende\n"
    "  stufe nach korridor menge\n    0: ab 0 bis 0\n    1: über 0 bis 10\n    2: über 10\n  ende\n"
    "ende\n"
)


class TestUntried:
    """The inputs the corridor reads that are not tried are named: „keiner“ alone only where every
    one was tried (a ja/nein, a number behind ``wenn`` or ``min`` is not)."""

    def test_no_change_found_among_the_inputs_tried(self) -> None:
        result = UNTRIED.evaluate({"stunden": 20, "doppelt": True, "extra": 2})
        changes = result.level_changes("p")
        assert list(changes) == [] and changes.unexamined == ("doppelt", "stunden", "extra")
        assert result.explain("p.berechnete_stufe", level_changes=True).text.endswith(
            "; Stufenwechsel durch eine einzelne Eingabe: keiner unter den geprüften Eingaben; "
            "nicht geprüft: doppelt, stunden, extra")
        level = result.to_dict(level_changes=True)["ergebnis"]["pakete"]["p"]["stufe"]
        assert level["stufenwechsel"] == [] and level["stufenwechsel_nicht_geprüft"] == ["doppelt", "stunden", "extra"]
        from jsonschema import Draft202012Validator

        from teilhabe_rules.tools.schema import json_schema

        document = json.loads(json.dumps(result.to_dict(level_changes=True)))
        assert not list(Draft202012Validator(json_schema(UNTRIED, "ergebnis")).iter_errors(document))
        # and the claim is right to be careful: a change of one of them does change the level
        assert UNTRIED.evaluate({"stunden": 4, "doppelt": False, "extra": 2}).value("p.berechnete_stufe") == 1

    def test_every_input_tried_says_none(self) -> None:
        result = HOURS.evaluate({"stunden": 0})
        assert result.level_changes("lp3b").unexamined == ()
        level = result.to_dict(level_changes=True)["ergebnis"]["pakete"]["lp3b"]["stufe"]
        assert "stufenwechsel_nicht_geprüft" not in level

    def test_a_change_the_edges_promise_but_no_evaluation_confirms_leaves_the_input_untried(self) -> None:
        """Above 10 h the level is 2, but the value tried there (midway to the bound, 55 h) fails
        the ``prüfung``: the input is named as not tried, not „keiner“."""
        checked = teilhabe_rules.loads(
            HEAD + "eingabe stunden: zahl h/Jahr von 0 bis 100\n"
            "prüfung \"zu viel\": stunden >= 1 und stunden <= 50\n"
            "paket p \"P\"\n  stufen\n    0 \"kein\"\n    1 \"wenig\"\n    2 \"viel\"\n  ende\n"
            "  stufe nach korridor stunden\n    0: ab 0 bis 0\n    1: über 0 bis 10\n    2: über 10\n  ende\nende\n")
        changes = checked.evaluate({"stunden": 5}).level_changes("p")
        assert list(changes) == [] and changes.unexamined == ("stunden",)
        assert repr(changes) == "LevelChanges((), unexamined=('stunden',))"
        assert checked.evaluate({"stunden": 20}).value("p.berechnete_stufe") == 2
