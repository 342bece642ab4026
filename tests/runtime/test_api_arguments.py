"""Wrong but plausible arguments to the public API end in the library's own errors (German, with
the name of what is wrong) or are taken as documented — never in a Python error from inside."""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import teilhabe_rules as tr
from teilhabe_rules import AgreementError, CaseError, CheckError, ValidityError
from teilhabe_rules.ir.text import READABLE

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "cases"
CASE: dict[str, Any] = {"beginn": "2025-01-01", "pflegegrad": 1, "kap4": 5, "lp2a": {"kap5": 2},
                        "massnahmen": [{"bezeichnung": "Freizeit", "stunden": 100, "personen": 2}]}


@pytest.fixture(scope="module")
def klein() -> tr.Model:
    return tr.load(CASES / "klein.rules")


def messages(error: tr.TeilhabeError) -> list[str]:
    return [d.message for d in error.diagnostics]


class TestReferenceDate:
    """``at`` (and a day given to ``choose``, ``valid_on``, ``parameters_on``) is a date, or a
    text as a case's date input takes it."""

    def test_a_text_is_read_as_a_case_reads_a_date(self, klein: tr.Model) -> None:
        day = dt.date(2025, 6, 1)
        expected = klein.evaluate(CASE, at=day).to_dict()
        assert klein.evaluate(CASE, at="2025-06-01").to_dict() == expected
        assert klein.evaluate(CASE, at="01.06.2025").to_dict() == expected

    @pytest.mark.parametrize(("at", "words"), [
        (dt.datetime(2025, 6, 1, 12), "ohne Uhrzeit"), ("gestern", "erwartet ein Datum"),
        (20250601, "erwartet ein Datum")])
    def test_anything_else_is_a_validity_error(self, klein: tr.Model, at: Any, words: str) -> None:
        for call in (lambda: klein.evaluate(CASE, at=at), lambda: klein.evaluate_many([CASE], at=at),
                     lambda: klein.columnar_refusal(at=at)):
            with pytest.raises(ValidityError) as caught:
                call()
            (message,) = messages(caught.value)
            assert message.startswith("Stichtag: ") and words in message
            assert caught.value.diagnostics[0].code == "stichtag"

    def test_a_day_to_choose_and_to_the_model(self, klein: tr.Model) -> None:
        assert tr.choose("MAWo", "2025-01-01").name == tr.choose("MAWo", dt.date(2025, 1, 1)).name
        assert klein.valid_on("2025-01-01") and not klein.valid_on("01.01.2030")
        for call in (lambda: tr.choose("MAWo", dt.datetime(2025, 1, 1)), lambda: klein.valid_on(None),
                     lambda: klein.parameters_on(dt.datetime(2025, 1, 1))):
            with pytest.raises(ValidityError) as caught:
                call()
            assert messages(caught.value)[0].startswith("Tag: ")


