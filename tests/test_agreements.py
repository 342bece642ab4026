"""Agreement files are checked against the model; each error names file, line and column."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import teilhabe_rules as tr
from teilhabe_rules import AgreementError

FIXTURES = Path(__file__).parent / "fixtures"
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

    def test_table_that_is_not_rows(self, model: tr.Model) -> None:
        found = agreement_error(model, {"tabellen": {"poolanteil": 5}}).diagnostics[0]
        assert "poolanteil" in found.message

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
