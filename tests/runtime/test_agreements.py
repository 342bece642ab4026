"""Agreement files are checked against the model; each error names file, line and column."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from pathlib import Path

import pytest

import teilhabe_rules as tr
from teilhabe_rules import AgreementError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
AGREEMENTS = FIXTURES / "agreements"
CASES = FIXTURES / "cases"


@pytest.fixture(scope="module")
def model() -> tr.Model:
    return tr.load(CASES / "klein.rules")


def agreement_error(model: tr.Model, source: object) -> AgreementError:
    with pytest.raises(AgreementError) as info:
        model.load_agreement(source)  # type: ignore[arg-type]
    return info.value


@pytest.fixture(scope="module")
def error(model: tr.Model) -> AgreementError:
    """The error of ``fehler.toml``: five wrong entries."""
    try:
        model.load_agreement(AGREEMENTS / "fehler.toml")
    except AgreementError as exc:
        return exc
    pytest.fail("fehler.toml was accepted")


def line_of(file: Path, text: str) -> int:
    """The 1-based number of the only line of ``file`` that contains ``text``."""
    lines = [n for n, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1) if text in line]
    assert len(lines) == 1, (text, lines)
    return lines[0]


def diagnostic_with(error: AgreementError, fragment: str) -> tr.Diagnostic:
    found = [d for d in error.diagnostics if fragment in d.message]
    assert len(found) == 1, (fragment, [d.message for d in error.diagnostics])
    return found[0]


class TestValidAgreements:
    """A valid agreement replaces parameters and table rows, and so changes the results."""

    def test_agreement_changes_results(self, model: tr.Model) -> None:
        plain = model.evaluate(CASES / "grundfall.toml")
        agreed = model.evaluate(CASES / "grundfall.toml", AGREEMENTS / "gut.toml")
        # 100.5 h at 50 % (row "2" replaced) + 10 h = 60.25 h; × 70 EUR/h = 4217.50; + 120 (row "1" replaced)
        assert agreed.value("massnahmen[1].anteil") == Decimal("0.50")
        assert agreed.value("stunden_gesamt") == Decimal("60.25")
        assert agreed.value("pflege") == Decimal("120")
        assert agreed.value("betrag") == Decimal("4337.50")
        assert plain.value("betrag") == Decimal("4619.50")
        assert agreed.to_dict()["vereinbarung"] == "Haus Test – Vereinbarung 2025"
        assert plain.to_dict()["vereinbarung"] is None

    def test_row_override_leaves_other_rows(self, model: tr.Model) -> None:
        agreement = model.load_agreement(AGREEMENTS / "gut.toml")
        pool = next(rows for tid, rows in agreement.tables.items() if tid.endswith("poolanteil"))
        assert pool[2] == Decimal("0.50")
        assert pool[1] == Decimal("1") and pool[3] == Decimal("0.45")

    def test_parameter_as_number_or_quantity(self, model: tr.Model) -> None:
        as_number = model.load_agreement(AGREEMENTS / "zahl.toml")
        as_quantity = model.load_agreement({"parameter": {"satz": "70 EUR/h"}})
        assert as_number.parameters == as_quantity.parameters
        satz = next(v for pid, v in as_number.parameters.items() if pid.endswith("satz"))
        assert satz == Decimal("70")
        result = model.evaluate(CASES / "grundfall.toml", as_number)
        assert result.value("betrag") == Decimal("5372.75")  # 75.325 h × 70 EUR/h + 100 EUR/Jahr

    def test_agreement_as_mapping_with_number_and_percent(self, model: tr.Model) -> None:
        agreement = model.load_agreement({"tabellen": {"poolanteil": {"3": 40, "2": "60 %"}}})
        pool = next(rows for tid, rows in agreement.tables.items() if tid.endswith("poolanteil"))
        assert pool[3] == Decimal("0.40") and pool[2] == Decimal("0.60")

    def test_empty_agreement_keeps_the_model_values(self, model: tr.Model) -> None:
        agreed = model.evaluate(CASES / "grundfall.toml", {})
        assert agreed.value("betrag") == model.evaluate(CASES / "grundfall.toml").value("betrag")


class TestAgreementErrors:
    """Each wrong entry is one error, with a did-you-mean where one fits, at its own line."""

    def test_all_errors_together(self, error: AgreementError) -> None:
        assert len(error.diagnostics) == 5
        assert error.to_dict()["fehlerart"] == "vereinbarung"

    def test_unknown_parameter_with_did_you_mean(self, error: AgreementError) -> None:
        found = diagnostic_with(error, "„sats“")
        assert found.hint is not None and "satz" in found.hint

    def test_wrong_unit(self, error: AgreementError) -> None:
        found = diagnostic_with(error, "grenze_gering")
        assert "h/Tag" in found.message and "min/Tag" in found.message

    def test_out_of_range(self, error: AgreementError) -> None:
        found = diagnostic_with(error, "„satz“")
        assert "500" in found.message and "10 bis 200 EUR/h" in found.message

    def test_unknown_table_with_did_you_mean(self, error: AgreementError) -> None:
        found = diagnostic_with(error, "poolantel")
        assert found.hint is not None and "poolanteil" in found.hint

    def test_bad_row_key(self, error: AgreementError) -> None:
        found = diagnostic_with(error, "pflegezuschlag")
        assert "„3“" in found.message and "0, 1, 2" in found.message

    @pytest.mark.parametrize(
        ("fragment", "line_text", "column_text"),
        [
            ("„sats“", "sats = 70", "sats"),
            ("grenze_gering", 'grenze_gering = "7 h/Tag"', "grenze_gering"),
            ("„satz“", "satz = 500", "satz"),
            ("poolantel", "[tabellen.poolantel]", "poolantel"),
            ("pflegezuschlag", '"3" = 300', "3"),
        ],
    )
    def test_file_line_column(self, error: AgreementError, fragment: str, line_text: str, column_text: str) -> None:
        found = diagnostic_with(error, fragment)
        file = AGREEMENTS / "fehler.toml"
        assert found.location is not None
        assert Path(found.location.file) == file
        assert found.location.line == line_of(file, line_text)
        assert found.location.column == line_text.index(column_text) + 1
        assert found.source_line == line_text
        assert f"fehler.toml:{found.location.line}:{found.location.column}: fehler:" in error.render()

    def test_model_name_mismatch(self, model: tr.Model) -> None:
        error = agreement_error(model, AGREEMENTS / "anderes_modell.toml")
        assert len(error.diagnostics) == 1
        found = error.diagnostics[0]
        assert "gross" in found.message and "klein" in found.message
        assert found.location is not None
        assert found.location.line == line_of(AGREEMENTS / "anderes_modell.toml", 'modell = "gross"')

    def test_unknown_section(self, model: tr.Model, tmp_path: Path) -> None:
        file = tmp_path / "abschnitt.toml"
        file.write_text('[vereinbarung]\nmodell = "klein"\n\n[parameters]\nsatz = 70\n', encoding="utf-8")
        found = agreement_error(model, file).diagnostics[0]
        assert "parameters" in found.message
        assert found.location is not None and found.location.line == 4

    @pytest.mark.parametrize("section", ["parameter", "tabellen", "vereinbarung"])
    def test_section_that_is_not_a_table(self, model: tr.Model, tmp_path: Path, section: str) -> None:
        file = tmp_path / "form.toml"
        file.write_text(f'{section} = 5\n', encoding="utf-8")
        found = agreement_error(model, file).diagnostics[0]
        assert section in found.message
        assert found.location is not None and found.location.line == 1

    def test_an_entry_above_every_section_is_told_where_it_belongs(self, model: tr.Model, tmp_path: Path) -> None:
        """``modell = …`` or a parameter written before its section's header: one error each, saying
        which section takes it (not "unknown section", nor the model missing besides)."""
        file = tmp_path / "oben.toml"
        file.write_text('modell = "klein"\nsatz = "70 EUR/h"\nfoo = 1\n\n[parameter]\n', encoding="utf-8")
        found = agreement_error(model, file).diagnostics
        assert [(d.message, d.hint, d.location.line if d.location else None) for d in found] == [
            ("„modell“ steht vor jedem Abschnitt: es gehört in [vereinbarung]",
             "schreibe [vereinbarung] in eine Zeile über „modell = …“", 1),
            ("„satz“ steht vor jedem Abschnitt: es gehört in [parameter]",
             "schreibe [parameter] in eine Zeile über „satz = …“", 2),
            ("Unbekannter Eintrag „foo“ vor jedem Abschnitt",
             "Einträge stehen in [vereinbarung], [parameter] oder [tabellen.NAME]", 3)]
        # written twice, a table, an array of tables, and the mapping form (no header lines there)
        DELETE_ABOVE = "lösche die Zeile vor den Abschnitten"  # noqa: N806
        file.write_text('modell = "klein"\nsatz = "70 EUR/h"\npoolanteil = 5\n[vereinbarung]\nmodell = "klein"\n'
                        '[parameter]\nsatz = "70 EUR/h"\n[[liste]]\na = 1\n', encoding="utf-8")
        assert [(d.message, d.hint) for d in agreement_error(model, file).diagnostics] == [
            ("„modell“ steht zweimal: vor jedem Abschnitt und in [vereinbarung]", DELETE_ABOVE),
            ("„satz“ steht zweimal: vor jedem Abschnitt und in [parameter]", DELETE_ABOVE),
            ("„poolanteil“ steht vor jedem Abschnitt: es gehört in [tabellen.poolanteil]",
             "eine Tabelle steht als Abschnitt [tabellen.poolanteil] mit einer Zeile „Schlüssel = Wert“ je Zeile"),
            ("Unbekannter Abschnitt „liste“", "erlaubt: [vereinbarung], [parameter], [tabellen.NAME]")]
        assert [(d.message, d.hint) for d in agreement_error(model, {"satz": "70 EUR/h"}).diagnostics] == [
            ("„satz“ steht außerhalb jedes Abschnitts: es gehört unter „parameter“", '{"parameter": {"satz": …}}')]

    def test_table_that_is_not_rows(self, model: tr.Model) -> None:
        found = agreement_error(model, {"tabellen": {"poolanteil": 5}}).diagnostics[0]
        assert "poolanteil" in found.message

    def test_keys_of_a_mapping_that_are_not_text_are_named_by_their_text(self, model: tr.Model) -> None:
        messages = [d.message for d in agreement_error(
            model, {1: {}, "parameter": {None: 5}, "tabellen": {2.5: {}}, "vereinbarung": {3: "x"}}).diagnostics]
        assert {"Unbekannter Abschnitt „1“", "Das Modell hat keinen Parameter „None“",
                "Das Modell hat keine Tabelle „2.5“", "Unbekannter Eintrag „3“ in [vereinbarung]"} <= set(messages)

    def test_a_row_key_of_a_mapping_may_be_a_number(self, model: tr.Model) -> None:
        agreed = model.load_agreement({"tabellen": {"poolanteil": {2: "50 %"}}})
        assert agreed.tables["poolanteil"][2] == Decimal("0.5")

    def test_row_with_too_many_keys(self, model: tr.Model) -> None:
        found = agreement_error(model, {"tabellen": {"poolanteil": {"1, 2": "50 %"}}}).diagnostics[0]
        assert "„1, 2“" in found.message

    def test_row_value_out_of_the_value_type(self, model: tr.Model) -> None:
        found = agreement_error(model, {"tabellen": {"pflegezuschlag": {"1": "5 EUR/h"}}}).diagnostics[0]
        assert "EUR/h" in found.message and "EUR/Jahr" in found.message

    def test_invalid_toml_names_file_and_line(self, model: tr.Model) -> None:
        error = agreement_error(model, AGREEMENTS / "kaputt.toml")
        found = error.diagnostics[0]
        assert found.location is not None
        assert Path(found.location.file).name == "kaputt.toml"
        assert found.location.line == line_of(AGREEMENTS / "kaputt.toml", 'satz = "70 EUR/h')

    def test_missing_file(self, model: tr.Model, tmp_path: Path) -> None:
        error = agreement_error(model, tmp_path / "fehlt.toml")
        assert "fehlt.toml" in error.render()


class TestCorridors:
    """Corridor bounds that are parameters are re-checked with the agreed values."""

    def test_agreement_that_opens_a_gap(self, model: tr.Model) -> None:
        error = agreement_error(model, AGREEMENTS / "luecke.toml")
        assert len(error.diagnostics) == 1
        found = error.diagnostics[0]
        assert "Lücke" in found.message and "lp2a" in found.message
        assert "5" in found.message and "7" in found.message
        assert found.location is not None
        assert found.location.line == line_of(AGREEMENTS / "luecke.toml", "grenze_gering")

    def test_agreement_that_makes_bands_overlap(self, model: tr.Model) -> None:
        error = agreement_error(model, AGREEMENTS / "ueberschneidung.toml")
        found = error.diagnostics[0]
        assert "überschneiden" in found.message
        assert found.location is not None
        assert found.location.line == line_of(AGREEMENTS / "ueberschneidung.toml", "grenze_mittel")

    def test_moving_both_bounds_together_is_fine(self, model: tr.Model) -> None:
        agreement = model.load_agreement({"parameter": {"grenze_gering": 5, "grenze_mittel": "5 min/Tag"}})
        result = model.evaluate(CASES / "grundfall.toml", agreement)
        assert result.value("lp2a.summe") == Decimal("7")
        assert result.value("lp2a.stufe") == 2  # 7 min/Tag now lies above 5
        assert model.evaluate(CASES / "grundfall.toml").value("lp2a.stufe") == 1


class TestHeader:
    """The header ``[vereinbarung]`` is strict: known keys only, ``modell`` required."""

    def test_unknown_keys_with_did_you_mean_and_the_missing_model(self, model: tr.Model) -> None:
        file = AGREEMENTS / "kopf_fehler.toml"
        error = agreement_error(model, file)
        assert [d.message for d in error.diagnostics] == [
            "Unbekannter Eintrag „modul“ in [vereinbarung]",
            "Unbekannter Eintrag „gueltig_ab“ in [vereinbarung]",
            "Die Vereinbarung nennt ihr Modell nicht: in [vereinbarung] fehlt „modell“",
        ]
        modul, gueltig, missing = error.diagnostics
        assert modul.hint == "meinten Sie „modell“?" and gueltig.hint == "meinten Sie „gültig_ab“?"
        assert modul.location is not None and modul.location.line == line_of(file, "modul =")
        assert gueltig.location is not None and gueltig.location.line == line_of(file, "gueltig_ab")
        assert missing.location is not None and missing.location.line == line_of(file, "[vereinbarung]")
        assert missing.hint == 'modell = "klein"'

    @pytest.mark.parametrize("text", ['[parameter]\nsatz = 70\n', '[vereinbarung]\nname = "ohne Modell"\n'])
    def test_a_file_must_name_its_model(self, model: tr.Model, tmp_path: Path, text: str) -> None:
        file = tmp_path / "ohne.toml"
        file.write_text(text, encoding="utf-8")
        (found,) = agreement_error(model, file).diagnostics
        assert "fehlt „modell“" in found.message

    def test_a_mapping_with_a_header_must_name_its_model_one_without_need_not(self, model: tr.Model) -> None:
        assert "fehlt „modell“" in agreement_error(model, {"vereinbarung": {"name": "x"}}).message
        assert model.load_agreement({"parameter": {"satz": 70}}).parameters["satz"] == Decimal(70)

    @pytest.mark.parametrize("source", ["file", "mapping"])
    def test_a_header_that_is_no_section_is_one_problem(self, model: tr.Model, tmp_path: Path, source: str) -> None:
        """``vereinbarung = 5``: the header is no section — said once, not its missing ``modell`` too."""
        file = tmp_path / "kopf.toml"
        file.write_text("vereinbarung = 5\n", encoding="utf-8")
        (found,) = agreement_error(model, file if source == "file" else {"vereinbarung": 5}).diagnostics
        assert found.message == "„vereinbarung“ ist ein Abschnitt [vereinbarung] mit Einträgen „name = wert“, nicht „5“"

    @pytest.mark.parametrize(("given", "shown"), [([1] * 10_000, "eine Liste"), (None, "leer (null)"),
                                                  (5, "„5“"), (True, "ja"), ({"a": 1}, "ein Datensatz")])
    def test_a_model_name_that_is_not_text(self, model: tr.Model, given: object, shown: str) -> None:
        """Said as what it is — not a list's content, nor a value in doubled quotes („„5““)."""
        (found,) = agreement_error(model, {"vereinbarung": {"modell": given}}).diagnostics
        assert found.message == f"„modell“ ist der Name eines Modells (ein Text), nicht {shown}"
        assert found.hint == 'modell = "klein"'

    def test_a_model_name_that_is_a_number_in_the_file(self, model: tr.Model, tmp_path: Path) -> None:
        file = tmp_path / "vereinbarung.toml"
        file.write_text("[vereinbarung]\nmodell = 5\n", encoding="utf-8")
        (found,) = agreement_error(model, file).diagnostics
        assert found.message == "„modell“ ist der Name eines Modells (ein Text), nicht „5“"
        assert found.location is not None and found.location.line == 2