class TestSources:
    def test_base_dir_as_text_or_path(self, klein: tr.Model, tmp_path: Path) -> None:
        (tmp_path / "m.toml").write_text('bezeichnung = "Freizeit"\nstunden = 100\npersonen = 2\n', encoding="utf-8")
        data = dict(CASE, massnahmen=["m.toml"])
        expected = klein.evaluate(CASE).to_dict()
        assert klein.evaluate(data, base_dir=str(tmp_path)).to_dict() == expected
        assert klein.evaluate(data, base_dir=tmp_path).to_dict() == expected
        with pytest.raises(CaseError) as caught:
            klein.evaluate(data, base_dir=5)  # type: ignore[arg-type]
        assert messages(caught.value) == ["base_dir: erwartet ein Verzeichnis (str oder Path), nicht int"]

    @pytest.mark.parametrize("agreement", [b"vereinbarung.toml", ["vereinbarung.toml"], 3])
    def test_an_agreement_is_a_file_or_a_mapping(self, klein: tr.Model, agreement: Any) -> None:
        with pytest.raises(AgreementError) as caught:
            klein.evaluate(CASE, agreement)
        assert messages(caught.value) == [
            f"Eine Vereinbarung ist eine Datei (ihr Pfad) oder eine Tabelle (Schlüssel = Wert), nicht "
            f"{type(agreement).__name__}"]

    @pytest.mark.parametrize("source", [None, 5, 2.5, b"faelle.jsonl", bytearray(b"x")])
    def test_a_population_of_another_kind(self, klein: tr.Model, source: Any) -> None:
        with pytest.raises(CaseError) as caught:
            klein.evaluate_many(source)
        assert messages(caught.value)[0].startswith(f"Ein Wert vom Typ „{type(source).__name__}“ ist keine Population")

    def test_a_loaded_case_in_a_population_is_an_error_row_saying_so(self, klein: tr.Model) -> None:
        result = klein.evaluate_many([klein.load_case(CASE)])
        assert result.evaluated == 0 and "Ein geladener Fall (Case)" in result.errors[0].message

    @pytest.mark.parametrize("backend", ["spalten", "skalar"])
    def test_a_path_in_a_population_is_an_error_row_saying_what_a_population_is(
            self, klein: tr.Model, backend: str, tmp_path: Path) -> None:
        """Case files listed one by one — as ``str`` or as path objects alike — are no
        population: each is an error row naming what is (a folder of case files, a population
        file, cases as tables) and that one case file is for ``evaluate``."""

        class Named(os.PathLike[str]):  # another library's path type
            def __fspath__(self) -> str:
                return str(tmp_path / "fall.toml")

        (tmp_path / "fall.toml").write_text("", encoding="utf-8")
        result = klein.evaluate_many([str(tmp_path / "fall.toml"), tmp_path / "fall.toml", Named()], backend=backend)
        assert result.evaluated == 0 and len(result.errors) == 3
        assert {error.message for error in result.errors} == {
            "Ein Text oder Pfad ist hier kein Fall: evaluate_many nimmt Fälle als Tabellen (Schlüssel = Wert) "
            "oder die ganze Population als einen Pfad (ein Verzeichnis von Falldateien, eine JSON-Lines-, "
            "CSV-, Excel- oder Parquet-Datei); eine einzelne Falldatei wertet Model.evaluate aus"}

    @pytest.mark.parametrize("path", [None, 5, b"/x.rules"])
    def test_a_rule_file_is_a_path(self, path: Any) -> None:
        with pytest.raises(CheckError) as caught:
            tr.load(path)
        assert messages(caught.value) == [f"Eine Regeldatei ist ein Pfad (str oder Path), nicht {type(path).__name__}"]

    @pytest.mark.parametrize("text", [b'modell m "M"\nende\n', None])
    def test_rule_text_is_text(self, text: Any) -> None:
        with pytest.raises(CheckError) as caught:
            tr.loads(text)
        assert messages(caught.value) == [f"Der Regeltext ist ein Text (str), nicht {type(text).__name__}"]


