"""The figure compare sums cannot mislead: a person population sums each person's own budget, and says so."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples

import teilhabe_rules
from teilhabe_rules import CheckError, RuleSyntaxError
from teilhabe_rules.cli import main
from teilhabe_rules.tools import compare as compare_module
from teilhabe_rules.tools.compare import compare, element_budget, one_element_each
from tests.tools.test_compare import jsonl, persons

ROOT = Path(__file__).resolve().parents[2]


def mawo(name: str = "mawo") -> teilhabe_rules.Model:
    return teilhabe_rules.bundled(name)


class TestPersonPopulations:
    """Cases with one resident each: the default figure is the person's own (``budget bewohner.jahresbetrag``)."""

    def test_the_person_s_own_figure_is_summed(self, tmp_path: Path) -> None:
        cases = persons(6)
        population = jsonl(tmp_path / "personen.jsonl", cases)
        summary = compare(mawo(), mawo("mawo_2025"), population)
        assert (summary.budget.name, summary.basis) == ("bewohner[].jahresbetrag", "element")
        own = sum((mawo().evaluate(case).value("erloes_jahr") for case in cases), Decimal(0))
        whole = sum((mawo().evaluate(case).value("budget_jahr") for case in cases), Decimal(0))
        assert summary.total_old == own and whole > 2 * own  # the offer's budget would count every place
        text = summary.render_text()
        assert ("  summiert: „bewohner[].jahresbetrag“, der eigene Betrag des Elements — jeder Fall der "
                "Population hat genau ein Element in „bewohner“ (das Budget des ganzen Falls: --budget "
                "budget_jahr)\n") in text
        assert summary.to_dict()["budget"]["grundlage"] == "element"

    def test_the_whole_case_s_budget_when_asked(self, tmp_path: Path) -> None:
        population = jsonl(tmp_path / "personen.jsonl", persons(3))
        summary = compare(mawo(), mawo("mawo_2025"), population, budget="budget_jahr")
        assert (summary.budget.name, summary.basis) == ("budget_jahr", "angegeben")
        assert "summiert: „budget_jahr“, wie mit --budget angegeben" in summary.render_text()

    def test_an_offer_among_the_cases_means_the_case_s_budget(self, tmp_path: Path) -> None:
        offer = teilhabe_rules.inputs.cases.read_data(ROOT / "examples/mawo/haus_linde.toml")
        offer["bewohner"] = [str(ROOT / "examples/mawo" / name) for name in offer["bewohner"]]
        population = jsonl(tmp_path / "gemischt.jsonl", [*persons(2), offer])
        summary = compare(mawo(), mawo("mawo_2025"), population)
        assert (summary.budget.name, summary.basis) == ("budget_jahr", "modellkopf")
        assert "summiert: „budget_jahr“, das Budget des ganzen Falls laut Modellkopf" in summary.render_text()

    @pytest.mark.parametrize("backend", ["skalar", "spalten"])
    @pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"], ids=["utf8", "bom"])
    def test_the_cases_that_decide_for_the_case_s_budget_are_named(
            self, tmp_path: Path, backend: str, encoding: str) -> None:
        """One case of two residents among persons makes the summary sum the whole case's budget
        (an offer's, with every place: many times the persons' own) — and the summary names that
        case, by the name its rows and the largest changes give it, with how many cases have one
        element; the same from a file read line by line quickly (UTF-8) or by the population
        reader (a byte order mark), on both backends."""
        cases = persons(6)
        cases[2]["bewohner"] = cases[2]["bewohner"] * 2
        path = tmp_path / "personen.jsonl"
        lines = [json.dumps(case, ensure_ascii=False, default=str) for case in cases]
        path.write_text("\n".join([*lines[:2], "", *lines[2:]]) + "\n", encoding=encoding)  # (an empty line 3)
        summary = compare(mawo(), mawo("mawo_2025"), path, backend=backend)
        assert (summary.budget.name, summary.basis) == ("budget_jahr", "modellkopf")
        assert summary.other_elements == compare_module.OtherElements(
            "bewohner", "bewohner[].jahresbetrag", 1, (("Zeile 4", 2),), 5)
        text = summary.render_text()
        assert ("  summiert: „budget_jahr“, das Budget des ganzen Falls laut Modellkopf — nicht jeder Fall hat "
                "genau ein Element in „bewohner“\n  wegen 1 Fall: „Zeile 4“ (2 Elemente); 5 Fälle haben genau eines "
                "(hätten alle genau eines: „bewohner[].jahresbetrag“ summiert, der eigene Betrag des Elements)\n"
                ) in text
        assert "Zeile 4:" in text  # (the same name among the largest changes)
        assert summary.to_dict()["budget"]["nicht_ein_element"] == {
            "liste": "bewohner", "fälle": 1, "ein_element": 5, "beispiele": [{"fall": "Zeile 4", "elemente": 2}]}

    def test_many_such_cases_are_counted_and_the_first_named(self, tmp_path: Path) -> None:
        cases = persons(9)
        for number in (1, 2, 4, 5, 6, 7, 8):
            cases[number]["bewohner"] = cases[number]["bewohner"] * (2 + number % 2)
        summary = compare(mawo(), mawo("mawo_2025"), jsonl(tmp_path / "p.jsonl", cases), values="keine")
        assert summary.other_elements is not None
        assert (summary.other_elements.count, summary.other_elements.ones) == (7, 2)
        assert ("wegen 7 Fällen: „Zeile 2“ (3 Elemente), „Zeile 3“ (2 Elemente), „Zeile 5“ (2 Elemente), "
                "„Zeile 6“ (3 Elemente), „Zeile 7“ (2 Elemente) und 2 weitere; 2 Fälle haben genau eines"
                ) in summary.render_text()

    def test_no_case_of_one_element_names_none(self, tmp_path: Path) -> None:
        """Whole offers only, or persons only: nothing to name (the summed figure is the one the
        population's form gives)."""
        offer = teilhabe_rules.inputs.cases.read_data(ROOT / "examples/mawo/haus_linde.toml")
        offer["bewohner"] = [str(ROOT / "examples/mawo" / name) for name in offer["bewohner"]]
        offers = compare(mawo(), mawo("mawo_2025"), jsonl(tmp_path / "angebote.jsonl", [offer, offer]))
        assert offers.basis == "modellkopf" and offers.other_elements is None
        assert offers.to_dict()["budget"]["nicht_ein_element"] is None and "wegen" not in offers.render_text()
        people = compare(mawo(), mawo("mawo_2025"), jsonl(tmp_path / "personen.jsonl", persons(3)))
        assert people.basis == "element" and people.other_elements is None

    def test_the_cli_says_which_figure(self, tmp_path: Path) -> None:
        population = jsonl(tmp_path / "personen.jsonl", persons(2))
        out, err = io.StringIO(), io.StringIO()
        assert main(["compare", "mawo", "mawo_2025", str(population), "--format", "json"], out, err) == 0
        assert json.loads(out.getvalue())["budget"]["wert"] == "bewohner[].jahresbetrag"

    def test_the_detection(self, tmp_path: Path) -> None:
        assert element_budget(mawo(), mawo("mawo_2025")) == ("bewohner", "jahresbetrag")
        bei = teilhabe_rules.bundled("bei_nrw3")
        assert element_budget(bei, bei) is None
        population = jsonl(tmp_path / "p.jsonl", persons(2), ('{"kaputt": ',))
        assert one_element_each(population, "bewohner", {})  # an unreadable row does not count
        assert not one_element_each(jsonl(tmp_path / "leer.jsonl", []), "bewohner", {})
        assert not one_element_each(ROOT / "examples/mawo", "bewohner", {})  # Haus Linde: six


