"""The commands over hostile and broken files: every outcome is exit 0, 1 or 2 with a German
message, never an internal error (exit 3) or a traceback."""

from __future__ import annotations

import codecs
import io
import json
import re
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples

from teilhabe_rules.cli import main

RULES = """\
modell stunden "Stunden mal Satz"
  version "1"
  gültig ab 01.01.2024
  stichtag beginn
  budget betrag
ende
eingabe beginn: datum "Beginn"
eingabe stunden: zahl h/Jahr von 0 bis 1000 "Stunden im Jahr"
eingabe name: text standard "" "Name"
parameter satz: EUR/h = 60 "Stundensatz"
wert betrag: EUR/Jahr = stunden * satz "Betrag im Jahr"
"""
CSV = "beginn,stunden,name\n2025-03-01,250.5,Jürgen\n"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def xlsx_bytes(tmp: Path) -> bytes:
    path = tmp / "gut.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["beginn", "stunden", "name"])
    sheet.append(["2025-03-01", 250.5, "Jürgen"])
    book.save(path)
    return path.read_bytes()


def parquet_bytes(tmp: Path) -> bytes:
    path = tmp / "gut.parquet"
    with duckdb.connect() as connection:
        connection.execute("COPY (SELECT DATE '2025-03-01' AS beginn, 250.5::DOUBLE AS stunden, 'J' AS name) "
                           f"TO '{path}' (FORMAT parquet)")
    return path.read_bytes()


def contents(tmp: Path) -> dict[str, bytes | None]:
    """Broken files by name (None: a directory of that name)."""
    xlsx, parquet = xlsx_bytes(tmp), parquet_bytes(tmp)
    garbage = bytes(range(256)) * 8
    out: dict[str, bytes | None] = {}
    for suffix in (".csv", ".tsv", ".jsonl", ".xlsx", ".parquet"):
        out[f"leer{suffix}"] = b""
        out[f"binär{suffix}"] = garbage
        out[f"verzeichnis{suffix}"] = None
        out[f"csv_text{suffix}"] = CSV.encode("utf-8")
        out[f"utf16_ohne_bom{suffix}"] = CSV.encode("utf-16-le")
        out[f"nur_kopf{suffix}"] = b"beginn,stunden,name\n"
        out[f"halb_xlsx{suffix}"] = xlsx[: len(xlsx) // 2]
        out[f"halb_parquet{suffix}"] = parquet[: len(parquet) // 2]
        out[f"nullbytes{suffix}"] = b"\x00" * 100
        out[f"latin1{suffix}"] = CSV.encode("latin-1")
        out[f"bom32{suffix}"] = codecs.BOM_UTF32_LE + b"\x00\xd8\x00\x00"
    out["doppelte_spalten.csv"] = b"beginn,stunden,stunden\n2025-03-01,1,2\n"
    out["leerer_zip.xlsx"] = _empty_zip()
    return out


def _empty_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w"):
        pass
    return buffer.getvalue()


def test_every_broken_population_is_a_located_finding(tmp_path: Path) -> None:
    rules = tmp_path / "stunden.rules"
    rules.write_text(RULES, encoding="utf-8")
    files = tmp_path / "fälle"
    files.mkdir()
    seen = 0
    for name, data in contents(tmp_path).items():
        path = files / name
        if data is None:
            path.mkdir()
        else:
            path.write_bytes(data)
        for extra in ((), ("--out", str(tmp_path / "aus.xlsx")), ("--out", str(tmp_path / "aus.parquet")),
                      ("--out", str(tmp_path / "aus.csv"), "--format", "csv-de")):
            code, _, err = run("compare", str(rules), str(rules), str(path), *extra)
            assert code in (0, 1, 2), (name, extra, code, err)
            assert "interner Fehler" not in err and "Traceback" not in err, (name, err)
            seen += 1
    assert seen > 200


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".jsonl", ".xlsx", ".parquet"]))
def test_any_bytes_as_a_population(data: bytes, suffix: str, tmp_path: Path) -> None:
    rules = tmp_path / "stunden.rules"
    rules.write_text(RULES, encoding="utf-8")
    path = tmp_path / f"fälle{suffix}"
    path.write_bytes(data)
    code, _, err = run("compare", str(rules), str(rules), str(path))
    assert code in (0, 1), (code, err)
    assert "interner Fehler" not in err


