"""The comparison of a population under two versions: per-case rows, the summary, and nothing dropped."""

from __future__ import annotations

import contextlib
import copy
import csv
import decimal
import io
import itertools
import json
import os
import shutil
import statistics
import threading
import time
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

import teilhabe_rules
from teilhabe_rules import CaseError, CheckError, ValidityError
from teilhabe_rules.cli import main
from teilhabe_rules.inputs.cases import read_data
from teilhabe_rules.tools.compare import (
    PopulationRow,
    _Batch,
    _batches,
    compare,
    fields,
    generate_population,
    read_population,
)

ROOT = Path(__file__).resolve().parents[2]
OLD, NEW = "mawo", "mawo_2025"


def model(name: str) -> teilhabe_rules.Model:
    return teilhabe_rules.bundled(name)


def persons(count: int) -> list[dict]:
    """``count`` different MAWo person cases of 2025 (Pflegegrad, ILB-4 hours and LP 2a vary)."""
    base = read_data(ROOT / "examples/mawo/person_grundfall.toml")
    base["zeitraum_ab"] = "2025-03-01"
    out = []
    kap5 = [0, 2, 9, 16, 24]
    for number in range(count):
        case = copy.deepcopy(base)
        person = case["bewohner"][0]
        person["kuerzel"] = f"P{number + 1}"
        person["pflegegrad"] = number % 6
        person["lp2a"] = {"kap4": 0, "kap5": kap5[number % 5], "kap6": 3}
        if number % 3:
            person["massnahmen"] = [{"bezeichnung": "Freizeit", "stunden": 5 + number, "personen": 1 + number % 3}]
        out.append(case)
    return out


def _unblock(pipe: Path, read: list[bool]) -> None:
    """Should a regression open the FIFO ``pipe`` for reading and wait for a writer: after five
    seconds a thread opens it for writing, again and again for half a minute (each time noted in
    ``read``), so that the test fails instead of hanging."""

    def unblock() -> None:
        time.sleep(5)
        for _ in range(300):
            with contextlib.suppress(OSError):  # (no reader: the right outcome)
                os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
                read.append(True)
            time.sleep(0.1)

    threading.Thread(target=unblock, daemon=True).start()