# lines whose element count the quick reading of a JSON Lines file could get wrong, and plain ones
LINES = ('{"bewohner": [{}]}', '{"bewohner": [{}, {}]}', '{"bewohner": []}', '{"x": 1}', '{"bewohner": {}}',
         '{"bewohner": [{}], "bewohner": [{}, {}]}', '{"bewohner": [{}, {}], "bewohner": [{}]}',
         '{"bewo\\u0068ner": [{}, {}]}', '{"bewohner": [{"kuerzel": "bewohner"}]}', '{"bewohner": [NaN]}',
         '{"bewohner": [{}], "a": ' + "[" * 200 + "]" * 200 + "}", '{"bewohner": [{}],}', "[1]", "{", "", " \t",
         "\r", '{"bewohner": [1e400]}', '{"bewohner": [{}]}\r')


class TestOneElementEach:
    """The quick reading of a JSON Lines file gives the population reader's answer, and leaves any
    other file to it."""

    @given(st.lists(st.sampled_from(LINES), max_size=6), st.booleans())
    @settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    def test_the_same_answer_as_the_population_reader(self, tmp_path: Path, lines: list[str], end: bool) -> None:
        population = tmp_path / "p.jsonl"
        population.write_text("\n".join(lines) + ("\n" if end else ""), encoding="utf-8")
        quick = compare_module._one_element_each_jsonl(population, "bewohner")
        assert quick is not None
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(compare_module, "_one_element_each_jsonl", lambda path, listed, bounds=None: None)
            assert quick == one_element_each(population, "bewohner", {})

    @pytest.mark.parametrize("content", [b"\xef\xbb\xbf{}\n", b'{"a": "\xff"}\n', b"{}\x00\n", b"\xff\xfe{\x00"])
    def test_a_file_that_is_not_plain_utf8_goes_to_the_reader(self, tmp_path: Path, content: bytes) -> None:
        population = tmp_path / "p.jsonl"
        population.write_bytes(content)
        assert compare_module._one_element_each_jsonl(population, "bewohner") is None
        assert compare_module._one_element_each_jsonl(tmp_path / "p.csv", "bewohner") is None


