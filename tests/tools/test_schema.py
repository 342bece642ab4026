"""JSON Schema of a model's cases, agreements and results: the bundled examples, golden results and
generated cases validate; what the library rejects, the schema rejects where JSON Schema can say it."""

from __future__ import annotations

import copy
import io
import json
import re
import sys
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples
from jsonschema import Draft202012Validator

import teilhabe_rules
from teilhabe_rules import AgreementError, CaseError
from teilhabe_rules.cli import main
from teilhabe_rules.tools.schema import DIALECT, KINDS, json_schema
from teilhabe_rules.tools.strategies import invalid_cases, sample_invalid_cases, valid_cases

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
GOLDEN = ROOT / "tests" / "golden"
MODEL_FILES = {p.stem: p for p in (ROOT / "models").glob("*.rules")}
MODEL_FILES["stundensatz"] = EXAMPLES / "versionen" / "stundensatz.rules"
FAST = settings(max_examples=examples(15), deadline=None, database=None, derandomize=True,
                suppress_health_check=list(HealthCheck))

# every document under examples/: (the models it is for, what it is); "bewohner" is an element
# file of the list of that name
DOCUMENTS: dict[str, tuple[tuple[str, ...], str]] = {
    "bei_nrw2/fall_2_0.toml": (("bei_nrw2",), "fall"),
    "bei_nrw3/altsystem_lt_hbg.toml": (("bei_nrw3",), "fall"),
    "bei_nrw3/besondere_wohnform_module.toml": (("bei_nrw3",), "fall"),
    "bei_nrw3/eigene_haeuslichkeit.toml": (("bei_nrw3",), "fall"),
    "bei_nrw3/umstellung_aus_2_0.toml": (("bei_nrw3",), "fall"),
    "bei_nrw3/population_alt_neu.jsonl": (("bei_nrw3",), "fall"),
    "bei_nrw3/vereinbarung_fiktiv.toml": (("bei_nrw3",), "vereinbarung"),
    "mawo/haus_linde.toml": (("mawo", "mawo_2025"), "fall"),
    "mawo/person_bewilligte_stufe_ilb4.toml": (("mawo", "mawo_2025"), "fall"),
    "mawo/person_grundfall.toml": (("mawo", "mawo_2025"), "fall"),
    "mawo/person_hoher_bedarf.toml": (("mawo", "mawo_2025"), "fall"),
    "mawo/person_ohne_pflegegrad.toml": (("mawo", "mawo_2025"), "fall"),
    "mawo/person_uebergangseinstufung.toml": (("mawo", "mawo_2025"), "fall"),
    **{f"mawo/bewohner/linde_{n}.toml": (("mawo", "mawo_2025"), "bewohner") for n in range(1, 7)},
    "mawo/vereinbarung_haus_linde.toml": (("mawo",), "vereinbarung"),
    "versionen/fall.toml": (("stundensatz",), "fall"),
    "versionen/lesart2.toml": (("mawo_2025",), "vereinbarung"),
}


@cache
def model(name: str) -> teilhabe_rules.Model:
    return teilhabe_rules.load(MODEL_FILES[name])


@cache
def validator(name: str, kind: str) -> Draft202012Validator:
    return Draft202012Validator(json_schema(model(name), kind))


def as_json(data: Any) -> Any:
    """Data as a JSON reader gets it: decimals as numbers, dates as ISO text (as TOML data in JSON)."""
    return json.loads(json.dumps(data, default=lambda v: float(v) if isinstance(v, Decimal) else v.isoformat()))


def errors(name: str, kind: str, data: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"[:300]
            for e in validator(name, kind).iter_errors(as_json(data))]


def documents(relative: str) -> list[Any]:
    path = EXAMPLES / relative
    if path.suffix == ".jsonl":
        return [json.loads(line, parse_float=Decimal) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [tomllib.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)]


class TestTheSchemas:
    """Each schema is a valid draft 2020-12 schema, for every bundled model and kind."""

    @pytest.mark.parametrize("kind", KINDS)
    @pytest.mark.parametrize("name", sorted(MODEL_FILES))
    def test_valid_schema(self, name: str, kind: str) -> None:
        schema = json_schema(model(name), kind)
        assert schema["$schema"] == DIALECT
        Draft202012Validator.check_schema(schema)
        assert json.loads(json.dumps(schema)) == schema  # JSON-ready

    def test_the_checked_model_gives_the_same(self) -> None:
        assert json_schema(model("mawo").checked, "ergebnis") == json_schema(model("mawo"), "ergebnis")

    def test_unknown_kind(self) -> None:
        with pytest.raises(ValueError, match="unbekannte Art"):
            json_schema(model("mawo"), "tabelle")