class TestValidity:
    """``gültig_ab``/``gültig_bis`` are checked against the evaluation date, at their line."""

    def test_inside_the_validity(self, model: tr.Model) -> None:
        agreed = model.load_agreement(AGREEMENTS / "gueltigkeit.toml")
        assert (agreed.valid_from, agreed.valid_to) == (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
        assert model.evaluate(CASES / "grundfall.toml", agreed).value("betrag") > 0  # beginn 01.01.2025

    @pytest.mark.parametrize(("day", "key"),
                             [(dt.date(2024, 12, 31), "gültig_ab"), (dt.date(2026, 1, 1), "gültig_bis")])
    def test_outside_the_validity(self, model: tr.Model, day: dt.date, key: str) -> None:
        file = AGREEMENTS / "gueltigkeit.toml"
        with pytest.raises(AgreementError) as caught:
            model.evaluate(CASES / "grundfall.toml", file, at=day)
        (found,) = caught.value.diagnostics
        assert found.message == ("Die Vereinbarung „Haus Test – Vereinbarung für 2025“ "
                                 f"gilt am {day.strftime('%d.%m.%Y')} (Stichtag) "
                                 "nicht (gültig ab 01.01.2025 bis 31.12.2025)")
        assert found.location is not None and found.location.line == line_of(file, key)
        assert found.source_line is not None and key in found.source_line

    def test_the_date_of_the_case_names_its_input(self, model: tr.Model) -> None:
        case = dict(tr.inputs.cases.read_data(CASES / "grundfall.toml"), beginn=dt.date(2026, 3, 1))
        with pytest.raises(AgreementError, match=r"gilt am 01\.03\.2026 \(beginn\) nicht"):
            model.evaluate(case, AGREEMENTS / "gueltigkeit.toml")

    def test_an_end_before_the_start_and_a_bad_date(self, model: tr.Model) -> None:
        messages = [d.message for d in agreement_error(model, {"vereinbarung": {
            "modell": "klein", "gültig_ab": "2025-06-01", "gültig_bis": "2025-01-01"}}).diagnostics]
        assert messages == ["„gültig_bis“ 01.01.2025 liegt vor „gültig_ab“ 01.06.2025"]
        (bad,) = agreement_error(model, {"vereinbarung": {"modell": "klein", "gültig_ab": "bald"}}).diagnostics
        assert bad.message.startswith("„gültig_ab“: erwartet ein Datum")

    def test_a_model_without_a_date_needs_one(self) -> None:
        plain = tr.loads('modell schlicht "S"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
                         "eingabe x: zahl von 0 bis 9\nwert y = x * 2\n", "schlicht.rules")
        agreed = plain.load_agreement({"vereinbarung": {"modell": "schlicht", "gültig_ab": "2025-01-01"}})
        with pytest.raises(AgreementError, match="braucht einen Stichtag"):
            plain.evaluate({"x": 1}, agreed)
        assert plain.evaluate({"x": 1}, agreed, at=dt.date(2025, 1, 2)).value("y") == 2


class TestRemovedRows:
    """A row agreed as „nicht vereinbart“ is removed: using it is an evaluation error naming table and key."""

    def test_using_a_removed_row(self, model: tr.Model) -> None:
        file = AGREEMENTS / "gestrichen.toml"
        agreed = model.load_agreement(file)
        with pytest.raises(tr.EvaluationError) as caught:
            model.evaluate(CASES / "grundfall.toml", agreed)  # the first measure is for two persons
        (found,) = caught.value.diagnostics
        assert found.message.startswith("Die Tabelle „poolanteil“ hat für 2 keinen Wert: nicht vereinbart")
        assert found.path == "$.massnahmen[1]"
        row_line = line_of(file, '"2" =')
        assert found.hint == f"die Vereinbarung streicht diese Zeile ({file}:{row_line})"
        # the other rows stay or are changed as agreed
        pool = next(rows for tid, rows in agreed.tables.items() if tid.endswith("poolanteil"))
        assert (pool[1], pool[3]) == (Decimal(1), Decimal("0.40")) and 2 not in pool

    def test_a_row_of_two_keys_in_bei_nrw3_is_not_priced_any_more(self, tmp_path: Path) -> None:
        bei = tr.bundled("bei_nrw3")
        case = FIXTURES.parent.parent / "examples" / "bei_nrw3" / "altsystem_lt_hbg.toml"  # LT 9, HBG 2
        file = tmp_path / "vereinbarung.toml"
        file.write_text('[vereinbarung]\nmodell = "bei_nrw3"\n\n'
                        '[tabellen.massnahmepauschale]\n"9, 1" = "70.15 EUR/Tag"\n"9, 2" = "nicht vereinbart"\n',
                        encoding="utf-8")
        assert bei.evaluate(case).value("massnahmepauschale_tag") == Decimal("89.70")  # the model's illustrative price
        with pytest.raises(tr.EvaluationError) as caught:
            bei.evaluate(case, file)
        message = caught.value.diagnostics[0].message
        assert "„massnahmepauschale“" in message and "(9, 2)" in message and "nicht vereinbart" in message

    def test_a_removed_row_must_be_a_row_of_the_table(self, model: tr.Model) -> None:
        (found,) = agreement_error(model, {"tabellen": {"pflegezuschlag": {"7": "nicht vereinbart"}}}).diagnostics
        assert "„7“" in found.message

    def test_a_misspelt_removal_gets_a_hint(self, model: tr.Model) -> None:
        (found,) = agreement_error(model, {"tabellen": {"poolanteil": {"2": "nicht vereinbar"}}}).diagnostics
        assert found.hint == "eine Zeile ohne Wert: „nicht vereinbart“"



class TestLargeAgreements:
    """A large agreement is indexed in one pass; at most 100 errors are reported one by one."""

    def test_twenty_thousand_unknown_parameters_fail_fast(
            self, model: tr.Model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        from teilhabe_rules.inputs import agreements
        from teilhabe_rules.inputs.cases import MAX_REPORTED

        suggested: list[str] = []

        def counting(name: str, candidates: object) -> str | None:
            suggested.append(name)
            return None

        monkeypatch.setattr(agreements, "did_you_mean", counting)
        file = tmp_path / "viele.toml"
        file.write_text('[vereinbarung]\nmodell = "klein"\n[parameter]\n'
                        + "".join(f"unbekannt_{i} = 1\n" for i in range(20_000)), encoding="utf-8")
        started = time.perf_counter()
        found = agreement_error(model, file).diagnostics
        assert time.perf_counter() - started < 5  # about 0.15 s; was quadratic (hours at the cap)
        assert len(found) == MAX_REPORTED + 1
        assert len(suggested) == MAX_REPORTED  # did-you-mean only for the errors shown
        assert [(d.message, d.location.line) for d in found[:2]] == [
            ("Das Modell hat keinen Parameter „unbekannt_0“", 4),
            ("Das Modell hat keinen Parameter „unbekannt_1“", 5)]
        assert found[MAX_REPORTED - 1].location.line == 3 + MAX_REPORTED
        rest = found[-1]  # counts the rest, located at the first of them
        count = 20_000 - MAX_REPORTED
        assert rest.message == f"… und {count} weitere Fehler in dieser Vereinbarung"
        where = (rest.location.file, rest.location.line, rest.location.column)
        assert where == (str(file), 4 + MAX_REPORTED, 1)
        assert rest.source_line == f"unbekannt_{MAX_REPORTED} = 1" and rest.hint is not None

    def test_the_text_is_scanned_once(
            self, model: tr.Model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        from teilhabe_rules.inputs import agreements

        scanned: list[str] = []
        keys_of = agreements._Located._keys_of

        def counting(line: str) -> set[str]:
            scanned.append(line)
            return keys_of(line)

        monkeypatch.setattr(agreements._Located, "_keys_of", staticmethod(counting))
        file = tmp_path / "gestrichen.toml"
        lines = ["[vereinbarung]", 'modell = "klein"', "[tabellen.poolanteil]",
                 *(f'"{n}" = "nicht vereinbart"' for n in range(2, 5_002))]
        file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        started = time.perf_counter()
        agreed = model.load_agreement(file)
        assert time.perf_counter() - started < 5  # about 0.05 s
        assert len(scanned) <= len(lines)  # each line once, however many rows are located
        pool = next(rows for tid, rows in agreed.tables.items() if tid.endswith("poolanteil"))
        assert list(pool) == [1]
        assert pool.removed[5_001] == f"{file}:{len(lines)}"  # type: ignore[attr-defined]

    def test_keys_are_located_in_their_section(self, model: tr.Model, tmp_path: Path) -> None:
        file = tmp_path / "abschnitte.toml"
        file.write_text('[vereinbarung]\nmodell = "klein"\nfalsch = 1\n\n[ "parameter" ]\n'
                        '"satz" = "5 EUR/h"\nfalsch = 2\n\'mit = im Namen\' = 3\n\n'
                        '[ tabellen . poolanteil ]\n"x" = "1 %"\n', encoding="utf-8")
        found = sorted((d.location.line, d.location.column, d.message.split(":")[0])
                       for d in agreement_error(model, file).diagnostics)
        assert found == [
            (3, 1, "Unbekannter Eintrag „falsch“ in [vereinbarung]"),
            (6, 2, "Parameter „satz“"),
            (7, 1, "Das Modell hat keinen Parameter „falsch“"),
            (8, 2, "Das Modell hat keinen Parameter „mit = im Namen“"),
            (11, 2, "Tabelle „poolanteil“, Zeile „x“")]


def test_a_computed_value_in_an_agreement_is_named_as_such(tmp_path: Path) -> None:
    """BEI_NRW 3.0 computes ``qa_satz`` from the Korridormodell; an agreement that sets it is told
    so, instead of being offered a similar parameter name."""
    path = tmp_path / "v.toml"
    path.write_text('[vereinbarung]\nmodell = "bei_nrw3"\n\n[parameter]\nqa_satz = "61 EUR/h"\n', encoding="utf-8")
    with pytest.raises(tr.AgreementError) as caught:
        tr.bundled("bei_nrw3").load_agreement(path)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.message == (
        "„qa_satz“ ist ein berechneter Wert des Modells, kein Parameter: eine Vereinbarung setzt nur Parameter"
    )
    assert diagnostic.location is not None and diagnostic.location.line == 5
    assert "meinten Sie" not in (diagnostic.hint or "")


def test_an_agreed_table_row_is_checked_as_a_rule_file_row(tmp_path: Path) -> None:
    """A row of an agreed table whose key lies outside the key's range, or that names a row
    given above once more in another spelling (``1.0``, `` 01 `` beside ``1``), is an error at its
    line — as in a rule file — not a row no case reads, nor the last spelling silently winning."""
    model = tr.loads('modell tk "T"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
                     "eingabe s: ganzzahl von 0 bis 3\n"
                     'tabelle z "Z": ganzzahl von 0 bis 3 -> h teilweise\n  0: 0 h\n  1: 1 h\nende\n'
                     "wert w: h = z[s]\n")
    agreement = tmp_path / "v.toml"
    agreement.write_text('[vereinbarung]\nname = "x"\nmodell = "tk"\n[tabellen.z]\n"7" = "5 h"\n"1" = "2 h"\n'
                         '"1.0" = "3 h"\n" 01 " = "4 h"\n"3" = "6 h"\n', encoding="utf-8")
    error = agreement_error(model, agreement)
    found = [(d.message, d.location.line if d.location else None) for d in error.diagnostics]
    assert found == [("Tabelle „z“, Zeile „7“: der Schlüssel 7 liegt außerhalb von 0 bis 3", 5),
                     ("Tabelle „z“: die Zeile „1.0“ ist dieselbe wie „1“ (doppelt)", 7),
                     ("Tabelle „z“: die Zeile „ 01 “ ist dieselbe wie „1“ (doppelt)", 8)]
    agreement.write_text('[vereinbarung]\nname = "x"\nmodell = "tk"\n[tabellen.z]\n"1" = "2 h"\n"3" = "6 h"\n',
                         encoding="utf-8")
    agreed = model.load_agreement(agreement)
    assert [model.evaluate({"s": s}, agreed).frame.values(["w"]) for s in (0, 1, 3)] == [
        (Decimal(0),), (Decimal(2),), (Decimal(6),)]
    two = tr.loads('modell tk "T"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
                   "eingabe s: ganzzahl von 0 bis 9\neingabe t: ganzzahl von 0 bis 3\n"
                   'tabelle z "Z": ganzzahl von 0 bis 9, ganzzahl von 0 bis 3 -> h teilweise\n  0, 0: 0 h\nende\n'
                   "wert w: h = z[s, t]\n")
    agreement.write_text('[vereinbarung]\nname = "x"\nmodell = "tk"\n[tabellen.z]\n"5, 5" = "5 h"\n',
                         encoding="utf-8")
    assert [d.message for d in agreement_error(two, agreement).diagnostics] == [
        "Tabelle „z“, Zeile „5, 5“: der Schlüssel 5 liegt außerhalb von 0 bis 3"]  # (the second key's range)


@pytest.mark.parametrize(("bundled", "table", "row", "value"), [
    ("bei_nrw3", "gruppenanteil", "2", "-55 %"),
    ("bei_nrw3", "gruppenanteil", "2", "155 %"),
    ("bei_nrw3", "massnahmepauschale", "9, 1", "-68.40 EUR/Tag"),
    ("bei_nrw2", "gruppenanteil", "3", "-1 %"),
    ("mawo", "poolanteil", "2", "101 %"),
    ("mawo", "lp0_bewertung", "2", "-25 %"),
    ("mawo", "pflegeminuten", "3", "-5 min/Tag"),
    ("mawo_2025", "pflegeminuten", "5", "1441 min/Tag"),
    ("mawo", "lp1a_zeit", "1", "-5 min/Tag"),
    ("mawo", "lp2a_zeit", "2", "-14 min/Tag"),
    ("mawo", "lp3a_zeit", "2", "-6.75 h/Woche"),
    ("mawo", "lp3b_zeit", "2", "-20 h/Jahr"),
    ("bei_nrw3", "massnahmepauschale", "9, 1", "6840 EUR/Tag"),
])
def test_a_bundled_tables_value_outside_its_range_is_refused(bundled: str, table: str, row: str, value: str,
                                                             tmp_path: Path) -> None:
    """A share below 0 % or above 100 %, a negative amount or time in an agreement's table is an
    error at its row — not a negative number of hours or euros."""
    file = tmp_path / "vereinbarung.toml"
    file.write_text(f'[vereinbarung]\nmodell = "{bundled}"\n\n[tabellen.{table}]\n"{row}" = "{value}"\n',
                    encoding="utf-8")
    error = agreement_error(tr.bundled(bundled), file)
    (diagnostic,) = error.diagnostics
    assert diagnostic.message.startswith(f"Tabelle „{table}“, Zeile „{row}“: „{value}“ liegt außerhalb von ")
    assert diagnostic.location is not None and diagnostic.location.line == 5
    assert diagnostic.hint is not None and "deklariert als" in diagnostic.hint


@pytest.mark.parametrize(("table", "row", "value"), [("poolanteil", "x", "50 %"), ("lp0_bewertung", "7", "50 %")])
def test_a_refused_row_key_has_no_hint_about_the_tables_values(table: str, row: str, value: str) -> None:
    """The hint naming a table's value type belongs to a refused value, not to a refused key."""
    error = agreement_error(tr.bundled("mawo"), {"tabellen": {table: {row: value}}})
    (diagnostic,) = error.diagnostics
    assert f"Zeile „{row}“" in diagnostic.message
    assert diagnostic.hint is None or "deklariert als" not in diagnostic.hint


class TestLoadedForAnotherModel:
    """An agreement loaded by one model holds that model's tables and was checked against its
    declarations: another model refuses it rather than evaluate with them. The same model loaded
    again, or handed to another process, takes it."""

    PERSON = Path(__file__).resolve().parents[2] / "examples" / "mawo"

    def person_2025(self, tmp_path: Path) -> Path:
        """The MAWo Grundfall in 2025, with care level 5 (whose minutes mawo_2025 raises 36 → 40)."""
        text = (self.PERSON / "person_grundfall.toml").read_text(encoding="utf-8")
        case = tmp_path / "person_2025.toml"
        case.write_text(text.replace("zeitraum_ab = 2024-07-01", "zeitraum_ab = 2025-07-01")
                        .replace("pflegegrad = 3", "pflegegrad = 5"), encoding="utf-8")
        return case

    @pytest.mark.parametrize("source", ["file", "mapping"])
    def test_a_variant_refuses_its_base_models_agreement(self, tmp_path: Path, source: str) -> None:
        base, variant = tr.bundled("mawo"), tr.bundled("mawo_2025")
        agreement: Path | dict[str, object] = (self.PERSON / "vereinbarung_haus_linde.toml" if source == "file"
                                              else {"parameter": {"njaz": "1620 h/VK/Jahr"}})
        case = self.person_2025(tmp_path)
        expected = variant.evaluate(case, agreement)  # given as it is, the variant loads it itself
        assert expected.value("bewohner[1].lp2b.zeit") == 40
        loaded = base.load_agreement(agreement)
        for call in (lambda: variant.evaluate(case, loaded), lambda: variant.evaluate_many([{}], loaded),
                     lambda: variant.load_agreement(loaded)):
            with pytest.raises(AgreementError) as info:
                call()
            (found,) = info.value.diagnostics
            assert "wurde für das Modell „mawo“ geladen, nicht für „mawo_2025“" in found.message
            assert found.hint is not None and "Model.load_agreement" in found.hint
        assert variant.evaluate(case, variant.load_agreement(agreement)) == expected

    def test_another_model_refuses_it_with_its_message_not_a_missing_table(self) -> None:
        loaded = tr.bundled("mawo").load_agreement({})
        bei = tr.bundled("bei_nrw3")
        with pytest.raises(AgreementError, match="für das Modell „mawo“ geladen, nicht für „bei_nrw3“"):
            bei.evaluate(Path(__file__).resolve().parents[2] / "examples/bei_nrw3/eigene_haeuslichkeit.toml", loaded)

    def test_the_same_model_loaded_again_or_unpickled_takes_it(self, model: tr.Model) -> None:
        import pickle

        loaded = model.load_agreement(AGREEMENTS / "gueltigkeit.toml")
        expected = model.evaluate(CASES / "grundfall.toml", loaded)
        for again in (tr.load(CASES / "klein.rules"), pickle.loads(pickle.dumps(model))):
            assert again.evaluate(CASES / "grundfall.toml", loaded) == expected
            assert again.evaluate(CASES / "grundfall.toml", pickle.loads(pickle.dumps(loaded))) == expected

    def test_the_same_file_by_another_path_or_a_copy_elsewhere_takes_it(self, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
        """The identity is the rule texts, not the files' names: the same file loaded by a relative
        and by an absolute path, or a copy of it (and of its base file) in another folder, takes
        the agreement loaded by the other."""
        rules = Path(__file__).resolve().parents[2] / "models"
        for name in ("mawo.rules", "mawo_2025.rules"):
            (tmp_path / name).write_text((rules / name).read_text(encoding="utf-8"), encoding="utf-8")
        monkeypatch.chdir(rules.parent)
        case = self.person_2025(tmp_path)
        agreement = self.PERSON / "vereinbarung_haus_linde.toml"
        for name in ("mawo.rules", "mawo_2025.rules"):
            loaded = tr.load(Path("models") / name).load_agreement(agreement)
            expected = tr.load(rules / name).evaluate(case, agreement)
            for again in (tr.load(rules / name), tr.load(tmp_path / name)):
                found = again.evaluate(case, loaded)
                for path in ("budget_jahr", "bewohner[1].lp2b.zeit"):
                    assert found.value(path) == expected.value(path)
