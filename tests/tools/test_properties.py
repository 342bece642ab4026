"""Declared properties and generic invariants over generated cases; broken models are caught with
counterexample files."""

from __future__ import annotations

import io
import os
import sys
from decimal import Decimal
from pathlib import Path

import pytest

import teilhabe_rules
from teilhabe_rules.cli import main
from teilhabe_rules.tools.properties import INVARIANTS, property_checks, run_properties, run_property
from teilhabe_rules.tools.testing import run_examples

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
MAWO = (ROOT / "models" / "mawo.rules").read_text(encoding="utf-8")
MODEL_NAMES = sorted(p.stem for p in (ROOT / "models").glob("*.rules"))

SMALL = """\
modell klein "Klein"
  version "1"
  gültig ab 01.01.2024
ende

eingabe x: zahl h/Woche von 0 bis 20
eingabe teiler: ganzzahl von 0 bis 4
wert knick: h/Woche = wenn x > 5 h/Woche dann 0 h/Woche sonst x "steigt bis 5, dann 0"
wert viertel: h/Woche = x / 4

eigenschaft "x bleibt unter 10": x <= 10 h/Woche
eigenschaft "knick steigt mit x": steigend knick mit x
eigenschaft "viertel steigt mit x": steigend viertel mit x
eigenschaft "viertel fällt nie mit x": fallend viertel mit x
"""

DIVISION = """\
modell teilen "Teilen"
  version "1"
  gültig ab 01.01.2024
ende

eingabe stunden: zahl h/Jahr von 0 bis 100
eingabe personen: ganzzahl Personen von 0 bis 4
wert je_person: h/Jahr = stunden / (personen / 1 Personen)
"""


@pytest.fixture(scope="module")
def model() -> teilhabe_rules.Model:
    return teilhabe_rules.loads(SMALL, "klein.rules")


EXAMPLES_TO_FIND_IT = 150  # generated cases that find the broken LP 3b row whatever modules are loaded


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def check_named(model: teilhabe_rules.Model, name: str):
    return next(c for c in property_checks(model) if c.name == name)


class TestBundledModels:
    """Every bundled model keeps its declared properties and the generic invariants (small profile)."""

    @pytest.mark.parametrize("name", MODEL_NAMES)
    def test_all_hold(self, name) -> None:
        model = teilhabe_rules.load(ROOT / "models" / f"{name}.rules")
        outcomes = run_properties(model, max_examples=10, seed=1)
        assert [o.id for o in outcomes if not o.passed] == []
        names = {o.id.split("::", 1)[1] for o in outcomes}
        assert {f"invarianten::{n}" for n, _ in INVARIANTS} - names <= {"invarianten::stufen-im-bereich"}
        assert sum(1 for n in names if n.startswith("eigenschaft::")) >= 3


class TestDeclaredProperties:
    """Conditions and monotonicity declared in a rule file are checked and reported with a counterexample."""

    def test_condition_fails_with_values(self, model, tmp_path) -> None:
        outcome = run_property(check_named(model, "eigenschaft::x-bleibt-unter-10"), max_examples=50,
                               counterexample_dir=tmp_path)
        assert not outcome.passed
        assert "x <= 10 h/Woche" in outcome.message
        assert Decimal(str(outcome.counterexample["x"])) > 10
        assert outcome.counterexample_file is not None
        assert outcome.counterexample_file.name == "gegenbeispiel-klein-1.toml"
        data = tomllib.loads(outcome.counterexample_file.read_text(encoding="utf-8"), parse_float=Decimal)
        assert data == outcome.counterexample

    def test_monotonicity_fails_at_the_kink(self, model) -> None:
        outcome = run_property(check_named(model, "eigenschaft::knick-steigt-mit-x"), max_examples=60)
        assert not outcome.passed
        assert "dabei sinkt knick" in outcome.message
        assert Decimal(str(outcome.counterexample["x"])) <= 5

    def test_monotonicity_holds(self, model) -> None:
        assert run_property(check_named(model, "eigenschaft::viertel-steigt-mit-x"), max_examples=30).passed

    def test_falling_is_checked_too(self, model) -> None:
        outcome = run_property(check_named(model, "eigenschaft::viertel-fällt-nie-mit-x"), max_examples=30)
        assert not outcome.passed and "dabei steigt viertel" in outcome.message

    def test_unknown_target_is_a_check_error(self) -> None:
        text = SMALL + 'eigenschaft "vertippt": steigend viertell mit x\n'
        with pytest.raises(teilhabe_rules.CheckError, match="„viertell“ bezeichnet keinen Wert des Modells") as info:
            teilhabe_rules.loads(text, "klein.rules")
        assert "meinten Sie „viertel“?" in info.value.render()

    def test_same_seed_same_counterexample(self, model) -> None:
        check = check_named(model, "eigenschaft::x-bleibt-unter-10")
        first = run_property(check, max_examples=30, seed=5)
        second = run_property(check, max_examples=30, seed=5)
        assert first.counterexample == second.counterexample


