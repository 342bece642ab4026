"""compare accounts for every row of a broken population: evaluated + errors = input rows."""

from __future__ import annotations

import codecs
import csv
import json
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples
from test_compare import FLAT

import teilhabe_rules
from teilhabe_rules.inputs import population as population_module
from teilhabe_rules.tools import compare as compare_module
from teilhabe_rules.tools.compare import compare

GOOD = '{"beginn": "2025-01-01", "stunden": 10}'


@pytest.fixture(scope="module")
def flat() -> teilhabe_rules.Model:
    return teilhabe_rules.loads(FLAT, "flach.rules")


def output_ids(path: Path) -> list[str]:
    """The case ids of a CSV output, in order."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [row["fall"] for row in csv.DictReader(handle)]


# One line of a population each: (kind, text or raw bytes). Kinds: "ok" (a case), "fehler" (an
# error row), "leer" (an empty line, no row). Bytes are used as they are in a UTF-8 file only.
JSONL_LINES: dict[str, tuple[str, str | bytes]] = {
    "gut": ("ok", GOOD),
    "gut-mit-umlaut": ("ok", '{"beginn": "2025-01-01", "stunden": 10, "gruppe": 2}  '),
    "latin-1": (
        "fehler",
        '{"beginn": "2025-01-01", "stunden": 10, "x": "Müller"}'.encode("latin-1"),
    ),
    "cp1252-anführung": ("fehler", b'{"beginn": "2025-01-01", "stunden": \x8410\x93}'),
    "abgeschnittenes-utf8": ("fehler", GOOD.encode()[:-2] + "ä".encode()[:1]),
    "nullbyte": ("fehler", GOOD + "\x00"),
    "nur-nullbytes": ("fehler", "\x00" * 5),
    "kaputtes-json": ("fehler", '{"beginn": '),
    "tief": ("fehler", "[" * 5000),
    "tief-objekte": ("fehler", '{"a": ' * 300 + "1" + "}" * 300),
    "riesig": ("fehler", '{"beginn": "' + "x" * 3000 + '"}'),
    "zahl": ("fehler", "42"),
    "text": ("fehler", '"ein Text"'),
    "null": ("fehler", "null"),
    "liste": ("fehler", "[1, 2]"),
    "lange-zahl": ("fehler", '{"beginn": "2025-01-01", "stunden": 1' + "0" * 5000 + "}"),
    "surrogat-schlüssel": ("fehler", '{"beginn": "2025-01-01", "stunden": 10, "\\ud800": 1}'),
    "bom-mitten": ("ok", "\ufeff" + GOOD),
    "crlf": ("ok", GOOD + "\r"),
    "wagenrücklauf-mitten": ("ok", '{"beginn": "2025-01-01",\r"stunden": 10}'),
    "leer": ("leer", ""),
    "leerzeichen": ("leer", "  \t "),
    "fremder-fall": ("fehler", '{"name": "kein Fall dieses Modells"}'),
}

CSV_HEADER = "beginn,stunden"
CSV_LINES: dict[str, tuple[str, str | bytes]] = {
    "gut": ("ok", "2025-01-01,10"),
    "gut-gequotet": ("ok", '"2025-01-01","10"'),
    "zu-viele": ("fehler", "2025-01-01,10,3"),
    "zu-wenige": ("fehler", "2025-01-01"),
    "offenes-anführungszeichen": ("fehler", '"2025-01-01,10'),
    "anführungszeichen-mitten": ("fehler", '"2025"x,10'),
    "latin-1": ("fehler", "2025-01-01,1ä".encode("latin-1")),
    "nullbyte": ("fehler", "2025-01-01,1\x000"),
    "tiefe-json-zelle": ("fehler", "2025-01-01," + "[" * 300),
    "kaputte-json-zelle": ("fehler", "2025-01-01,{x"),
    "riesig": ("fehler", "2025-01-01," + "1" * 3000),
    "wagenrücklauf-mitten": ("fehler", "2025-01-01\r,10"),
    "bom-mitten": ("ok", "\ufeff2025-01-01,10"),
    "crlf": ("ok", "2025-01-01,10\r"),
    "leer": ("leer", ""),
    "nur-trenner": ("leer", ","),
    "falscher-wert": ("fehler", "2025-01-01,viel"),
}

ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le-bom", "utf-16-be-bom", "utf-32"]


def encode_file(lines: list[str | bytes], encoding: str, final_newline: bool) -> bytes:
    """A population file: the lines joined by ``\\n`` in ``encoding`` (with its byte order mark)."""
    if encoding in ("utf-8", "utf-8-sig"):
        body = b"\n".join(
            line if isinstance(line, bytes) else line.encode("utf-8", "surrogatepass")
            for line in lines
        )
        body += b"\n" if final_newline and lines else b""
        return (codecs.BOM_UTF8 if encoding == "utf-8-sig" else b"") + body
    text = "\n".join(line for line in lines if isinstance(line, str)) + (
        "\n" if final_newline and lines else ""
    )
    if encoding == "utf-16-le-bom":
        return codecs.BOM_UTF16_LE + text.encode("utf-16-le", "surrogatepass")
    if encoding == "utf-16-be-bom":
        return codecs.BOM_UTF16_BE + text.encode("utf-16-be", "surrogatepass")
    return text.encode(encoding, "surrogatepass")


def check_accounts(
    flat: teilhabe_rules.Model,
    folder: Path,
    name: str,
    header: str | None,
    kinds: list[str],
    table: dict[str, tuple[str, str | bytes]],
    encoding: str,
    final_newline: bool,
) -> None:
    """Write the population, compare, and check that every line is accounted for."""
    if encoding not in ("utf-8", "utf-8-sig"):
        kinds = [
            kind for kind in kinds if isinstance(table[kind][1], str)
        ]  # bytes: UTF-8 files only
    while (
        encoding in ("utf-16", "utf-16-le-bom")
        and kinds
        and str(table[kinds[0]][1]).startswith("\x00")
    ):
        kinds = kinds[1:]  # FF FE 00 00 is the byte order mark of UTF-32 (little-endian)
    lines = [table[kind][1] for kind in kinds]
    if header is not None:
        lines.insert(0, header)
    population = folder / name
    population.write_bytes(encode_file(lines, encoding, final_newline))
    if not final_newline and kinds and table[kinds[-1]][1] == "":
        kinds = kinds[:-1]  # an empty last line without a line end is no line at all
    out = folder / "aus.csv"
    summary = compare(flat, flat, population, out=out)
    first = 2 if header is not None else 1
    expected = {"ok": [], "fehler": [], "leer": []}  # type: dict[str, list[int]]
    for number, kind in enumerate(kinds, start=first):
        expected[table[kind][0]].append(number)
    rows = sorted(expected["ok"] + expected["fehler"])
    assert (summary.rows, summary.evaluated, summary.errors, summary.empty) == (
        len(rows),
        len(expected["ok"]),
        len(expected["fehler"]),
        len(expected["leer"]),
    ), kinds
    data = summary.to_dict()
    assert data["fälle"] == data["ausgewertet"] + data["fehler"] == len(rows)
    assert data["leere_zeilen"] == len(expected["leer"])
    assert output_ids(out) == [f"Zeile {n}" for n in rows]


class TestEveryLineIsAccountedFor:
    """Populations with faults injected anywhere: each line is a result, an error row or empty."""

    @settings(
        max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(
        kinds=st.lists(st.sampled_from(sorted(JSONL_LINES)), min_size=1, max_size=25),
        encoding=st.sampled_from(ENCODINGS),
        final_newline=st.booleans(),
        chunk=st.sampled_from([1, 3, 7, 64, 1 << 20]),
    )
    def test_json_lines(
        self,
        flat: teilhabe_rules.Model,
        tmp_path_factory: pytest.TempPathFactory,
        kinds: list[str],
        encoding: str,
        final_newline: bool,
        chunk: int,
    ) -> None:
        """Reading in small chunks splits lines, multi-byte characters and CRLF anywhere."""
        with (
            mock.patch.object(compare_module, "MAX_LINE", 2000),
            mock.patch.object(population_module, "MAX_LINE", 2000),
            mock.patch.object(population_module, "_CHUNK", chunk),
        ):
            check_accounts(
                flat,
                tmp_path_factory.mktemp("jsonl"),
                "fälle.jsonl",
                None,
                kinds,
                JSONL_LINES,
                encoding,
                final_newline,
            )

    @settings(
        max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(
        kinds=st.lists(st.sampled_from(sorted(CSV_LINES)), min_size=1, max_size=25),
        encoding=st.sampled_from(ENCODINGS),
        final_newline=st.booleans(),
        chunk=st.sampled_from([2, 5, 1 << 20]),
    )
    def test_csv(
        self,
        flat: teilhabe_rules.Model,
        tmp_path_factory: pytest.TempPathFactory,
        kinds: list[str],
        encoding: str,
        final_newline: bool,
        chunk: int,
    ) -> None:
        with (
            mock.patch.object(compare_module, "MAX_LINE", 2000),
            mock.patch.object(population_module, "MAX_LINE", 2000),
            mock.patch.object(population_module, "_CHUNK", chunk),
        ):
            check_accounts(
                flat,
                tmp_path_factory.mktemp("csv"),
                "fälle.csv",
                CSV_HEADER,
                kinds,
                CSV_LINES,
                encoding,
                final_newline,
            )

    @pytest.mark.parametrize("kind", sorted(JSONL_LINES))
    def test_each_json_lines_fault_between_good_rows(
        self, flat: teilhabe_rules.Model, tmp_path: Path, kind: str
    ) -> None:
        with mock.patch.object(compare_module, "MAX_LINE", 2000), \
                mock.patch.object(population_module, "MAX_LINE", 2000):
            check_accounts(
                flat,
                tmp_path,
                "fälle.jsonl",
                None,
                ["gut", kind, "gut"],
                JSONL_LINES,
                "utf-8",
                True,
            )

    @pytest.mark.parametrize("kind", sorted(CSV_LINES))
    def test_each_csv_fault_between_good_rows(
        self, flat: teilhabe_rules.Model, tmp_path: Path, kind: str
    ) -> None:
        with mock.patch.object(compare_module, "MAX_LINE", 2000), \
                mock.patch.object(population_module, "MAX_LINE", 2000):
            check_accounts(
                flat,
                tmp_path,
                "fälle.csv",
                CSV_HEADER,
                ["gut", kind, "gut"],
                CSV_LINES,
                "utf-8",
                True,
            )


class TestTheReportedLosses:
    """Once, one bad line lost every later row, or the whole file."""

    def test_one_latin1_line_among_400(self, flat: teilhabe_rules.Model, tmp_path: Path) -> None:
        lines = [GOOD.encode()] * 400
        lines[198] = '{"beginn": "2025-01-01", "stunden": 10, "name": "Jürgen"}'.encode("latin-1")
        population = tmp_path / "fälle.jsonl"
        population.write_bytes(b"\n".join(lines) + b"\n")
        summary = compare(flat, flat, population, out=tmp_path / "aus.jsonl")
        assert (summary.rows, summary.evaluated, summary.errors) == (400, 399, 1)
        rows = [
            json.loads(line)
            for line in (tmp_path / "aus.jsonl").read_text(encoding="utf-8").splitlines()
        ]
        assert len(rows) == 400 and rows[198]["fall"] == "Zeile 199"
        assert rows[198]["fehler"]["alt"] == (
            "die Zeile ist kein gültiges UTF-8: Byte 0xFC an Stelle 51 "
            "(eine Population ist in UTF-8 geschrieben)"
        )

    @pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
    def test_a_utf16_file_is_read_in_its_encoding(
        self, flat: teilhabe_rules.Model, tmp_path: Path, encoding: str
    ) -> None:
        population = tmp_path / "fälle.jsonl"
        population.write_bytes(("\r\n".join([GOOD] * 400) + "\r\n").encode(encoding))
        summary = compare(flat, flat, population)
        assert (summary.rows, summary.evaluated, summary.errors) == (400, 400, 0)

    def test_a_utf16_file_starting_with_nul_is_not_taken_for_utf32(
        self, flat: teilhabe_rules.Model, tmp_path: Path
    ) -> None:
        """FF FE 00 00 starts UTF-32 and UTF-16 text beginning with U+0000 alike."""
        population = tmp_path / "fälle.jsonl"
        population.write_bytes(("\x00\x00\r\n" + "\r\n".join([GOOD] * 5) + "\r\n").encode("utf-16"))
        summary = compare(flat, flat, population)
        assert (summary.rows, summary.evaluated, summary.errors) == (6, 5, 1)

    def test_a_bad_byte_in_a_utf16_file_says_utf16(
        self, flat: teilhabe_rules.Model, tmp_path: Path
    ) -> None:
        population = tmp_path / "fälle.jsonl"
        lone_surrogate = b"\x00\xd8"  # a high surrogate without its pair, little-endian
        population.write_bytes(
            codecs.BOM_UTF16_LE
            + GOOD.encode("utf-16-le")
            + b"\n\x00"
            + lone_surrogate
            + b"\n\x00"
            + GOOD.encode("utf-16-le")
        )
        out = tmp_path / "aus.jsonl"
        summary = compare(flat, flat, population, out=out)
        assert (summary.rows, summary.evaluated, summary.errors) == (3, 2, 1)
        error = json.loads(out.read_text(encoding="utf-8").splitlines()[1])["fehler"]["alt"]
        assert error.startswith("die Zeile ist kein gültiges UTF-16: Byte 0x00 an Stelle 1")

    def test_one_latin1_csv_row_among_100(self, flat: teilhabe_rules.Model, tmp_path: Path) -> None:
        lines = [b"beginn,stunden"] + [b"2025-01-01,10"] * 100
        lines[50] = "2025-01-01,10 Stunden für Jürgen".encode("latin-1")
        population = tmp_path / "fälle.csv"
        population.write_bytes(b"\n".join(lines) + b"\n")
        summary = compare(flat, flat, population, out=tmp_path / "aus.csv")
        assert (summary.rows, summary.evaluated, summary.errors) == (100, 99, 1)
        assert output_ids(tmp_path / "aus.csv") == [f"Zeile {n}" for n in range(2, 102)]

    def test_a_deeply_nested_line_is_one_error_row(
        self, flat: teilhabe_rules.Model, tmp_path: Path
    ) -> None:
        population = tmp_path / "fälle.jsonl"
        population.write_text(
            "\n".join([GOOD, '{"beginn": ' + "[" * 200_000, GOOD]) + "\n", encoding="utf-8"
        )
        out = tmp_path / "aus.jsonl"
        summary = compare(flat, flat, population, out=out)
        assert (summary.rows, summary.evaluated, summary.errors) == (3, 2, 1)
        error = json.loads(out.read_text(encoding="utf-8").splitlines()[1])["fehler"]["alt"]
        # where the 65th level opens: the object, then after '{"beginn": ' the 64th bracket
        assert error == ("Tabellen und Listen sind tiefer als 64 Ebenen ineinander verschachtelt "
                         "(Stelle 75)")

    def test_a_line_over_the_size_cap_is_one_error_row(
        self, flat: teilhabe_rules.Model, tmp_path: Path
    ) -> None:
        """The long line is skipped in chunks, not kept: the cap bounds the memory."""
        population = tmp_path / "fälle.jsonl"
        population.write_text(
            GOOD + "\n" + '{"beginn": "' + "x" * 50_000 + '"}\n' + GOOD + "\n", encoding="utf-8"
        )
        with (
            mock.patch.object(compare_module, "MAX_LINE", 10_000),
            mock.patch.object(population_module, "MAX_LINE", 10_000),
            mock.patch.object(population_module, "_CHUNK", 4096),
        ):
            summary = compare(flat, flat, population, out=tmp_path / "aus.jsonl")
        assert (summary.rows, summary.evaluated, summary.errors) == (3, 2, 1)
        error = json.loads((tmp_path / "aus.jsonl").read_text(encoding="utf-8").splitlines()[1])[
            "fehler"
        ]["alt"]
        assert error == "die Zeile ist zu lang (mehr als 10.000 Zeichen)"

    def test_empty_lines_are_counted_in_the_summary(
        self, flat: teilhabe_rules.Model, tmp_path: Path
    ) -> None:
        population = tmp_path / "fälle.jsonl"
        population.write_text(f"{GOOD}\n\n{GOOD}\n   \n", encoding="utf-8")
        summary = compare(flat, flat, population)
        assert (summary.rows, summary.empty) == (2, 2)
        assert (
            "Fälle: 2 · ausgewertet: 2 · Fehler: 0 (alt 0, neu 0) · leere Zeilen: 2"
            in summary.render_text()
        )