def jsonl(path: Path, cases: list, extra_lines: tuple[str, ...] = ()) -> Path:
    lines = [json.dumps(case, ensure_ascii=False, default=str) for case in cases] + list(extra_lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


class TestNothingIsDropped:
    """Every input row is an output row: evaluated, or an error row with its message."""

    def test_injected_malformed_rows_become_error_rows(self, tmp_path: Path) -> None:
        good = persons(30)
        unknown_key = copy.deepcopy(good[0])
        unknown_key["bewohner"][0]["pflegegard"] = 3
        old_date = copy.deepcopy(good[1])
        old_date["zeitraum_ab"] = "2024-06-01"  # valid under mawo, before mawo_2025
        cases = good[:10] + [unknown_key] + good[10:20] + [old_date] + good[20:]
        population = jsonl(tmp_path / "fälle.jsonl", cases, ('{"name": "kaputt", ',))
        summary = compare(model(OLD), model(NEW), population, out=tmp_path / "aus.csv")
        assert (summary.rows, summary.evaluated, summary.errors) == (33, 30, 3)
        assert summary.errors + summary.evaluated == summary.rows
        assert (summary.errors_old, summary.errors_new) == (2, 3)
        out = rows_of(tmp_path / "aus.csv")
        assert len(out) == 33
        assert [row["fall"] for row in out] == [f"Zeile {n}" for n in range(1, 34)]
        errors = {row["fall"]: row["fehler"] for row in out if row["status"] == "fehler"}
        assert set(errors) == {"Zeile 11", "Zeile 22", "Zeile 33"}
        assert ("unbekannter Schlüssel „pflegegard“ (meinten Sie „pflegegrad“?) @ $.bewohner[1].pflegegard"
                in errors["Zeile 11"])
        assert errors["Zeile 22"].startswith(
            "neu: zeitraum_ab 01.06.2024 liegt außerhalb der Gültigkeit von „mawo_2025 2025.1“")
        assert "alt:" not in errors["Zeile 22"]
        message = "kein gültiges JSON: ein Schlüssel in doppelten Anführungszeichen fehlt (Stelle 20)"
        assert errors["Zeile 33"] == f"alt: {message}; neu: {message}"

    def test_a_csv_row_with_too_many_cells(self, tmp_path: Path) -> None:
        population = tmp_path / "fälle.csv"
        population.write_text("beginn,stunden\n2025-01-01,10\n2025-01-01,10,3\n\n2025-02-01,\n", encoding="utf-8")
        flat = teilhabe_rules.loads(FLAT, "flach.rules")
        summary = compare(flat, flat, population, out=tmp_path / "aus.jsonl")
        assert (summary.rows, summary.evaluated, summary.errors) == (3, 1, 2)
        lines = [json.loads(line) for line in (tmp_path / "aus.jsonl").read_text(encoding="utf-8").splitlines()]
        assert lines[1] == {"fall": "Zeile 3", "status": "fehler",
                            "fehler": {"alt": "die Zeile hat 3 Felder, die Kopfzeile 2",
                                       "neu": "die Zeile hat 3 Felder, die Kopfzeile 2"}}
        # an empty cell: the input is missing
        assert lines[2]["status"] == "fehler" and "stunden" in lines[2]["fehler"]["alt"]


FLAT = """\
modell flach "Flaches Modell"
  version "1"
  gültig ab 01.01.2024
  stichtag beginn
  budget betrag
ende
eingabe beginn: datum
eingabe stunden: zahl h/Jahr von 0 bis 100
eingabe gruppe: ganzzahl Personen von 1 bis 3 standard 1
parameter satz: EUR/h = 60
tabelle anteil "Anteil": ganzzahl Personen -> % teilweise
  1: 100 %
  2: 65 %
  3: 45 %
ende
paket p "Paket"
  stufen
    0 "keine"
    1 "bis 20 h"
    2 "über 20 h"
  ende
  stufe nach korridor stunden
    0: ab 0 bis 0
    1: über 0 bis 20
    2: über 20
  ende
ende
wert betrag: EUR/Jahr = stunden * satz * anteil[gruppe]
"""


class TestSummary:
    """The summary's figures agree with the per-case rows."""

    def test_totals_distribution_and_largest_changes(self, tmp_path: Path) -> None:
        population = jsonl(tmp_path / "fälle.jsonl", persons(40))
        summary = compare(model(OLD), model(NEW), population, out=tmp_path / "aus.csv")
        out = rows_of(tmp_path / "aus.csv")
        unit = " [EUR/Jahr]"
        name = summary.budget.name  # persons: each one's own budget (tests/tools/test_compare_budget.py)
        assert name == "bewohner[].jahresbetrag"
        old = [Decimal(row[f"{name}.alt" + unit]) for row in out]
        new = [Decimal(row[f"{name}.neu" + unit]) for row in out]
        diffs = [Decimal(row[f"{name}.differenz" + unit]) for row in out]
        with decimal.localcontext(decimal.Context(prec=100)):  # the summary adds exactly
            assert summary.total_old == sum(old) and summary.total_new == sum(new)
            assert summary.difference == sum(diffs) and summary.difference > 0
        assert (summary.minimum, summary.maximum) == (min(diffs), max(diffs))
        assert (summary.increased, summary.decreased, summary.unchanged) == (
            sum(d > 0 for d in diffs), sum(d < 0 for d in diffs), sum(d == 0 for d in diffs))
        top = summary.to_dict()["größte_änderungen"]
        assert len(top) == 10
        expected = sorted(((abs(d), row["fall"]) for d, row in zip(diffs, out, strict=True)),
                          key=lambda item: -item[0])[:10]
        assert [item["fall"] for item in top] == [ident for _, ident in expected]
        quartiles = summary.to_dict()["verteilung"]
        assert (Decimal(quartiles["min"]) <= Decimal(quartiles["q1"]) <= Decimal(quartiles["median"])
                <= Decimal(quartiles["q3"]))
        # exact quartiles (interpolated between order statistics), in cents rounded half-up
        exact = statistics.quantiles([Fraction(d) for d in diffs], n=4, method="inclusive")
        cents = [Decimal(q.numerator) / Decimal(q.denominator) for q in exact]
        assert [quartiles["q1"], quartiles["median"], quartiles["q3"]] == [
            str(c.quantize(Decimal("0.01"), rounding=decimal.ROUND_HALF_UP)) for c in cents]

    def test_level_changes_per_package(self, tmp_path: Path) -> None:
        variant = tmp_path / "grenze.rules"
        variant.write_text('modell grenze "Grenze"\n  erweitert "mawo_2025"\n  version "x"\nende\n'
                           "parameter lp2a_grenze_1 = 4 min/Tag\nparameter lp2a_grenze_2 = 15 min/Tag\n",
                           encoding="utf-8")
        population = jsonl(tmp_path / "fälle.jsonl", persons(25))
        summary = compare(model(NEW), teilhabe_rules.load(variant), population, out=tmp_path / "aus.csv")
        out = rows_of(tmp_path / "aus.csv")
        changed = [row for row in out if row["bewohner[].lp2a.stufe.alt"] != row["bewohner[].lp2a.stufe.neu"]]
        lp2a = summary.levels["bewohner[].lp2a"]
        assert lp2a.cases == len(changed) > 0
        assert lp2a.up == sum(int(r["bewohner[].lp2a.stufe.neu"]) > int(r["bewohner[].lp2a.stufe.alt"])
                              for r in changed)
        assert lp2a.up == lp2a.cases and lp2a.down == 0  # 5 and 19 min/Tag move up a level, nothing moves down
        assert summary.to_dict()["stufenwechsel"]["bewohner[].lp2a"] == {"fälle": len(changed), "höher": len(changed),
                                                                         "niedriger": 0, "elemente": len(changed)}
        assert summary.levels["bewohner[].lp2b"].cases == 0
        assert "bewohner[].lp2a: " in summary.render_text()

    def test_the_summary_as_text_and_json(self, tmp_path: Path) -> None:
        summary = compare(model(OLD), model(NEW), jsonl(tmp_path / "fälle.jsonl", persons(12)))
        data = summary.to_dict()
        assert data["fälle"] == 12 and data["ausgewertet"] == 12 and data["fehler"] == 0
        assert data["budget"]["wert"] == "bewohner[].jahresbetrag" and data["budget"]["einheit"] == "EUR/Jahr"
        assert data["budget"]["grundlage"] == "element"  # person cases: each one's own budget
        assert Decimal(data["budget"]["differenz"]) == Decimal(data["budget"]["neu"]) - Decimal(data["budget"]["alt"])
        text = summary.render_text()
        assert text.startswith("Budgetvergleich mawo 2024.1 → mawo_2025 2025.1")
        assert "Fälle: 12 · ausgewertet: 12 · Fehler: 0" in text


class TestFormats:
    """Populations as JSON Lines, CSV and directories; output as CSV or JSON Lines."""

    @pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"], ids=["utf8", "utf8-bom-wie-excel"])
    def test_csv_with_list_columns(self, tmp_path: Path, encoding: str) -> None:
        population = tmp_path / "personen.csv"
        header = ["name", "zeitraum_ab", "plaetze", "nachtdienst", "nacht_bezugsgroesse", "lp1b_einfachbesetzung",
                  "bewohner[1].kuerzel",
                  "bewohner[1].pflegegrad", "bewohner[1].lp1a.stufe", "bewohner[1].lp2a.kap4", "bewohner[1].lp2a.kap5",
                  "bewohner[1].lp2a.kap6", "bewohner[1].lp3b.stunden", "bewohner[1].massnahmen"]
        header += [f"bewohner[1].lp3a.kap{n}" for n in range(1, 10)]
        rows = [["Haus", "01.03.2025", "24", "3", "24", "ja", "A", str(pg), "1", "0", "2", "13", "12",
                 '[{"bezeichnung": "x", "stunden": 10}]' if pg == 2 else "[]"] + ["0"] * 9 for pg in (2, 5)]
        with population.open("w", encoding=encoding, newline="") as handle:
            csv.writer(handle).writerows([header, *rows])
        summary = compare(model(OLD), model(NEW), population, out=tmp_path / "aus.jsonl")
        assert summary.errors == 0, (tmp_path / "aus.jsonl").read_text(encoding="utf-8")
        first, second = [json.loads(line) for line in (tmp_path / "aus.jsonl").read_text(encoding="utf-8").splitlines()]
        assert first["werte"]["ilb4_budget_summe"] == {"alt": "689.50", "neu": "701.00", "differenz": "11.50",
                                                       "einheit": "EUR/Jahr"}
        assert first["stufen"]["bewohner[].lp2b.stufe"] == {"alt": [1], "neu": [1]}
        assert Decimal(second["werte"]["budget_jahr"]["differenz"]) > 0  # Pflegegrad 5: more minutes
        assert Decimal(second["werte"]["ilb4_budget_summe"]["differenz"]) == 0

    def test_a_directory_of_toml_files(self, tmp_path: Path) -> None:
        folder = tmp_path / "fälle"
        folder.mkdir()
        for name in ("person_grundfall.toml", "person_hoher_bedarf.toml", "haus_linde.toml"):
            shutil.copy(ROOT / "examples/mawo" / name, folder / name)
        shutil.copytree(ROOT / "examples/mawo/bewohner", folder / "bewohner")
        (folder / "kaputt.toml").write_text("name = \n", encoding="utf-8")
        at_new = teilhabe_rules.inputs.cases.convert_value("2025-01-01", teilhabe_rules.ir.checked.DATE)
        summary = compare(model(OLD), model(NEW), folder, out=tmp_path / "aus.csv", at_new=at_new)
        out = {row["fall"]: row for row in rows_of(tmp_path / "aus.csv")}
        assert list(out) == ["haus_linde.toml", "kaputt.toml", "person_grundfall.toml", "person_hoher_bedarf.toml"]
        assert (summary.rows, summary.evaluated, summary.errors) == (4, 3, 1)
        assert out["kaputt.toml"]["status"] == "fehler" and "kein gültiges TOML/JSON" in out["kaputt.toml"]["fehler"]
        assert out["haus_linde.toml"]["bewohner[].lp2a.stufe.alt"].count(";") == 5  # six residents

    def test_the_population_is_read_lazily(self) -> None:
        """An endless population yields its first results: rows are processed as they come."""
        endless = (PopulationRow(f"Zeile {n}", case) for n, case in enumerate(itertools.cycle(persons(3)), start=1))
        chosen = fields(model(OLD), model(NEW), "keine")
        from teilhabe_rules.tools.compare import _Evaluator

        batch = _Batch(_Evaluator(model(OLD), model(NEW), None, None, None, None, chosen), None, "budget_jahr", [])
        text, tallies = next(_batches(batch, endless))
        assert len(tallies) == 250 and text == ""

    def test_an_unknown_population_format(self, tmp_path: Path) -> None:
        (tmp_path / "fälle.ods").write_bytes(b"PK")  # (a file there is: of no format a population has)
        with pytest.raises(teilhabe_rules.CaseError, match="ist keine Population"):
            list(read_population(tmp_path / "fälle.ods"))


class TestOptions:
    """Budget, value selection, dates and agreements of a comparison."""

    def test_a_model_without_budget(self) -> None:
        plain = teilhabe_rules.loads(FLAT.replace("  budget betrag\n", ""), "ohne.rules")
        with pytest.raises(CheckError) as caught:
            fields(plain, plain)
        assert caught.value.message == "Das Modell „flach“ nennt kein Budget"
        assert "--budget" in (caught.value.diagnostics[0].hint or "")
        assert [f.name for f in fields(plain, plain, budget="betrag")] == ["p.stufe", "betrag"]

    def test_value_selection(self) -> None:
        names = [f.name for f in fields(model(OLD), model(NEW), "bewohner[].tagessatz, vk_gesamt")]
        assert names[-2:] == ["bewohner[].tagessatz", "vk_gesamt"]
        with pytest.raises(CheckError, match="„vk_gesamtt“ ist kein Wert") as caught:
            fields(model(OLD), model(NEW), "vk_gesamtt")
        assert caught.value.diagnostics[0].hint == "meinten Sie „vk_gesamt“?"
        every = fields(model(OLD), model(NEW), "alle")
        nothing = fields(model(OLD), model(NEW), "keine")
        assert len(every) > len(fields(model(OLD), model(NEW))) > len(nothing)

    def test_a_model_that_needs_a_date(self, tmp_path: Path) -> None:
        text = FLAT.replace("  stichtag beginn\n", "").replace("parameter satz: EUR/h = 60",
                                                                "parameter satz: EUR/h = 60\n  ab 01.01.2025 = 66")
        dated = teilhabe_rules.loads(text, "datiert.rules")
        population = tmp_path / "fälle.csv"
        population.write_text("beginn,stunden\n2025-03-01,10\n", encoding="utf-8")
        with pytest.raises(ValidityError) as caught:
            compare(dated, dated, population)
        assert caught.value.diagnostics[0].message == ("Das alte Modell „flach 1“ hat Parameter mit Werten je "
                                                       "Zeitraum und keine Eingabe „stichtag“")
        import datetime as dt

        summary = compare(dated, dated, population, at_old=dt.date(2024, 6, 1), at_new=dt.date(2025, 6, 1))
        assert (summary.total_old, summary.total_new) == (Decimal(600), Decimal(660))

    def test_an_agreement_for_the_new_version(self, tmp_path: Path) -> None:
        population = jsonl(tmp_path / "fälle.jsonl", persons(6))
        plain = compare(model(OLD), model(NEW), population)
        agreed = compare(model(OLD), model(NEW), population, agreement_new={"parameter": {"fls_satz": "75 EUR/h"}})
        assert agreed.total_new > plain.total_new and agreed.total_old == plain.total_old

    def test_out_naming_an_input_is_refused_before_anything_is_written(self, tmp_path: Path) -> None:
        rules = tmp_path / "flach.rules"
        rules.write_text(FLAT, encoding="utf-8")
        flat = teilhabe_rules.load(rules)
        agreement = tmp_path / "vereinbarung.toml"
        agreement.write_text('[vereinbarung]\nmodell = "flach"\n[parameter]\nsatz = "70 EUR/h"\n', encoding="utf-8")
        population = tmp_path / "fälle.csv"
        population.write_text("beginn,stunden\n2025-03-01,10\n", encoding="utf-8")
        link = tmp_path / "verweis.rules"
        link.symlink_to(rules)
        inputs = {path: path.read_bytes() for path in (rules, agreement, population)}
        for out, what in ((rules, "die Regeldatei eines der Modelle"), (link, "die Regeldatei eines der Modelle"),
                          (agreement, "eine der Vereinbarungen"), (population, "die Population")):
            with pytest.raises(CaseError, match=f"ist {what} selbst") as caught:
                compare(flat, flat, population, out=out, out_format="jsonl", agreement_new=agreement)
            assert caught.value.diagnostics[0].hint
        for figures in (False, True):  # (the comparison of two figures of one model too)
            with pytest.raises(CaseError, match="ist die Regeldatei eines der Modelle selbst"):
                if figures:
                    compare(flat, None, population, out=rules, out_format="csv", figures=("betrag", "betrag"))
                else:
                    compare(flat, flat, population, out=rules, out_format="csv")
        # a variant: the base file it extends too (it is read whenever the variant is loaded)
        variant_file = tmp_path / "variante.rules"
        variant_file.write_text('modell variante "V"\n  erweitert "flach"\n  version "2"\n  gültig ab 01.01.2024\n'
                                "ende\nparameter satz = 70 EUR/h\n", encoding="utf-8")
        variant = teilhabe_rules.load(variant_file)
        with pytest.raises(CaseError, match="ist die Regeldatei eines Grundmodells selbst"):
            compare(variant, variant, population, out=rules, out_format="jsonl")
        assert {path: path.read_bytes() for path in inputs} == inputs
        summary = compare(flat, flat, population, out=tmp_path / "zeilen.jsonl", agreement_new=agreement)
        assert (summary.evaluated, summary.total_old, summary.total_new) == (1, Decimal(600), Decimal(700))


class TestProgress:
    """A progress bar on a terminal, nothing otherwise."""

    class Terminal(io.StringIO):
        """A stream that says it is a terminal."""

        def isatty(self) -> bool:
            return True

    def test_shown_on_a_terminal_only(self, tmp_path: Path) -> None:
        population = jsonl(tmp_path / "fälle.jsonl", persons(5))
        quiet = io.StringIO()
        compare(model(OLD), model(NEW), population, progress=quiet)
        assert quiet.getvalue() == ""
        terminal = self.Terminal()
        compare(model(OLD), model(NEW), population, progress=terminal)
        assert "5/5 Fälle (100%)" in terminal.getvalue() and terminal.getvalue().endswith("\n")


class TestCli:
    """``teilhabe-rules compare`` and ``generate``."""

    def test_compare_writes_rows_and_summary(self, tmp_path: Path) -> None:
        population = jsonl(tmp_path / "fälle.jsonl", persons(8))
        out, err = io.StringIO(), io.StringIO()
        code = main(["compare", OLD, NEW, str(population), "--out", str(tmp_path / "aus.csv"),
                     "--summary", str(tmp_path / "s.json")], out, err)
        assert code == 0, err.getvalue()
        assert json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))["ausgewertet"] == 8
        assert len(rows_of(tmp_path / "aus.csv")) == 8
        assert "Budgetvergleich" in out.getvalue() and err.getvalue() == ""

    def test_error_rows_give_exit_code_1_and_no_traceback(self, tmp_path: Path) -> None:
        population = jsonl(tmp_path / "fälle.jsonl", persons(2), ("[1, 2",))
        out, err = io.StringIO(), io.StringIO()
        assert main(["compare", OLD, NEW, str(population), "--format", "json"], out, err) == 1
        assert json.loads(out.getvalue())["fehler"] == 1

    def test_a_folder_entry_that_is_no_regular_file_is_an_error_row(self, tmp_path: Path) -> None:
        """A dangling link and a FIFO named as case files: error rows (the run's identity, which
        ``--out`` writes for ``--fortsetzen``, takes them without reading: a FIFO never blocks)."""
        folder = tmp_path / "fälle"
        folder.mkdir()
        for number, case in enumerate(persons(2)):
            (folder / f"{number}.json").write_text(json.dumps(case, default=str), encoding="utf-8")
        (folder / "weg.toml").symlink_to(tmp_path / "fehlt.toml")
        read: list[bool] = []
        if hasattr(os, "mkfifo"):
            pipe = folder / "rohr.toml"
            os.mkfifo(pipe)
            _unblock(pipe, read)
        out, err = io.StringIO(), io.StringIO()
        code = main(["compare", OLD, NEW, str(folder), "--out", str(tmp_path / "aus.jsonl"), "--format", "json"],
                    out, err)
        summary = json.loads(out.getvalue())
        bad = len(list(folder.iterdir())) - 2
        assert code == 1 and summary["ausgewertet"] == 2 and summary["fehler"] == bad, err.getvalue()
        assert not read

    def test_a_population_that_is_a_fifo_is_refused_not_waited_on(self, tmp_path: Path) -> None:
        """A comparison reads its population more than once: a FIFO's second reading would wait
        for a writer that is gone."""
        if not hasattr(os, "mkfifo"):
            pytest.skip("no FIFOs on this platform")
        pipe = tmp_path / "fälle.jsonl"
        os.mkfifo(pipe)
        read: list[bool] = []
        _unblock(pipe, read)
        out, err = io.StringIO(), io.StringIO()
        assert main(["compare", OLD, NEW, str(pipe)], out, err) == 1
        assert f"Die Population „{pipe}“ ist keine gewöhnliche Datei" in err.getvalue() and not read

    def test_bad_input_is_reported(self, tmp_path: Path) -> None:
        out, err = io.StringIO(), io.StringIO()
        assert main(["compare", OLD, NEW, str(tmp_path / "gibtsnicht.jsonl")], out, err) == 1
        assert "Die Population lässt sich nicht lesen" in err.getvalue() and "Traceback" not in err.getvalue()
        assert main(["compare", OLD, NEW, str(tmp_path), "--at", "gestern"], out, err) == 2