class _OtherPath:
    """A path type of another library: only ``os.PathLike``."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)

    def __fspath__(self) -> str:
        return self.path


class TestPathsOfAnyType:
    """Wherever the API takes a file's path, any ``os.PathLike`` naming it is taken as its text
    would be."""

    def test_a_case_file(self, klein: tr.Model, tmp_path: Path) -> None:
        file = tmp_path / "fall.json"
        file.write_text(json.dumps(CASE), "utf-8")
        expected = klein.evaluate(str(file)).to_dict()
        assert klein.evaluate(_OtherPath(file)).to_dict() == expected
        assert klein.load_case(_OtherPath(file)).source == str(file)
        file.write_text(json.dumps({**CASE, "beginn": "2031-01-01"}), "utf-8")
        with pytest.raises(tr.TeilhabeError) as named:
            klein.evaluate(str(file))
        with pytest.raises(type(named.value)) as other:
            klein.evaluate(_OtherPath(file))
        assert [str(d) for d in other.value.diagnostics] == [str(d) for d in named.value.diagnostics]
        with pytest.raises(CaseError):
            klein.evaluate(_OtherPath(b"/fall.json"))  # type: ignore[arg-type]

    def test_a_population_and_the_files_written(self, tmp_path: Path) -> None:
        from teilhabe_rules.tools.compare import compare
        from teilhabe_rules.tools.export import Column, Sheet, write_table
        from teilhabe_rules.tools.generate import write_population

        mawo = tr.bundled("mawo")
        population = tmp_path / "population.jsonl"
        assert write_population(mawo, 5, 1, _OtherPath(population)) == 5
        assert len(population.read_text("utf-8").splitlines()) == 5
        many = mawo.evaluate_many(_OtherPath(population))
        assert (many.cases, many.evaluated) == (5, mawo.evaluate_many(str(population)).evaluated)
        summary = compare(mawo, mawo, _OtherPath(population), out=_OtherPath(tmp_path / "delta.csv"),
                          backend="skalar")
        assert summary.rows == 5 and summary.population == str(population)
        assert len((tmp_path / "delta.csv").read_text("utf-8").splitlines()) == 6
        write_table(_OtherPath(tmp_path / "t.csv"), Sheet("t", (Column("a", "h", "ganzzahl"),), [(1,)]), "csv")
        assert (tmp_path / "t.csv").read_text("utf-8").splitlines() == ["a [h]", "1"]
        with pytest.raises(CaseError) as caught:
            compare(mawo, mawo, 5)  # type: ignore[arg-type]
        assert messages(caught.value) == ["Eine Population ist eine Datei oder ein Verzeichnis (ihr Pfad), nicht int"]


class TestSignallingNaN:
    """``Decimal('sNaN')`` (which raises on any arithmetic or comparison) is refused as any other
    number that is not finite — in a percent input, a level, an agreed percent."""

    @pytest.mark.parametrize(("change", "words"), [
        (lambda d: d.__setitem__("zuschlag", Decimal("sNaN")), "sNaN ist keine endliche Zahl"),
        (lambda d: d.__setitem__("pflegegrad", Decimal("sNaN")), "sNaN gehört nicht zu Pflegegrad"),
        (lambda d: d.__setitem__("pflegegrad", float("nan")), "NaN gehört nicht zu Pflegegrad"),
    ])
    def test_in_a_case(self, klein: tr.Model, change: Any, words: str) -> None:
        data = copy.deepcopy(CASE)
        change(data)
        with pytest.raises(CaseError) as caught:
            klein.evaluate(data)
        assert any(words in m for m in messages(caught.value))
        (error,) = klein.evaluate_many([data]).errors
        assert error.problems == tuple((d.message, d.path) for d in caught.value.diagnostics)

    def test_a_whole_float_is_the_level_it_names(self, klein: tr.Model) -> None:
        level = klein.load_case(dict(CASE, pflegegrad=2.0)).row["pflegegrad"]
        assert level == 2 and type(level) is int  # the member's own key, not the float

    def test_in_an_agreement(self, klein: tr.Model) -> None:
        with pytest.raises(AgreementError) as caught:
            klein.load_agreement({"tabellen": {"poolanteil": {"2": Decimal("sNaN")}}})
        assert messages(caught.value) == ["Tabelle „poolanteil“, Zeile „2“: sNaN ist keine endliche Zahl"]


class TestResultPaths:
    """A path is a text or a sequence of names and positions; anything else is a KeyError, as a
    path naming no value is."""

    def test_a_tuple_wherever_a_text_is_taken(self, klein: tr.Model) -> None:
        result = klein.evaluate(CASE)
        assert result.value(("massnahmen", 1, "anteil")) == result.value("massnahmen[1].anteil")
        assert result.explain(("lp2a", "stufe")) == result.explain("lp2a.stufe")

    @pytest.mark.parametrize("figures", ["x", None, True])
    def test_explanations_take_a_figures_object_only(self, klein: tr.Model, figures: Any) -> None:
        result = klein.evaluate(CASE)
        with pytest.raises(TypeError, match="keine Zahlendarstellung"):
            result.explanations(figures=figures)
        assert result.explanations(figures=READABLE).keys() == result.explanations().keys()

    @pytest.mark.parametrize("path", [5, None, ("massnahmen", 1.0), ("massnahmen", True), {"lp2a": 1}])
    def test_anything_else_is_a_key_error(self, klein: tr.Model, path: Any) -> None:
        result = klein.evaluate(CASE)
        for call in (result.value, result.quantity, result.type_at, result.explain):
            with pytest.raises(KeyError, match="ist kein Pfad"):
                call(path)


    @pytest.mark.parametrize("path", ["massnahmen[1].anteil.", "massnahmen[1]..anteil", "massnahmen[1.anteil",
                                      "massnahmen[²].anteil", "massnahmen[١].anteil", "massnahmen[1].5]"])
    def test_a_malformed_text_is_a_key_error(self, klein: tr.Model, path: str) -> None:
        """A text that is no path is a KeyError saying so: never read as another path (the value of
        „massnahmen[1].anteil“), nor a ValueError of Python's own."""
        result = klein.evaluate(CASE)
        for call in (result.value, result.quantity, result.type_at):
            with pytest.raises(KeyError, match="ist kein Pfad"):
                call(path)
        with pytest.raises(KeyError):
            result.explain(path)

