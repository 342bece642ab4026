"""Tables out: XLSX with numbers as numbers, German and plain CSV, Parquet with exact decimals, JSON Lines."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import errno
import io
import json
import os
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import teilhabe_rules
from teilhabe_rules.cli import main
from teilhabe_rules.tools.export import (
    Column,
    FormatError,
    Sheet,
    cell_text,
    csv_cell,
    format_of,
    number_format,
    write_table,
)
from tests.hypothesis_budget import examples

ROOT = Path(__file__).resolve().parents[2]
LINDE = ROOT / "examples/mawo/haus_linde.toml"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def header_index(sheet: openpyxl.worksheet.worksheet.Worksheet) -> tuple[dict[str, int], list[tuple]]:
    rows = list(sheet.iter_rows(values_only=True))
    return {name: number for number, name in enumerate(rows[0])}, rows[1:]


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> tuple[openpyxl.Workbook, dict]:
    """The workbook of Haus Linde (six residents) and its JSON result."""
    path = tmp_path_factory.mktemp("x") / "linde.xlsx"
    code, out, err = run("eval", "mawo", str(LINDE), "--out", str(path))
    assert code == 0, err
    assert out == f"Ergebnis von „{LINDE}“ geschrieben: {path} (xlsx)\n"
    code, out, _ = run("eval", "mawo", str(LINDE), "--format", "json")
    return openpyxl.load_workbook(path), json.loads(out)["ergebnis"]


class TestTheWorkbookOfOneOffer:
    """``eval … --out FILE.xlsx``: every figure of the JSON result is a number cell of the workbook."""

    def test_sheets(self, book: tuple[openpyxl.Workbook, dict]) -> None:
        workbook, _ = book
        assert workbook.sheetnames == ["Zusammenfassung", "Fall", "Fall – Pakete", "bewohner", "bewohner – Pakete",
                                       "bewohner.massnahmen"]
        assert all(workbook[name].freeze_panes == "A2" for name in workbook.sheetnames)
        summary = dict(workbook["Zusammenfassung"].iter_rows(values_only=True, min_row=2))
        assert summary["Modell"] == "mawo" and summary["Budget (budget_jahr)"] == pytest.approx(373529.3639288355)

    def test_every_figure_is_a_number_equal_to_the_json(self, book: tuple[openpyxl.Workbook, dict]) -> None:
        workbook, result = book
        compared = 0

        def check(cell: object, entry: dict) -> None:
            nonlocal compared
            value = entry["wert"]
            if isinstance(value, bool) or value is None:
                assert cell == value
            elif isinstance(value, str) and value.lstrip("-").replace(".", "", 1).isdigit():
                assert isinstance(cell, (int, float)) and not isinstance(cell, bool), (cell, entry)
                # the exact figure as the double a workbook holds, written with 16 significant digits
                assert cell == float(f"{float(Decimal(value)):.16g}"), (cell, entry)
                assert cell == pytest.approx(float(Decimal(value)), rel=1e-15, abs=1e-15)
                compared += 1
            else:
                assert cell == value

        names, rows = header_index(workbook["Fall"])
        by_name = {row[names["wert"]]: row for row in rows}
        for key, entry in result["werte"].items():
            check(by_name[key][names["zahl"]], entry)
            assert by_name[key][names["einheit"]] == entry.get("einheit")
        names, rows = header_index(workbook["Fall – Pakete"])
        packages = {row[names["paket"]]: row for row in rows}
        for package, data in result["pakete"].items():
            for key, entry in data["werte"].items():
                check(packages[package][names[_head(key, entry)]], entry)
        residents = result["listen"]["bewohner"]
        names, rows = header_index(workbook["bewohner"])
        pnames, prows = header_index(workbook["bewohner – Pakete"])
        mnames, mrows = header_index(workbook["bewohner.massnahmen"])
        matrix = {(row[0], row[1]): row for row in prows}
        measures = {(row[0], row[1]): row for row in mrows}
        for number, resident in enumerate(residents, start=1):
            for key, entry in resident["werte"].items():
                check(rows[number - 1][names[_head(key, entry)]], entry)
            for package, data in resident["pakete"].items():
                row = matrix[(number, package)]
                if "stufe" in data:
                    assert row[pnames["stufe"]] == data["stufe"]["wirksam"]
                for key, entry in data["werte"].items():
                    check(row[pnames[_head(key, entry)]], entry)
            for index, measure in enumerate(resident["listen"]["massnahmen"], start=1):
                for key, entry in measure["werte"].items():
                    check(measures[(number, index)][mnames[_head(key, entry)]], entry)
        assert compared > 400

    def test_numbers_carry_a_format_by_unit(self, book: tuple[openpyxl.Workbook, dict]) -> None:
        workbook, _ = book
        sheet = workbook["bewohner – Pakete"]
        head = [cell.value for cell in sheet[1]]
        row = sheet[2]
        assert row[head.index("vk [VK]")].number_format == "0.0000"
        assert row[head.index("kosten_jahr [EUR/Jahr]")].number_format == "#,##0.00"
        assert head.index("zeit [min/Tag]") < head.index("stunden [h/Jahr]") < head.index("vk [VK]") \
            < head.index("kosten_jahr [EUR/Jahr]") < head.index("eur_tag [EUR/Tag]")
        assert workbook["bewohner"].column_dimensions["B"].width >= 10


def _head(key: str, entry: dict) -> str:
    return f"{key} [{entry['einheit']}]" if entry.get("einheit") else key


class TestTheOtherFormatsOfOneOffer:
    """``eval --out`` as CSV (plain, German), JSON Lines and Parquet: one row per figure."""

    def test_csv_de_and_plain(self, tmp_path: Path) -> None:
        code, _, err = run("eval", "mawo", str(LINDE), "--out", str(tmp_path / "de.csv"), "--format", "csv-de")
        assert code == 0, err
        raw = (tmp_path / "de.csv").read_bytes()
        assert raw.startswith(codecs.BOM_UTF8 + b"pfad;bezeichnung;zahl;text;einheit\n")
        rows = {row["pfad"]: row for row in csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";")}
        assert rows["budget_jahr"]["zahl"] == "373529,3639288354842717253496"
        assert rows["bewohner[3].lp2a.stufe"]["zahl"] == "4"
        assert run("eval", "mawo", str(LINDE), "--out", str(tmp_path / "en.csv"))[0] == 0
        plain = {row["pfad"]: row for row in csv.DictReader(io.StringIO((tmp_path / "en.csv").read_text("utf-8")))}
        assert plain["budget_jahr"]["zahl"] == "373529.3639288354842717253496"

    @pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".xlsx", ".parquet"])
    def test_an_output_that_is_no_regular_file_is_refused_not_replaced(self, tmp_path: Path, suffix: str) -> None:
        """A FIFO (as a device such as ``/dev/full`` or what ``/dev/stdout`` names) under the
        output's name: written files are renamed onto their target, which would replace it."""
        for target in (tmp_path / f"rohr{suffix}", tmp_path / f"ordner{suffix}"):
            if target.name.startswith("rohr"):
                if not hasattr(os, "mkfifo"):
                    continue
                os.mkfifo(target)
            else:
                target.mkdir()
            code, _, err = run("eval", "mawo", str(LINDE), "--out", str(target))
            assert code == 1 and f"„{target}“ ist keine gewöhnliche Datei: die Ausgabe würde sie ersetzen" in err
            assert target.is_fifo() if target.name.startswith("rohr") else target.is_dir()

    @pytest.mark.skipif(sys.platform == "win32", reason="symbolic links")
    @pytest.mark.parametrize("command", ["eval", "eval-many", "compare"])
    def test_an_output_that_is_a_symbolic_link_is_refused_not_replaced(self, tmp_path: Path, command: str) -> None:
        """A link — to a regular file, or to the process's standard output (``/dev/stdout``,
        ``/proc/self/fd/1``, which ``os.stat`` sees as the file stdout is redirected to) — is
        refused: renaming the written file onto it would replace the link, never write through it."""
        real = tmp_path / "wirklich.csv"
        real.write_text("alt\n", "utf-8")
        for target in (tmp_path / "link.csv", tmp_path / "stdout.csv"):
            target.symlink_to(real if target.name == "link.csv" else "/proc/self/fd/1")
            argv = {"eval": ["eval", "mawo", str(LINDE)],
                    "eval-many": ["eval-many", "mawo", str(LINDE.parent)],
                    "compare": ["compare", "mawo", "mawo_2025", str(LINDE.parent)]}[command]
            code, _, err = run(*argv, "--out", str(target))
            assert code == 1 and f"„{target}“ ist ein symbolischer Link: die Ausgabe würde den Link ersetzen" in err
            assert target.is_symlink() and real.read_text("utf-8") == "alt\n"

    def test_a_standard_output_that_fails_is_an_error_not_an_internal_one(self) -> None:
        class Full(io.StringIO):
            def write(self, text: str) -> int:
                raise OSError(errno.ENOSPC, "No space left on device")

        err = io.StringIO()
        assert main(["eval", "mawo", str(LINDE)], Full(), err) == 1
        assert err.getvalue() == ("teilhabe-rules: die Ausgabe lässt sich nicht schreiben: "
                                  "kein Platz mehr auf dem Datenträger\n")

    def test_parquet_keeps_every_decimal(self, tmp_path: Path) -> None:
        path = tmp_path / "linde.parquet"
        assert run("eval", "mawo", str(LINDE), "--out", str(path))[0] == 0
        with duckdb.connect() as connection:
            kinds = {row[0]: row[1] for row in connection.execute(f"DESCRIBE SELECT * FROM '{path}'").fetchall()}
            got = dict(connection.execute(f"SELECT pfad, zahl FROM '{path}'").fetchall())
        assert kinds["zahl"].startswith("DECIMAL(38,")
        result = teilhabe_rules.bundled("mawo").evaluate(LINDE)
        assert got["budget_jahr"] == result.value("budget_jahr")
        assert got["bewohner[2].lp2a.vk"] == result.value("bewohner[2].lp2a.vk")


