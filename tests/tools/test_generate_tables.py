"""``generate`` writes tables in the flat layout the population reader reads: CSV (plain and
German Excel), XLSX and Parquet give back the generated cases (as the case loader sees them)."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import teilhabe_rules
from teilhabe_rules.cli import main
from teilhabe_rules.errors import CaseError
from teilhabe_rules.inputs.population import read_population
from teilhabe_rules.inputs.tabular import assemble, flatten, parse_column
from teilhabe_rules.shipped import model_files
from tests.hypothesis_budget import examples

pytest.importorskip("teilhabe_rules.tools.strategies")
from teilhabe_rules.tools.compare import generate_population  # noqa: E402
from teilhabe_rules.tools.strategies import sample_cases  # noqa: E402

MODELS = {path.stem: teilhabe_rules.load(path) for path in model_files()}
TABLES = ("csv", "csv-de", "xlsx", "parquet")
SUFFIX = {"csv": ".csv", "csv-de": ".csv", "xlsx": ".xlsx", "parquet": ".parquet"}
ROOT = Path(__file__).resolve().parents[2]


def read_back(path: Path) -> list[dict[str, Any]]:
    with read_population(path) as population:
        rows = list(population)
    out = []
    for row in rows:
        data, error = row.decoded()
        assert error is None, (row.id, error)
        out.append(data)
    return out


def assert_same_cases(model: teilhabe_rules.Model, generated: list[dict[str, Any]], read: list[dict[str, Any]]) -> None:
    assert len(read) == len(generated)
    for number, (want, got) in enumerate(zip(generated, read, strict=True), start=1):
        assert model.load_case(got).row == model.load_case(want).row, f"Fall {number}"
        result, expected = model.evaluate(got).to_dict(), model.evaluate(want).to_dict()
        assert numeric(result["ergebnis"]) == numeric(expected["ergebnis"]), f"Fall {number}"
        assert result["warnungen"] == expected["warnungen"], f"Fall {number}"


def numeric(value: Any) -> Any:
    """A result's JSON form with each number text as its Decimal (``15.0`` equals ``15``: a
    Parquet column has one scale)."""
    if isinstance(value, dict):
        return {key: numeric(item) for key, item in value.items()}
    if isinstance(value, list):
        return [numeric(item) for item in value]
    if isinstance(value, str):
        try:
            return Decimal(value)
        except ArithmeticError:
            return value
    return value


@pytest.mark.parametrize("name", sorted(MODELS))
@settings(max_examples=examples(4), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), n=st.integers(1, 6), fmt=st.sampled_from(TABLES))
def test_generated_tables_read_back_as_the_generated_cases(name: str, seed: int, n: int, fmt: str,
                                                          tmp_path: Path) -> None:
    model = MODELS[name]
    target = tmp_path / f"{name}-{seed}-{fmt}{SUFFIX[fmt]}"
    assert generate_population(model, n, seed, target, fmt=fmt, method="hypothesis") == n
    assert_same_cases(model, list(sample_cases(model, n, seed)), read_back(target))


@settings(max_examples=examples(10), deadline=None)
@given(seed=st.integers(0, 10**6))
def test_flatten_is_the_inverse_of_assemble(seed: int) -> None:
    """Nested MAWo offers (residents with measures) and BEI_NRW 3 (periods with measures beside
    billing months) give back their data, one row per list element."""
    for name in ("mawo_2025", "bei_nrw3"):
        cases = list(sample_cases(MODELS[name], 3, seed))
        rows = [row for number, case in enumerate(cases, start=1) for row in flatten(case, number)]
        names = sorted({column for row in rows for column in row}, key=lambda c: (c != "fall", c))
        columns = [parse_column(index, text) for index, text in enumerate(names, start=1)]
        table = [(line, [row.get(text) for text in names], None, 0) for line, row in enumerate(rows, start=2)]
        assembled = list(assemble(columns, table))
        assert len(assembled) == len(cases)
        for case, data in zip(assembled, cases, strict=True):
            assert case.data is not None
            assert MODELS[name].load_case(case.data).row == MODELS[name].load_case(data).row


def test_a_resident_with_measures_is_a_row_per_measure() -> None:
    offer = {"name": "Haus", "bewohner": [
        {"kuerzel": "A", "massnahmen": [{"stunden": Decimal("1.5")}, {"stunden": 2}]},
        {"kuerzel": "B", "lp2a": {"kap4": 3}},
    ]}
    assert flatten(offer, "H") == [
        {"fall": "H", "name": "Haus", "bewohner[].kuerzel": "A", "bewohner[].massnahmen[].stunden": Decimal("1.5")},
        {"fall": "H", "bewohner[].massnahmen[].stunden": 2},
        {"fall": "H", "bewohner[].kuerzel": "B", "bewohner[].lp2a.kap4": 3},
    ]


@pytest.mark.parametrize("data", [
    {"bewohner": [{"massnahmen": [{"stunden": 1}]}]},  # an element of nothing but a list: no row of its own
    {"name": "1,5"},  # read as a number
    {"name": " A"},  # read without the blank
    {"name": "[1]"},  # read as JSON
])
def test_what_the_layout_cannot_say_is_an_error(data: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="JSON Lines"):
        flatten(data)


def test_german_excel_profile(tmp_path: Path) -> None:
    target = tmp_path / "angebote.csv"
    out, err = io.StringIO(), io.StringIO()
    assert main(["generate", "mawo_2025", "-n", "3", "--seed", "2", "--format", "csv-de", "--out", str(target)],
                out, err) == 0, err.getvalue()
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbffall;name;zeitraum_ab;")
    text = raw.decode("utf-8-sig")
    assert re.search(r";\d\d\.\d\d\.\d{4};", text) and not re.search(r"\d{4}-\d\d-\d\d", text)
    assert ";ja;" in text or ";nein;" in text
    assert any("," in cell and cell.replace(",", "").isdigit() for cell in text.replace("\n", ";").split(";"))
    assert "3 Fälle von „mawo_2025“ (Startwert 2) geschrieben" in out.getvalue()
    with read_population(target) as population:
        list(population)
        assert population.properties.describe().startswith("CSV · Trennzeichen „;“ · Dezimalkomma (erkannt)")


def test_parquet_numbers_are_exact_decimals_and_xlsx_numbers_are_numbers(tmp_path: Path) -> None:
    import duckdb
    import openpyxl

    model = MODELS["mawo_2025"]
    generate_population(model, 5, 4, tmp_path / "f.parquet", method="hypothesis")  # the flat layout
    with duckdb.connect() as connection:
        types = dict(connection.execute("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM "
                                        "read_parquet(?))", [str(tmp_path / "f.parquet")]).fetchall())
    assert types["bewohner[].massnahmen[].stunden_je_werktag"].startswith("DECIMAL(38,")
    assert types["bewohner[].pflegegrad"] == "BIGINT" and types["zeitraum_ab"] == "DATE"
    assert not any(kind in ("DOUBLE", "FLOAT") for kind in types.values())
    generate_population(model, 5, 4, tmp_path / "f.xlsx")
    book = openpyxl.load_workbook(tmp_path / "f.xlsx", read_only=True)
    try:
        rows = list(book.worksheets[0].iter_rows(values_only=True))
    finally:
        book.close()
    column = rows[0].index("plaetze")
    assert all(isinstance(row[column], int) for row in rows[1:] if row[column] is not None)


def test_csv_is_written_row_by_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rows of the cases generated so far are written before the next case is drawn."""
    import teilhabe_rules.tools.strategies as strategies

    model = MODELS["mawo_2025"]
    real = list(sample_cases(model, 2, 1))
    stream = io.StringIO()

    def cases(*_: Any, **__: Any) -> Any:
        yield from real
        assert stream.getvalue().count("\n") >= 3  # the header and both cases' rows
        raise strategies.GeneratorError("Abbruch")

    monkeypatch.setattr(strategies, "sample_cases", cases)
    with pytest.raises(CaseError, match="Abbruch"):
        generate_population(model, 5, 1, stream, fmt="csv")