class TestGenerate:
    """A seeded synthetic population from the testing strategies."""

    def test_the_same_seed_gives_the_same_population(self, tmp_path: Path) -> None:
        pytest.importorskip("teilhabe_rules.tools.strategies")
        from teilhabe_rules.tools.compare import generate_population

        first, second, other = (tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl")
        assert generate_population(model(NEW), 40, 7, first, split="bewohner", method="hypothesis") == 40
        generate_population(model(NEW), 40, 7, second, split="bewohner", method="hypothesis")
        generate_population(model(NEW), 40, 8, other, split="bewohner", method="hypothesis")
        assert first.read_bytes() == second.read_bytes() != other.read_bytes()
        cases = [json.loads(line) for line in first.read_text(encoding="utf-8").splitlines()]
        assert len(cases) == 40 and all(len(case["bewohner"]) == 1 for case in cases)
        summary = compare(model(OLD), model(NEW), first)
        assert (summary.rows, summary.errors) == (40, 0)

    def test_a_directory_of_toml_files_reads_back(self, tmp_path: Path) -> None:
        pytest.importorskip("teilhabe_rules.tools.strategies")
        out, err = io.StringIO(), io.StringIO()
        code = main(["generate", NEW, "-n", "5", "--seed", "1", "--out", str(tmp_path / "fälle")], out, err)
        assert code == 0, err.getvalue()
        files = sorted((tmp_path / "fälle").iterdir())
        assert [f.name for f in files] == [f"fall_000{n}.toml" for n in range(1, 6)]
        assert compare(model(OLD), model(NEW), tmp_path / "fälle").errors == 0

    def test_a_folder_holding_cases_is_refused(self, tmp_path: Path) -> None:
        """Five cases after ten would leave ten files: a population of cases nobody drew together."""
        out, err = io.StringIO(), io.StringIO()
        assert main(["generate", NEW, "-n", "3", "--out", str(tmp_path / "fälle")], out, err) == 0
        before = sorted((tmp_path / "fälle").iterdir())
        assert main(["generate", NEW, "-n", "2", "--seed", "7", "--out", str(tmp_path / "fälle")], out, err) == 1
        assert "enthält schon 3 Falldateien" in err.getvalue()
        assert sorted((tmp_path / "fälle").iterdir()) == before

    def test_the_target_is_a_directory_or_a_file_of_a_known_format(self, tmp_path: Path) -> None:
        out, err = io.StringIO(), io.StringIO()
        assert main(["generate", NEW, "-n", "1", "--out", str(tmp_path / "fälle.txt")], out, err) == 2  # usage
        assert "die Endung „.txt“ ist kein Ausgabeformat" in err.getvalue()
        assert not (tmp_path / "fälle.txt").exists()
        for count in ("-1", str(10**21)):  # (beyond 64 bits: no conversion error of DuckDB's)
            err = io.StringIO()
            assert main(["generate", NEW, "-n", count, "--out", str(tmp_path / "f.jsonl")], out, err) == 2
            assert "-n: eine Zahl von 0 bis 1.000.000.000.000" in err.getvalue()

    def test_split_names_a_list(self) -> None:
        """A list the model has not is a usage error (exit 2, as ``eval-many --liste``), naming the
        closest list and the lists there are; the library's own check stays a CaseError."""
        out, err = io.StringIO(), io.StringIO()
        assert main(["generate", NEW, "-n", "1", "--split", "bewohnerin"], out, err) == 2
        assert err.getvalue().startswith("teilhabe-rules: --split: „bewohnerin“ ist keine Liste auf der obersten Ebene "
                                         "von „mawo_2025“ — meinten Sie „bewohner“? (Listen: bewohner)\n")
        assert out.getvalue() == ""
        err = io.StringIO()
        code = main(["eval-many", NEW, str(ROOT / "examples" / "mawo" / "bewohner"), "--out", "x.parquet",
                     "--liste", "bewohnerin"], out, err)
        assert code == 2
        assert "--liste: „bewohnerin“ ist keine Liste von „mawo_2025“ — meinten Sie „bewohner“?" in err.getvalue()
        with pytest.raises(CaseError, match="keine Liste auf der obersten Ebene"):
            generate_population(teilhabe_rules.bundled(NEW), 1, 0, io.StringIO(), split="bewohnerin")


def test_summary_cents_are_rounded_half_up(tmp_path: Path) -> None:
    """A median of 0 and 0.01 EUR lies on the half cent: half-up gives 0.01 (half-even gave 0.00)."""
    old = tmp_path / "alt.rules"
    old.write_text('modell alt "Alt"\n  version "1"\n  gültig ab 01.01.2024\n  budget betrag\nende\n'
                   "eingabe zuschlag: zahl EUR von 0 bis 1\n"
                   "wert betrag: EUR = 100 EUR\n", encoding="utf-8")
    new = tmp_path / "neu.rules"
    new.write_text(old.read_text(encoding="utf-8").replace('"Alt"', '"Neu"').replace(
        "wert betrag: EUR = 100 EUR", "wert betrag: EUR = 100 EUR + zuschlag"), encoding="utf-8")
    population = jsonl(tmp_path / "p.jsonl", [{"zuschlag": "0"}, {"zuschlag": "0.01"}])
    summary = compare(teilhabe_rules.load(old), teilhabe_rules.load(new), population)
    spread = summary.to_dict()["verteilung"]
    assert (spread["min"], spread["median"], spread["max"]) == ("0.00", "0.01", "0.01")
    assert summary.quartiles is not None and summary.quartiles[1] == Decimal("0.005")


@pytest.mark.parametrize("backend", ["spalten", "skalar"])
def test_summary_of_figures_beyond_28_digits(tmp_path: Path, backend: str) -> None:
    """Budgets of 10^26 EUR and more have more digits with their cents than Python's default
    context holds: the summary shows every digit instead of failing; a difference that rounds to
    zero cents is „0.00“, never „-0.00“."""
    old = tmp_path / "alt.rules"
    old.write_text('modell alt "Alt"\n  version "1"\n  gültig ab 01.01.2024\n  budget betrag\nende\n'
                   "eingabe grund: zahl EUR von 0 bis 1000000000000000000000000000000000000000\n"
                   "eingabe zuschlag: zahl EUR von -1 bis 1\n"
                   "wert betrag: EUR = grund\n", encoding="utf-8")
    new = tmp_path / "neu.rules"
    new.write_text(old.read_text(encoding="utf-8").replace('"Alt"', '"Neu"').replace(
        "wert betrag: EUR = grund", "wert betrag: EUR = grund + zuschlag"), encoding="utf-8")
    huge = "123456789012345678901234567.8"  # 28 digits: as many as a figure of the models holds
    population = jsonl(tmp_path / "p.jsonl", [{"grund": huge, "zuschlag": "0"},
                                              {"grund": "5", "zuschlag": "-0.004"}])
    summary = compare(teilhabe_rules.load(old), teilhabe_rules.load(new), population,
                      backend="columnar" if backend == "spalten" else "scalar")
    assert summary.errors == 0
    figures = summary.to_dict()
    assert figures["budget"]["alt"] == "123456789012345678901234572.80"
    assert figures["budget"]["neu"] == "123456789012345678901234572.80"  # ….796 half-up
    assert figures["budget"]["differenz"] == "0.00"  # -0.004
    assert figures["verteilung"]["min"] == figures["verteilung"]["max"] == "0.00"
    assert {row["differenz"] for row in figures["größte_änderungen"]} == {"0.00"}
    out, err = io.StringIO(), io.StringIO()
    code = main(["compare", str(old), str(new), str(population), "--backend",
                 "columnar" if backend == "spalten" else "scalar"], out, err)
    assert code == 0, err.getvalue()
    assert "123.456.789.012.345.678.901.234.572,80" in out.getvalue()
    assert "-0,00" not in out.getvalue()


def test_cents_of_a_figure_whose_rounding_carries_into_a_new_digit() -> None:
    from teilhabe_rules.tools.compare import _money

    assert _money(Decimal("99999999999999999999999999.995")) == "100000000000000000000000000.00"
    assert _money(Decimal("-0.004")) == "0.00"


@pytest.mark.parametrize("backend", ["spalten", "skalar"])
def test_a_share_in_percent_is_shown_in_percent_in_every_row_format(backend: str, tmp_path: Path) -> None:
    """A value in „%“ is 45 for 45 % in the rows of ``compare``, as ``eval`` writes it — in every
    format, on both backends, its difference in percentage points; before, the rows held 0.45
    under the header „[%]“."""
    import duckdb
    import openpyxl

    rules = tmp_path / "p.rules"
    rules.write_text('modell p "P"\n  version "1"\n  gültig ab 01.01.2024\n  budget betrag\nende\n'
                     "eingabe anteil: zahl % von 0 % bis 100 %\neingabe stunden: zahl h von 0 bis 1000\n"
                     "wert quote: % = anteil\nwert betrag: EUR = stunden * 60 EUR/h * anteil\n", "utf-8")
    newer = tmp_path / "q.rules"
    newer.write_text(rules.read_text("utf-8").replace("wert quote: % = anteil", "wert quote: % = anteil * 2")
                     .replace('version "1"', 'version "2"'), "utf-8")
    population = tmp_path / "f.jsonl"
    population.write_text('{"anteil": 45, "stunden": 10}\n{"anteil": "12,5 %", "stunden": 10}\n', "utf-8")
    found: dict[str, list[tuple[Any, ...]]] = {}
    for fmt in ("jsonl", "csv", "xlsx", "parquet"):
        out = tmp_path / f"z.{fmt}"
        code = main(["compare", str(rules), str(newer), str(population), "--werte", "quote", "--out", str(out),
                     "--backend", backend], io.StringIO(), io.StringIO())
        assert code == 0, fmt
        if fmt == "jsonl":
            rows = [json.loads(line)["werte"]["quote"] for line in out.read_text("utf-8").splitlines()]
            found[fmt] = [(Decimal(r["alt"]), Decimal(r["neu"]), Decimal(r["differenz"]), r["einheit"]) for r in rows]
        elif fmt == "csv":
            table = list(csv.DictReader(io.StringIO(out.read_text("utf-8-sig"))))
            found[fmt] = [(Decimal(r["quote.alt [%]"]), Decimal(r["quote.neu [%]"]),
                           Decimal(r["quote.differenz [%]"]), "%") for r in table]
        elif fmt == "xlsx":
            sheet = openpyxl.load_workbook(out)["Fälle"]
            header = [cell.value for cell in sheet[1]]
            at = [header.index(f"quote.{part} [%]") for part in ("alt", "neu", "differenz")]
            found[fmt] = [(*(Decimal(str(row[i])) for i in at), "%") for row in sheet.iter_rows(min_row=2,
                                                                                             values_only=True)]
        else:
            rows = duckdb.sql(f"SELECT \"quote.alt [%]\", \"quote.neu [%]\", \"quote.differenz [%]\" FROM '{out}'")
            found[fmt] = [(*row, "%") for row in rows.fetchall()]
    expected = [(Decimal(45), Decimal(90), Decimal(45), "%"), (Decimal("12.5"), Decimal(25), Decimal("12.5"), "%")]
    assert found == {fmt: expected for fmt in found}, found


def test_a_budget_given_that_is_no_value_names_the_closest(tmp_path: Path) -> None:
    """``--budget`` naming no value of the top level: its did-you-mean, and no place in the model
    file (the name was given on the command line); before, the message pointed at the model's
    first line, without a hint."""
    rules = str(Path(__file__).resolve().parents[2] / "examples" / "daten" / "stunden.rules")
    population = str(Path(__file__).resolve().parents[2] / "examples" / "daten" / "fälle.csv")
    err = io.StringIO()
    assert main(["compare", rules, rules, population, "--budget", "betrg"], io.StringIO(), err) == 1
    assert err.getvalue() == ("fehler: Das Budget „betrg“ ist kein Wert auf oberster Ebene von „stunden“\n"
                              "    hinweis: meinten Sie „betrag“?\n")
