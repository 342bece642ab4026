"""Populations in every format read the same cases: CSV (German or plain), XLSX, Parquet, JSONL, folders."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import teilhabe_rules
from teilhabe_rules import CaseError
from teilhabe_rules.inputs.population import Population, count_rows, read_population
from teilhabe_rules.inputs.tabular import DecimalMark, parse_column
from teilhabe_rules.tools.compare import compare
from tests.hypothesis_budget import examples

ROOT = Path(__file__).resolve().parents[2]

FLAT = """\
modell flach "Flaches Modell"
  version "1"
  gültig ab 01.01.2024
  stichtag beginn
  budget betrag
ende
eingabe beginn: datum
eingabe stunden: zahl h/Jahr von 0 bis 1000
eingabe name: text standard ""
parameter satz: EUR/h = 60
wert betrag: EUR/Jahr = stunden * satz
"""


@pytest.fixture(scope="module")
def flat() -> teilhabe_rules.Model:
    return teilhabe_rules.loads(FLAT, "flach.rules")


def rows(path: Path, **options: str) -> list[tuple[str, object, str | None]]:
    with read_population(path, **options) as population:
        return [(row.id, row.data, row.error) for row in population]


class TestGermanExcelCsv:
    """A CSV saved by German Excel (``;``, decimal comma, BOM, umlauts) reads as the same cases."""

    TEXT = "beginn;stunden;name\n01.03.2025;250,5;Jürgen Müller\n01.03.2025;12;Änne\n"

    def test_rows_and_properties(self, tmp_path: Path) -> None:
        path = tmp_path / "fälle.csv"
        path.write_bytes(codecs.BOM_UTF8 + self.TEXT.encode("utf-8"))
        with read_population(path) as population:
            found = [(row.id, row.data, row.line) for row in population]
            properties = population.properties
        assert found == [("Zeile 2", {"beginn": "01.03.2025", "stunden": "250.5", "name": "Jürgen Müller"}, 2),
                         ("Zeile 3", {"beginn": "01.03.2025", "stunden": "12", "name": "Änne"}, 3)]
        read = (properties.separator, properties.decimal, properties.encoding, properties.bom)
        assert read == (";", ",", "UTF-8", True)
        assert properties.describe() == "CSV · Trennzeichen „;“ · Dezimalkomma (erkannt) · UTF-8 mit BOM"

    def test_compares_like_the_plain_csv(self, flat: teilhabe_rules.Model, tmp_path: Path) -> None:
        german = tmp_path / "de.csv"
        german.write_bytes(codecs.BOM_UTF8 + self.TEXT.encode("utf-8"))
        plain = tmp_path / "en.csv"
        plain.write_text("beginn,stunden,name\n2025-03-01,250.5,Jürgen Müller\n2025-03-01,12,Änne\n", encoding="utf-8")
        a, b = compare(flat, flat, german), compare(flat, flat, plain)
        assert a.errors == b.errors == 0
        assert a.total_old == b.total_old == Decimal("15750.0")
        assert "Dezimalkomma (erkannt)" in a.render_text() and "Dezimalpunkt (erkannt)" in b.render_text()
        assert a.to_dict()["eingabe"]["dezimalzeichen"] == ","

    def test_the_separator_can_be_given(self, tmp_path: Path) -> None:
        path = tmp_path / "fälle.csv"
        path.write_text(self.TEXT, encoding="utf-8")
        with pytest.raises(CaseError, match="enthält „;“: ist die Datei mit „;“ getrennt") as caught:
            read_population(path, separator=",")
        assert caught.value.diagnostics[0].location is not None
        assert rows(path, separator=";")[0][1] == {"beginn": "01.03.2025", "stunden": "250.5", "name": "Jürgen Müller"}

    def test_a_quoted_decimal_comma_in_a_comma_file_is_the_file_s_notation(self, tmp_path: Path) -> None:
        """``"250,5"`` in a comma CSV is decimal comma — for the whole file."""
        path = tmp_path / "fälle.csv"
        path.write_text('beginn,stunden\n2025-03-01,"250,5"\n2025-03-01,250.5\n2025-03-01,"1.250,5"\n',
                        encoding="utf-8")
        found = rows(path)
        assert found[0][1] == {"beginn": "2025-03-01", "stunden": "250.5"}
        assert found[1][2] == ("Spalte 2 „stunden“: „250.5“ ist mit Dezimalpunkt geschrieben, die Datei schreibt "
                               "Zahlen mit Dezimalkomma (erkannt an „250,5“ in Zeile 2, Spalte 2); eine Datei "
                               "verwendet ein Dezimalzeichen")
        assert found[2][1] == {"beginn": "2025-03-01", "stunden": "1250.5"}

    def test_a_decimal_point_file_refuses_a_comma(self, tmp_path: Path) -> None:
        path = tmp_path / "fälle.csv"
        path.write_text('beginn,stunden\n2025-03-01,250.5\n2025-03-01,"250,5"\n', encoding="utf-8")
        found = rows(path)
        assert found[0][1] == {"beginn": "2025-03-01", "stunden": "250.5"}
        assert found[1][2] is not None and "„250,5“ ist mit Dezimalkomma geschrieben" in found[1][2]
        assert rows(path, decimal=",")[0][2] is not None  # given: the first row is the odd one

    def test_latin1_is_a_located_error_naming_the_line(self, flat: teilhabe_rules.Model, tmp_path: Path) -> None:
        path = tmp_path / "fälle.csv"
        path.write_bytes("beginn;stunden;name\n01.03.2025;1;Jürgen\n01.03.2025;2;Anna\n".encode("cp1252"))
        found = rows(path)
        assert found[0][0] == "Zeile 2" and found[0][2] == (
            "die Zeile ist kein gültiges UTF-8: Byte 0xFC an Stelle 15 (eine Population ist in UTF-8 "
            "geschrieben; in Excel: Speichern unter „CSV UTF-8“)")
        assert found[1][2] is None
        assert compare(flat, flat, path).errors == 1


@pytest.mark.parametrize(("text", "header_row", "titles"), [
    ("Bestand 31.12.2024\nbeginn;stunden;name\n01.03.2025;250,5;A\n01.03.2025;12;B\n", 2, ("Bestand 31.12.2024",)),
    ("Bestand 31.12.2024;;\nbeginn;stunden;name\n01.03.2025;250,5;A\n01.03.2025;12;B\n", 2, ("Bestand 31.12.2024",)),
    ('"Bestand 31.12.2024",,\n\n;Träger X;\nbeginn,stunden,name\n01.03.2025,"250,5",A\n01.03.2025,12,B\n', 4,
     ("Bestand 31.12.2024", "Träger X")),
    ("beginn;stunden;name\n01.03.2025;250,5;A\n01.03.2025;12;B\n", None, ()),
], ids=["titel", "titel-mit-trennzeichen", "zwei-titel-und-leerzeile", "ohne-titel"])
def test_title_lines_above_a_csv_header_are_passed_over(text: str, header_row: int | None, titles: tuple[str, ...],
                                                       tmp_path: Path) -> None:
    """As in a sheet: lines of one cell above the header of a CSV file (Excel saves a title row
    as „Bestand 31.12.2024;;“) are its title, and the line of more cells below them the header;
    the cases keep their line numbers, are counted as read, and the reading says so."""
    path = tmp_path / "fälle.csv"
    path.write_text(text, encoding="utf-8")
    with read_population(path) as population:
        found = [(row.id, row.data, row.error) for row in population]
        properties = population.properties
    first = (header_row or 1) + 1
    assert found == [(f"Zeile {first}", {"beginn": "01.03.2025", "stunden": "250.5", "name": "A"}, None),
                     (f"Zeile {first + 1}", {"beginn": "01.03.2025", "stunden": "12", "name": "B"}, None)]
    assert (properties.header_row, properties.titles, properties.decimal) == (header_row, titles, ",")
    assert ("Kopfzeile in Zeile" in properties.describe()) == (header_row is not None)
    assert count_rows(path) == 2


@pytest.mark.parametrize("text", [
    "sep=;\nbeginn;stunden;name\n01.03.2025;250,5;A\n01.03.2025;12;B\n",
    "\ufeffsep=;\r\nbeginn;stunden;name\r\n01.03.2025;250,5;A\r\n01.03.2025;12;B\r\n",
    'SEP=,\nbeginn,stunden,name\n01.03.2025,"250,5",A\n01.03.2025,12,B\n',
    "sep=\t\nbeginn\tstunden\tname\n01.03.2025\t250,5\tA\n01.03.2025\t12\tB\n",
], ids=["semikolon", "bom-crlf", "komma", "tabulator"])
def test_an_excel_separator_line_above_a_csv_header_names_the_separator(
        text: str, flat: teilhabe_rules.Model, tmp_path: Path) -> None:
    """Excel's first line „sep=;“ names the separator of the lines below it: the header is the
    next line and every row below is a case (before: „Spalte 2 hat keinen Namen“, no row read)."""
    path = tmp_path / "fälle.csv"
    path.write_bytes(text.encode("utf-8"))
    with read_population(path) as population:
        found = [(row.id, row.data, row.error) for row in population]
        properties = population.properties
    assert found == [("Zeile 3", {"beginn": "01.03.2025", "stunden": "250.5", "name": "A"}, None),
                     ("Zeile 4", {"beginn": "01.03.2025", "stunden": "12", "name": "B"}, None)]
    assert (properties.header_row, properties.separator, properties.decimal) == (2, text.split("\n")[0][-1:]
                                                                                .replace("\r", ";"), ",")
    assert count_rows(path) == 2
    assert compare(flat, flat, path).errors == 0


@pytest.mark.parametrize(("text", "separator"), [
    ('"sep=;"\nbeginn;stunden;name\n01.03.2025;250,5;A\n01.03.2025;12;B\n', ";"),
    ('"sep=;";;\r\nbeginn;stunden;name\r\n01.03.2025;250,5;A\r\n01.03.2025;12;B\r\n', ";"),
    ("sep=,,,\nbeginn,stunden,name\n01.03.2025,\"250,5\",A\n01.03.2025,12,B\n", ","),
], ids=["in-anfuehrungszeichen", "mit-leeren-zellen", "komma-mit-leeren-zellen"])
def test_an_excel_separator_line_saved_from_a_sheet_s_cell_names_the_separator(
        text: str, separator: str, flat: teilhabe_rules.Model, tmp_path: Path) -> None:
    """„sep=;“ typed into cell A1 of a sheet saved as CSV comes quoted and with empty cells after
    it (``"sep=;";;``): it names the separator too (before: „Spalte 1 „sep=;“ enthält „;““)."""
    path = tmp_path / "fälle.csv"
    path.write_bytes(text.encode("utf-8"))
    with read_population(path) as population:
        found = [(row.id, row.data, row.error) for row in population]
        properties = population.properties
    assert found == [("Zeile 3", {"beginn": "01.03.2025", "stunden": "250.5", "name": "A"}, None),
                     ("Zeile 4", {"beginn": "01.03.2025", "stunden": "12", "name": "B"}, None)]
    assert (properties.header_row, properties.separator) == (2, separator)
    assert count_rows(path) == 2
    assert compare(flat, flat, path).errors == 0


def test_an_excel_separator_line_against_the_given_separator_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "fälle.csv"
    path.write_text("sep=;\nbeginn;stunden\n01.03.2025;250,5\n", encoding="utf-8")
    with pytest.raises(CaseError) as caught:
        read_population(path, separator=",")
    assert caught.value.diagnostics[0].location is not None and caught.value.diagnostics[0].location.line == 1
    assert caught.value.diagnostics[0].hint
    with read_population(path, separator=";") as population:
        assert [row.error for row in population] == [None]


@pytest.mark.parametrize("text", ["name\nA\nB\nC\nD\nE\n", "name\nA\nB\n", "name\n\nA\n",
                                  "name\nAnna Maria\nA\n"])
def test_a_csv_file_of_one_column_keeps_its_first_line_as_header(text: str, tmp_path: Path) -> None:
    """Lines of one cell and no line of more below: a table of one column, read as before."""
    path = tmp_path / "namen.csv"
    path.write_text(text, encoding="utf-8")
    with read_population(path) as population:
        found = [row.data for row in population]
        assert population.properties.header_row is None
    assert found == [{"name": line} for line in text.split("\n")[1:] if line]
    assert count_rows(path) == len(found)


class TestDecimalMark:
    """A number reads in one notation per file; text that is no number stays as it is."""

    @pytest.mark.parametrize(("text", "mark", "read"), [
        ("12", None, "12"), ("-1,5", ",", "-1.5"), ("1.234,5", ",", "1234.5"), ("1.234.567", ",", "1234567"),
        ("1,234.5", ".", "1234.5"), ("15,5 min/Tag", ",", "15.5 min/Tag"), ("50,5 %", ",", "50.5 %"),
        ("01.07.2024", None, "01.07.2024"), ("2024-07-01", None, "2024-07-01"), ("1,5 Zimmer", None, "1,5 Zimmer"),
    ])
    def test_readings(self, text: str, mark: str | None, read: str) -> None:
        decimal = DecimalMark()
        assert decimal.read(text, 2, 1) == read
        assert decimal.mark == mark

    def test_grouped_thousands_in_a_decimal_comma_file(self) -> None:
        decimal = DecimalMark(",")
        assert decimal.read("1.234", 2, 1) == "1234"
        with pytest.raises(ValueError, match="so angegeben"):
            decimal.read("1.5", 2, 1)

    def test_a_number_of_both_notations_tells_nothing(self, tmp_path: Path) -> None:
        """``1.500`` is 1.5 with a decimal point and 1500 with a decimal comma grouping thousands:
        before a cell has told the file's mark it is an error (never one reading guessed), after
        one has it is read in the file's notation; ``--dezimalzeichen`` settles it."""
        unknown = DecimalMark()
        with pytest.raises(ValueError, match="„1.500“ ist mehrdeutig: mit Dezimalpunkt 1,5, mit Dezimalkomma und "
                                             "Punkten zwischen den Tausendern 1500"):
            unknown.read("1.500", 2, 2)
        assert unknown.mark is None
        assert DecimalMark().read("0.125", 2, 2) == "0.125"  # (no thousands group starts with 0: one reading)
        with pytest.raises(ValueError, match="mit Dezimalpunkt geschrieben"):
            DecimalMark(",").read("0.125", 2, 2)  # (it was 125)
        assert unknown.read("2,5", 3, 2) == "2.5" and unknown.read("1.500", 4, 2) == "1500"
        point = DecimalMark()
        assert point.read("2.25", 2, 2) == "2.25" and point.read("1.500", 3, 2) == "1.500"
        path = tmp_path / "deutsch.csv"
        path.write_text("beginn;stunden;name\n01.03.2025;1.500;a\n01.03.2025;12;b\n01.03.2025;2,5;c\n",
                        encoding="utf-8")
        found = rows(path)
        assert found[0][1] is None and "ist mehrdeutig" in str(found[0][2]) and "--dezimalzeichen" in str(found[0][2])
        assert [row[1]["stunden"] for row in found[1:]] == ["12", "2.5"]
        assert rows(path, decimal=",")[0][1] == {"beginn": "01.03.2025", "stunden": "1500", "name": "a"}
        told = tmp_path / "zeile.csv"  # a later cell of the same row tells: the cell is read in its notation
        told.write_text("beginn;stunden;satz\n01.03.2025;1.500;2,5\n01.03.2025;2.250;1\n", encoding="utf-8")
        assert [(row[1]["stunden"], row[2]) for row in rows(told)] == [("1500", None), ("2250", None)]
        commas = tmp_path / "komma.csv"  # separated by commas: a decimal comma would be quoted, 1.500 is 1.5
        commas.write_text("beginn,stunden\n2025-03-01,1.500\n2025-03-01,2.5\n", encoding="utf-8")
        assert [row[1]["stunden"] for row in rows(commas)] == ["1.500", "2.5"]

    def test_only_two_marks(self) -> None:
        with pytest.raises(ValueError, match="kein Dezimalzeichen"):
            DecimalMark(";")

    @settings(max_examples=examples(300), deadline=None)
    @given(st.text(st.sampled_from("0123456789.,+- hmin/Tag%EUR[{x"), max_size=12), st.sampled_from([None, ",", "."]))
    @example("1,5", None)
    @example("12h", None)
    @example("007", ",")
    def test_a_text_it_keeps_reads_as_itself_under_any_mark(self, text: str, mark: str | None) -> None:
        """What :meth:`DecimalMark.keeps` keeps, :meth:`DecimalMark.read` gives back as it is
        under either mark or none, and tells no mark with it."""
        decimal = DecimalMark(mark)
        if decimal.keeps(text):
            assert decimal.read(text, 2, 1) == text
            assert decimal.mark == mark

    def test_a_key_is_the_text_of_its_cell(self, tmp_path: Path) -> None:
        """A key cell is read as the text it is, without the blanks around it: never as JSON or a
        number. ``1,5`` and ``1.5`` are two cases, ``{"a":1}``, ``[3``, ``007`` and ``12h`` name
        their cases as written, under either decimal mark or none, and no key tells the file's mark."""
        path = tmp_path / "fälle.csv"
        path.write_text('fall;x\n1,5;1\n1.5;2\n"{""a"":1}";3\n[3;4\n007;5\n 12h ;6\n', encoding="utf-8")
        for mark in (None, ",", "."):
            with Population(path, decimal=mark) as population:
                found = [(row.id, row.data) for row in population]
                assert population.decimal.mark == mark
            assert found == [("1,5", {"x": "1"}), ("1.5", {"x": "2"}), ('{"a":1}', {"x": "3"}), ("[3", {"x": "4"}),
                             ("007", {"x": "5"}), ("12h", {"x": "6"})]

    def test_a_case_value_given_twice_otherwise_is_quoted_as_data_not_python(self, tmp_path: Path) -> None:
        """A value of the case in two rows of it, given otherwise in the second: the message
        quotes both as read — JSON data in JSON's notation, a number with its decimal point —
        never as Python writes them (``[Decimal('1.5'), 3]``)."""
        path = tmp_path / "zweimal.csv"
        path.write_text('fall,name,bewohner[].kuerzel\na,"[1.5, {""x"": ""ja""}]",x\na,"[1.5, 3]",y\n'
                        'b,"2,5",x\nb,"3,5",y\n', encoding="utf-8")
        assert [row[2] for row in rows(path)] == [
            'Zeile 3: Spalte „name“: „[1.5, 3]“, weiter oben (Zeile 2) „[1.5, {"x": "ja"}]“ — ein Wert des Falls '
            "steht einmal oder überall gleich",
            "Zeile 5: Spalte „name“: „3.5“, weiter oben (Zeile 4) „2.5“ — ein Wert des Falls steht einmal oder "
            "überall gleich"]

    def test_a_broken_row_is_an_error_of_the_case_its_key_names(self, tmp_path: Path) -> None:
        """A row with a cell that is none is an error of the case its key names, whatever its key
        holds and whatever the cells left of it hold; the rows below read as they did."""
        path = tmp_path / "fälle.csv"
        path.write_text("a;fall;b\n[1;1,5;\n2.5;B;\n3.5;C;\n", encoding="utf-8")
        found = rows(path)
        assert [(row[0], row[1]) for row in found] == [("1,5", None), ("B", {"a": "2.5"}), ("C", {"a": "3.5"})]
        assert found[0][2] is not None and found[0][2].startswith("Zeile 2: die Zeile lässt sich nicht lesen: Spalte 1")
        path.write_text("a;b;fall\n[1;2,5;7\n3;;8\n", encoding="utf-8")
        assert [row[0] for row in rows(path)] == ["7", "8"]
        # the case of the broken row holds the row below it of the same key, and is an error as a whole
        path.write_text("bewohner[].x;fall\n2,5;A\n[1;1,5\n2;1,5\n", encoding="utf-8")
        found = rows(path)
        assert [(row[0], row[2] is None) for row in found] == [("A", True), ("1,5", False)]
        assert found[0][1] == {"bewohner": [{"x": "2.5"}]}

    def test_a_row_of_the_wrong_width_continues_the_case_above(self, tmp_path: Path) -> None:
        """A field too many left of the key (a decimal comma unquoted in a comma-separated file)
        moves it: the row's key is not read, and the row is an error of the case above, whose
        rows below it stay in it; the case starting below it is an error too (the row may be
        its first), the one after that is read."""
        path = tmp_path / "fälle.csv"
        path.write_text("bewohner[].stunden,fall,bewohner[].name\n2,4,Anna\n1,5,4,Bert\n3,5,Carl\n3,6,Dora\n",
                        encoding="utf-8")
        found = rows(path)
        assert [(row[0], row[2]) for row in found] == [
            ("4", "Zeile 3: die Zeile hat 4 Felder, die Kopfzeile 3"),
            ("5", "Zeile 4: die Zeile 3 darüber ist nicht lesbar, auch nicht, zu welchem Fall sie gehört — "
                  "vielleicht zu diesem, der dann ohne sie gerechnet würde"),
            ("6", None)]
        assert found[2][1] == {"bewohner": [{"stunden": "3", "name": "Dora"}]}
        # a row of the case above below it: the row lies inside that case, the case below is read
        path.write_text("bewohner[].stunden,fall,bewohner[].name\n2,4,Anna\n1,5,4,Bert\n2,4,Berta\n3,5,Carl\n",
                        encoding="utf-8")
        found = rows(path)
        assert [(row[0], row[2] is None) for row in found] == [("4", False), ("5", True)]
        assert found[1][1] == {"bewohner": [{"stunden": "3", "name": "Carl"}]}

    def test_a_row_or_header_of_one_field_is_counted_in_the_singular(self, tmp_path: Path) -> None:
        path = tmp_path / "fälle.csv"
        path.write_text("name,stunden,personen\nAnna,2,1\nBert\n", encoding="utf-8")
        assert [row[2] for row in rows(path)] == [None, "die Zeile hat 1 Feld, die Kopfzeile 3"]
        path.write_text("name\nAnna\nBert,Carl\n", encoding="utf-8")
        assert [row[2] for row in rows(path)] == [None, "die Zeile hat 2 Felder, die Kopfzeile 1"]

    def test_a_row_of_the_wrong_width_keyed_in_its_first_cell_is_no_case_of_its_own(self, tmp_path: Path) -> None:
        """A separator unquoted inside the key cell itself cuts the key short and adds a field: the
        first cell of such a row is no key to trust. The row continues the case above and no case
        is evaluated without it — not „Müller, Anna“ with one of its three rows."""
        path = tmp_path / "fälle.csv"
        path.write_text('fall,bewohner[].stunden,bewohner[].name\n"Müller, Anna",2,Anna\nMüller, Anna,1,Bert\n'
                        '"Müller, Anna",3,Carl\n"Schulz",4,Dora\n', encoding="utf-8")
        found = rows(path)
        assert [(row[0], row[1] is None) for row in found] == [("Müller, Anna", True), ("Schulz", False)]

    def test_a_line_that_is_no_csv_keeps_a_key_left_of_its_quote(self, tmp_path: Path) -> None:
        """A quote that never closes: the fields left of it hold no quoting, so a key there is
        read and the line is an error of its own case; a key in or right of the quoted field is
        not known, and the case below is an error too."""
        path = tmp_path / "fälle.csv"
        path.write_text('fall;name\n1;A\n2;"offen\n3;C\n', encoding="utf-8")
        found = rows(path)
        assert [(row[0], row[1]) for row in found] == [("1", {"name": "A"}), ("2", None), ("3", {"name": "C"})]
        assert found[1][2] is not None and "Anführungszeichen wird nicht geschlossen" in found[1][2]
        path.write_text('name;fall\nA;1\n"offen;2\nC;3\nD;4\n', encoding="utf-8")
        found = rows(path)
        assert [(row[0], row[1] is None) for row in found] == [("1", True), ("3", True), ("4", False)]
        assert found[1][2] is not None and "die Zeile 3 darüber ist nicht lesbar" in found[1][2]
        # an odd quote whose lines joined are no row (here with rows of B) stands alone: its key is
        # read left of the quote; a lone carriage return: the key is not known
        for text, first in (('fall,notiz,bewohner[].pg\nA,ok,1\nA,"offen,2\nB,x,3\nB,"y,4\nB,ok,5\nC,ok,6\n', "A"),
                            ('fall,notiz,bewohner[].pg\nA,5" Monitor,1\nA,ok,2\nB,7" Monitor,3\nB,ok,4\nC,ok,5\n',
                             "A"),
                            ('fall,notiz,bewohner[].pg\nA,ok,1\nA,ok,2\rB,ok,3\nB,ok,4\nC,ok,5\n', "A")):
            path.write_bytes(text.encode("utf-8"))
            found = rows(path)
            assert [(row[0], row[1] is None) for row in found] == [(first, True), ("B", True), ("C", False)], text

    def test_a_stray_quote_takes_no_cases_below_it_up_to_the_next_cell_with_a_line_end(self, tmp_path: Path) -> None:
        """`2;"Haus Linde` and, cases later, a cell with a line end (Alt+Enter): the lines between
        were one broken row, and the cases 3 and 4 were in no row of the result at all."""
        path = tmp_path / "fälle.csv"
        path.write_text('fall;name\n1;A\n2;"Haus Linde\n3;C\n4;D\n5;"E\nzwei"\n6;F\n', encoding="utf-8")
        found = rows(path)
        assert [(row[0], row[1]) for row in found] == [("1", {"name": "A"}), ("2", None), ("3", {"name": "C"}),
                                                      ("4", {"name": "D"}), ("5", {"name": "E\nzwei"}),
                                                      ("6", {"name": "F"})]
        assert found[1][2] is not None and "Zeile 3: die Zeile ist kein gültiges CSV: ein Anführungszeichen " \
            "wird nicht geschlossen" in found[1][2]
        assert count_rows(path) == 6  # (the progress bar's count)

    @settings(max_examples=examples(200), deadline=None)
    @given(st.decimals(min_value=-10**9, max_value=10**9, places=3, allow_nan=False), st.sampled_from([",", "."]))
    @example(Decimal("1234.5"), ",")
    def test_a_number_written_in_either_notation_reads_back(self, value: Decimal, mark: str) -> None:
        text = format(value, "f").replace(".", mark)
        assert Decimal(DecimalMark(mark).read(text, 1, 1)) == value