class TestGenericInvariants:
    """The generic invariants find what they promise to find."""

    def test_totality_finds_a_division_by_zero(self, tmp_path) -> None:
        model = teilhabe_rules.loads(DIVISION, "teilen.rules")
        outcome = run_property(check_named(model, "invarianten::auswertbar"), max_examples=50,
                               counterexample_dir=tmp_path)
        assert not outcome.passed
        assert "je_person" in outcome.message
        assert outcome.counterexample["personen"] == 0

    def test_checks_that_never_hold_are_named_as_such(self) -> None:
        """Where no generated case meets the model's checks, the report says so; not that
        „0“ cases were rejected by checks."""
        model = teilhabe_rules.loads('modell nie "Nie"\n  gültig ab 01.01.2024\nende\n'
                                     'eingabe a: zahl von 0 bis 10\neingabe b: zahl von 0 bis 10\n'
                                     'wert s: zahl = a + b\n'
                                     'prüfung "a größer b": a > b\nprüfung "b größer a": b > a\n'
                                     'eigenschaft "s nie negativ": s >= 0\n', "nie.rules")
        outcome = run_property(check_named(model, "eigenschaft::s-nie-negativ"), max_examples=2,
                               limits={"repair_rounds": 0, "restarts": 0})
        assert not outcome.passed and outcome.examples == 0
        assert "Es ließ sich kein Fall erzeugen, der alle Prüfungen des Modells erfüllt" in (outcome.message or "")
        assert "0 verworfen" not in (outcome.message or "")

    def test_floats_in_results_are_found(self, monkeypatch) -> None:
        model = teilhabe_rules.loads(DIVISION.replace("von 0 bis 4", "von 1 bis 4"), "teilen.rules")
        original = teilhabe_rules.Result.to_dict

        def with_float(self):
            data = dict(original(self))
            data["fremd"] = 0.1
            return data

        monkeypatch.setattr(teilhabe_rules.Result, "to_dict", with_float)
        outcome = run_property(check_named(model, "invarianten::zahlen-exakt"), max_examples=5)
        assert not outcome.passed and "Gleitkommazahl" in outcome.message

    def test_accepting_invalid_cases_is_found(self, monkeypatch) -> None:
        model = teilhabe_rules.loads(DIVISION, "teilen.rules")
        monkeypatch.setattr(type(model), "load_case", lambda self, data, source=None: None)
        outcome = run_property(check_named(model, "invarianten::ungueltige-faelle"), max_examples=5)
        assert not outcome.passed and "angenommen" in outcome.message

    # a BEI_NRW 3.0 case whose Zeitabschnitt total (decided on its exact number) is 6.4664…571,
    # while its rounded parts add up to 6.4664…572 in 28 digits
    SUM_CASE = {
        "erstellt_am": "2025-08-27", "wohnform": "eigene_häuslichkeit", "zeitraum_beginn": "2024-08-27",
        "zeitraum_ende": "2024-08-27", "leistungstyp": 0, "hilfebedarfsgruppe": 0, "leistungstyp_tagesstruktur": 0,
        "abrechnungsmonate": [],
        "zeitabschnitte": [{"beginn": "2024-08-27", "schluss": "2024-08-27", "massnahmen": [
            {"bezeichnung": "0", "bereich": "b1", "art": art, "stunden": Decimal(stunden), "personen": personen}
            for art, stunden, personen in [("ea", "40", 2), ("ea", "11.5", 2), ("qa", "0.1", 1), ("ua", "31.7", 3)]]}],
    }

    def test_a_sum_holds_within_the_rounding_of_its_last_digit(self) -> None:
        model = teilhabe_rules.bundled("bei_nrw3")
        zeitabschnitt = model.evaluate(self.SUM_CASE).frame.root.children("zeitabschnitte")[0]
        assert zeitabschnitt["stunden_anrechenbar"] == Decimal("6.466428571428571428571428571")
        check_named(model, "invarianten::summen-der-teile").check(self.SUM_CASE)  # no PropertyFailure

    def test_a_sum_off_by_more_than_its_rounding_is_found(self, monkeypatch) -> None:
        from teilhabe_rules.runtime.frame import Element

        model = teilhabe_rules.bundled("bei_nrw3")
        check = check_named(model, "invarianten::summen-der-teile")
        original = Element.get

        def off(self, key, default=None):
            found = original(self, key, default)
            if key == "stunden_anrechenbar" and isinstance(found, Decimal) and found:
                return found + found.scaleb(-25)  # a few units of the 28th digit
            return found

        monkeypatch.setattr(Element, "get", off)
        outcome = run_property(check, max_examples=20)
        assert not outcome.passed and "die Summe der Teile" in outcome.message

    def test_inapplicable_invariants_are_not_collected(self) -> None:
        names = {c.name for c in property_checks(teilhabe_rules.loads(DIVISION, "teilen.rules"))}
        assert "invarianten::summen-der-teile" not in names and "invarianten::stufen-im-bereich" not in names
        assert "invarianten::auswertbar" in names