class TestCompareOutputs:
    """``compare --out`` as XLSX, Parquet, German CSV; unknown formats are usage errors (exit 2)."""

    ARGS = ("compare", "mawo", "mawo_2025", str(ROOT / "examples/mawo"), "--at-old", "2024-07-01",
            "--at-new", "2025-07-01")

    def test_xlsx(self, tmp_path: Path) -> None:
        code, _, err = run(*self.ARGS, "--out", str(tmp_path / "v.xlsx"))
        assert code == 1, err  # one case of the folder fails
        book = openpyxl.load_workbook(tmp_path / "v.xlsx")
        assert book.sheetnames == ["Zusammenfassung", "Fälle"]
        names, rows = header_index(book["Fälle"])
        linde = next(row for row in rows if row[0] == "haus_linde.toml")
        assert linde[names["budget_jahr.alt [EUR/Jahr]"]] == pytest.approx(373529.3639288355)
        assert book["Fälle"].cell(2, names["budget_jahr.alt [EUR/Jahr]"] + 1).number_format == "#,##0.00"
        assert not list(tmp_path.glob("*.unvollständig*"))

    def test_parquet_and_csv_de_agree_with_jsonl(self, tmp_path: Path) -> None:
        for name, extra in (("v.parquet", ()), ("v.csv", ("--format", "csv-de")), ("v.jsonl", ())):
            assert run(*self.ARGS, "--out", str(tmp_path / name), *extra)[0] == 1
        exact = {}
        for line in (tmp_path / "v.jsonl").read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row["status"] == "ok":
                exact[row["fall"]] = Decimal(row["werte"]["budget_jahr"]["differenz"])
        with duckdb.connect() as connection:
            got = dict(connection.execute(
                f"SELECT fall, \"budget_jahr.differenz [EUR/Jahr]\" FROM '{tmp_path / 'v.parquet'}' "
                "WHERE status = 'ok'").fetchall())
        assert got == exact
        text = (tmp_path / "v.csv").read_bytes()
        assert text.startswith(codecs.BOM_UTF8 + b"fall;status;fehler;")
        german = {row["fall"]: row for row in csv.DictReader(io.StringIO(text.decode("utf-8-sig")), delimiter=";")}
        assert {k: Decimal(german[k]["budget_jahr.differenz [EUR/Jahr]"].replace(",", ".")) for k in exact} == exact

    @pytest.mark.parametrize(("extra", "message"), [
        (("--out", "v.ods"), "die Endung „.ods“ ist kein Ausgabeformat"),
        (("--format", "xls", "--out", "v.xlsx"), "--format: unbekanntes Format „xls“"),
        (("--format", "xlsx"), "--format xlsx: schreibt eine Datei"),
    ])
    def test_usage_errors(self, tmp_path: Path, extra: tuple[str, ...], message: str) -> None:
        code, _, err = run(*self.ARGS, *(str(tmp_path / e) if e.startswith("v.") else e for e in extra))
        assert code == 2 and message in err
        code, _, err = run("eval", "mawo", str(LINDE), *(str(tmp_path / e) if e.startswith("v.") else e for e in extra))
        assert code == 2 and message in err