class TestXlsx:
    """A workbook: first sheet or one named, numbers and dates as cells."""

    def workbook(self, path: Path) -> None:
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = "Notiz"
        sheet.append(["kein Fall"])
        data = book.create_sheet("Fälle")
        data.append(["beginn", "stunden", "name"])
        data.append([dt.datetime(2025, 3, 1), 250.5, "Jürgen Müller"])
        data.append([None, None, None])
        data.append([dt.date(2025, 3, 1), "12,5", "Änne"])
        data.append(["01.03.2025", 0.1, None])
        book.save(path)

    CASES = [["2025-03-01", 250.5, "Jürgen Müller"], ["2025-03-01", 12, "Änne"]]

    @pytest.mark.parametrize(("above", "header_row", "titles"), [
        ([["Bestand 31.12.2024"]], 2, ("Bestand 31.12.2024",)),
        ([["Bestand 31.12.2024"], [], [None, "Träger: Stadt X"]], 4, ("Bestand 31.12.2024", "Träger: Stadt X")),
        ([[], [dt.datetime(2024, 12, 31)], ["Eingliederungshilfe Stadt X", None, None]], 4,
         ("31.12.2024", "Eingliederungshilfe Stadt X")),
    ], ids=["titel", "zwei-titel-und-leerzeile", "datum-als-titel"])
    def test_title_rows_above_the_header_are_passed_over(
            self, flat: teilhabe_rules.Model, tmp_path: Path, above: list[list[Any]], header_row: int,
            titles: tuple[str, ...]) -> None:
        """Rows of one filled cell above the header („Bestand 31.12.2024“) are the sheet's title:
        the row of more cells below them is the header, the cases are read as without the title
        (numbered by their rows in the sheet), and how the population was read says so."""
        path = sheet_of(tmp_path / "fälle.xlsx", [*above, ["beginn", "stunden", "name"], *self.CASES])
        with read_population(path) as population:
            found = [(row.id, row.data, row.error) for row in population]
            properties = population.properties
        assert found == [(f"Zeile {header_row + 1}", {"beginn": "2025-03-01", "stunden": Decimal("250.5"),
                                                       "name": "Jürgen Müller"}, None),
                         (f"Zeile {header_row + 2}", {"beginn": "2025-03-01", "stunden": Decimal("12"),
                                                       "name": "Änne"}, None)]
        assert (properties.header_row, properties.titles) == (header_row, titles)
        shown = ", ".join(f"„{title}“" for title in titles)
        assert f"Kopfzeile in Zeile {header_row} (darüber als Titel übergangen: {shown})" in properties.describe()
        summary = compare(flat, flat, path)
        assert summary.errors == 0 and summary.total_old == Decimal("15750.0")
        assert summary.to_dict()["eingabe"]["kopfzeile"] == {"zeile": header_row, "titel": list(titles)}

    @pytest.mark.parametrize("rows", [
        [["beginn", "stunden", "name"], *CASES],
        [["name"], ["Jürgen Müller"], ["Änne"], ["Anna"], ["Ben"], ["x", "y"]],
        [["name"], ["Jürgen Müller"], ["Änne"]],
        [["name"], ["Jürgen Müller"], ["Änne", "Bert"]],
    ], ids=["kopfzeile-zuerst", "eine-spalte", "eine-spalte-kurz", "eine-spalte-und-eine-breite-zeile"])
    def test_a_header_in_the_first_row_is_the_header(self, tmp_path: Path, rows: list[list[Any]]) -> None:
        """A header in the first filled row is taken as before — also of a table of one column,
        whose rows of one cell are cases, not a title, even where a row of more cells follows:
        a cell that names a column (``name``) is no title."""
        path = sheet_of(tmp_path / "fälle.xlsx", rows)
        with read_population(path) as population:
            found = [row.id for row in population]
            properties = population.properties
        assert found == [f"Zeile {n}" for n in range(2, len(rows) + 1)]
        assert properties.header_row is None and "Kopfzeile" not in properties.describe()
        assert properties.to_dict()["kopfzeile"] is None

    def test_a_named_sheet(self, flat: teilhabe_rules.Model, tmp_path: Path) -> None:
        path = tmp_path / "fälle.xlsx"
        self.workbook(path)
        with read_population(path, sheet="Fälle") as population:
            found = [(row.id, row.data) for row in population]
            assert population.properties.describe() == "Excel (XLSX) · Blatt „Fälle“ · Dezimalkomma (erkannt)"
            assert population.empty == 1
        assert found == [
            ("Zeile 2", {"beginn": dt.date(2025, 3, 1), "stunden": Decimal("250.5"), "name": "Jürgen Müller"}),
            ("Zeile 4", {"beginn": dt.date(2025, 3, 1), "stunden": "12.5", "name": "Änne"}),
            ("Zeile 5", {"beginn": "01.03.2025", "stunden": Decimal("0.1")}),
        ]
        summary = compare(flat, flat, path, sheet="2")
        assert summary.errors == 0 and summary.total_old == Decimal("15786.0")

    def test_the_first_sheet_and_an_unknown_one(self, tmp_path: Path) -> None:
        path = tmp_path / "fälle.xlsx"
        self.workbook(path)
        assert rows(path) == []  # the first sheet has a header only
        with pytest.raises(CaseError, match="hat kein Blatt „Falle“") as caught:
            read_population(path, sheet="Falle")
        assert caught.value.diagnostics[0].hint == "meinten Sie „Fälle“?"

    def test_a_formula_without_its_value_is_an_error_of_its_row(self, tmp_path: Path) -> None:
        """A workbook written by a program holds formulas but no calculated values: such a cell
        is no empty cell (an input would silently take its default), its row is an error."""
        day = dt.date(2025, 3, 1)
        path = sheet_of(tmp_path / "formeln.xlsx", [["beginn", "stunden", "name"], [day, 12, "=\"An\"&\"ne\""],
                                                    [day, "=1+2", "Bert"], [day, 4, "Cem"]])
        found = rows(path)
        assert [row[0] for row in found] == ["Zeile 2", "Zeile 3", "Zeile 4"]
        assert found[0][1] is None and "Spalte 3 „name“: die Zelle hat die Formel „=\"An\"&\"ne\"“" in str(found[0][2])
        assert found[1][1] is None and "Spalte 2 „stunden“: die Zelle hat die Formel „=1+2“" in str(found[1][2])
        assert found[2] == ("Zeile 4", {"beginn": dt.date(2025, 3, 1), "stunden": 4, "name": "Cem"}, None)
        # as Excel saves it: the formula with its calculated value, which is read
        import zipfile
        calculated = tmp_path / "berechnet.xlsx"
        with zipfile.ZipFile(path) as source, zipfile.ZipFile(calculated, "w") as target:
            for item in source.infolist():
                data = source.read(item)
                if item.filename == "xl/worksheets/sheet1.xml":
                    data = data.replace(b"<f>1+2</f><v />", b"<f>1+2</f><v>3</v>")
                target.writestr(item, data)
        assert rows(calculated)[1] == ("Zeile 3", {"beginn": dt.date(2025, 3, 1), "stunden": 3, "name": "Bert"}, None)

    def test_a_formula_without_its_value_in_the_key_column_makes_the_case_below_an_error(
            self, tmp_path: Path) -> None:
        """Its key is not known (not empty): the row may be the first of the case below."""
        path = sheet_of(tmp_path / "fälle.xlsx", [["fall", "bewohner[].pg"], ["A", 1], ['="B"', 2], ["B", 3],
                                                  ["C", 4]])
        found = rows(path)
        assert [(row[0], row[1] is None) for row in found] == [("A", True), ("B", True), ("C", False)]
        assert "die Zeile 3 darüber ist nicht lesbar" in str(found[1][2])

    def test_a_row_that_is_no_row_is_an_error_of_the_case_its_key_names(self, tmp_path: Path) -> None:
        """A keyed row with a formula without its value, or a value right of the header, is an
        error of its own case: the case above stays whole and the case it names does not go on
        without it (it would be evaluated without the row's values)."""
        path = sheet_of(tmp_path / "fälle.xlsx", [["fall", "stunden", "bewohner[].x"], ["A", 1, "a"],
                                                  ["B", "=1+1", "p"], ["B", None, "q"], ["C", 3, "c", "rechts"],
                                                  ["C", None, "d"], ["D", 4, "e"]])
        found = rows(path)
        assert [(row[0], row[2] is None) for row in found] == [("A", True), ("B", False), ("C", False), ("D", True)]
        assert found[0][1] == {"stunden": 1, "bewohner": [{"x": "a"}]}
        assert "Zeile 3: Spalte 2 „stunden“: die Zelle hat die Formel „=1+1“" in str(found[1][2])
        assert "Zeile 5: die Zeile hat einen Wert in Spalte 4" in str(found[2][2])

    def test_numbers_to_excel_s_fifteen_digits(self, tmp_path: Path) -> None:
        """A number cell holds a double: read to the 15 significant digits Excel shows and
        calculates with (0,1 + 0,2 computed in a sheet is stored as 0.30000000000000004)."""
        path = tmp_path / "zahlen.xlsx"
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(["fall", "stunden"])
        for key, number in (("a", 0.5), ("b", 250.5), ("c", 1.5), ("d", 12.0), ("e", 7)):
            sheet.append([key, number])
        book.save(path)
        # the digits Excel writes of a computed cell (openpyxl writes fewer)
        import zipfile
        saved = tmp_path / "excel.xlsx"
        with zipfile.ZipFile(path) as source, zipfile.ZipFile(saved, "w") as target:
            for item in source.infolist():
                data = source.read(item)
                if item.filename == "xl/worksheets/sheet1.xml":
                    data = data.replace(b"<v>0.5</v>", b"<v>0.30000000000000004</v>")
                    data = data.replace(b"<v>1.5</v>", b"<v>3703.6800000000003</v>")
                target.writestr(item, data)
        found = {row[0]: row[1]["stunden"] for row in rows(saved)}  # type: ignore[index]
        assert found == {"a": Decimal("0.3"), "b": Decimal("250.5"), "c": Decimal("3703.68"), "d": Decimal("12"),
                         "e": 7}

    def test_a_stated_size_is_not_read_as_rows(self, tmp_path: Path) -> None:
        """A sheet that states the size A1:XFD1048576 and has a row at the last line is read
        as the cells it has (it took hours: a million rows of 16,384 cells each)."""
        import time
        import zipfile

        path = tmp_path / "klein.xlsx"
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(["stunden"])
        sheet.append([1])
        book.save(path)
        stated = tmp_path / "riesig.xlsx"
        with zipfile.ZipFile(path) as source, zipfile.ZipFile(stated, "w", zipfile.ZIP_DEFLATED) as target:
            for item in source.infolist():
                data = source.read(item)
                if item.filename == "xl/worksheets/sheet1.xml":
                    data = data.replace(b'<dimension ref="A1:A2" />', b'<dimension ref="A1:XFD1048576" />')
                    data = data.replace(b"</sheetData>", b'<row r="1048576"><c r="A1048576" t="n"><v>5</v></c></row>'
                                                          b"</sheetData>")
                target.writestr(item, data)
        assert stated.stat().st_size < 10_000
        start = time.process_time()
        assert rows(stated) == [("Zeile 2", {"stunden": 1}, None), ("Zeile 1048576", {"stunden": 5}, None)]
        assert time.process_time() - start < 30

    def test_a_chart_sheet(self, tmp_path: Path) -> None:
        """A chart sheet is no table: the first worksheet is read, a chart sheet named is a located
        error (it was an internal error, exit 3)."""
        from openpyxl.chart import BarChart, Reference

        path = tmp_path / "diagramm.xlsx"
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = "Fälle"
        sheet.append(["stunden"])
        sheet.append([1])
        chart = BarChart()
        chart.add_data(Reference(sheet, min_col=1, min_row=1, max_row=2))
        book.create_chartsheet("Diagramm", 0).add_chart(chart)
        book.save(path)
        assert rows(path) == [("Zeile 2", {"stunden": 1}, None)]
        for chosen in ("Diagramm", "1"):
            with pytest.raises(CaseError, match="„Diagramm“ .* ist ein Diagrammblatt") as caught:
                read_population(path, sheet=chosen)
            assert caught.value.diagnostics[0].hint == "Tabellenblätter: Fälle"
        from teilhabe_rules.cli import main

        rules = tmp_path / "flach.rules"
        rules.write_text(FLAT, encoding="utf-8")
        err = io.StringIO()
        code = main(["compare", str(rules), str(rules), str(path), "--blatt", "Diagramm"], io.StringIO(), err)
        assert code == 1 and "ist ein Diagrammblatt" in err.getvalue()

    BROKEN = {  # a part of a saved workbook → what it is replaced with (None: left out)
        "xl/workbook.xml": (b"", b"<workbook"),
        "xl/worksheets/sheet1.xml": (b"", None),
        "xl/styles.xml": (b"", b"<x"),
        "xl/_rels/workbook.xml.rels": (b"", b"<x"),
        "[Content_Types].xml": (b"", b"<x"),
        "xl/worksheets/sheet1.xml ": (b"<v>1</v>", b"<v>abc</v>"),
        "xl/worksheets/sheet1.xml  ": (b't="n"><v>1</v>', b't="d"><v>abc</v>'),
        "xl/worksheets/sheet1.xml   ": (b"</sheetData>", b"<row r="),
    }

    @pytest.mark.parametrize("part", list(BROKEN))
    def test_a_broken_workbook_is_a_located_error(self, part: str, tmp_path: Path) -> None:
        """A workbook whose parts do not parse (XML, a number, a date, a missing sheet) is a
        located CaseError and exit 1, never an internal error (exit 3)."""
        import zipfile

        from teilhabe_rules.cli import main

        path = tmp_path / "gut.xlsx"
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(["stunden"])
        sheet.append([1])
        book.save(path)
        broken = tmp_path / "kaputt.xlsx"
        old, new = self.BROKEN[part]
        with zipfile.ZipFile(path) as source, zipfile.ZipFile(broken, "w") as target:
            for item in source.infolist():
                data = source.read(item)
                if item.filename == part.strip():
                    if new is None:
                        continue
                    data = data.replace(old, new) if old else new
                    assert data != source.read(item)
                target.writestr(item, data)
        with pytest.raises(CaseError) as caught:
            rows(broken)
        location = caught.value.diagnostics[0].location
        assert location is not None and location.file == str(broken)
        rules = tmp_path / "flach.rules"
        rules.write_text(FLAT, encoding="utf-8")
        err = io.StringIO()
        code = main(["compare", str(rules), str(rules), str(broken)], io.StringIO(), err)
        assert code == 1 and "lässt sich nicht lesen" in err.getvalue() and "interner Fehler" not in err.getvalue()

    def test_a_part_read_whole_has_a_size_limit(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """Shared strings and styles are read whole: a part that unpacks to more than
        MAX_XLSX_PART bytes (a zip bomb: 256 MB of text packs into a few hundred KB) is refused
        before it is read; a sheet is read row by row and may be larger."""
        import zipfile

        from teilhabe_rules.inputs import population

        path = tmp_path / "mappe.xlsx"
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(["name"])
        for number in range(1000):
            sheet.append([f"Person {number}"])
        book.save(path)
        monkeypatch.setattr(population, "MAX_XLSX_PART", 12_000)
        with zipfile.ZipFile(path) as archive:
            sizes = {item.filename: item.file_size for item in archive.infolist()}
        assert sizes["xl/worksheets/sheet1.xml"] > 12_000 >= max(
            size for name, size in sizes.items() if name != "xl/worksheets/sheet1.xml")
        assert len(rows(path)) == 1000
        bomb = tmp_path / "bombe.xlsx"
        with zipfile.ZipFile(path) as source, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as target:
            for item in source.infolist():
                data = source.read(item)
                if item.filename == "xl/styles.xml":
                    data = data.replace(b"</styleSheet>", b"<!--" + b" " * 15_000 + b"--></styleSheet>")
                target.writestr(item.filename, data)
        with pytest.raises(CaseError, match=r"der Teil „xl/styles.xml“ der Mappe ist entpackt [\d.]+ Bytes groß "
                                            r"\(höchstens 12.000\)") as caught:
            read_population(bomb)
        assert caught.value.diagnostics[0].location is not None

    def test_not_a_workbook(self, tmp_path: Path) -> None:
        path = tmp_path / "fälle.xlsx"
        path.write_text("kein Zip", encoding="utf-8")
        with pytest.raises(CaseError, match="keine gültige Excel-Mappe"):
            read_population(path)


def no_utf8_name(folder: Path, select: str) -> Path:
    """A Parquet file of ``select`` whose name ``kuerzelXY`` is written ``kuerzel`` and two bytes
    that are no UTF-8 (as a broken footer may give)."""
    path = folder / "name.parquet"
    with duckdb.connect() as connection:
        connection.execute(f"COPY ({select}) TO '{path}' (FORMAT parquet)")
    data = path.read_bytes()
    assert b"kuerzelXY" in data
    path.write_bytes(data.replace(b"kuerzelXY", b"kuerzel\xff\xfe"))
    return path


class TestParquet:
    """Parquet through DuckDB: DECIMAL as Decimal, never a float; nested columns as lists."""

    def test_decimals_and_lists(self, tmp_path: Path) -> None:
        path = tmp_path / "fälle.parquet"
        with duckdb.connect() as connection:
            connection.execute(
                "COPY (SELECT * FROM (VALUES (DATE '2025-03-01', 250.5::DECIMAL(18,3), 'Jürgen', [1.25::DOUBLE]),"
                " (DATE '2025-03-02', 0.1::DECIMAL(18,3), 'Änne', [])) t(beginn, stunden, name, liste))"
                f" TO '{path}' (FORMAT parquet)")
        found = rows(path)
        assert found == [
            ("Zeile 1", {"beginn": dt.date(2025, 3, 1), "stunden": Decimal("250.500"), "name": "Jürgen",
                         "liste": [Decimal("1.25")]}, None),
            ("Zeile 2", {"beginn": dt.date(2025, 3, 2), "stunden": Decimal("0.100"), "name": "Änne",
                         "liste": []}, None),
        ]

    def test_not_parquet(self, tmp_path: Path) -> None:
        path = tmp_path / "fälle.parquet"
        path.write_text("kein Parquet", encoding="utf-8")
        with pytest.raises(CaseError, match="keine gültige Parquet-Datei") as raised:
            read_population(path)
        message = raised.value.diagnostics[0].message
        assert "(DuckDB: " in message and "\n" not in message and "SELECT" not in message

    @pytest.mark.parametrize("select", ["SELECT 1 AS fall, 'A' AS kuerzelXY",  # a column's name
                                        "SELECT 1 AS fall, [{'kuerzelXY': 'A'}] AS bewohner"])  # a field's
    def test_a_name_that_is_no_utf8_is_no_readable_parquet_file(self, tmp_path: Path, select: str) -> None:
        """A name in the file that is no UTF-8 (a broken footer): DuckDB's binding raises a
        UnicodeDecodeError or RuntimeError, not one of its errors — the file is still none."""
        path = no_utf8_name(tmp_path, select)
        with pytest.raises(CaseError) as raised:
            read_population(path)
        message = raised.value.diagnostics[0].message
        assert message.startswith(f"Die Population „{path}“ lässt sich nicht lesen: keine gültige Parquet-Datei (")
        assert "\n" not in message

    def test_a_row_group_that_does_not_read_names_the_file(self, tmp_path: Path) -> None:
        path = tmp_path / "spät.parquet"
        with duckdb.connect() as connection:
            connection.execute(f"COPY (SELECT range AS nr, 'Name ' || range AS name FROM range(6000)) TO '{path}' "
                               "(FORMAT parquet, ROW_GROUP_SIZE 2048)")
            (start, end), = connection.execute(
                "SELECT min(data_page_offset), max(data_page_offset + total_compressed_size) FROM parquet_metadata(?) "
                "WHERE row_group_id = 2", [str(path)]).fetchall()
        data = bytearray(path.read_bytes())
        data[start:end] = bytes(end - start)
        path.write_bytes(bytes(data))
        with pytest.raises(CaseError) as raised:
            rows(path)
        message = raised.value.diagnostics[0].message
        assert message.startswith(f"Die Population „{path}“ lässt sich nicht lesen") and "(nach Zeile 0)" not in message
        assert "keine gültige Parquet-Datei (DuckDB: " in message

    def test_a_float_column_is_read_as_its_shortest_text(self, tmp_path: Path) -> None:
        """FLOAT (32 bits, pandas' float32) holds 250.1 as 250.100006103515625: read as 250.1, as
        DOUBLE is read as the Decimal of its shortest text, in lists and records too."""
        path = tmp_path / "f32.parquet"
        with duckdb.connect() as connection:
            connection.execute(
                "COPY (SELECT * FROM (VALUES (250.1::FLOAT, [0.1::FLOAT, 2.5::FLOAT], {'a': 0.7::FLOAT}, 0.1::DOUBLE,"
                " 'x y')) t(stunden, liste, satz, doppelt, \"name \"\"z\"\"\"))"
                " TO '" + str(path) + "' (FORMAT parquet)")
        assert rows(path) == [("Zeile 1", {"stunden": Decimal("250.1"), "liste": [Decimal("0.1"), Decimal("2.5")],
                                           "satz": {"a": Decimal("0.7")}, "doppelt": Decimal("0.1"),
                                           'name "z"': "x y"}, None)]

    def test_a_float_that_is_no_finite_number_is_read_as_json_reads_it(self, tmp_path: Path) -> None:
        """NaN and the infinities of a Parquet DOUBLE column are the Decimals a JSON line's
        ``NaN``, ``Infinity``, ``-Infinity`` are — values of the case, in lists and records too,
        which the case loader refuses at their ``$.path`` — not a row that cannot be read."""
        parquet = tmp_path / "nan.parquet"
        with duckdb.connect() as connection:
            connection.execute(f"COPY (SELECT * FROM (VALUES ('a', 1.5::DOUBLE, {{'x': 1.0::DOUBLE}}), "
                               f"('b', 'nan'::DOUBLE, {{'x': 'inf'::DOUBLE}}), ('c', '-inf'::DOUBLE, NULL)) "
                               f"t(fall, \"bewohner[].stunden\", satz)) TO '{parquet}' (FORMAT parquet)")
        found = rows(parquet)
        assert [(row[0], row[2]) for row in found] == [("a", None), ("b", None), ("c", None)]
        second, third = found[1][1], found[2][1]
        assert isinstance(second, dict) and isinstance(third, dict)
        assert str(second["bewohner"][0]["stunden"]) == "NaN" and str(second["satz"]["x"]) == "Infinity"
        assert str(third["bewohner"][0]["stunden"]) == "-Infinity"

    def test_a_cell_that_is_no_value_is_named_by_its_column_s_header(self, tmp_path: Path) -> None:
        """A cell that is none — a broken JSON text in a CSV cell — is named by its column's
        number and header, as the file writes it."""
        csv_file = tmp_path / "json.csv"
        csv_file.write_text('fall,plaetze,name\na,3,x\nb,"[3",y\n', encoding="utf-8")
        (first, second) = rows(csv_file)
        assert first[2] is None and second[0] == "b"
        assert str(second[2]) == ("Zeile 3: die Zeile lässt sich nicht lesen: Spalte 2 „plaetze“: kein gültiges JSON: "
                                  "ein Komma fehlt (Stelle 3)")

    @pytest.mark.parametrize("bad", ["nan", "inf", "-inf"])
    def test_a_key_that_is_no_finite_number_is_an_unreadable_row(self, tmp_path: Path, bad: str) -> None:
        """A floating-point key column holding NaN or an infinity: that row's key is not known —
        the row continues the case above, which is an error, and the case below it too — never
        an exception; a finite key is its number's text."""
        path = tmp_path / "schluessel.parquet"
        with duckdb.connect() as connection:
            connection.execute(f"COPY (SELECT * FROM (VALUES (1.0::DOUBLE, 1), ('{bad}'::DOUBLE, 2), (2.5::DOUBLE, 3),"
                               f" (4.0::DOUBLE, 4)) t(fall, x)) TO '{path}' (FORMAT parquet)")
        found = rows(path)
        assert [(row[0], row[2] is None) for row in found] == [("1.0", False), ("2.5", False), ("4.0", True)]
        assert "keine endliche Zahl" in found[0][2]

    def test_an_infinite_date_is_no_last_day(self, tmp_path: Path) -> None:
        """DuckDB gives Python ``DATE 'infinity'`` as 31.12.9999 and ``-infinity`` as 01.01.0001: read
        as those words (which no date input takes), in lists, records and maps too, while a real
        31.12.9999 stays a date; a BIT string is bytes, not a number's digits; a record field
        may be named like a type."""
        path = tmp_path / "unendlich.parquet"
        with duckdb.connect() as connection:
            connection.execute(
                "COPY (SELECT * FROM (VALUES (1, DATE 'infinity', [DATE '2025-01-01'], {'FLOAT': 0.5::FLOAT}),"
                " (2, DATE '9999-12-31', [DATE '9999-12-31', NULL], {'FLOAT': NULL}),"
                " (3, DATE '2025-03-01', [DATE '-infinity'], {'FLOAT': 1.5::FLOAT})) t(nr, beginn, tage, satz))"
                f" TO '{path}' (FORMAT parquet)")
            relation = connection.sql(
                "SELECT 1 AS nr, {'bis': DATE 'infinity'} AS zeit, MAP {'a': DATE 'infinity'} AS k, '0101'::BIT AS "
                "stunden, DATE '9999-12-31' AS echt, union_value(d := DATE '-infinity')::UNION(d DATE, n INT) AS u, "
                "MAP {DATE 'infinity': 1} AS schluessel UNION ALL SELECT 2, {'bis': DATE '9999-12-31'}, "
                "MAP {'a': DATE '2025-01-01'}, '1'::BIT, DATE '9999-12-31', union_value(n := 3), "
                "MAP {DATE '2025-01-01': 2}")
            found = [(row.id, *row.decoded()) for row in Population.of_relation(relation)]
        last = dt.date(9999, 12, 31)
        assert rows(path) == [
            ("Zeile 1", {"nr": 1, "beginn": "infinity", "tage": [dt.date(2025, 1, 1)],
                         "satz": {"FLOAT": Decimal("0.5")}}, None),
            ("Zeile 2", {"nr": 2, "beginn": last, "tage": [last, None], "satz": {}}, None),
            ("Zeile 3", {"nr": 3, "beginn": dt.date(2025, 3, 1), "tage": ["-infinity"],
                         "satz": {"FLOAT": Decimal("1.5")}}, None),
        ]
        assert found == [  # (a real 31.12.9999 beside an infinite date stays a date)
            ("Zeile 1", {"nr": 1, "zeit": {"bis": "infinity"}, "k": {"a": "infinity"}, "stunden": b"\x05",
                         "echt": last, "u": "-infinity", "schluessel": {"infinity": 1}}, None),
            ("Zeile 2", {"nr": 2, "zeit": {"bis": last}, "k": {"a": dt.date(2025, 1, 1)}, "stunden": b"\x01",
                         "echt": last, "u": 3, "schluessel": {"2025-01-01": 2}}, None),
        ]
        model = teilhabe_rules.loads(
            'modell d "D"\n  version "1"\n  gültig ab 01.01.2024\n  stichtag beginn\nende\n'
            "eingabe beginn: datum\nwert tage: Tage = kalendertage(01.01.2024, beginn)\n", "d.rules")
        result = model.evaluate_many(_dates_file(tmp_path))
        assert [row["tage"] for row in result.rows()] == [Decimal(367)]
        assert [problems[0][0] for problems in (e.problems for e in result.errors)] == [
            "erwartet ein Datum (JJJJ-MM-TT oder TT.MM.JJJJ), nicht „infinity“",
            "erwartet ein Datum (JJJJ-MM-TT oder TT.MM.JJJJ), nicht „-infinity“"]

    @staticmethod
    def one_row(path: Path, name: str) -> None:
        with duckdb.connect() as connection:
            connection.execute(f"COPY (SELECT '{name}' AS name) TO '{path}' (FORMAT parquet)")

    def test_reads_the_named_file_only(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """A name with pattern characters is that file, not a pattern of other files; a pattern
        that names no file is a missing file (never the files it would match)."""
        for name in ("b1", "c1", "[bc]1"):
            self.one_row(tmp_path / f"{name}.parquet", name.strip("[]"))
        assert rows(tmp_path / "[bc]1.parquet") == [("Zeile 1", {"name": "bc]1"}, None)]
        monkeypatch.chdir(tmp_path)
        assert rows(Path("[bc]1.parquet")) == [("Zeile 1", {"name": "bc]1"}, None)]
        from teilhabe_rules.inputs.population import count_rows
        assert count_rows(tmp_path / "[bc]1.parquet") == 1
        for pattern in ("*.parquet", "?1.parquet", "[c]1.parquet"):
            with pytest.raises(CaseError, match="die Datei fehlt"):
                read_population(tmp_path / pattern)
            assert count_rows(tmp_path / pattern) is None

    def test_home_is_not_expanded(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        home = tmp_path / "home"
        home.mkdir()
        self.one_row(home / "x.parquet", "daheim")
        (tmp_path / "work" / "~").mkdir(parents=True)
        self.one_row(tmp_path / "work" / "~" / "x.parquet", "hier")
        monkeypatch.setenv("HOME", str(home))
        monkeypatch.chdir(tmp_path / "work")
        assert rows(Path("~/x.parquet")) == [("Zeile 1", {"name": "hier"}, None)]


class TestFlatLayout:
    """Nested lists written flat: one row per element below its case's key."""

    def test_columns(self) -> None:
        column = parse_column(3, "bewohner[].massnahmen[].stunden")
        assert (column.lists, column.steps) == ((("bewohner",), ("massnahmen",)), ("stunden",))
        assert parse_column(1, "fall").key
        for bad in ("bewohner[]", "[].x", "bewohner[]x"):
            with pytest.raises(ValueError):
                parse_column(1, bad)

    @pytest.mark.parametrize(("header", "words"), [
        ("plaetze.", "nach einem Punkt fehlt ein Name"),
        ("bewohner[1]..pflegegrad", "nach einem Punkt fehlt ein Name"),
        ("bewohner[1.pflegegrad", "„[1“ ist nicht mit „]“ geschlossen"),
        ("bewohner[²].pflegegrad", "„[²]“ ist kein Listenindex (ab 1)"),
    ])
    def test_a_header_that_is_no_path_is_refused_in_german(self, header: str, words: str) -> None:
        """A header cell with a dot, bracket or digit too many or too few names no input: it is
        refused, saying why — not read as the column it nearly names."""
        with pytest.raises(ValueError) as info:
            parse_column(1, header)
        assert str(info.value) == words

    def test_the_six_residents_of_haus_linde_as_one_table(self, tmp_path: Path) -> None:
        """Haus Linde as a flat CSV (offer, residents, measures) evaluates like its TOML files."""
        mawo = teilhabe_rules.bundled("mawo")
        case = teilhabe_rules.inputs.cases.read_data(ROOT / "examples/mawo/haus_linde.toml")
        people = [teilhabe_rules.inputs.cases.read_data(ROOT / "examples/mawo" / name) for name in case["bewohner"]]
        offer = {key: value for key, value in case.items() if key != "bewohner"}
        table = flat_table("Linde", offer, people)
        path = tmp_path / "angebote.csv"
        path.write_text(table, encoding="utf-8")
        found = rows(path)
        assert len(found) == 1 and found[0][0] == "Linde" and found[0][2] is None
        expected = mawo.evaluate(ROOT / "examples/mawo/haus_linde.toml").to_dict()["ergebnis"]
        got = mawo.evaluate(found[0][1]).to_dict()["ergebnis"]
        assert got == expected

    def test_a_value_given_twice_differently_and_a_key_seen_before(self, tmp_path: Path) -> None:
        path = tmp_path / "fälle.csv"
        path.write_text("fall;plaetze;bewohner[].kuerzel\nA;6;x\nA;7;y\nB;1;z\nA;6;w\n", encoding="utf-8")
        found = rows(path)
        assert [f[0] for f in found] == ["A", "B", "A"]
        assert found[0][2] == ("Zeile 3: Spalte „plaetze“: „7“, weiter oben (Zeile 2) „6“ — ein Wert des Falls "
                               "steht einmal oder überall gleich")
        assert found[1][1] == {"plaetze": "1", "bewohner": [{"kuerzel": "z"}]}
        assert found[2][2] == ("Zeile 5: Fall „A“ steht schon weiter oben; die Zeilen eines Falls stehen "
                               "untereinander")

    def test_an_inner_element_needs_an_outer_one(self, tmp_path: Path) -> None:
        path = tmp_path / "fälle.csv"
        path.write_text("fall;bewohner[].kuerzel;bewohner[].massnahmen[].stunden\nA;;5\n", encoding="utf-8")
        error = rows(path)[0][2]
        assert error is not None
        assert "ein Element von „bewohner[].massnahmen[]“ ohne ein Element von „bewohner[]“" in error


def sheet_of(path: Path, lines: list[list[Any]]) -> Path:
    """A workbook at ``path`` whose first sheet holds ``lines`` (openpyxl writes a formula
    without its calculated value)."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for line in lines:
        sheet.append(line)
    book.save(path)
    return path

def flat_table(key: str, offer: dict, people: list[dict]) -> str:
    """The flat CSV of one offer: the offer's values in its first row, a row per resident, a row
    per further measure (``;``, decimal comma)."""
    def cells(data: dict, prefix: str, out: dict[str, str]) -> None:
        for name, value in data.items():
            if name == "massnahmen":
                continue
            if isinstance(value, dict):
                cells(value, f"{prefix}{name}.", out)
            elif isinstance(value, bool):
                out[prefix + name] = "ja" if value else "nein"
            elif isinstance(value, dt.date):
                out[prefix + name] = value.strftime("%d.%m.%Y")
            elif isinstance(value, (int, float, Decimal)):
                out[prefix + name] = str(value).replace(".", ",")
            else:
                out[prefix + name] = str(value)

    lines: list[dict[str, str]] = []
    first: dict[str, str] = {"fall": key}
    cells(offer, "", first)
    for number, person in enumerate(people):
        row = dict(first) if number == 0 else {"fall": key}
        cells(person, "bewohner[].", row)
        measures = person.get("massnahmen", [])
        if not measures:
            row["bewohner[].massnahmen"] = "[]"
        for index, measure in enumerate(measures):
            target = row if index == 0 else {"fall": key}
            cells(measure, "bewohner[].massnahmen[].", target)
            if index:
                lines.append(target)
        lines.insert(len(lines) - max(len(measures) - 1, 0), row)
    header = list(dict.fromkeys(name for line in lines for name in line))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(header)
    writer.writerows([line.get(name, "") for name in header] for line in lines)
    return buffer.getvalue()


class TestNothingIsLost:
    """Every input row belongs to exactly one result row, whatever the rows hold."""

    CELLS = st.sampled_from(["", "1", "2,5", "2.5", "x", "[1", "Jürgen", "1.234,5"])

    @settings(max_examples=examples(100), deadline=None)
    @given(table=st.lists(st.tuples(st.sampled_from(["", "A", "B", "C"]), CELLS, CELLS, st.booleans()),
                          max_size=12))
    def test_rows_cover_the_lines(self, table: list[tuple[str, str, str, bool]],
                                  tmp_path_factory: pytest.TempPathFactory) -> None:
        path = tmp_path_factory.mktemp("p") / "fälle.csv"
        lines = ["fall;stunden;bewohner[].x"]
        for key, a, b, broken in table:
            lines.append(f"{key};{a};{b}" + (";zu viel" if broken else ""))
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        with Population(path) as population:
            found = list(population)
            empty = population.empty
        covered = [n for row in found for n in range(row.line or 0, (row.last_line or 0) + 1)]
        assert sorted(covered) == covered  # in order, no line twice
        blank = {n for n, (key, a, b, broken) in enumerate(table, start=2) if not (key or a or b or broken)}
        assert set(covered) | blank == set(range(2, len(table) + 2))
        assert len(blank) == empty
        assert all((row.data is None) != (row.error is None) for row in found)

    @settings(max_examples=examples(100), deadline=None)
    @given(table=st.lists(st.tuples(st.sampled_from(["", "A", "B", "C"]), CELLS, CELLS, st.booleans()),
                          max_size=12))
    def test_a_row_belongs_to_the_case_its_key_names(self, table: list[tuple[str, str, str, bool]],
                                                     tmp_path_factory: pytest.TempPathFactory) -> None:
        """A row with a cell that is none (``[1``: JSON that is none) is an error of the case its
        key names, never of the case above it: the cases are the runs of keys, as if every row
        were readable. Only a row of the wrong width, whose key is not read (a field too many or
        too few left of it would move it), continues the case above."""
        path = tmp_path_factory.mktemp("p") / "fälle.csv"
        lines = ["fall;stunden;bewohner[].x"]
        expected: list[str] = []
        current: str | None = None
        for number, (key, a, b, broken) in enumerate(table, start=2):
            lines.append(f"{key};{a};{b}" + (";zu viel" if broken else ""))
            if not (key or a or b or broken):
                continue  # an empty row
            name = key if key and not broken else None
            if not expected or (name is not None and name != current):
                expected.append(name or f"Zeile {number}")
                current = name
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        with Population(path) as population:
            found = list(population)
        assert [row.id for row in found] == expected
        for row in found:
            rows = range(row.line or 0, (row.last_line or 0) + 1)
            unreadable = any("[1" in (table[n - 2][1], table[n - 2][2]) for n in rows if n - 2 < len(table))
            if unreadable:
                assert row.error is not None

    @settings(max_examples=examples(150), deadline=None)
    @given(table=st.lists(st.tuples(st.sampled_from(["", "A", "B", "C", "[1"]), CELLS, CELLS, st.booleans()),
                          max_size=12))
    @example(table=[("A", "1", "", False), ("B", "1", "", True), ("B", "2", "", False)])
    @example(table=[("[1", "1", "", False), ("A", "2", "", False)])
    def test_a_case_given_as_evaluable_holds_every_row_of_its_key(self, table: list[tuple[str, str, str, bool]],
                                                                  tmp_path_factory: pytest.TempPathFactory) -> None:
        """Whatever rows cannot be read — a cell that is none, a key that is none (``[1``), a
        row of the wrong width —, a case the reader gives as data holds exactly the rows its key
        names, as the writer meant them (a row without a key continues the one above): none
        missing, none of another case. A row whose key is not read makes the case below it an
        error, as it may be that case's first row. (A key whose rows are not together is an error
        row of its own below: the later rows are reported, not evaluated.)"""
        path = tmp_path_factory.mktemp("p") / "fälle.csv"
        lines = ["fall;stunden;bewohner[].x"]
        meant: dict[int, str] = {}  # line → the key its writer meant
        current = ""
        for number, (key, a, b, broken) in enumerate(table, start=2):
            lines.append(f"{key};{a};{b}" + (";zu viel" if broken else ""))
            if not (key or a or b or broken):
                continue  # an empty row
            current = key or current or f"Zeile {number}"
            meant[number] = current
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        with Population(path) as population:
            found = list(population)
        ids = [row.id for row in found]
        order = list(meant.values())
        runs = [key for number, key in enumerate(order) if not number or order[number - 1] != key]
        for row in found:
            if row.data is None or ids.count(row.id) > 1 or runs.count(row.id) > 1:
                continue
            held = {n for n in meant if (row.line or 0) <= n <= (row.last_line or 0)}
            assert {meant[n] for n in held} == {row.id}
            assert held == {n for n, key in meant.items() if key == row.id}


class TestCompareLosesNoRow:
    """compare over any table: one output row per case the reader gives, in order, each a result or an error."""

    CELLS = st.sampled_from(["", "1", "2,5", "2.5", "x", "[1", "1.234,5", "-3"])

    @settings(max_examples=examples(40), deadline=None)
    @given(table=st.lists(st.tuples(st.sampled_from(["", "A", "B"]), st.sampled_from(["01.03.2025", "", "gestern"]),
                                    CELLS, st.booleans()), max_size=10))
    def test_every_case_is_a_row(self, table: list[tuple[str, str, str, bool]],
                                 tmp_path_factory: pytest.TempPathFactory) -> None:
        folder = tmp_path_factory.mktemp("c")
        path = folder / "fälle.csv"
        lines = ["fall;beginn;stunden"] + [f"{key};{day};{hours}" + (";zu viel" if broken else "")
                                           for key, day, hours, broken in table]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        model = teilhabe_rules.load(ROOT / "examples/daten/stunden.rules")
        with Population(path) as population:
            ids = [row.id for row in population]
        out = folder / "aus.jsonl"
        summary = compare(model, model, path, out=out)
        written = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert [row["fall"] for row in written] == ids
        assert summary.rows == len(ids) == summary.evaluated + summary.errors
        assert all((row["status"] == "ok") == ("fehler" not in row) for row in written)


def test_jsonl_and_folders_state_their_format(tmp_path: Path) -> None:
    path = tmp_path / "fälle.jsonl"
    path.write_text(json.dumps({"beginn": "2025-01-01", "stunden": 1}) + "\n", encoding="utf-8")
    with read_population(path) as population:
        assert [row.decoded() for row in population] == [({"beginn": "2025-01-01", "stunden": 1}, None)]
        assert population.properties.describe() == "JSON Lines · UTF-8"
    with read_population(ROOT / "examples/mawo/bewohner") as population:
        assert population.properties.describe() == "Verzeichnis von Falldateien"


def test_a_relation_states_what_it_is_and_its_decimal_mark() -> None:
    import duckdb

    from teilhabe_rules.inputs.population import Population

    connection = duckdb.connect()
    try:
        texts = Population.of_relation(connection.sql("SELECT 1 AS fall, '2,5' AS stunden"))
        assert [row.decoded() for row in texts] == [({"stunden": "2.5"}, None)]
        assert texts.properties.describe() == ("Tabelle im Speicher (DuckDB-Relation, Arrow-Tabelle oder Data Frame) · "
                                               "Dezimalkomma (erkannt)")
        plain = Population.of_relation(connection.sql("SELECT 1 AS fall, 'a' AS name"))
        assert plain.properties.describe().endswith("Data Frame) · keine Dezimalzahl in Textzellen")
    finally:
        connection.close()


def _dates_file(folder: Path) -> Path:
    """A Parquet population of three dates: infinite, 01.01.2025, minus infinite."""
    path = folder / "daten.parquet"
    with duckdb.connect() as connection:
        connection.execute("COPY (SELECT * FROM (VALUES (DATE 'infinity'), (DATE '2025-01-01'), (DATE '-infinity'))"
                           f" t(beginn)) TO '{path}' (FORMAT parquet)")
    return path


_KEYS = st.sampled_from(["", "1", "2", " 2 ", "x", "10", "1.000", "1000", "\t3"])
_CELLS = st.text(st.sampled_from('ab ,;"\n\r1.5'), max_size=6) | st.sampled_from(["1,5", "2.5", "[1]"])
# a row as CSV, or one reading makes an error row of: bytes that are not UTF-8, a NUL, a quote inside a cell
_KINDS = st.sampled_from([None, None, None, "latin", "nul", "quote"])


@settings(max_examples=examples(150), deadline=None)
@given(st.lists(st.tuples(_KEYS, _CELLS, st.booleans(), _KINDS), max_size=12), st.booleans(),
       st.sampled_from([",", ";"]))
def test_the_progress_bar_counts_the_cases_reading_gives(table: list[tuple[str, str, bool, str | None]],
                                                         keyed: bool, separator: str) -> None:
    """``count_rows`` of a CSV file — with a ``fall`` column whose cases span rows, key cells
    empty, repeated or numbers in either notation, cells with quotes, separators and line ends,
    blank lines between, rows reading makes errors of (an Excel export's byte, a NUL, a stray
    quote) — is the number of rows (cases and error rows) reading it gives; so of the same
    table as Parquet."""
    import tempfile

    from teilhabe_rules.inputs.population import count_rows

    data = bytearray()
    text = io.StringIO()
    writer = csv.writer(text, delimiter=separator, lineterminator="\n")
    writer.writerow(["fall", "name"] if keyed else ["name", "stunden"])
    for key, cell, blank, kind in table:
        if kind is None:
            writer.writerow([key, cell])
        data += text.getvalue().encode("utf-8")
        text.seek(0)
        text.truncate()
        if kind == "latin":
            data += f"{key}{separator}M\xfcller\n".encode("cp1252")
        elif kind == "nul":
            data += f"{key}{separator}b\x00\n".encode()
        elif kind == "quote":
            data += f'{key}{separator}"b"x\n'.encode()
        if blank:
            data += b"\n"
    data += text.getvalue().encode("utf-8")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.csv"
        path.write_bytes(bytes(data))
        with read_population(path) as population:
            assert count_rows(path) == sum(1 for _ in population)
        if keyed:  # the same rows in a Parquet file (an empty key cell: null; a text key in the
            # notation of a decimal comma, which a later text cell tells, is not counted as one number)
            parquet = Path(folder) / "f.parquet"
            duckdb.sql("SELECT * FROM (VALUES " + ", ".join("(?, ?)" for _ in table) + ") t(fall, name)"
                       if table else "SELECT NULL::VARCHAR AS fall, NULL::VARCHAR AS name LIMIT 0",
                       params=[v for key, cell, _, _ in table for v in (key.replace(".", "") or None, cell)] or None
                       ).write_parquet(str(parquet))
            with read_population(parquet) as population:
                assert count_rows(parquet) == sum(1 for _ in population)


def test_a_csv_population_with_a_fall_column_is_counted_by_its_cases(tmp_path: Path) -> None:
    """Three cases in six lines (one with a quoted line end in a cell): three, not five."""
    path = tmp_path / "f.csv"
    path.write_text('fall,stunden,name\n1,10,"a\nb"\n1,,c\n2,5,d\n\n3,1,e\n', encoding="utf-8")
    from teilhabe_rules.inputs.population import count_rows

    assert count_rows(path) == 3


@pytest.mark.parametrize(("text", "decimal"), [
    ("fall;x;h\na;2,5;2\nb;1,250;1.500,5 h/Jahr\nc;1,250;1,500 h/Jahr\n", None),
    ("fall,x,h\na,2.5,2\nb,1.500,1.500 h/Jahr\nc,1.250,1.5 h/Jahr\n", None),
    ("fall,x,h\nb,1.500,1.500 h/Jahr\n", "."),
    ("fall;x;h\nb;1,250;1.500 h/Jahr\n", ","),
])
def test_a_cell_read_in_its_file_s_notation_is_that_number_on_both_backends(text: str, decimal: str | None,
                                                                           tmp_path: Path) -> None:
    """A quantity whose number reads both ways in a text of a case (``1.500 h``) is an error there;
    in a table its file's notation has told (or ``--dezimalzeichen`` says) which it is, and the
    cell is that number: 1.5 h in a decimal-point file, 1500 h in a decimal-comma file."""
    model = teilhabe_rules.loads('modell m "M"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
                                 "eingabe x: zahl\neingabe h: zahl h/Jahr\nwert y: zahl = x + h / 1 h/Jahr\n")
    path = tmp_path / "f.csv"
    path.write_text(text, encoding="utf-8")
    expected = []
    for line in text.splitlines()[1:]:
        cells = line.split(";" if ";" in line else ",")
        mark = decimal or ("," if ";" in line else ".")
        number = [(cell.split()[0].replace(".", "").replace(",", ".") if mark == "," else cell.split()[0])
                  for cell in cells[1:]]
        expected.append(Decimal(number[0]) + Decimal(number[1]))
    for backend in ("skalar", "spalten"):
        source: Any = path
        if decimal:  # (as eval-many --dezimalzeichen reads the file)
            with read_population(path, decimal=decimal) as population:
                source = [row.data for row in population]
        result = model.evaluate_many(source, backend=backend)
        assert not result.errors, (backend, [error.message for error in result.errors])
        assert [row["y"] for row in result.rows()] == expected, backend


@st.composite
def _refused_comma_cells(draw: st.DrawFn) -> str:
    """A cell with a decimal comma (thousands grouped by points or not, a unit or none) whose
    number lies outside ``0 bis 1000 h/Jahr`` or whose unit is not h/Jahr."""
    whole = draw(st.integers(min_value=1001, max_value=9_999_999))
    grouped = f"{whole:,}".replace(",", ".") if draw(st.booleans()) else str(whole)
    number = f"{grouped},{draw(st.from_regex(r'[0-9]{1,3}', fullmatch=True))}"
    unit = draw(st.sampled_from(["", " h/Jahr", " h/Woche"]))
    if unit == " h/Woche":  # (a number in range, refused for its unit)
        number = f"{draw(st.integers(min_value=0, max_value=99))},{draw(st.integers(min_value=1, max_value=9))}"
    return number + unit


@settings(max_examples=examples(15), deadline=None)
@given(cell=_refused_comma_cells())
@example(cell="24,2 h/Woche")
@example(cell="1.234,5")
def test_a_refused_cell_is_quoted_as_it_is_written(cell: str) -> None:
    """A text cell read in its file's notation and then refused by the model's input check is
    quoted in the error row as the file writes it („24,2 h/Woche“), not as it was rewritten for
    reading („24.2 h/Woche“) — on both backends, from a CSV file and from an Excel text cell."""
    import tempfile

    model = teilhabe_rules.loads('modell m "M"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
                                 "eingabe h: zahl h/Jahr von 0 bis 1000\nwert y: zahl = h / 1 h/Jahr\n")
    with tempfile.TemporaryDirectory() as folder:
        csv_file = Path(folder) / "f.csv"
        csv_file.write_text(f"fall;h\na;2,5\nb;{cell}\n", encoding="utf-8")
        workbook = Path(folder) / "f.xlsx"
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        for row in (("fall", "h"), ("a", "2,5"), ("b", cell)):
            sheet.append(row)
        book.save(workbook)
        for source in (csv_file, workbook):
            for backend in ("skalar", "spalten"):
                result = model.evaluate_many(source, backend=backend)
                assert [row["y"] for row in result.rows()] == [Decimal("2.5")], (source, backend)
                (error,) = result.errors
                assert f"„{cell}“" in error.message, (source.suffix, backend, error.message)


def test_a_cell_formatted_as_a_percentage_is_the_percentage_it_shows(tmp_path: Path) -> None:
    """Excel stores 45 % as 0.45 with the format ``0%``: such a cell is the quantity „45 %“ —
    for an input in %, 45 % on both backends (before, 0.45 %: a hundredth of the figure); for an
    input without a unit an error, as the text „45 %“ is."""
    model = teilhabe_rules.loads('modell m "M"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
                                 "eingabe anteil: zahl % von 0 % bis 100 %\neingabe faktor: zahl von 0 bis 2\n"
                                 "wert betrag: EUR = 6000 EUR * anteil * faktor\n")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["anteil", "faktor"])
    for share, formatted in ((0.45, "0%"), (45, "General"), (0.01234, "0.00%"), (1, "0%"), (45, '0" %"'),
                             (45, "0\\%")):
        sheet.append([share, 1])
        sheet.cell(sheet.max_row, 1).number_format = formatted
    sheet.append([45, 0.5])
    sheet.cell(sheet.max_row, 2).number_format = "0%"
    path = tmp_path / "f.xlsx"
    book.save(path)
    for backend in ("skalar", "spalten"):
        result = model.evaluate_many(path, backend=backend)
        # (a „%“ in quotes or escaped is shown as written: 45 is 45 %, not 4500 %)
        assert [row["betrag"] for row in result.rows()] == [2700, 2700, Decimal("74.04"), 6000, 2700, 2700], backend
        assert [(error.index, "„50 %“ hat die Einheit „%“" in error.message) for error in result.errors] == [
            (6, True)], backend


@pytest.mark.parametrize(("header", "column", "message"), [
    ("fall,x,fall", 3, "Spalte 3 „fall“ nennt dasselbe wie Spalte 1 „fall“"),
    ("x,y,x", 3, "Spalte 3 „x“ nennt dasselbe wie Spalte 1 „x“"),
    ("x,y, x ", 3, "Spalte 3 „ x “ nennt dasselbe wie Spalte 1 „x“"),
    ("x,,y", 2, "Spalte 2 hat keinen Namen"),
    ("x,y,", 3, "Spalte 3 hat keinen Namen"),
])
def test_a_column_given_twice_or_without_a_name_is_a_header_error(header: str, column: int, message: str,
                                                                   tmp_path: Path) -> None:
    """Two columns of one input were merged (a cell of either taken, their values compared as
    rows of one case), a second key column was dropped — without a word; an empty header cell
    was reported as „nach „[]“ folgt …“."""
    model = teilhabe_rules.loads('modell m "M"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
                                 "eingabe x: zahl\neingabe y: zahl\nwert a = x + y\n")
    path = tmp_path / "f.csv"
    path.write_text(header + "\n" + ",".join("1" for _ in header.split(",")) + "\n", encoding="utf-8")
    with pytest.raises(CaseError) as info:
        model.evaluate_many(path)
    (found,) = info.value.diagnostics
    assert found.message == message and found.hint
    assert found.location is not None and (found.location.line, found.location.column) == (1, column)


@pytest.mark.parametrize(("name", "option", "words"), [
    ("p.jsonl", {"separator": ";"}, "ein Trennzeichen („;“) gilt nur für eine CSV-Population"),
    ("p.parquet", {"separator": ";"}, "ein Trennzeichen („;“) gilt nur für eine CSV-Population"),
    ("p.jsonl", {"decimal": ","}, "ein Dezimalzeichen („,“) gilt nur für die Textzellen einer Tabelle"),
    ("ordner", {"decimal": ","}, "ein Dezimalzeichen („,“) gilt nur für die Textzellen einer Tabelle"),
    ("p.csv", {"sheet": "Fälle"}, "ein Blatt („Fälle“) gibt es nur in einer Excel-Mappe"),
])
def test_a_reading_option_for_a_population_it_does_not_apply_to_is_refused(
        tmp_path: Path, name: str, option: dict[str, str], words: str) -> None:
    """As the CLI refuses it (exit 2): given through the API, not silently left unused."""
    path = tmp_path / name
    if name == "ordner":
        path.mkdir()
    elif name.endswith(".parquet"):
        duckdb.sql("SELECT 1 AS plaetze").write_parquet(str(path))
    else:
        path.write_text("plaetze\n12\n" if name.endswith(".csv") else '{"plaetze": 12}\n', "utf-8")
    with pytest.raises(CaseError) as caught:
        read_population(path, **option)
    (error,) = caught.value.errors
    assert error.message.startswith(f"„{path}“: {words}")
    assert error.hint == "die Angabe weglassen: diese Population liest sich ohne sie"
    ok = {"p.jsonl": {}, "p.parquet": {"decimal": ","}, "ordner": {}, "p.csv": {"separator": ",", "decimal": ","}}
    with read_population(path, **ok[name]) as rows:  # the options it takes, it takes
        list(rows)


_TEXT_MODEL = """modell kennung "Kennung"
  gültig ab 01.01.2024
  stichtag beginn
ende
eingabe beginn: datum
eingabe stunden: zahl h/Jahr von 0 bis 1000
eingabe name: text
wert kennung: text = name
wert betrag: EUR/Jahr = stunden * 60 EUR/h
"""


@pytest.mark.parametrize("backend", ["spalten", "skalar"])
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@given(text=st.sampled_from(["1,5", "1.234,5", "-3,25", "12", "0,5 h", "1,5 EUR"]))
@settings(max_examples=examples(6), deadline=None)
def test_a_text_cell_that_reads_as_a_number_is_the_text_as_written(backend: str, suffix: str, text: str,
                                                                    tmp_path_factory: pytest.TempPathFactory) -> None:
    """In a file of decimal commas, a text input's cell that looks like a number (``1,5``) is its
    text as the file writes it — never the number the reader made of it for a number's input."""
    folder = tmp_path_factory.mktemp("text")
    rows = [["beginn", "stunden", "name"], ["2025-03-01", "250,5", text], ["2025-03-01", "12", "Änne"]]
    path = folder / f"fälle{suffix}"
    if suffix == ".csv":
        path.write_text("\n".join(";".join(row) for row in rows) + "\n", encoding="utf-8")
    else:
        book = openpyxl.Workbook()
        for row in rows:
            book.active.append(row)
        book.save(path)
    result = teilhabe_rules.loads(_TEXT_MODEL, "kennung.rules").evaluate_many(path, backend=backend)
    assert not result.errors
    assert [(row["kennung"], row["betrag"]) for row in result.rows()] == [(text, Decimal("15030")), ("Änne", 720)]


def test_a_csv_file_of_lines_ended_by_a_return_alone_is_refused_with_a_hint_naming_the_line_end(
        tmp_path: Path) -> None:
    """Excel's „CSV (Macintosh)“ ends its lines with CR alone: the header cannot be read, and
    the hint says why and how to save the file (before: no hint)."""
    path = tmp_path / "mac.csv"
    path.write_bytes(b"beginn;stunden;name\r01.03.2025;250,5;A\r01.03.2025;12;B\r")
    with pytest.raises(CaseError) as caught:
        read_population(path)
    hint = caught.value.diagnostics[0].hint
    assert hint is not None and "Wagenrücklauf allein" in hint and "LF oder CR LF" in hint
    path.write_bytes(b"beginn;stunden;name\r\n01.03.2025;250,5;A\r\n")
    with read_population(path) as population:
        assert [row.error for row in population] == [None]


@pytest.mark.parametrize("backend", ["spalten", "skalar"])
def test_a_json_lines_file_of_lines_ended_by_a_return_alone_names_the_line_end(backend: str, tmp_path: Path) -> None:
    """Lines ended by CR alone run together as one JSON text (JSON reads a CR as a blank): the
    one error row says that the line end is the cause."""
    model = teilhabe_rules.bundled("mawo")
    path = tmp_path / "mac.jsonl"
    path.write_bytes(b'{"a": 1}\r{"a": 2}\r')
    result = model.evaluate_many(path, backend=backend)
    assert len(result.errors) == 1
    ((message, _),) = result.errors[0].problems
    assert message.startswith("kein gültiges JSON: nach dem Fall folgt weiterer Text")
    assert "Wagenrücklauf allein" in message
    path.write_bytes(b'{"a": 1}\r\n{"a": 2}\r\n')  # (CR LF: two cases, no word of the line end)
    assert [e.problems for e in model.evaluate_many(path, backend=backend).errors if any(
        "Wagenrücklauf" in m for m, _ in e.problems)] == []


def test_a_return_alone_as_line_end_has_one_hint_in_every_format(tmp_path: Path) -> None:
    """A TOML case file, a CSV population and a JSON Lines population saved with lines ended by a
    carriage return alone each name that line end and how to save the file — in the same words,
    each with what is its own: Excel's way of saving a CSV file, the cases of JSON Lines running
    together (not Excel's CSV advice for a TOML or JSON Lines file)."""
    model = teilhabe_rules.bundled("mawo")
    case = tmp_path / "fall.toml"
    case.write_bytes((ROOT / "examples" / "mawo" / "person_grundfall.toml").read_bytes().replace(b"\n", b"\r"))
    with pytest.raises(CaseError) as caught:
        model.evaluate(case)
    toml_hint = caught.value.diagnostics[0].hint
    table = tmp_path / "mac.csv"
    table.write_bytes(b"beginn;stunden;name\r01.03.2025;250,5;A\r")
    with pytest.raises(CaseError) as caught:
        read_population(table)
    csv_hint = caught.value.diagnostics[0].hint
    lines = tmp_path / "mac.jsonl"
    lines.write_bytes(b'{"a": 1}\r{"a": 2}\r')
    ((message, _),) = model.evaluate_many(lines, backend="skalar").errors[0].problems
    assert toml_hint is not None and "CR" in toml_hint and "CSV" not in toml_hint
    assert csv_hint is not None and csv_hint.startswith(toml_hint) and "CSV UTF-8" in csv_hint
    assert message.endswith(" — die Fälle laufen ineinander: " + toml_hint)