class TestBrokenModel:
    """A deliberately broken MAWo model is caught by its examples or properties, with a counterexample file."""

    def test_moved_corridor_bound_is_caught_by_examples(self) -> None:
        broken = MAWO.replace("parameter lp3b_grenze_4: zahl h/Jahr von 0 bis 50 = 40 h/Jahr",
                              "parameter lp3b_grenze_4: zahl h/Jahr von 0 bis 50 = 45 h/Jahr")
        assert broken != MAWO
        failing = [o.id for o in run_examples(teilhabe_rules.loads(broken, "mawo.rules")) if not o.passed]
        assert "mawo.rules::lp3b::41-h" in failing

    def test_changed_table_row_is_caught_by_a_property(self, tmp_path) -> None:
        broken = MAWO.replace('  3: 25 h/Jahr annahme "Mitte von 20–30 h/Jahr"',
                              '  3: 2.5 h/Jahr annahme "Mitte von 20–30 h/Jahr"')
        assert broken != MAWO
        path = tmp_path / "mawo_kaputt.rules"
        path.write_text(broken, encoding="utf-8")
        model = teilhabe_rules.load(path)
        assert all(o.passed for o in run_examples(model)), "the examples alone do not see this change"
        check = check_named(model, "eigenschaft::mehr-stunden-in-lp-3b-senken-den-tagessatz-nie")
        # 150 cases: the counterexample needs LP 3b hours just below 20 h/Jahr raised just above it,
        # and which cases a seed gives depends on the modules loaded (hypothesis draws constants of
        # the local modules): fewer cases missed it in about one seed of eight
        outcome = run_property(check, max_examples=EXAMPLES_TO_FIND_IT, counterexample_dir=tmp_path,
                               shrink_seconds=2)
        assert not outcome.passed
        assert "bewohner[1].lp3b.stunden steigt" in outcome.message and "sinkt bewohner[1].tagessatz" in outcome.message
        assert outcome.counterexample_file is not None and outcome.counterexample_file.exists()
        code, out, _ = run("eval", str(path), str(outcome.counterexample_file))
        assert code == 0, "the counterexample is a valid case"
        assert "tagessatz" in out

    def test_removed_table_row_is_caught_by_totality(self, tmp_path) -> None:
        row = ('  3: 160 min/Tag annahme "480 min Präsenz am Tag ÷ 3 Personen '
               '(ständige Präsenz, jederzeit eingreifen)"\n')
        broken = MAWO.replace(row, "")
        assert broken != MAWO
        path = tmp_path / "mawo_kaputt.rules"
        path.write_text(broken, encoding="utf-8")
        model = teilhabe_rules.load(path)
        outcome = run_property(check_named(model, "invarianten::auswertbar"), max_examples=40,
                               counterexample_dir=tmp_path, shrink_seconds=2)
        assert not outcome.passed and "keinen Eintrag für 3" in outcome.message
        code, _, err = run("eval", str(path), str(outcome.counterexample_file))
        assert code == 1 and "keinen Eintrag für 3" in err

    def test_cli_reports_failures_and_writes_files(self, tmp_path) -> None:
        broken = MAWO.replace('  3: 25 h/Jahr annahme "Mitte von 20–30 h/Jahr"',
                              '  3: 2.5 h/Jahr annahme "Mitte von 20–30 h/Jahr"')
        path = tmp_path / "mawo_kaputt.rules"
        path.write_text(broken, encoding="utf-8")
        folder = tmp_path / "gegen"
        code, out, _ = run("test", str(path), "--examples-count", str(EXAMPLES_TO_FIND_IT),
                           "--counterexamples", str(folder))
        assert code == 1
        assert "FEHLER  mawo_kaputt.rules::eigenschaft::mehr-stunden-in-lp-3b-senken-den-tagessatz-nie" in out
        assert "Gegenbeispiel: " in out and "Gegenbeispiel als Falldatei:" in out and "          [[bewohner]]" in out
        files = sorted(folder.glob("gegenbeispiel-mawo-*.toml"))
        assert files and all(f"Gegenbeispiel: {f}" in out for f in files)
        assert out.splitlines()[-1].endswith(f"{len(files)} failed")

    def test_a_counterexample_folder_that_cannot_be_one(self, tmp_path: Path) -> None:
        path = tmp_path / "klein.rules"
        path.write_text('modell klein "Klein"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
                        'eingabe stunden: zahl h/Jahr von 0 bis 100\n'
                        'wert doppelt: zahl h/Jahr = stunden * 2\n'
                        'eigenschaft "Nie mehr als 150 h/Jahr": doppelt <= 150 h/Jahr\n'
                        'eigenschaft "Nie mehr als 250 h/Jahr": doppelt <= 250 h/Jahr\n', encoding="utf-8")
        (tmp_path / "datei").write_text("", encoding="utf-8")
        for folder in (tmp_path / "datei", tmp_path / "datei" / "darunter"):
            code, out, err = run("test", str(path), "--counterexamples", str(folder))
            assert code == 1 and "interner Fehler" not in err
            assert f"Gegenbeispiel nicht geschrieben: Das Verzeichnis „{folder}“ lässt sich nicht anlegen" in out
            # the finding is reported and the run goes on to its other properties and its summary
            assert "FEHLER  klein.rules::eigenschaft::nie-mehr-als-150-h-jahr" in out
            assert "ok      klein.rules::eigenschaft::nie-mehr-als-250-h-jahr" in out
            assert "ok      klein.rules::invarianten::ungueltige-faelle" in out
            assert out.splitlines()[-1].endswith("1 failed")