@pytest.mark.parametrize("out", ["verzeichnis.xlsx", "verzeichnis.parquet", "verzeichnis.csv", "fehlt/x.xlsx",
                                 "fehlt/x.parquet", "fehlt/x.jsonl"])
def test_an_output_that_cannot_be_written(out: str, tmp_path: Path) -> None:
    rules = tmp_path / "stunden.rules"
    rules.write_text(RULES, encoding="utf-8")
    population = tmp_path / "fälle.csv"
    population.write_text(CSV, encoding="utf-8")
    for name in ("verzeichnis.xlsx", "verzeichnis.parquet", "verzeichnis.csv"):
        (tmp_path / name).mkdir(exist_ok=True)
    # a folder of that name: refused before writing; a missing folder: the writing fails
    says = "ist keine gewöhnliche Datei" if out.startswith("verzeichnis") else "lässt sich nicht schreiben"
    code, _, err = run("compare", str(rules), str(rules), str(population), "--out", str(tmp_path / out))
    assert code == 1 and says in err, err
    case = tmp_path / "fall.toml"
    case.write_text('beginn = 2025-03-01\nstunden = 1\n', encoding="utf-8")
    code, _, err = run("eval", str(rules), str(case), "--out", str(tmp_path / out))
    assert code == 1 and says in err, err


@pytest.mark.parametrize("suffix", ["csv", "jsonl", "parquet"])
@pytest.mark.parametrize("row", ['{"beginn": "\\ud800", "stunden": 1}',  # in a value the message shows
                                 '{"beginn": "2025-03-01", "stunden": 1, "\\udfff": 1}'],  # in a key and path
                         ids=["wert", "schluessel"])
def test_a_lone_surrogate_in_a_row_is_an_error_row(row: str, suffix: str, tmp_path: Path) -> None:
    """JSON's ``"\\ud800"`` is a lone surrogate, no text: the row's message shows it escaped, the
    other rows are written — no batch lost (eval-many), no internal error (compare)."""
    rules = tmp_path / "stunden.rules"
    rules.write_text(RULES, "utf-8")
    population = tmp_path / "p.jsonl"
    population.write_text(row + '\n{"beginn": "2025-03-01", "stunden": 2}\n', "utf-8")
    out = tmp_path / f"e.{suffix}"
    code, _, err = run("eval-many", str(rules), str(population), "--out", str(out))
    assert code == 1, err
    rows = duckdb.sql(f"SELECT _c, betrag, _fehler FROM '{out}' ORDER BY _c").fetchall()
    assert [r[0] for r in rows] == [0, 1] and Decimal(str(rows[1][1])) == 120 and rows[1][2] is None
    assert "\\ud800" in rows[0][2] or "\\udfff" in rows[0][2]
    compared = tmp_path / f"v.{suffix}"
    code, _, err = run("compare", str(rules), str(rules), str(population), "--out", str(compared))
    assert code == 1, err
    assert compared.exists() and not Path(f"{compared}.unvollständig").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links")
def test_a_case_file_linking_out_of_its_population_directory_is_not_read(tmp_path: Path) -> None:
    """A population directory's case file that is a symbolic link leading out of it is an error
    row (as an element file would be), in eval-many and compare alike; a link inside is read."""
    rules = tmp_path / "stunden.rules"
    rules.write_text(RULES, "utf-8")
    outside, folder = tmp_path / "aussen", tmp_path / "population"
    outside.mkdir()
    folder.mkdir()
    (outside / "geheim.toml").write_text('beginn = 2025-03-01\nstunden = 5\nkennwort = "x"\n', "utf-8")
    (folder / "a.toml").write_text("beginn = 2025-03-01\nstunden = 5\n", "utf-8")
    (folder / "b.toml").symlink_to(outside / "geheim.toml")
    (folder / "c.toml").symlink_to(folder / "a.toml")
    out = tmp_path / "e.csv"
    code, _, err = run("eval-many", str(rules), str(folder), "--out", str(out))
    assert code == 1, err
    text = out.read_text("utf-8")
    assert (f"{folder / 'b.toml'}:1:1: fehler: Die Falldatei „{folder / 'b.toml'}“ ist ein symbolischer Link, "
            f"der aus {folder} hinausführt") in text
    assert "kennwort" not in text and text.count("300.000000") == 2
    compared = tmp_path / "v.csv"
    code, _, err = run("compare", str(rules), str(rules), str(folder), "--out", str(compared))
    assert code == 1, err
    rows = compared.read_text("utf-8").splitlines()
    assert [row.split(",")[:2] for row in rows[1:]] == [["a.toml", "ok"], ["b.toml", "fehler"], ["c.toml", "ok"]]
    assert "hinausführt" in rows[2] and "kennwort" not in compared.read_text("utf-8")


