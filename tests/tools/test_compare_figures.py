"""compare of two values of one model over a population (``compare MODELL FÄLLE --alt FIGUR
--neu FIGUR``, ``compare(model, None, cases, figures=(ALT, NEU))``): the bundled Budgetvergleich
population, the shape of rows and summary, usage errors for names and mixed forms, resuming."""

from __future__ import annotations

import csv
import io
import json
import re
import shlex
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples
from test_compare_resume import Interrupt, partial, population, without_time

import teilhabe_rules
from teilhabe_rules import CheckError, ValidityError
from teilhabe_rules.cli import EXIT_INTERRUPTED, main
from teilhabe_rules.tools.compare import compare, figure_field

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "bei_nrw3.rules"
POPULATION = ROOT / "examples" / "bei_nrw3" / "population_alt_neu.jsonl"
AGREEMENT = ROOT / "examples" / "bei_nrw3" / "vereinbarung_fiktiv.toml"
YEAR = ("budgetvergleich_alt", "budgetvergleich_neu")
MONTH = ("budgetvergleich_alt_monat", "budgetvergleich_neu_monat")

# a small model with two values of the same unit (inputs as test_compare_resume.population writes)
TWO_RATES = """\
modell zwei_saetze "Zwei Sätze"
  version "1"
  gültig ab 01.01.2024
  stichtag beginn
  budget neu
ende
eingabe beginn: datum
eingabe stunden: zahl h/Jahr von 0 bis 100
eingabe gruppe: ganzzahl Personen von 1 bis 3 standard 1
parameter satz_alt: EUR/h = 58
parameter satz_neu: EUR/h = 60
wert alt: EUR/Jahr = stunden * satz_alt "nach dem alten Satz"
wert neu: EUR/Jahr = stunden * satz_neu "nach dem neuen Satz"
wert anders: EUR/Jahr = stunden * (satz_neu - satz_alt)
"""


@pytest.fixture(scope="module")
def bei_nrw3() -> teilhabe_rules.Model:
    return teilhabe_rules.load(MODEL)


def run(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(arg) for arg in argv], out, err)
    return code, out.getvalue(), err.getvalue()


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def per_case(
    model: teilhabe_rules.Model, names: tuple[str, str], agreement: Path | None = None
) -> list[tuple[Decimal, Decimal]]:
    """(old, new) of each case of the bundled population, evaluated one by one."""
    out = []
    for line in POPULATION.read_text(encoding="utf-8").splitlines():
        result = model.evaluate(json.loads(line), agreement)
        out.append((result.value(names[0]), result.value(names[1])))
    return out