class TestCommandLine:
    """``teilhabe-rules test --properties`` runs examples, properties and invariants."""

    def test_properties_pass_for_a_bundled_model(self, tmp_path, monkeypatch) -> None:
        monkeypatch.delenv("HYPOTHESIS_STORAGE_DIRECTORY", raising=False)
        monkeypatch.chdir(tmp_path)
        code, out, _ = run("test", "bei_nrw2", "--properties", "--examples-count", "8", "--seed", "3",
                           "--counterexamples", str(tmp_path), "--format", "json")
        assert code == 0
        assert not (tmp_path / ".hypothesis").exists(), (
            "hypothesis files belong in the cache, not the working directory")
        import json

        data = json.loads(out)
        assert data["fehlgeschlagen"] == 0
        assert {p["id"] for p in data["eigenschaften"]} >= {"bei_nrw2.rules::invarianten::auswertbar"}
        assert not list(tmp_path.iterdir())

    def test_without_properties_only_examples_run(self) -> None:
        code, out, _ = run("test", "bei_nrw2")
        examples = len(teilhabe_rules.bundled("bei_nrw2").checked.examples)
        ran = [line for line in out.splitlines() if line.startswith(("ok ", "FEHLER "))]
        assert code == 0 and out.splitlines()[-1] == f"{examples} passed, 0 failed"
        assert len(ran) == examples and not any("::eigenschaft::" in line or "::invarianten::" in line for line in ran)


class TestExpectedErrors:
    """``erwartet fehler "…"`` holds where a message of the rejection contains the text — the
    source line or file name a rendered error quotes is no message."""

    MODEL = """modell c "C"
  gültig ab 01.01.2024
ende
eingabe stunden: zahl h/Jahr
prüfung "Stunden zu viele": stunden < 500 h/Jahr
wert x: h/Jahr = stunden
beispiel "{title}"
  eingabe stunden = 600 h/Jahr
  erwartet fehler "{expected}"
ende
"""

    @pytest.mark.parametrize(("expected", "passes"), [
        ("zu viele", True), ("Stunden zu viele", True),
        ("stunden < 500", False),  # only in the quoted source line
        ("c.rules", False), ("prüfung", False),  # the file's name, the keyword of that line
    ])
    def test_the_message_decides(self, expected: str, passes: bool) -> None:
        model = teilhabe_rules.loads(self.MODEL.format(title="b", expected=expected), "c.rules")
        (outcome,) = run_examples(model)
        assert outcome.passed is passes, outcome.failures