def test_split_populations_as_tables(tmp_path: Path) -> None:
    model = MODELS["mawo_2025"]
    generate_population(model, 4, 3, tmp_path / "p.jsonl", split="bewohner", method="hypothesis")
    generate_population(model, 4, 3, tmp_path / "p.xlsx", split="bewohner")
    assert_same_cases(model, read_back(tmp_path / "p.jsonl"), read_back(tmp_path / "p.xlsx"))
    assert all(len(case["bewohner"]) == 1 for case in read_back(tmp_path / "p.xlsx"))


@pytest.mark.parametrize("arguments", [
    ["--out", "fälle.txt"],
    ["--out", "fälle.csv", "--format", "tsv"],
    ["--format", "xlsx"],  # a workbook on the standard output
    ["--out", ".", "--format", "csv"],  # a directory
])
def test_an_unknown_format_is_a_usage_error(arguments: list[str], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    assert main(["generate", "mawo_2025", "-n", "1", *arguments], out, err) == 2
    assert "generate:" in err.getvalue() and list(tmp_path.iterdir()) == []


def test_csv_on_the_standard_output(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["generate", "bei_nrw3", "-n", "2", "--format", "csv-de"], out, err) == 0, err.getvalue()
    target = tmp_path / "f.csv"
    target.write_text(out.getvalue(), encoding="utf-8")
    assert_same_cases(MODELS["bei_nrw3"], list(sample_cases(MODELS["bei_nrw3"], 2, 0)), read_back(target))


def test_a_quoted_cell_may_hold_line_ends(tmp_path: Path) -> None:
    """In a table with a ``fall`` column, as Excel writes a cell with Alt+Enter; a quote that never
    closes is still an error of its own line, and the rows below are read. Without the column
    every line stays a row of its own."""
    target = tmp_path / "f.csv"
    target.write_text('fall;name\n1;"Zeile 1\nZeile 2"\n2;B\n', encoding="utf-8")
    with read_population(target) as population:
        rows = [(row.id, row.data, row.line, row.last_line) for row in population]
    assert rows == [("1", {"name": "Zeile 1\nZeile 2"}, 2, 2), ("2", {"name": "B"}, 4, 4)]
    target.write_text('fall;name\n1;"offen\n2;B\n', encoding="utf-8")
    with read_population(target) as population:
        broken = list(population)
    assert broken[0].error is not None and "Anführungszeichen wird nicht geschlossen" in broken[0].error
    assert (broken[1].id, broken[1].data, broken[1].line) == ("2", {"name": "B"}, 3)
    target.write_text('name\n"Zeile 1\nZeile 2"\nB\n', encoding="utf-8")  # no key: a line is a row
    with read_population(target) as population:
        single = list(population)
    assert len(single) == 3 and single[0].error is not None and single[2].data == {"name": "B"}


def test_the_format_named_wins_over_the_suffix(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    target = tmp_path / "fälle.txt"
    assert main(["generate", "bei_nrw2", "-n", "2", "--format", "jsonl", "--out", str(target)], out, err) == 0
    assert len(target.read_text(encoding="utf-8").splitlines()) == 2


@pytest.mark.parametrize(("fmt", "name", "named", "endings"), [
    ("parquet", "fälle.jsonl", "jsonl", ".parquet"),
    ("jsonl", "fälle.PARQUET", "parquet", ".jsonl oder .ndjson"),
    ("csv", "fälle.xlsx", "xlsx", ".csv"),
    ("csv-de", "fälle.ndjson", "jsonl", ".csv"),
    ("xlsx", "fälle.csv", "csv", ".xlsx"),
])
def test_a_format_the_suffix_contradicts_is_a_usage_error(fmt: str, name: str, named: str, endings: str,
                                                          tmp_path: Path) -> None:
    """``--format parquet --out fälle.jsonl`` would write a Parquet file under a JSON Lines name:
    refused, nothing written — on ``eval`` and ``compare`` too. A suffix that names no format, or
    ``csv-de`` with ``.csv``, goes with the format named."""
    target = tmp_path / name
    suffix = target.suffix
    for command in (["generate", "bei_nrw2", "-n", "2"],
                    ["eval", "bei_nrw2", str(ROOT / "examples" / "bei_nrw2" / "fall_2_0.toml")],
                    ["compare", "mawo", "mawo_2025", str(ROOT / "examples" / "mawo"), "--at", "2025-03-01"]):
        out, err = io.StringIO(), io.StringIO()
        assert main([*command, "--format", fmt, "--out", str(target)], out, err) == 2
        assert err.getvalue().splitlines()[0] == (
            f"teilhabe-rules: {command[0]}: --format {fmt} und --out „{target}“ widersprechen sich: die Endung "
            f"„{suffix.lower()}“ steht für {named} — eine {fmt}-Datei endet auf {endings}, oder --format weglassen "
            "(dann gilt die Endung)")
        assert out.getvalue() == "" and list(tmp_path.iterdir()) == []
    for fine, free in (("csv-de", "fälle.csv"), ("jsonl", "fälle.ndjson"), ("parquet", "fälle")):
        out, err = io.StringIO(), io.StringIO()
        assert main(["generate", "bei_nrw2", "-n", "2", "--format", fine, "--out", str(tmp_path / free)],
                    out, err) == 0, err.getvalue()