class TestTheBundledPopulation:
    """The Budgetvergleich of examples/bei_nrw3/population_alt_neu.jsonl, from the real run."""

    def test_totals_from_the_command_line(self, tmp_path: Path) -> None:
        code, out, err = run(
            "compare",
            MODEL,
            POPULATION,
            "--alt",
            YEAR[0],
            "--neu",
            YEAR[1],
            "--out",
            tmp_path / "v.csv",
            "--summary",
            tmp_path / "s.json",
        )
        assert (code, err) == (0, "")
        assert "  alt:       337.597,00\n  neu:       319.777,54\n  Differenz: −17.819,46\n" in out
        summary = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
        assert summary["budget"] == {
            "wert": "budget",
            "grundlage": "figuren",
            "einheit": "EUR",
            "nicht_ein_element": None,  # (the figure of the model named: no case decides it)
            "alt": "337597.00",
            "neu": "319777.54",
            "differenz": "-17819.46",
        }
        assert (summary["fälle"], summary["ausgewertet"], summary["fehler"]) == (8, 8, 0)
        assert (summary["alt"]["wert"], summary["neu"]["wert"]) == YEAR
        assert summary["alt"]["modell"] == summary["neu"]["modell"] == "bei_nrw3"
        assert summary["stufen_verglichen"] is False and summary["stufenwechsel"] == {}

    def test_each_row_is_the_case_evaluated_alone(
        self, bei_nrw3: teilhabe_rules.Model, tmp_path: Path
    ) -> None:
        compare(bei_nrw3, None, POPULATION, figures=YEAR, out=tmp_path / "v.csv")
        rows = csv_rows(tmp_path / "v.csv")
        assert list(rows[0]) == [
            "fall",
            "status",
            "fehler",
            "budget.alt [EUR]",
            "budget.neu [EUR]",
            "budget.differenz [EUR]",
        ]
        expected = per_case(bei_nrw3, YEAR)
        assert [
            (Decimal(r["budget.alt [EUR]"]), Decimal(r["budget.neu [EUR]"])) for r in rows
        ] == expected
        for row in rows:
            assert Decimal(row["budget.differenz [EUR]"]) == Decimal(
                row["budget.neu [EUR]"]
            ) - Decimal(row["budget.alt [EUR]"])
        assert sum(old for old, _ in expected) == Decimal("337597.00")
        assert sum(new for _, new in expected) == Decimal("319777.54")

    def test_monthly_figures(self, bei_nrw3: teilhabe_rules.Model) -> None:
        summary = compare(bei_nrw3, bei_nrw3, POPULATION, figures=MONTH)
        expected = per_case(bei_nrw3, MONTH)
        assert summary.budget.unit == "EUR/Monat"
        assert summary.total_old == sum(old for old, _ in expected)
        assert summary.total_new == sum(new for _, new in expected)
        assert (summary.increased, summary.decreased, summary.unchanged) == (3, 5, 0)

    def test_with_an_agreement(self, bei_nrw3: teilhabe_rules.Model, tmp_path: Path) -> None:
        code, out, _ = run(
            "compare",
            MODEL,
            POPULATION,
            "--alt",
            YEAR[0],
            "--neu",
            YEAR[1],
            "--vereinbarung",
            AGREEMENT,
            "--format",
            "json",
        )
        assert code == 0
        budget = json.loads(out)["budget"]
        expected = per_case(bei_nrw3, YEAR, AGREEMENT)
        assert Decimal(budget["alt"]) == sum(old for old, _ in expected)
        assert Decimal(budget["neu"]) == sum(new for _, new in expected)
        assert budget["neu"] != "319777.54"  # the agreement's rates count

    def test_the_text_names_the_model_once_and_both_figures(
        self, bei_nrw3: teilhabe_rules.Model
    ) -> None:
        text = compare(bei_nrw3, None, POPULATION, figures=YEAR).render_text()
        lines = text.splitlines()
        assert lines[0] == "Budgetvergleich bei_nrw3 3.0: budgetvergleich_alt → budgetvergleich_neu"
        assert lines[1].startswith("  alt: budgetvergleich_alt – Budgetvergleich, Altsystem")
        assert lines[2].startswith("  neu: budgetvergleich_neu – Budgetvergleich, neues System")
        assert (
            sum("bei_nrw3" in line for line in lines if not line.startswith("  Population:")) == 1
        )
        assert "  Fälle: 8 · ausgewertet: 8 · Fehler: 0\n" in text
        assert (
            "Stufenwechsel je Paket\n  nicht verglichen: alt und neu sind zwei Werte derselben Auswertung"
            in text
        )
        assert (
            "Größte Änderungen des Budgets\n  Zeile 6: 49.165,50 → 37.746,21 (−11.419,29)\n" in text
        )