def test_an_expectation_that_names_no_figure_names_its_line() -> None:
    """An ``erwartet`` of an element the case does not have fails at its own line, with the
    message as it reads (not in the quotes of a Python ``KeyError``)."""
    text = ('modell l "L"\n  version "1"\n  gültig ab 01.01.2024\nende\nliste posten "P"\n'
            '  eingabe stunden: zahl h von 0 bis 10\nende\nbeispiel "zwei"\n'
            '  eingabe posten = [{stunden = 1 h}]\n  erwartet posten[2].stunden = 1 h\nende\n')
    (outcome,) = run_examples(teilhabe_rules.loads(text, "l.rules"))
    assert not outcome.passed
    assert outcome.failures[0] == (
        "posten[2].stunden: „posten[2]“ gibt es nicht: die Liste hat 1 Eintrag (ab 1 gezählt)  [l.rules:10]")


def test_a_model_that_does_not_load_is_in_the_one_json_document(tmp_path: Path) -> None:
    import json

    bad = tmp_path / "kaputt.rules"
    bad.write_text('modell x "X"\n  gültig ab 01.01.2024\nende\nwert a = b\n', "utf-8")
    code, out, _ = run("test", str(bad), "mawo", "--format", "json")
    assert code == 1
    data = json.loads(out)  # one document
    (unloaded,) = data["nicht_geladen"]
    assert unloaded["modell"] == str(bad) and unloaded["fehler"]
    assert data["bestanden"] > 0 and data["fehlgeschlagen"] == 0
    code, out, err = run("test", str(bad), "mawo")
    assert code == 1 and "Unbekannter Name" in err
    assert out.splitlines()[-1].endswith(" passed, 0 failed, 1 nicht geladen")


def test_every_example_and_property_has_an_id_of_its_own() -> None:
    text = """modell u "U"
  gültig ab 01.01.2024
ende
eingabe x: zahl
wert y = x
beispiel "a b"
  eingabe x = 1
  erwartet y = 1
ende
beispiel "a-b"
  eingabe x = 2
  erwartet y = 2
ende
beispiel "???"
  eingabe x = 3
  erwartet y = 3
ende
beispiel "!!!"
  eingabe x = 4
  erwartet y = 4
ende
eigenschaft "X": y >= x
eigenschaft "X": y <= x
eigenschaft "X 2": y = x
"""
    model = teilhabe_rules.loads(text, "u.rules")
    ids = [outcome.id for outcome in run_examples(model)]
    assert len(set(ids)) == 4 and all(i.startswith("u.rules::") and not i.endswith("::") for i in ids)
    assert "u.rules::a-b-zeile-6" in ids and "u.rules::beispiel-zeile-14" in ids
    names = [check.name for check in property_checks(model, invariants=False)]
    assert names == ["eigenschaft::x", "eigenschaft::x-2", "eigenschaft::x-2-2"]


def test_the_cases_of_a_seed_are_the_same_in_every_process(tmp_path: Path) -> None:
    """Deterministic for a seed whatever the process's hash seed (a set of a partial table's keys
    was drawn from in its iteration order) — when shrinking is not cut short by its time budget,
    which would make the smallest case depend on the machine's speed."""
    import subprocess

    broken = MAWO.replace('  3: 25 h/Jahr annahme "Mitte von 20–30 h/Jahr"',
                          '  3: 2.5 h/Jahr annahme "Mitte von 20–30 h/Jahr"')
    path = tmp_path / "mawo_kaputt.rules"
    path.write_text(broken, encoding="utf-8")
    script = (
        "import sys, teilhabe_rules\n"
        "from teilhabe_rules.tools.properties import property_checks, run_property\n"
        "model = teilhabe_rules.load(sys.argv[1])\n"
        "check = next(c for c in property_checks(model) if c.name == sys.argv[2])\n"
        "o = run_property(check, max_examples=50, seed=0, shrink_seconds=600.0)\n"
        "print(o.passed, o.counterexample)\n"
    )
    name = "eigenschaft::mehr-stunden-in-lp-3b-senken-den-tagessatz-nie"
    found = [subprocess.run([sys.executable, "-c", script, str(path), name], capture_output=True, text=True,
                            check=True, timeout=300, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
             for seed in ("1", "2", "3")]
    assert found[0] == found[1] == found[2], found