def _stage_lines() -> tuple[str, ...]:
    """Lines of a MAWo population the stage takes (one person, two, none) beside :data:`LINES`."""
    one, other = persons(2)
    for case in (one, other):
        case["bewohner"][0]["lp3b"]["stunden"] = "12"  # "12 h/Jahr", with its unit, is read by Python
    two = {**one, "bewohner": [*one["bewohner"], *other["bewohner"]]}
    none = {**one, "bewohner": []}
    suspicious = {**one, "name": "1234567890123456"}  # 16 digits: read by Python, not staged
    return tuple(json.dumps(case, ensure_ascii=False, default=str) for case in (one, other, two, none, suspicious))


class TestOneElementEachFromTheStage:
    """A comparison on the columnar backend stages the population first and reads from the stage
    whether each case has one element: the population reader's answer, without reading the file again."""

    @given(st.lists(st.one_of(st.sampled_from(LINES), st.sampled_from(range(5))), max_size=7))
    @settings(max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    def test_the_same_answer_as_the_population_reader(self, tmp_path: Path, picked: list[str | int]) -> None:
        from teilhabe_rules.columnar.batch import stage_shared

        staged = _stage_lines()
        lines = [staged[item] if isinstance(item, int) else item for item in picked]
        population = tmp_path / "p.jsonl"
        population.write_text("\n".join(lines) + "\n", encoding="utf-8")
        model = mawo()
        stage = stage_shared(model.columnar_plan(), model.checked, population, None)
        assert stage is not None
        try:
            answer = stage.one_element_each(model.checked, "bewohner")
            assert stage.one_element_each(model.checked, "bewohner.massnahmen") is None  # no list of the case
        finally:
            stage.close()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(compare_module, "_one_element_each_jsonl", lambda path, listed, bounds=None: None)
            assert answer is one_element_each(population, "bewohner", {})

    MODEL = ('modell m "M"\n  gültig ab 01.01.2024\n  budget summe_a\n  budget leute.a\nende\n'
             'liste leute "Leute"\n  eingabe x: zahl EUR\n  wert a: EUR = x\nende\n'
             "wert summe_a: EUR = summe(leute.a)\n")

    @pytest.mark.parametrize(("lines", "answer"), [
        (["one", "one"], True), (["one", "none"], False), (["two", "none"], False), (["none"], False),
        (["two"], False), (["one", "kaputt"], True), (["kaputt"], False), ([], False)])
    def test_a_list_that_may_be_empty(self, tmp_path: Path, lines: list[str], answer: bool) -> None:
        from teilhabe_rules.columnar.batch import stage_shared

        texts = {"one": '{"leute": [{"x": 1}]}', "two": '{"leute": [{"x": 1}, {"x": 2}]}', "none": '{"leute": []}',
                 "kaputt": '{"leute": '}
        population = tmp_path / "p.jsonl"
        population.write_text("".join(texts[line] + "\n" for line in lines), encoding="utf-8")
        model = teilhabe_rules.loads(self.MODEL, "m.rules")
        stage = stage_shared(model.columnar_plan(), model.checked, population, None)
        assert stage is not None
        try:
            assert [i for i, _ in stage.intake.slow] == [n for n, line in enumerate(lines) if line == "kaputt"]
            assert stage.one_element_each(model.checked, "leute") is answer
        finally:
            stage.close()
        assert one_element_each(population, "leute", {}) is answer

    def test_the_comparison_does_not_read_the_file_again(self, tmp_path: Path) -> None:
        population = jsonl(tmp_path / "personen.jsonl", persons(4))
        reads: list[Path] = []
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(compare_module, "one_element_each", lambda path, *rest: reads.append(path) or False)
            summary = compare(mawo(), mawo("mawo_2025"), population)
            assert (summary.backend, summary.basis, reads) == ("spalten", "element", [])
            summary = compare(mawo(), mawo("mawo_2025"), population, backend="skalar")
            assert (summary.backend, summary.basis, reads) == ("skalar", "modellkopf", [population])


class TestTheHeader:
    """``budget LISTE.WERT`` in the model header: a list element's own budget, checked."""

    HEAD = 'modell m "M"\n  gültig ab 01.01.2024\n  budget summe_a\n{second}ende\n'
    BODY = ("liste leute \"Leute\" mindestens 1\n  eingabe x: zahl EUR\n  wert a: EUR = x\n  wert t = \"t\"\nende\n"
            "wert summe_a: EUR = summe(leute.a)\n")

    def test_an_element_budget(self) -> None:
        model = teilhabe_rules.loads(self.HEAD.format(second="  budget leute.a\n") + self.BODY, "m.rules")
        assert model.info.element_budget == ("leute", "a") and model.info.budget == ("summe_a",)

    @pytest.mark.parametrize("second", ["  budget summe_a\n", "  budget leute.t\n",
                                        "  budget leute.a\n  budget leute.a\n"])
    def test_refused(self, second: str) -> None:
        with pytest.raises((CheckError, RuleSyntaxError), match="budget"):
            teilhabe_rules.loads(self.HEAD.format(second=second) + self.BODY, "m.rules")


class TestRowsWhoseListFailsItsCheck:
    """A row whose list fails its input check whatever else it holds is an error row under either
    figure: it does not turn a person population's comparison to the whole case's budget."""

    @staticmethod
    def broken(case: dict[str, object]) -> list[dict[str, object]]:
        without = {key: value for key, value in case.items() if key != "bewohner"}
        return [{**case, "bewohner": 7}, {**case, "bewohner": None}, {**case, "bewohner": {"kuerzel": "A"}},
                without, {**case, "bewohner": []}]

    @pytest.mark.parametrize("backend", ["spalten", "skalar"])
    def test_the_person_s_own_figure_is_still_summed(self, tmp_path: Path, backend: str) -> None:
        cases = persons(3)
        bad = self.broken(cases[0])
        population = jsonl(tmp_path / "personen.jsonl", [*cases, *bad])
        summary = compare(mawo(), mawo("mawo_2025"), population, backend=backend)
        assert (summary.budget.name, summary.basis, summary.backend) == ("bewohner[].jahresbetrag", "element", backend)
        assert (summary.evaluated, summary.errors) == (len(cases), len(bad))
        assert summary.total_old == sum((mawo().evaluate(case).value("erloes_jahr") for case in cases), Decimal(0))

    @pytest.mark.parametrize("backend", ["spalten", "skalar"])
    def test_so_in_a_parquet_file(self, tmp_path: Path, backend: str) -> None:
        """A Parquet file's empty and NULL lists (typed list columns hold no other wrong list) fail
        MAWo's check, which needs a resident, as the JSON Lines rows above do."""
        import duckdb

        cases = persons(3)
        without = {key: value for key, value in cases[0].items() if key != "bewohner"}
        lines = jsonl(tmp_path / "p.jsonl", [*cases, {**cases[0], "bewohner": []}, without])
        population = tmp_path / "p.parquet"
        with duckdb.connect() as con:
            con.execute(f"COPY (SELECT * FROM read_json('{lines}')) TO '{population}' (FORMAT parquet)")
            assert con.execute(f"SELECT count(*) FROM '{population}' WHERE bewohner IS NULL").fetchone() == (1,)
        summary = compare(mawo(), mawo("mawo_2025"), population, backend=backend)
        assert (summary.budget.name, summary.basis, summary.backend) == ("bewohner[].jahresbetrag", "element", backend)
        assert (summary.evaluated, summary.errors) == (len(cases), 2)
        assert summary.total_old == sum((mawo().evaluate(case).value("erloes_jahr") for case in cases), Decimal(0))

    def test_a_case_of_two_persons_still_means_the_case_s_budget(self, tmp_path: Path) -> None:
        one, other = persons(2)
        two = {**one, "bewohner": [*one["bewohner"], *other["bewohner"]]}
        population = jsonl(tmp_path / "p.jsonl", [one, two, *self.broken(one)])
        assert compare(mawo(), mawo("mawo_2025"), population).basis == "modellkopf"

    def test_the_bounds_are_those_every_version_allows(self, tmp_path: Path) -> None:
        """A list that may be empty in one version and not in the other: its empty rows fail in
        that other version, and do not count; in a model that allows them they decide."""
        from teilhabe_rules.tools.compare import list_bounds

        assert list_bounds((mawo(), mawo("mawo_2025")), "bewohner")[0] == 1
        may = teilhabe_rules.loads(TestOneElementEachFromTheStage.MODEL, "m.rules")
        assert list_bounds((may,), "leute") == (0, 10_000)  # (no ``höchstens``: the loader's bound)
        assert list_bounds((may, mawo()), "leute") == (0, 10_000)  # (a model without that list: no bound)
        many = teilhabe_rules.loads(TestOneElementEachFromTheStage.MODEL.replace('"Leute"', '"Leute" höchstens 20000'),
                                    "m.rules")
        assert list_bounds((many,), "leute") == (0, 20_000)  # (a ``höchstens`` beyond 10,000 is the model's)
        large = jsonl(tmp_path / "gross.jsonl", [{"leute": [{"x": 1}]}, {"leute": [{"x": 1}] * 15_000}])
        assert not one_element_each(large, "leute", {}, list_bounds((many,), "leute"))  # a case of 15,000
        population = jsonl(tmp_path / "p.jsonl", [{"leute": [{"x": 1}]}, {"leute": []}])
        assert not one_element_each(population, "leute", {}, list_bounds((may,), "leute"))
        assert one_element_each(population, "leute", {}, (1, 5))
        assert not one_element_each(population, "leute", {}, (2, 5))  # no case of one element passes


@settings(max_examples=examples(40), deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(amounts=st.lists(st.integers(1, 10**7), min_size=1, max_size=6), divisor=st.sampled_from([3, 7, 9]))
def test_the_shown_old_total_and_difference_give_the_shown_new_total(amounts: list[int], divisor: int) -> None:
    """A budget the model does not round (a third of a cent): the totals are shown rounded to
    cents each, and the difference is theirs — old + difference = new as shown, in the summary
    and in the largest changes."""
    import tempfile

    head = 'modell b "B"\n  gültig ab 01.01.2024\n  budget betrag\nende\neingabe x: zahl EUR von 0 bis 100000\n'
    old = teilhabe_rules.loads(head + f"wert betrag: EUR = x / {divisor}\n", "alt.rules")
    new = teilhabe_rules.loads(head + f"wert betrag: EUR = x / {divisor} + 1 EUR / 3\n", "neu.rules")
    cases = [{"x": Decimal(a) / 100} for a in amounts]
    with tempfile.TemporaryDirectory() as folder:
        data = compare(old, new, jsonl(Path(folder) / "f.jsonl", cases), backend="skalar").to_dict()
    budget = data["budget"]
    assert Decimal(budget["alt"]) + Decimal(budget["differenz"]) == Decimal(budget["neu"])
    for change in data["größte_änderungen"]:
        assert Decimal(change["alt"]) + Decimal(change["differenz"]) == Decimal(change["neu"])