class TestExamples:
    """Every bundled example document is valid under its model's schema."""

    def test_every_example_is_listed(self) -> None:
        found = {str(p.relative_to(EXAMPLES)) for p in EXAMPLES.rglob("*") if p.suffix in (".toml", ".jsonl")}
        assert found == set(DOCUMENTS)

    @pytest.mark.parametrize("relative", sorted(DOCUMENTS))
    def test_valid(self, relative: str) -> None:
        names, kind = DOCUMENTS[relative]
        for name in names:
            for data in documents(relative):
                if kind == "bewohner":  # an element file: the schema of a list element
                    schema = json_schema(model(name), "fall")["properties"]["bewohner"]["items"]["anyOf"][0]
                    found = list(Draft202012Validator(schema).iter_errors(as_json(data)))
                    assert not found, [e.message for e in found]
                else:
                    assert errors(name, kind, data) == []


def _golden_results() -> list[tuple[str, str]]:
    """(golden file, model name) of every JSON result among the golden snapshots."""
    found = []
    for path in sorted((GOLDEN / "eval").glob("*.json*.txt")):
        command = path.read_text(encoding="utf-8").splitlines()[0].split()
        rules = next(part for part in command if part.endswith(".rules"))
        found.append((str(path.relative_to(GOLDEN)), Path(rules).stem))
    return found