_ENGLISH = ("Expecting", "Unterminated", "Extra data", "Invalid", "Cannot", "Duplicate", "Escaped", "Expected",
            "Found", "Illegal", "Unclosed", "Unescaped")


@pytest.mark.parametrize(("text", "json_format", "message", "column"), [
    ('name = "a"\nname = "b"\n', False, "ein Schlüssel steht doppelt", 1),
    ("stunden = abc\n", False, "ein ungültiger Wert (ein Text steht in Anführungszeichen)", 11),
    ("a = [1, 2\n", False, "eine Liste […] ist nicht geschlossen (am Dateiende)", None),
    ("[a]\nx = 1\n[a]\n", False, "ein Schlüssel oder eine Tabelle steht doppelt", 1),
    ('{"a": 1, b: 2}', True, "ein Schlüssel in doppelten Anführungszeichen fehlt", 10),
    ('{"a": 1} x', True, "nach dem Fall folgt weiterer Text", 10),
    ("k = 'abc", False, "es fehlt „'“ (am Dateiende)", None),
])
def test_a_broken_case_document_is_told_in_german(text: str, json_format: bool, message: str,
                                                  column: int | None) -> None:
    from teilhabe_rules.inputs.cases import DocumentError, parse_document

    with pytest.raises(DocumentError) as raised:
        parse_document(text, json_format=json_format)
    assert raised.value.message == message and raised.value.syntax
    if column is not None:
        assert raised.value.column == column


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=examples(300))
@given(st.lists(st.sampled_from([*'{}[]"=,:.\n \\ab1-\'', 'true', '\\u12', "'''", '[[', ']]', '2024-13-01']),
                max_size=25).map(''.join), st.booleans())
def test_no_decoder_message_stays_english(text: str, json_format: bool) -> None:
    from teilhabe_rules.inputs.cases import DocumentError, parse_document

    try:
        parse_document(text, json_format=json_format)
    except DocumentError as exc:
        assert not exc.message.startswith(_ENGLISH), exc.message


@pytest.mark.parametrize("digits", ["١٢", "１２", "१२"])
def test_numbers_and_dates_are_written_in_the_digits_0_to_9(digits: str, tmp_path: Path) -> None:
    """A digit of another script is refused alike in a rule file, a case date and ``--at`` —
    as in a case's number — never read as 12 in one place and refused in another."""
    rules = tmp_path / "stunden.rules"
    rules.write_text(RULES.replace("stunden * satz", f"stunden * satz * {digits}"), "utf-8")
    code, _, err = run("check", str(rules))
    assert code == 1 and f"Unerwartetes Zeichen „{digits[0]}“" in err
    assert "hinweis: Zahlen und Daten stehen in den Ziffern 0–9" in err
    rules.write_text(RULES, "utf-8")
    case = tmp_path / "fall.json"
    case.write_text(f'{{"beginn": "01.03.20{digits}", "stunden": 5}}', "utf-8")
    code, _, err = run("eval", str(rules), str(case))
    assert code == 1 and "erwartet ein Datum (JJJJ-MM-TT oder TT.MM.JJJJ)" in err
    case.write_text('{"beginn": "01.03.2025", "stunden": 5}', "utf-8")
    assert run("eval", str(rules), str(case))[0] == 0
    code, _, err = run("eval", str(rules), str(case), "--at", f"20{digits}-03-01")
    assert code == 2 and "ist kein Datum" in err
    population = tmp_path / "p.jsonl"
    population.write_text(f'{{"beginn": "01.03.20{digits}", "stunden": 5}}\n{{"beginn": "01.03.2025", "stunden": 5}}\n',
                          "utf-8")
    code, _, err = run("eval-many", str(rules), str(population), "--out", str(tmp_path / "e.csv"))
    assert code == 1 and "erwartet ein Datum" in (tmp_path / "e.csv").read_text("utf-8")