class TestWriters:
    """Cells, formats and the Parquet round trip of any decimal."""

    def test_cell_text(self) -> None:
        assert cell_text(dt.date(2025, 3, 1), german=True) == "01.03.2025"
        assert cell_text(dt.date(2025, 3, 1)) == "2025-03-01"
        assert cell_text(Decimal("-1234.50"), german=True) == "-1234,50"
        assert cell_text(True, german=True) == "ja" and cell_text(False) == "false"
        assert cell_text((Decimal("1.5"), 2), german=True) == "1,5 | 2"

    def test_formats(self) -> None:
        assert format_of("x.XLSX", None) == "xlsx" and format_of("x.csv", "csv-de") == "csv-de"
        with pytest.raises(FormatError):
            format_of("x.txt", None)
        assert number_format("EUR/Tag") == "#,##0.00" and number_format("VK") == "0.0000"

    @settings(max_examples=examples(30), deadline=None)
    @given(values=st.lists(st.decimals(allow_nan=False, allow_infinity=False, places=12, min_value=-10**12,
                                       max_value=10**12), min_size=1, max_size=8))
    def test_parquet_round_trips_exact_decimals(self, values: list[Decimal],
                                                tmp_path_factory: pytest.TempPathFactory) -> None:
        path = tmp_path_factory.mktemp("p") / "zahlen.parquet"
        write_table(path, Sheet("t", (Column("n"), Column("wert", "EUR", "zahl")),
                                [(str(i), v) for i, v in enumerate(values)]), "parquet")
        with duckdb.connect() as connection:
            query = f"SELECT \"wert [EUR]\" FROM '{path}' ORDER BY n::INT"
            got = [row[0] for row in connection.execute(query).fetchall()]
            kind = connection.execute(f"DESCRIBE SELECT \"wert [EUR]\" FROM '{path}'").fetchall()[0][1]
        assert got == values and all(isinstance(value, Decimal) for value in got)
        assert kind.startswith("DECIMAL(38,")