class TestResults:
    """The golden JSON results, and results with explanations and level changes, fit the result schema."""

    @pytest.mark.parametrize(("golden", "name"), _golden_results(), ids=[g for g, _ in _golden_results()])
    def test_golden_eval(self, golden: str, name: str) -> None:
        text = (GOLDEN / golden).read_text(encoding="utf-8")
        data = json.loads(text.split("[stdout]\n", 1)[1].rsplit("[stderr]", 1)[0])
        assert errors(name, "ergebnis", data) == []

    @pytest.mark.parametrize("name", ["mawo", "mawo_2025", "bei_nrw2", "bei_nrw3"])
    def test_golden_examples(self, name: str) -> None:
        lines = (GOLDEN / "beispiele" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
        results = [json.loads(line)["ergebnis"] for line in lines if '"ergebnis"' in line]
        assert results
        for result in results:
            assert errors(name, "ergebnis", result) == []

    def test_with_level_changes_and_explanations(self) -> None:
        result = model("mawo").evaluate(EXAMPLES / "mawo" / "person_grundfall.toml", explain=True)
        data = result.to_dict(level_changes=True)
        assert data["ergebnis"]["listen"]["bewohner"][0]["pakete"]["lp2a"]["stufe"]["stufenwechsel"]
        assert errors("mawo", "ergebnis", data) == []

    def test_a_changed_result_is_rejected(self) -> None:
        data = model("mawo").evaluate(EXAMPLES / "mawo" / "person_grundfall.toml").to_dict()
        wrong = copy.deepcopy(data)
        wrong["ergebnis"]["werte"]["vk_lp0"]["wert"] = 2.2  # a float, not the exact text
        assert errors("mawo", "ergebnis", wrong)
        wrong = copy.deepcopy(data)
        del wrong["ergebnis"]["listen"]["bewohner"][0]["pakete"]["lp2a"]["werte"]["minuten"]
        assert errors("mawo", "ergebnis", wrong)
        wrong = copy.deepcopy(data)
        wrong["ergebnis"]["listen"]["bewohner"][0]["pakete"]["lp2a"]["stufe"]["wirksam"] = 9
        assert errors("mawo", "ergebnis", wrong)


CASE_MODELS = ["mawo", "mawo_2025", "bei_nrw2", "bei_nrw3"]


class TestGeneratedCases:
    """Generated cases: the valid ones fit the case schema, the invalid ones (one defect each) do not."""

    @pytest.mark.parametrize("name", CASE_MODELS)
    def test_valid_cases_fit(self, name: str) -> None:
        @FAST
        @given(valid_cases(model(name)))
        def fits(case: dict[str, Any]) -> None:
            assert errors(name, "fall", case) == []

        fits()

    @pytest.mark.parametrize("name", CASE_MODELS)
    def test_invalid_cases_are_rejected_by_both(self, name: str) -> None:
        @FAST
        @given(invalid_cases(model(name)))
        def rejected(spoiled: tuple[dict[str, Any], str]) -> None:
            case, what = spoiled
            with pytest.raises(CaseError):
                model(name).load_case(copy.deepcopy(case))
            assert errors(name, "fall", case), what

        rejected()

    def test_every_sampled_defect_is_rejected(self) -> None:
        """Each kind of defect the generator makes (400 draws cover all of them) is one the schema sees."""
        for case, what in sample_invalid_cases(model("mawo"), 400, seed=4):
            assert errors("mawo", "fall", case), what


def grundfall() -> dict[str, Any]:
    return documents("mawo/person_grundfall.toml")[0]  # type: ignore[no-any-return]


def _spoiled(change: Any) -> dict[str, Any]:
    case = grundfall()
    change(case)
    return case


class TestRejectedByBoth:
    """One bad input per kind: the library rejects it, and so does the schema."""

    CASES = {
        "falscher Typ": lambda c: c.update(plaetze="viele"),
        "Liste statt Zahl": lambda c: c["bewohner"][0]["lp3b"].update(stunden=[1]),
        "außerhalb des Bereichs": lambda c: c.update(plaetze=201),
        "außerhalb des Bereichs (Liste)": lambda c: c["bewohner"][0]["lp3b"].update(stunden=Decimal("1000.5")),
        "keine ganze Zahl": lambda c: c.update(plaetze=Decimal("2.5")),
        "unbekannter Schlüssel": lambda c: c.update(plätze=24),
        "unbekannter Schlüssel im Paket": lambda c: c["bewohner"][0]["lp2a"].update(kap7=0),
        "Pflichtangabe fehlt": lambda c: c.pop("zeitraum_ab"),
        "Pflichtangabe im Paket fehlt": lambda c: c["bewohner"][0]["lp2a"].pop("kap4"),
        "nicht in der Auswahl": lambda c: c["bewohner"][0]["lp2a"].update(kap4=3),
        "nicht in der Auswahl (Text)": lambda c: c["bewohner"][0]["lp2a"].update(kap4="3 min/Tag"),
        "falsche Einheit": lambda c: c["bewohner"][0]["lp2a"].update(kap4="2 h/Tag"),
        "kein Mitglied der Aufzählung": lambda c: c["bewohner"][0].update(pflegegrad=9),
        "kein Datum": lambda c: c.update(zeitraum_ab="31.02.2024"),
        "Liste zu kurz": lambda c: c.update(bewohner=[]),
        "bewilligte Stufe ohne Begründung": lambda c: c["bewohner"][0]["lp2a"].update(bewilligte_stufe=3),
        "kein ja/nein": lambda c: c.update(lp1b_einfachbesetzung="vielleicht"),
        "keine ganze Zahl (Text)": lambda c: c.update(plaetze="1.5"),
        "keine ganze Zahl (Text mit Komma)": lambda c: c.update(plaetze="1,5"),
        "Jahr 0": lambda c: c.update(zeitraum_ab="0000-01-01"),
        "Jahr 0 (deutsch)": lambda c: c.update(zeitraum_ab="01.01.0000"),
        "Prozent für eine Zahl ohne Einheit": lambda c: c.update(nachtwachen="2 %"),
        "Leerzeichen im Datum": lambda c: c.update(zeitraum_ab="2024-07- 1"),
        "Ziffern einer anderen Schrift": lambda c: c.update(plaetze="\u0662\u0664"),
        "Ziffern einer anderen Schrift (Datum)": lambda c: c.update(zeitraum_ab="\u0662\u0660\u0662\u0664-07-01"),
    }

    @pytest.mark.parametrize("what", sorted(CASES))
    def test_rejected(self, what: str) -> None:
        case = _spoiled(self.CASES[what])
        with pytest.raises(CaseError):
            model("mawo").load_case(copy.deepcopy(case))
        assert errors("mawo", "fall", case), what

    def test_the_untouched_case_is_valid(self) -> None:
        model("mawo").load_case(grundfall())
        assert errors("mawo", "fall", grundfall()) == []

    def test_a_whole_number_as_text(self) -> None:
        case = _spoiled(lambda c: c.update(plaetze="24,0"))
        model("mawo").load_case(copy.deepcopy(case))
        assert errors("mawo", "fall", case) == []

    @pytest.mark.parametrize("value", ["2", "2 min/Tag", " 2,0 Minuten / Tag ", 2, Decimal("2.0")])
    def test_written_forms_the_library_accepts(self, value: Any) -> None:
        case = _spoiled(lambda c: c["bewohner"][0]["lp2a"].update(kap5=value))
        model("mawo").load_case(copy.deepcopy(case))
        assert errors("mawo", "fall", case) == []

    @pytest.mark.parametrize("value", [True, False, "ja", "nein", "WAHR", "FALSCH", "Wahr", "wahr", "falsch",
                                       "Ja", "true", "vielleicht", 1])
    def test_a_truth_value_fits_the_schema_as_the_library_takes_it(self, value: Any) -> None:
        """``WAHR``/``FALSCH`` (German Excel's truth values in a CSV file) as ``ja``/``nein``:
        the schema takes a truth text exactly where the case loader takes it."""
        case = _spoiled(lambda c: c.update(lp1b_einfachbesetzung=value))
        try:
            model("mawo").load_case(copy.deepcopy(case))
        except CaseError:
            assert errors("mawo", "fall", case)
        else:
            assert errors("mawo", "fall", case) == []
            assert value in (True, False, "ja", "nein", "WAHR", "FALSCH")

    @settings(max_examples=examples(200), deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(st.from_regex(r"\A *[-+]?0*(0|2|5|9|16|24)([.,]0{0,2}[05]?)? *(min/Tag)?\Z"))
    def test_a_choice_written_as_text_fits_the_schema_as_the_library_takes_it(self, text: str) -> None:
        """„-0“, „02“, „2,0“, „24.5“, „+2“: the schema's pattern of a choice takes a text exactly
        where the case loader takes it."""
        case = _spoiled(lambda c: c["bewohner"][0]["lp2a"].update(kap5=text))
        try:
            model("mawo").load_case(copy.deepcopy(case))
            taken = True
        except CaseError:
            taken = False
        assert (errors("mawo", "fall", case) == []) == taken, text

    @settings(max_examples=examples(200), deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(st.from_regex(r"\A *[-+]?0*(0|2|5|7)([.,]0{0,3}[05]?)? *\Z"))
    def test_a_numbered_member_written_as_text_fits_the_schema_as_the_library_takes_it(self, text: str) -> None:
        """„2“, „02“, „2,0“, „-0“, „2,5“, „2.“: the schema's pattern of a Pflegegrad takes a text
        exactly where the case loader takes it (a whole number, places of zero too)."""
        case = _spoiled(lambda c: c["bewohner"][0].update(pflegegrad=text))
        try:
            model("mawo").load_case(copy.deepcopy(case))
            taken = True
        except CaseError:
            taken = False
        assert (errors("mawo", "fall", case) == []) == taken, text

    def test_a_numbered_member_with_places_of_zero(self) -> None:
        case = _spoiled(lambda c: c["bewohner"][0].update(pflegegrad="3,0"))
        model("mawo").load_case(copy.deepcopy(case))
        assert errors("mawo", "fall", case) == []

    def test_a_range_in_text_form_is_left_to_the_library(self) -> None:
        """Documented limit: a number written as text is checked for its form and unit only."""
        case = _spoiled(lambda c: c.update(plaetze="201 Plätze"))
        with pytest.raises(CaseError):
            model("mawo").load_case(copy.deepcopy(case))
        assert errors("mawo", "fall", case) == []


class TestAgreements:
    """Agreements: unknown parameters and tables, the wrong model and bad values are rejected by both."""

    BASE = "mawo/vereinbarung_haus_linde.toml"

    @pytest.mark.parametrize(("what", "change"), [
        ("unbekannter Parameter", lambda a: a["parameter"].update(njaz_neu="1600 h/VK/Jahr")),
        ("anderes Modell", lambda a: a["vereinbarung"].update(modell="bei_nrw3")),
        ("falsche Einheit", lambda a: a["parameter"].update(njaz="1600 EUR")),
        ("unbekannte Tabelle", lambda a: a["tabellen"].update(lp9={"1": "2 %"})),
        ("unbekannter Abschnitt", lambda a: a.update(werte={})),
        ("falscher Zeilenschlüssel", lambda a: a["tabellen"]["lp0_bewertung"].update({"9": "30 %"})),
        ("Zeilenschlüssel über dem Bereich", lambda a: a["tabellen"].update(lp2a_zeit={"5": "10 min/Tag"})),
        ("Zeilenschlüssel unter dem Bereich", lambda a: a["tabellen"].update(lp2b_pg_je_stufe={"-2": 1})),
    ], ids=lambda v: v if isinstance(v, str) else "")
    def test_rejected(self, what: str, change: Any) -> None:
        data = documents(self.BASE)[0]
        change(data)
        with pytest.raises(AgreementError):
            model("mawo").load_agreement(data)
        assert errors("mawo", "vereinbarung", data), what

    def test_row_keys_within_the_range(self) -> None:
        """A whole-number key inside its column's range, in every form the library reads, fits."""
        data = documents(self.BASE)[0]
        data["tabellen"]["lp2a_zeit"] = {"0": "1 min/Tag", "02": "10 min/Tag", "4.0": "40 min/Tag"}
        data["tabellen"]["lp2b_pg_je_stufe"] = {"-1": 1, "-0": 1}
        model("mawo").load_agreement(copy.deepcopy(data))
        assert errors("mawo", "vereinbarung", data) == []

    def test_a_row_not_agreed(self) -> None:
        data = documents(self.BASE)[0]
        data["tabellen"]["lp0_bewertung"]["3"] = "nicht vereinbart"
        model("mawo").load_agreement(copy.deepcopy(data))
        assert errors("mawo", "vereinbarung", data) == []


class TestCommand:
    """``teilhabe-rules schema MODELL --für …`` prints the schema or writes it to a file."""

    def run(self, *argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main(list(argv), out=out, err=err)
        return code, out.getvalue(), err.getvalue()

    @pytest.mark.parametrize("kind", KINDS)
    def test_prints(self, kind: str) -> None:
        code, out, _ = self.run("schema", "mawo", "--für", kind)
        assert code == 0 and json.loads(out) == json_schema(model("mawo"), kind)

    def test_default_is_the_case(self) -> None:
        assert json.loads(self.run("schema", "mawo")[1]) == json_schema(model("mawo"), "fall")

    def test_out(self, tmp_path: Path) -> None:
        target = tmp_path / "fall.schema.json"
        code, out, _ = self.run("schema", str(MODEL_FILES["bei_nrw3"]), "--für", "fall", "--out", str(target))
        assert code == 0 and str(target) in out
        assert json.loads(target.read_text(encoding="utf-8")) == json_schema(model("bei_nrw3"), "fall")

    def test_usage_errors(self) -> None:
        assert self.run("schema", "mawo", "--für", "tabelle")[0] == 2
        code, _, err = self.run("schema", "gibt_es_nicht")
        assert code == 1 and err



def test_the_documented_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Python block of the JSON Schema section of docs/06_daten.md runs as written."""
    text = (ROOT / "docs" / "06_daten.md").read_text(encoding="utf-8")
    text = text[text.index("## JSON Schema"):]
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) == 1
    monkeypatch.chdir(ROOT)
    exec(compile(blocks[0], "06_daten.md", "exec"), {"__name__": "docs"})


@pytest.mark.parametrize(("text", "taken"), [
    ("1.234,5 min/Tag", True), ("1.500 min/Tag", False), ("1.500", True), ("1.5000 min/Tag", True),
    ("1,500 min/Tag", True), ("1,234.5 min/Tag", True), ("2.000 min/Tag", False), ("02.000 min/Tag", True),
])
def test_a_number_text_fits_the_schema_as_the_loader_takes_it(text: str, taken: bool) -> None:
    """Thousands grouped (``1.234,5``) are taken, a quantity whose number reads both ways
    (``1.500 min/Tag``) is not — by the schema as by the case loader."""
    model_text = ('modell m "M"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
                  "eingabe x: zahl min/Tag\neingabe k: auswahl {2, 5} min/Tag\n")
    loaded = teilhabe_rules.loads(model_text)
    schema = Draft202012Validator(json_schema(loaded, "fall"))
    for key in ("x", "k") if text.startswith(("2", "02")) else ("x",):
        case = {"x": 1, "k": 2, key: text}
        try:
            loaded.load_case(copy.deepcopy(case))
            loads = True
        except CaseError:
            loads = False
        assert loads == taken, (key, text)
        assert (list(schema.iter_errors(case)) == []) == taken, (key, text)


@pytest.mark.parametrize(("text", "taken"), [("1:1.000", False), ("1:28.41", True), ("1:1000", True),
                                             ("1:28.410", False), ("1:0.125", True)])
def test_a_staff_key_fits_the_schema_as_the_loader_takes_it(text: str, taken: bool) -> None:
    loaded = teilhabe_rules.loads('modell m "M"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
                                  "eingabe k: schlüssel\n")
    case = {"k": text}
    try:
        loaded.load_case(copy.deepcopy(case))
        loads = True
    except CaseError:
        loads = False
    assert loads == taken
    assert (list(Draft202012Validator(json_schema(loaded, "fall")).iter_errors(case)) == []) == taken