@pytest.mark.skipif(sys.platform == "win32", reason="file names with ':'")
def test_any_file_name_of_a_population_directory_is_a_case(tmp_path: Path) -> None:
    """Names that would be refused as written paths (``~a.toml``, ``c:1.toml``) are plain
    entries of the directory: only a link leading out of it is refused."""
    rules = tmp_path / "stunden.rules"
    rules.write_text(RULES, "utf-8")
    folder = tmp_path / "population"
    folder.mkdir()
    for name in ("~a.toml", "c:1.toml", "b.toml"):
        (folder / name).write_text("beginn = 2025-03-01\nstunden = 5\n", "utf-8")
    out = tmp_path / "e.csv"
    code, _, err = run("eval-many", str(rules), str(folder), "--out", str(out))
    assert code == 0, err
    assert out.read_text("utf-8").count("300.000000") == 3


@pytest.mark.parametrize("date", ["01.07.2024\u00a0", "\u202f2024-07-01", " 2024-07-01 "])
def test_a_date_with_blanks_of_any_kind_around_it_is_read(date: str, tmp_path: Path) -> None:
    """A no-break space (as spreadsheets export it) around a date is a blank, not a foreign digit."""
    rules = tmp_path / "stunden.rules"
    rules.write_text(RULES, "utf-8")
    case = tmp_path / "fall.json"
    case.write_text(json.dumps({"beginn": date, "stunden": 5}), "utf-8")
    assert run("eval", str(rules), str(case))[0] == 0


@settings(max_examples=examples(40), deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(head=st.lists(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))), max_size=3),
       before=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=8),
       bom=st.booleans())
def test_a_byte_that_is_no_utf_8_is_pointed_at(head: list[str], before: str, bom: bool) -> None:
    """A rule, case or agreement file with a byte that is not UTF-8: the finding is at its line
    and column (as the library counts them, after a byte order mark), the line shown."""
    import tempfile

    before = before.replace("\n", "").replace("\r", "")
    head = [line.replace("\n", "").replace("\r", "") for line in head]
    data = (codecs.BOM_UTF8 if bom else b"") + "".join(line + "\n" for line in head).encode() \
        + before.encode() + b"\xff rest\n"
    with tempfile.TemporaryDirectory() as folder:
        for name, command in (("m.rules", ["check", "{}"]), ("f.toml", ["eval", "mawo", "{}"]),
                              ("v.toml", ["eval", "mawo", "examples/mawo/person_grundfall.toml",
                                          "--vereinbarung", "{}"])):
            path = Path(folder) / name
            path.write_bytes(data)
            out, err = io.StringIO(), io.StringIO()
            root = Path(__file__).resolve().parents[2]
            assert main([str(root / part) if part.startswith("examples") else part.format(path)
                         for part in command], out, err) == 1
            assert f"{path}:{len(head) + 1}:{len(before) + 1}: fehler: " in err.getvalue(), err.getvalue()
            assert "nicht in UTF-8 geschrieben" in err.getvalue()


@pytest.mark.parametrize("command", [["eval-many", "mawo", "{missing}", "--out", "{out}"],
                                     ["compare", "mawo", "mawo_2025", "{missing}"]])
@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".xlsx", ".parquet"])
def test_a_population_that_is_not_there_is_told_in_german(command: list[str], suffix: str, tmp_path: Path) -> None:
    missing = tmp_path / f"fehlt{suffix}"
    out, err = io.StringIO(), io.StringIO()
    code = main([part.format(missing=missing, out=tmp_path / "e.parquet") for part in command], out, err)
    assert code == 1 and "lässt sich nicht lesen" in err.getvalue(), err.getvalue()
    assert re.search(r"die Datei (gibt es nicht|fehlt)", err.getvalue()) and "No such" not in err.getvalue()