def test_a_sheet_has_at_most_excel_s_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from teilhabe_rules.tools import export

    monkeypatch.setattr(export, "XLSX_ROWS", 3)
    sheet = Sheet("t", (Column("n", kind="ganzzahl"),), [(1,), (2,), (3,)])
    with pytest.raises(teilhabe_rules.CaseError, match="passen nicht auf ein Excel-Blatt") as caught:
        write_table(tmp_path / "t.xlsx", sheet, "xlsx")
    assert caught.value.diagnostics[0].hint == "große Tabellen als .parquet oder .csv schreiben"
    assert not list(tmp_path.iterdir())  # nothing half-written


class TestParquetWritesTheNamedFile:
    """DuckDB reads ``*``, ``?``, ``[…]`` in a path as a pattern and ``~`` as the home directory:
    the Parquet writer reaches exactly the file it is given."""

    SHEET = Sheet("t", (Column("n"), Column("wert", "EUR", "zahl")), [("a", Decimal("1.50"))])

    @staticmethod
    def read(path: Path) -> list[tuple[object, ...]]:
        with duckdb.connect() as connection:
            return connection.execute("SELECT * FROM read_parquet(?)", [str(path)]).fetchall()

    def test_pattern_characters(self, tmp_path: Path) -> None:
        planted = tmp_path / "outa.parquet.unvollständig.csv"  # what the pattern of the staged table matches
        planted.write_text("c0,c1\nfremd,999\n", encoding="utf-8")
        target = tmp_path / "out[ab].parquet"
        write_table(target, self.SHEET, "parquet")
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out[ab].parquet", planted.name]
        with duckdb.connect() as connection:
            got = connection.execute(f"SELECT * FROM read_parquet('{tmp_path}/out?ab?.parquet')").fetchall()
        assert got == [("a", Decimal("1.50"))]

    def test_home_is_not_expanded(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        home = tmp_path / "home"
        home.mkdir()
        (tmp_path / "work" / "~").mkdir(parents=True)
        monkeypatch.setenv("HOME", str(home))
        monkeypatch.chdir(tmp_path / "work")
        write_table("~/x.parquet", self.SHEET, "parquet")
        assert not list(home.iterdir())
        assert [p.name for p in (tmp_path / "work" / "~").iterdir()] == ["x.parquet"]
        with duckdb.connect() as connection:
            got = connection.execute(f"SELECT * FROM read_parquet('{tmp_path}/work/?/x.parquet')").fetchall()
        assert got == [("a", Decimal("1.50"))]


def test_the_staged_table_of_parquet_is_never_written_through_a_link(tmp_path: Path) -> None:
    """The table staged beside a Parquet output is created afresh, like the partial file: a
    symbolic link planted under its name (in a shared directory) is not followed."""
    victim = tmp_path / "fremd.txt"
    victim.write_text("nicht überschreiben\n", encoding="utf-8")
    target = tmp_path / "v.parquet"
    (tmp_path / "v.parquet.unvollständig.csv").symlink_to(victim)
    write_table(target, TestParquetWritesTheNamedFile.SHEET, "parquet")
    assert victim.read_text(encoding="utf-8") == "nicht überschreiben\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fremd.txt", "v.parquet"]
    assert TestParquetWritesTheNamedFile.read(target) == [("a", Decimal("1.50"))]