class TestSameShape:
    """Rows and summary have the shape of the comparison of two versions."""

    def test_summary_keys(self, tmp_path: Path) -> None:
        model = teilhabe_rules.loads(TWO_RATES, "zwei.rules")
        cases = population(tmp_path / "fälle.jsonl", 50)
        versions = compare(model, model, cases, values="keine").to_dict()
        figures = compare(model, None, cases, figures=("alt", "neu")).to_dict()
        assert list(versions) == [key for key in figures if key != "stufen_verglichen"]
        assert set(figures["alt"]) == set(versions["alt"]) | {"wert", "bezeichnung"}
        for key in ("budget", "verteilung"):
            assert set(figures[key]) == set(versions[key])
        assert set(figures["größte_änderungen"][0]) == set(versions["größte_änderungen"][0])

    def test_json_lines_rows(self, tmp_path: Path) -> None:
        model = teilhabe_rules.loads(TWO_RATES, "zwei.rules")
        cases = population(tmp_path / "fälle.jsonl", 100)  # every 97th line is broken
        compare(model, None, cases, figures=("alt", "neu"), out=tmp_path / "v.jsonl")
        rows = [
            json.loads(line)
            for line in (tmp_path / "v.jsonl").read_text(encoding="utf-8").splitlines()
        ]
        assert rows[0] == {
            "fall": "Zeile 1",
            "status": "ok",
            "stufen": {},
            "werte": {"budget": {"alt": "0", "neu": "0", "differenz": "0", "einheit": "EUR/Jahr"}},
        }
        assert rows[1]["werte"]["budget"] == {
            "alt": "58",
            "neu": "60",
            "differenz": "2",
            "einheit": "EUR/Jahr",
        }
        assert rows[96]["status"] == "fehler" and set(rows[96]["fehler"]) == {"modell"}

    def test_a_failing_case_is_one_error_row_with_one_message(
        self, bei_nrw3: teilhabe_rules.Model, tmp_path: Path
    ) -> None:
        lines = POPULATION.read_text(encoding="utf-8").splitlines()
        broken = json.loads(lines[0])
        broken["leistungstypp"] = 9
        cases = tmp_path / "fälle.jsonl"
        cases.write_text(
            "\n".join([lines[0], json.dumps(broken), "{kaputt", "", lines[1]]) + "\n",
            encoding="utf-8",
        )
        code, out, _ = run(
            "compare", MODEL, cases, "--alt", YEAR[0], "--neu", YEAR[1], "--out", tmp_path / "v.csv"
        )
        assert code == 1
        assert "  Fälle: 4 · ausgewertet: 2 · Fehler: 2 · leere Zeilen: 1\n" in out
        errors = [
            row["fehler"] for row in csv_rows(tmp_path / "v.csv") if row["status"] == "fehler"
        ]
        assert len(errors) == 2
        assert (
            "unbekannter Schlüssel „leistungstypp“" in errors[0]
            and "meinten Sie „leistungstyp“?" in errors[0]
        )
        assert errors[1].startswith("kein gültiges JSON")
        assert not any(error.startswith(("alt:", "neu:")) for error in errors)
        summary = compare(bei_nrw3, None, cases, figures=YEAR).to_dict()
        assert summary["fehler"] == summary["fehler_alt"] == summary["fehler_neu"] == 2
        assert summary["fälle"] == summary["ausgewertet"] + summary["fehler"]

    @settings(
        max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(picks=st.lists(st.integers(0, 9), min_size=0, max_size=12))
    def test_totals_are_the_sums_of_the_rows(
        self,
        bei_nrw3: teilhabe_rules.Model,
        tmp_path_factory: pytest.TempPathFactory,
        picks: list[int],
    ) -> None:
        """Any selection of the bundled cases (and broken lines: 8, 9): rows = evaluated + errors,
        the totals are the sums of the rows, the difference is new − old."""
        lines = POPULATION.read_text(encoding="utf-8").splitlines() + [
            "[1, 2]",
            '{"erstellt_am": 3}',
        ]
        folder = tmp_path_factory.mktemp("auswahl")
        cases = folder / "fälle.jsonl"
        cases.write_text("".join(lines[pick] + "\n" for pick in picks), encoding="utf-8")
        summary = compare(bei_nrw3, None, cases, figures=YEAR, out=folder / "v.csv")
        rows = csv_rows(folder / "v.csv")
        good = [row for row in rows if row["status"] == "ok"]
        assert summary.rows == len(picks) == summary.evaluated + summary.errors == len(rows)
        assert summary.errors == sum(pick >= 8 for pick in picks)
        assert summary.total_old == sum((Decimal(r["budget.alt [EUR]"]) for r in good), Decimal(0))
        assert summary.total_new == sum((Decimal(r["budget.neu [EUR]"]) for r in good), Decimal(0))
        assert summary.difference == summary.total_new - summary.total_old


class TestUsage:
    """Names that are no numeric values, different units, and mixes of the two forms: exit 2, a
    German message, the usage of both forms — and no output written."""

    @pytest.mark.parametrize(
        ("extra", "message"),
        [
            (
                ["--alt", "budgetvergleich_al", "--neu", YEAR[1]],
                "--alt: „budgetvergleich_al“ ist kein Wert von „bei_nrw3“ (meinten Sie „budgetvergleich_alt“?)",
            ),
            (
                ["--alt", YEAR[0], "--neu", "budgetvergleich_neuu"],
                "--neu: „budgetvergleich_neuu“ ist kein Wert von „bei_nrw3“ (meinten Sie „budgetvergleich_neu“?)",
            ),
            (
                ["--alt", YEAR[0], "--neu", "budgetvergleich_neu_monat"],
                "--alt „budgetvergleich_alt“ (EUR) und --neu „budgetvergleich_neu_monat“ (EUR/Monat) haben "
                "verschiedene Einheiten (meinten Sie „budgetvergleich_neu“?)",
            ),
            (
                ["--alt", "budgetvergleich", "--neu", YEAR[1]],
                "--alt: „budgetvergleich“ ist kein Zahlenwert von „bei_nrw3“, sondern vom Typ ja_nein",
            ),
            (
                ["--alt", "zeitabschnitte[].vergleich_alt", "--neu", YEAR[1]],
                "--alt: „zeitabschnitte[].vergleich_alt“ liegt in der Liste „zeitabschnitte“ von „bei_nrw3“",
            ),
            (
                ["--alt", "tage_je_monat", "--neu", YEAR[1]],
                "--alt: „tage_je_monat“ ist ein Parameter von „bei_nrw3“, kein Wert eines Falls",
            ),
            (
                ["--alt", "leistungstyp", "--neu", YEAR[1]],
                "--alt: „leistungstyp“ ist eine Eingabe von „bei_nrw3“, kein berechneter Wert",
            ),
            (
                ["--alt", YEAR[0], "--neu", YEAR[0]],
                "--alt und --neu nennen beide „budgetvergleich_alt“",
            ),
            (["--alt", YEAR[0]], "--alt ohne --neu"),
            (["--neu", YEAR[1]], "--neu ohne --alt"),
            (
                ["--alt", YEAR[0], "--neu", YEAR[1], "--at-old", "2026-01-01"],
                "--at-old/--stichtag-alt gilt für den Vergleich zweier Modelle; mit --alt/--neu wird jeder Fall "
                "einmal ausgewertet und die beiden Werte sind das Budget; für das eine Modell: --stichtag DATUM",
            ),
            (
                ["--alt", YEAR[0], "--neu", YEAR[1], "--vereinbarung-neu", str(AGREEMENT)],
                "--agreement-new/--vereinbarung-neu gilt für den Vergleich zweier Modelle",
            ),
            (
                ["--alt", YEAR[0], "--neu", YEAR[1], "--budget", "gesamtbudget"],
                "--budget gilt für den Vergleich zweier Modelle",
            ),
            (
                ["--alt", YEAR[0], "--neu", YEAR[1], "--werte", "alle"],
                "--values/--werte gilt für den Vergleich zweier Modelle",
            ),
            ([], "compare: zu wenige Angaben"),
        ],
    )
    def test_refused(self, tmp_path: Path, extra: list[str], message: str) -> None:
        code, out, err = run(
            "compare",
            MODEL,
            POPULATION,
            *extra,
            "--out",
            tmp_path / "v.csv",
            "--summary",
            tmp_path / "s.json",
        )
        assert code == 2 and out == ""
        assert err.startswith(f"teilhabe-rules: {message}")
        assert err.endswith(
            "Aufruf: teilhabe-rules compare ALT NEU FÄLLE [Optionen]\n"
            "        teilhabe-rules compare MODELL FÄLLE --alt FIGUR --neu FIGUR [Optionen]\n"
        )
        assert list(tmp_path.iterdir()) == []

    @pytest.mark.parametrize(
        ("argv", "message"),
        [
            (
                f"compare {MODEL} {MODEL} {POPULATION} --alt {YEAR[0]} --neu {YEAR[1]}",
                "mit --alt/--neu vergleicht compare zwei Werte eines Modells, ohne zweites Modell",
            ),
            (f"compare {MODEL} --alt {YEAR[0]} --neu {YEAR[1]}", "compare: die Population fehlt"),
            (f"compare mawo mawo_2025 {POPULATION} extra", "compare: zu viele Angaben"),
            (
                f"compare mawo mawo_2025 {POPULATION} --vereinbarung {AGREEMENT}",
                "--vereinbarung gilt für zwei Werte eines Modells (--alt/--neu); für zwei Modelle: "
                "--vereinbarung-alt DATEI und/oder --vereinbarung-neu DATEI",
            ),
        ],
    )
    def test_mixed_forms(self, argv: str, message: str) -> None:
        code, out, err = run(*shlex.split(argv))
        assert code == 2 and out == "" and err.startswith(f"teilhabe-rules: {message}")
        assert "teilhabe-rules compare MODELL FÄLLE --alt FIGUR --neu FIGUR [Optionen]" in err

    def test_the_two_model_form_takes_its_operands_in_any_place(self, tmp_path: Path) -> None:
        """As before: positionals may stand between the options."""
        (tmp_path / "zwei.rules").write_text(TWO_RATES, encoding="utf-8")
        cases = population(tmp_path / "fälle.jsonl", 20)
        outputs = []
        for number, argv in enumerate(
            (
                ["zwei.rules", "zwei.rules", cases, "--values", "keine"],
                ["zwei.rules", "--values", "keine", "zwei.rules", cases],
                ["--values", "keine", "zwei.rules", "zwei.rules", cases],
            )
        ):
            target = tmp_path / f"v{number}.csv"
            code, out, _ = run(
                "compare",
                *[tmp_path / a if a == "zwei.rules" else a for a in argv],
                "--out",
                target,
            )
            assert code == 0
            outputs.append((out.replace(str(tmp_path), ""), target.read_bytes()))
        assert outputs[0] == outputs[1] == outputs[2]


class TestLibrary:
    """``compare(…, figures=(ALT, NEU))`` and :func:`figure_field`."""

    def test_new_is_none_or_the_same_model(self, bei_nrw3: teilhabe_rules.Model) -> None:
        alone = compare(bei_nrw3, None, POPULATION, figures=YEAR).to_dict()
        same = compare(bei_nrw3, bei_nrw3, POPULATION, figures=YEAR).to_dict()
        alone.pop("sekunden"), same.pop("sekunden")
        assert alone == same
        with pytest.raises(ValueError, match="two values of one model"):
            compare(bei_nrw3, teilhabe_rules.bundled("bei_nrw2"), POPULATION, figures=YEAR)

    @pytest.mark.parametrize(
        "mixed",
        [
            {"at_old": None, "values": "alle"},
            {"budget": "gesamtbudget"},
            {"agreement_new": AGREEMENT},
        ],
    )
    def test_options_of_two_versions_are_refused(
        self, bei_nrw3: teilhabe_rules.Model, mixed: dict
    ) -> None:
        with pytest.raises(ValueError, match="belong to the comparison of two versions"):
            compare(bei_nrw3, None, POPULATION, figures=YEAR, **mixed)
        with pytest.raises(ValueError, match="belong to figures"):
            compare(bei_nrw3, bei_nrw3, POPULATION, agreement=AGREEMENT)
        with pytest.raises(ValueError, match="only with figures"):
            compare(bei_nrw3, None, POPULATION)

    def test_figure_field(self, bei_nrw3: teilhabe_rules.Model) -> None:
        field = figure_field(bei_nrw3, *MONTH)
        assert (field.name, field.kind, field.unit) == ("budget", "budget", "EUR/Monat")
        with pytest.raises(CheckError) as raised:
            figure_field(bei_nrw3, "budgetvergleich_alt", "budgetvergleich_neu_monat")
        diagnostic = raised.value.diagnostics[0]
        assert diagnostic.code == "figur" and diagnostic.message.startswith(
            "alt „budgetvergleich_alt“ (EUR) und neu"
        )

    def test_a_model_that_needs_a_date(self, tmp_path: Path) -> None:
        text = TWO_RATES.replace("  stichtag beginn\n", "").replace(
            "parameter satz_neu: EUR/h = 60",
            "parameter satz_neu: EUR/h = 60\n  ab 01.01.2025 = 62 EUR/h",
        )
        model = teilhabe_rules.loads(text, "datiert.rules")
        assert model.needs_date
        cases = population(tmp_path / "fälle.jsonl", 5)
        with pytest.raises(ValidityError) as caught:
            compare(model, None, cases, figures=("alt", "neu"))
        assert caught.value.diagnostics[0].message == ("Das Modell „zwei_saetze 1“ hat Parameter mit Werten je "
                                                       "Zeitraum und keine Eingabe „stichtag“")
        import datetime as dt

        summary = compare(model, None, cases, figures=("alt", "neu"), at=dt.date(2025, 3, 1))
        assert summary.total_new - summary.total_old == 4 * sum(Decimal(n % 101) for n in range(5))


class TestResume:
    """Interrupted and resumed: the same bytes; the figure names belong to the run's identity."""

    def interrupted(self, folder: Path, monkeypatch: pytest.MonkeyPatch, *figures: str) -> Path:
        (folder / "zwei.rules").write_text(TWO_RATES, encoding="utf-8")
        cases = population(folder / "fälle.jsonl", 1_000)
        with monkeypatch.context() as patched:
            Interrupt(patched, after=3)
            code, _, err = run(
                "compare", folder / "zwei.rules", cases, *figures, "--out", folder / "aus.csv"
            )
        assert code == EXIT_INTERRUPTED and "--fortsetzen macht dort weiter" in err
        assert partial(folder / "aus.csv").exists() and not (folder / "aus.csv").exists()
        return cases

    def test_resumed_equals_uninterrupted(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        cases = self.interrupted(tmp_path, monkeypatch, "--alt", "alt", "--neu", "neu")
        code, _, err = run(
            "compare",
            tmp_path / "zwei.rules",
            cases,
            "--alt",
            "alt",
            "--neu",
            "neu",
            "--out",
            tmp_path / "aus.csv",
            "--summary",
            tmp_path / "s.json",
            "--fortsetzen",
        )
        assert code == 1 and "fortgesetzt nach 500 Fällen" in err  # (broken lines: error rows)
        code, _, _ = run(
            "compare",
            tmp_path / "zwei.rules",
            cases,
            "--alt",
            "alt",
            "--neu",
            "neu",
            "--out",
            tmp_path / "ganz.csv",
            "--summary",
            tmp_path / "ganz.json",
        )
        assert code == 1
        assert (tmp_path / "aus.csv").read_bytes() == (tmp_path / "ganz.csv").read_bytes()
        assert without_time(tmp_path / "s.json") == without_time(tmp_path / "ganz.json")

    def test_other_figures_are_another_comparison(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        cases = self.interrupted(tmp_path, monkeypatch, "--alt", "alt", "--neu", "neu")
        code, _, err = run(
            "compare",
            tmp_path / "zwei.rules",
            cases,
            "--alt",
            "alt",
            "--neu",
            "anders",
            "--out",
            tmp_path / "aus.csv",
            "--fortsetzen",
        )
        assert code == 1
        assert (
            "stammt aus einem anderen Vergleich: die verglichenen Werte (--alt/--neu) sind anders"
            in err
        )
        assert partial(tmp_path / "aus.csv").exists()

    def test_a_comparison_of_two_versions_is_not_resumed_as_two_values(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        (tmp_path / "zwei.rules").write_text(TWO_RATES, encoding="utf-8")
        cases = population(tmp_path / "fälle.jsonl", 1_000)
        with monkeypatch.context() as patched:
            Interrupt(patched, after=3)
            rules = tmp_path / "zwei.rules"
            assert (
                run("compare", rules, rules, cases, "--out", tmp_path / "aus.csv")[0]
                == EXIT_INTERRUPTED
            )
        code, _, err = run(
            "compare",
            tmp_path / "zwei.rules",
            cases,
            "--alt",
            "alt",
            "--neu",
            "neu",
            "--out",
            tmp_path / "aus.csv",
            "--fortsetzen",
        )
        assert (
            code == 1
            and "stammt aus einem anderen Vergleich" in err
            and "die verglichenen Werte" in err
        )


class TestOutput:
    """On a console that is not UTF-8 the summary is printed with replacements, never an error."""

    def test_ascii_console(self) -> None:
        raw = io.BytesIO()
        out = io.TextIOWrapper(raw, encoding="ascii")
        code = main(
            ["compare", str(MODEL), str(POPULATION), "--alt", YEAR[0], "--neu", YEAR[1]],
            out,
            io.StringIO(),
        )
        out.flush()
        text = raw.getvalue().decode("ascii")
        assert code == 0
        assert text.startswith(
            "Budgetvergleich bei_nrw3 3.0: budgetvergleich_alt -> budgetvergleich_neu\n"
        )
        assert "  Differenz: -17.819,46\n" in text and "Faelle: 8" in text


class TestDocs:
    """docs/models/bei_nrw3.md section 7 shows the command with the output it prints."""

    def test_section_7_shows_the_real_output(self, monkeypatch: pytest.MonkeyPatch) -> None:
        doc = (ROOT / "docs" / "models" / "bei_nrw3.md").read_text(encoding="utf-8")
        section = doc.split("## 7. ", 1)[1].split("\n## 8. ", 1)[0]
        blocks = re.findall(r"^```console\n(.*?)^```$", section, re.S | re.M)
        assert len(blocks) == 1
        command, *expected = blocks[0].splitlines()
        assert command.startswith("$ teilhabe-rules compare models/bei_nrw3.rules ")
        monkeypatch.chdir(ROOT)
        code, out, err = run(*shlex.split(command[2:])[1:])
        assert code == 0 and err == ""
        assert out.splitlines() == expected
        assert "gibt es in\nder Bibliothek noch nicht" not in section