class TestReadOnlyValues:
    """The values a model or a result hands out cannot be changed through them: an edit would
    otherwise change every later evaluation of the model (of the bundled one: in the process).
    They stay dicts otherwise: copied, pickled and written as JSON as before."""

    GRUNDFALL = Path(__file__).resolve().parents[2] / "examples" / "mawo" / "person_grundfall.toml"

    def test_a_model_and_a_result_give_read_only_dicts(self) -> None:
        import pickle

        model = tr.bundled("mawo")
        result = model.evaluate(self.GRUNDFALL)
        before = result.value("bewohner[1].tagessatz")
        day = dt.date(2024, 7, 1)
        table = model.tables["lp0_bewertung"]
        for values in (model.parameters, result.parameters, model.parameters_on(day), model.tables, table,
                       result.frame.parameters, result.frame.tables, result.frame.tables["lp0_bewertung"]):
            key = next(iter(values))
            with pytest.raises(TypeError):
                values[key] = Decimal(1)
            with pytest.raises(TypeError):
                values.pop(key)
            with pytest.raises(TypeError):
                values.clear()
            with pytest.raises(TypeError):
                values.update({key: Decimal(1)})
            assert isinstance(values, dict) and dict(values) == values
            assert pickle.loads(pickle.dumps(values)) == values == copy.deepcopy(values) == copy.copy(values)
        assert json.loads(json.dumps(model.parameters, default=str))["njaz"] == "1650"
        assert tr.bundled("mawo").evaluate(self.GRUNDFALL).value("bewohner[1].tagessatz") == before
        assert model.parameters_on(day) is model.parameters_on(dt.date(2024, 8, 1))  # one dict per period
        assert result.parameters is result.parameters and model.tables is model.tables
        assert model.parameters["pk_fachkraft"] == result.parameters["pk_fachkraft"]
        assert result.frame.tables["lp0_bewertung"] is table  # what is shown is what is evaluated
        with pytest.raises(TypeError):  # (nor made anew in place)
            model.parameters_on(day).__init__({"pk_fachkraft": Decimal(1)})  # type: ignore[misc]
        again = pickle.loads(pickle.dumps(result))
        with pytest.raises(TypeError):
            again.frame.parameters["pk_fachkraft"] = Decimal(1)
        assert again.parameters is again.parameters == result.parameters

    def test_an_agreement_gives_read_only_dicts_too(self) -> None:
        import pickle

        model = tr.bundled("mawo")
        agreed = model.load_agreement(self.GRUNDFALL.parent / "vereinbarung_haus_linde.toml")
        struck = model.load_agreement({"tabellen": {"lp0_bewertung": {"0": "nicht vereinbart"}}})
        for values in (agreed.parameters, agreed.tables, agreed.tables["lp0_bewertung"],
                       struck.tables["lp0_bewertung"]):
            key = next(iter(values))
            with pytest.raises(TypeError):
                values[key] = Decimal(1)
            assert pickle.loads(pickle.dumps(values)) == values
        again = pickle.loads(pickle.dumps(struck.tables["lp0_bewertung"]))
        with pytest.raises(Exception, match="nicht vereinbart"):
            again[0]  # noqa: B018 - (a row the agreement strikes, after pickling too)


@pytest.mark.parametrize("backend", ["spalten", "skalar"])
@pytest.mark.parametrize("item", [None, 5, [], b"x", 1.5])
def test_an_element_that_is_no_record_is_the_error_row_evaluate_reports(klein: tr.Model, backend: str,
                                                                         item: Any) -> None:
    """An element of a population given as a sequence that is no record (and no file name) is
    an error row with the message and path ``Model.evaluate`` reports for it — the rest evaluated."""
    with pytest.raises(CaseError) as caught:
        klein.evaluate(item)
    result = klein.evaluate_many([item, copy.deepcopy(CASE)], backend=backend)
    (error,) = result.errors
    assert error.index == 0 and error.problems == tuple((d.message, d.path) for d in caught.value.diagnostics)
    assert result.evaluated == 1