def test_a_text_starting_with_an_equals_sign_is_text_in_a_workbook(tmp_path: Path) -> None:
    """A case named ``=HYPERLINK(…)`` (a key or text of a population) is written as that text,
    never as a live formula of the workbook."""
    path = tmp_path / "t.xlsx"
    texts = ("=1+2", '=HYPERLINK("http://example.org","klick")')
    write_table(path, Sheet("t", (Column("fall"), Column("=name")), [texts]), "xlsx")
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    assert [(cell.value, cell.data_type) for cell in sheet[2]] == [(text, "s") for text in texts]
    assert (sheet["B1"].value, sheet["B1"].data_type) == ("=name", "s")
    import zipfile
    with zipfile.ZipFile(path) as archive:
        assert b"<f>" not in archive.read("xl/worksheets/sheet1.xml")


def test_a_control_character_is_written_as_its_escape_in_a_workbook(tmp_path: Path) -> None:
    """A worksheet (XML) cannot hold ``\\x01``: a case key or text with one is written as its
    escape — it was an internal error (exit 3) of compare --out x.xlsx."""
    path = tmp_path / "t.xlsx"
    write_table(path, Sheet("t", (Column("fall\x02"), Column("name")), [("a\x01b", "tab\tok\x1f")]), "xlsx")
    sheet = openpyxl.load_workbook(path).worksheets[0]
    assert [cell.value for cell in sheet[1]] == ["fall\\x02", "name"]
    assert [cell.value for cell in sheet[2]] == ["a\\x01b", "tab\tok\\x1f"]
    rules = tmp_path / "stunden.rules"
    rules.write_text((ROOT / "examples/daten/stunden.rules").read_text(encoding="utf-8"), encoding="utf-8")
    population = tmp_path / "fälle.csv"
    population.write_bytes(b"fall,beginn,stunden\na\x01b,2025-03-01,1\n")
    code, _, err = run("compare", str(rules), str(rules), str(population), "--out", str(tmp_path / "v.xlsx"))
    assert code == 0, err
    book = openpyxl.load_workbook(tmp_path / "v.xlsx")
    assert "a\\x01b" in [cell.value for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+1+2", "-2+3", "@SUMME(A1)", "\tTab"])
def test_csv_de_writes_formula_like_texts_as_text(text: str) -> None:
    """In the German Excel profile a text Excel would run as a formula starts with an apostrophe;
    numbers (also negative), dates and the plain profile are written as they are."""
    assert csv_cell(text, german=True) == "'" + text
    assert csv_cell([text, "b"], german=True).startswith("'")
    assert csv_cell(text) == text
    assert csv_cell(Decimal("-2.5"), german=True) == "-2,5"
    assert csv_cell(dt.date(2025, 3, 1), german=True) == "01.03.2025"
    assert csv_cell("Haus Linde", german=True) == "Haus Linde"


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_a_lone_surrogate_is_written_as_its_escape(fmt: str, tmp_path: Path) -> None:
    """A text with a lone surrogate — the name of a case file with a byte that is no UTF-8 — is
    written as its escape in every format; in Parquet it was an internal error (exit 3) of
    compare --out x.parquet over such a folder."""
    path = tmp_path / f"t.{fmt}"
    write_table(path, Sheet("t", (Column("fall"),), [("b\udcff.toml",)]), fmt)
    if fmt == "jsonl":  # (the JSON escape of the surrogate: Python's decoder reads it back)
        assert json.loads(path.read_text(encoding="utf-8")) == {"fall": "b\udcff.toml"}
    else:
        with duckdb.connect() as con:
            assert con.sql(f"SELECT fall FROM read_{fmt}('{path}')").fetchall() == [("b\\udcff.toml",)]
    folder = tmp_path / "faelle"
    folder.mkdir()
    person = (ROOT / "examples/mawo/person_grundfall.toml").read_bytes()
    with open(os.path.join(os.fsencode(folder), b"b\xff.toml"), "wb") as handle:
        handle.write(person)
    code, _, err = run("compare", "mawo", "mawo", str(folder), "--out", str(tmp_path / f"v.{fmt}"))
    assert code == 0, err


class TestEvalManyOutputs:
    """``eval-many --out`` as an Excel workbook and as the CSV of German Excel: every figure the
    Parquet file holds, a share in percent, a number's unit in its header, error rows kept."""

    POPULATION = ROOT / "examples/mawo"  # six cases and an agreement, which is an error row

    @pytest.fixture(scope="class")
    @classmethod
    def written(cls, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
        folder = tmp_path_factory.mktemp("viele")
        files = {"parquet": folder / "e.parquet", "xlsx": folder / "e.xlsx", "csv-de": folder / "e.csv"}
        for fmt, path in files.items():
            code, out, err = run("eval-many", "mawo", str(cls.POPULATION), "--liste", "bewohner", "--out", str(path),
                                 *(("--format", fmt) if fmt == "csv-de" else ()),
                                 *(("--backend", "skalar") if fmt != "parquet" else ()))  # (the same rows, sooner)
            assert code == 1, err  # (the error row)
            assert out.endswith(f"Fehlerzeile: {path}\n")
        return files

    @staticmethod
    def parquet_rows(path: Path) -> tuple[list[str], list[tuple[object, ...]]]:
        with duckdb.connect() as connection:
            relation = connection.sql(f"SELECT * FROM read_parquet('{path}')")
            return list(relation.columns), relation.fetchall()

    def headers(self) -> dict[str, str]:
        """Each result column's header: the name, with a number's unit in brackets."""
        model = teilhabe_rules.bundled("mawo").checked
        shown = {}
        for node in model.nodes.values():
            if node.scope == "bewohner" and node.type.kind is node.type.kind.ZAHL and str(node.type.unit):
                shown[node.key] = f"{node.key} [{node.type.unit}]"
        return shown

    def test_the_workbook_holds_every_figure_of_the_parquet_file(self, written: dict[str, Path]) -> None:
        names, exact = self.parquet_rows(written["parquet"])
        book = openpyxl.load_workbook(written["xlsx"])
        assert book.sheetnames == ["Zusammenfassung", "bewohner"]
        summary = dict(book["Zusammenfassung"].iter_rows(min_row=2, values_only=True))
        figures = (summary["Modell"], summary["Fälle"], summary["ausgewertet"], summary["Fehlerzeilen"])
        assert figures == ("mawo", 7, 6, 1)
        header, rows = header_index(book["bewohner"])
        headers = self.headers()
        percent = {key for key, text in headers.items() if text.endswith("[%]")}
        assert percent and len(rows) == len(exact) == 12  # eleven residents and the error row
        checked = 0
        for row, truth in zip(rows, exact, strict=True):
            for name, value in zip(names, truth, strict=True):
                cell = row[header[headers.get(name, name)]]
                if isinstance(value, Decimal):
                    expected = value * 100 if name in percent else value
                    assert cell == pytest.approx(float(expected), rel=1e-15, abs=1e-15), name
                    checked += 1
                elif name not in ("_fehler", "_skalar"):  # (_skalar: which backend evaluated the row)
                    assert cell == value, name
        assert checked > 500
        error = rows[-1] if rows[-1][header["_fehler"]] else next(r for r in rows if r[header["_fehler"]])
        assert "vereinbarung_haus_linde.toml" in error and "Pflichtangabe" in error[header["_fehler"]]
        sheet = book["bewohner"]
        formats = {sheet.cell(1, n).value: sheet.cell(2, n).number_format for n in range(1, sheet.max_column + 1)}
        assert formats["lp2a.kosten_jahr [EUR/Jahr]"] == "#,##0.00"
        assert formats["lp2a.vk [VK]"] == "0.0000"
        assert formats["lp2a.minuten [min/Tag]"] == "0"  # a whole number
        assert formats["lp3a.stunden_woche [h/Woche]"] == "#,##0.00"

    def test_the_german_csv_holds_every_figure(self, written: dict[str, Path]) -> None:
        names, exact = self.parquet_rows(written["parquet"])
        text = written["csv-de"].read_bytes()
        assert text.startswith(codecs.BOM_UTF8 + b"_c;_fall;_i1;")
        rows = list(csv.DictReader(io.StringIO(text.decode("utf-8-sig")), delimiter=";"))
        headers = self.headers()
        assert len(rows) == len(exact)
        for row, truth in zip(rows, exact, strict=True):
            for name, value in zip(names, truth, strict=True):
                cell = row[headers.get(name, name)]
                if isinstance(value, Decimal):
                    shown = Decimal(cell.replace(",", "."))  # (the scalar backend's 28 digits: within the
                    expected = value * 100 if headers.get(name, "").endswith("[%]") else value  # plan's 18)
                    assert abs(shown - expected) <= Decimal("1e-16"), name
                elif isinstance(value, bool) and name != "_skalar":
                    assert cell == ("ja" if value else "nein"), name

    @pytest.mark.parametrize(("extra", "message"), [
        (("--format", "xls", "--out", "v.xlsx"), "--format: unbekanntes Format „xls“"),
        (("--format", "parquet", "--out", "v.csv"), "--format parquet und --out"),
        # (no „oder --format“: the file's suffix must name its format, --format or not)
        (("--out", "v.ods"), "die Endung „.ods“ ist kein Ausgabeformat (möglich: .csv, .jsonl, .ndjson, .xlsx, "
                              ".parquet)\n"),
        (("--format", "parquet", "--out", "v"), "„v“: der Name hat keine Endung (möglich: .csv, .jsonl, .ndjson, "
                                                ".xlsx, .parquet)\n"),
    ])
    def test_usage_errors(self, tmp_path: Path, extra: tuple[str, ...], message: str) -> None:
        code, _, err = run("eval-many", "mawo", str(self.POPULATION),
                           *(str(tmp_path / e) if e.startswith("v.") else e for e in extra))
        assert code == 2 and message in err, err
        assert not list(tmp_path.iterdir())

    def test_the_population_s_own_workbook_is_not_replaced(self, tmp_path: Path) -> None:
        from teilhabe_rules.tools.export import write_batch

        population = tmp_path / "fälle.xlsx"
        book = openpyxl.Workbook()
        book.active.append(["beginn", "stunden", "name"])
        book.active.append([dt.date(2025, 3, 1), 12, "Änne"])
        book.save(population)
        before = population.read_bytes()
        model = teilhabe_rules.load(ROOT / "examples/daten/stunden.rules")
        batch = model.evaluate_many(population)
        with pytest.raises(teilhabe_rules.CaseError, match="ist die Population selbst"):
            write_batch(population, batch, "xlsx")
        refused = "keine .parquet-, .csv-, .jsonl-, .ndjson- oder .json-Datei"
        with pytest.raises(teilhabe_rules.CaseError, match=refused) as caught:
            batch.write(tmp_path / "x.xlsx")
        assert "write_batch" in (caught.value.diagnostics[0].hint or "")
        assert population.read_bytes() == before
        assert write_batch(tmp_path / "x.xlsx", batch, "xlsx") == 1
        assert list(openpyxl.load_workbook(tmp_path / "x.xlsx")["Fälle"].iter_rows(values_only=True))[1][-1] is None
