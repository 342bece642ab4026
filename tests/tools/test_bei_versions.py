"""BEI_NRW: the version follows the creation date of the Fortschreibung."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import teilhabe_rules

ROOT = Path(__file__).resolve().parents[2]


class TestChooseByCreationDate:
    """``teilhabe_rules.choose`` picks among the bundled models by validity."""

    @pytest.mark.parametrize(
        ("date", "name"),
        [
            (dt.date(2021, 11, 1), "bei_nrw2"),
            (dt.date(2025, 8, 26), "bei_nrw2"),
            (dt.date(2025, 8, 27), "bei_nrw3"),
            (dt.date(2027, 1, 1), "bei_nrw3"),
        ],
    )
    def test_model_valid_on_the_date(self, date: dt.date, name: str) -> None:
        assert teilhabe_rules.choose("BEI_NRW", date).name == name

    def test_before_every_version_is_an_error_listing_the_validities(self) -> None:
        with pytest.raises(teilhabe_rules.ValidityError, match="gilt am 01.01.2020") as info:
            teilhabe_rules.choose("BEI_NRW", dt.date(2020, 1, 1))
        assert "bei_nrw2: gültig ab 01.11.2021 bis 26.08.2025" in info.value.render()


class TestWrongVersion:
    """A 2.0-era case evaluated with the 3.0 model names the model valid then."""

    def test_error_names_the_right_version(self) -> None:
        model = teilhabe_rules.bundled("bei_nrw3")
        with pytest.raises(teilhabe_rules.ValidityError,
                           match=r"erstellt_am 10.03.2025 liegt außerhalb der Gültigkeit von „bei_nrw3 3.0“") as info:
            model.evaluate(ROOT / "examples" / "bei_nrw2" / "fall_2_0.toml")
        assert "für diesen Tag gilt das Modell „bei_nrw2“" in info.value.render()

    def test_the_right_version_evaluates_the_case(self) -> None:
        case = ROOT / "examples" / "bei_nrw2" / "fall_2_0.toml"
        created = teilhabe_rules.bundled("bei_nrw2").load_case(case).row["erstellt_am"]
        result = teilhabe_rules.choose("BEI_NRW", created).evaluate(case)
        assert result.checked.info.name == "bei_nrw2"
