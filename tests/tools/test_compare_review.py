"""compare after review: one JSON decoder, malformed resume states, bounded memory, figure names
with ``[]``, element files next to the population, no symbolic links followed, nothing left by a
bad CSV header, agreement validity in the resume identity, ``same_file`` in ``files``."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
import tracemalloc
from io import BytesIO
from pathlib import Path
from unittest import mock

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples
from test_compare import FLAT, model, persons
from test_compare_faults import GOOD
from test_compare_figures import TWO_RATES
from test_compare_resume import Interrupt, partial, population, state

import teilhabe_rules
from teilhabe_rules import CaseError, CheckError
from teilhabe_rules import cli as cli_module
from teilhabe_rules.files import same_file
from teilhabe_rules.inputs import population as population_module
from teilhabe_rules.tools import compare as compare_module
from teilhabe_rules.tools.compare import PopulationRow, _batches, compare, count_rows, read_population


@pytest.fixture(scope="module")
def flat() -> teilhabe_rules.Model:
    return teilhabe_rules.loads(FLAT, "flach.rules")


def without_time(summary: compare_module.Summary) -> dict:
    return {k: v for k, v in summary.to_dict().items() if k != "sekunden"}


class TestOneDecoder:
    """A population line is decoded by cases.parse_document only; no quadratic scan of its own."""

    def test_unclosed_quotes_before_many_brackets_are_one_quick_error_row(
        self, flat: teilhabe_rules.Model, tmp_path: Path
    ) -> None:
        line = '"\\' * 100_000 + "[" * 65  # 200 KB: the old bracket scan took minutes
        cases = tmp_path / "fälle.jsonl"
        cases.write_text("\n".join([GOOD, line, GOOD]) + "\n", encoding="utf-8")
        out = tmp_path / "aus.jsonl"
        start = time.perf_counter()
        summary = compare(flat, flat, cases, out=out)
        assert time.perf_counter() - start < 5  # takes well under a second
        assert (summary.rows, summary.evaluated, summary.errors) == (3, 2, 1)
        error = json.loads(out.read_text(encoding="utf-8").splitlines()[1])["fehler"]["alt"]
        assert error.startswith("kein gültiges JSON: eine ungültige Escape-Sequenz (Stelle ")

    def test_lines_and_cells_go_through_parse_document(self, tmp_path: Path) -> None:
        assert not hasattr(compare_module, "_depth") and not hasattr(compare_module, "_TOKENS")
        calls: list[str] = []
        original = population_module.parse_document

        def spy(text: str, *, json_format: bool) -> object:
            calls.append(text)
            return original(text, json_format=json_format)

        with mock.patch.object(population_module, "parse_document", spy):
            assert compare_module.decode_json('{"a": [1]}') == {"a": [1]}
            with pytest.raises(compare_module.JsonLineError, match="tiefer als 64 Ebenen"):
                compare_module.decode_json("[" * 70 + "]" * 70)
        assert calls == ['{"a": [1]}', "[" * 70 + "]" * 70]


class TestMalformedResumeState:
    """A state file that is not what the library wrote: the run starts again (a bad first line)
    or takes over up to the last intact progress line; never a Python error."""

    @pytest.fixture
    def interrupted(
        self, flat: teilhabe_rules.Model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> tuple[Path, Path, compare_module.Summary]:
        cases = population(tmp_path / "fälle.jsonl", 1_000)
        whole = compare(flat, flat, cases, out=tmp_path / "ganz.csv")
        with monkeypatch.context() as patched, pytest.raises(KeyboardInterrupt):
            Interrupt(patched, after=3)  # 500 rows written: head, header line, 250, 500
            compare(flat, flat, cases, out=tmp_path / "aus.csv")
        return cases, tmp_path / "aus.csv", whole

    def replace_line(self, path: Path, index: int, text: bytes) -> None:
        lines = state(path).read_bytes().split(b"\n")
        assert len(lines) == 5 and lines[-1] == b""
        lines[index] = text
        state(path).write_bytes(b"\n".join(lines))

    def resumed(self, flat: teilhabe_rules.Model, cases: Path, out: Path,
                whole: compare_module.Summary) -> int:
        summary = compare(flat, flat, cases, out=out, resume=True)
        assert out.read_bytes() == out.with_name("ganz.csv").read_bytes()
        assert without_time(summary) == without_time(whole)
        assert not partial(out).exists() and not state(out).exists()
        return summary.resumed

    @pytest.mark.parametrize("head", [b"[1, 2]", b'"stand"', b"null", b"[" * 100_000,
                                      b'{"stand": 1, "lauf": []}', b'{"stand": true}'])
    def test_a_first_line_that_is_no_state_starts_again(
        self, flat: teilhabe_rules.Model, interrupted: tuple, head: bytes
    ) -> None:
        cases, out, whole = interrupted
        self.replace_line(out, 0, head)
        assert self.resumed(flat, cases, out, whole) == 0

    @pytest.mark.parametrize("change", [
        {"sekunden": None}, {"sekunden": "1"}, {"sekunden": -1}, {"sekunden": 1e309},
        {"bytes": -5}, {"bytes": 1.5}, {"bytes": "12"}, {"bytes": True}, {"bytes": 10**12},
        {"bytes": 3},  # fewer bytes than the header line already took
        {"zeilen": None}, {"zeilen": 500.0}, {"fälle": None}, {"fälle": {"a": 1}},
        {"fälle": [["Zeile 251", 0, 0, [], "NaN", "1"]] * 250},
        {"fälle": [["Zeile 251", 0, 0, [], {"x": 1}, "1"]] * 250},
        {"fälle": [[1, 2]] * 250},
    ])
    def test_a_malformed_progress_line_ends_what_is_taken_over(
        self, flat: teilhabe_rules.Model, interrupted: tuple, change: dict
    ) -> None:
        cases, out, whole = interrupted
        point = json.loads(state(out).read_bytes().split(b"\n")[3])
        for key, value in change.items():
            if value is None:
                del point[key]
            else:
                point[key] = value
        self.replace_line(out, 3, json.dumps(point).encode())
        assert self.resumed(flat, cases, out, whole) == 250

    @pytest.mark.parametrize("line", [b"[" * 100_000, b"[1]", b"17", b"{"])
    def test_a_progress_line_that_is_no_object_ends_what_is_taken_over(
        self, flat: teilhabe_rules.Model, interrupted: tuple, line: bytes
    ) -> None:
        cases, out, whole = interrupted
        self.replace_line(out, 3, line)
        assert self.resumed(flat, cases, out, whole) == 250


class TestBoundedMemory:
    """A batch holds at most about MAX_LINE characters of lines; rows are counted in chunks."""

    def test_a_batch_is_cut_when_its_lines_pass_max_line(self) -> None:
        sizes: list[int] = []

        def batch(rows: list[PopulationRow]) -> tuple[str, list]:
            sizes.append(sum(row.size for row in rows))
            return "", []

        rows = [PopulationRow(f"Zeile {n}", raw="x" * 400, size=400) for n in range(10)]
        with mock.patch.object(compare_module, "MAX_LINE", 1000):
            list(_batches(batch, iter(rows)))  # type: ignore[arg-type]
        assert sizes == [1200, 1200, 1200, 400]

    def test_rows_carry_the_size_of_their_line(self, tmp_path: Path) -> None:
        (tmp_path / "f.jsonl").write_text(GOOD + "\n\n[1]\n", encoding="utf-8")
        (tmp_path / "f.csv").write_text("stunden,beginn\n10,2025-01-01\n", encoding="utf-8")
        for name, sizes in (("f.jsonl", [len(GOOD), 3]), ("f.csv", [13])):
            rows = read_population(tmp_path / name)
            try:
                assert [row.size for row in rows] == sizes
            finally:
                rows.close()

    def test_a_file_without_line_ends_is_counted_in_chunks(self, tmp_path: Path) -> None:
        path = tmp_path / "eine_zeile.jsonl"
        path.write_bytes(b"x" * (8 << 20))
        tracemalloc.start()
        try:
            assert count_rows(path) == 1
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 4 << 20  # reading the line whole took more than 8 MiB

    @settings(max_examples=examples(200), deadline=None)
    @given(st.lists(st.sampled_from([b"\n", b"\r\n", b" ", b"\t", b"a", b"{}", b"\n\n"]),
                    max_size=30), st.integers(1, 5))
    def test_counting_in_chunks_counts_the_lines_that_are_not_blank(
        self, parts: list[bytes], chunk: int
    ) -> None:
        data = b"".join(parts)
        with mock.patch.object(population_module, "_CHUNK", chunk):
            counted = population_module._count_lines(BytesIO(data))
        assert counted == sum(1 for line in data.split(b"\n") if line.strip())


class TestFigureNames:
    """A figure written with ``[]`` is the value it names, in the API and on the command line."""

    def test_brackets_name_the_same_value(self, tmp_path: Path) -> None:
        rates = teilhabe_rules.loads(TWO_RATES, "zwei.rules")
        cases = population(tmp_path / "fälle.jsonl", 20)
        plain = compare(rates, None, cases, figures=("alt", "neu"), out=tmp_path / "a.csv")
        written = compare(rates, None, cases, figures=("alt[]", "neu"), out=tmp_path / "b.csv")
        assert without_time(written) == without_time(plain)
        assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
        with pytest.raises(CheckError, match="nennen beide"):
            compare(rates, None, cases, figures=("alt[]", "alt"))

    def test_on_the_command_line(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(tmp_path)
        Path("zwei.rules").write_text(TWO_RATES, encoding="utf-8")
        population(tmp_path / "fälle.jsonl", 5)
        code = cli_module.main(["compare", "zwei.rules", "fälle.jsonl", "--alt", "alt[]",
                                "--neu", "neu"], mock.MagicMock(), mock.MagicMock())
        assert code in (0, 1)  # not 3: no internal defect


class TestElementFiles:
    """List elements a population row names as files are read next to the population."""

    def test_relative_to_the_population_not_the_working_directory(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        folder = tmp_path / "population"
        (folder / "conf").mkdir(parents=True)
        case = persons(1)[0]
        (folder / "conf" / "b1.json").write_text(json.dumps(case["bewohner"][0], default=str),
                                                 encoding="utf-8")
        case["bewohner"] = ["conf/b1.json"]
        (folder / "f.jsonl").write_text(json.dumps(case, default=str) + "\n", encoding="utf-8")
        elsewhere = tmp_path / "anderswo"
        elsewhere.mkdir()
        monkeypatch.chdir(elsewhere)
        mawo = model("mawo")
        summary = compare(mawo, model("mawo_2025"), folder / "f.jsonl")
        assert (summary.evaluated, summary.errors) == (1, 0)
        single = compare(mawo, None, folder / "f.jsonl", figures=("nacht.vk", "nacht.vk_angebot"))
        assert (single.evaluated, single.errors) == (1, 0)


class TestNoSymbolicLinks:
    """The partial file and its state are never written through a planted symbolic link."""

    @pytest.mark.parametrize("which", ["partial", "state"])
    def test_a_planted_link_is_replaced_not_followed(
        self, flat: teilhabe_rules.Model, tmp_path: Path, which: str
    ) -> None:
        cases = population(tmp_path / "fälle.jsonl", 10)
        victim = tmp_path / "fremd.txt"
        victim.write_text("unverändert", encoding="utf-8")
        out = tmp_path / "aus.csv"
        (partial(out) if which == "partial" else state(out)).symlink_to(victim)
        compare(flat, flat, cases, out=out)
        assert victim.read_text(encoding="utf-8") == "unverändert"
        assert out.exists() and not os.path.lexists(partial(out))

    @pytest.mark.parametrize("which", ["partial", "state"])
    def test_resuming_refuses_a_link(
        self, flat: teilhabe_rules.Model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        which: str
    ) -> None:
        cases = population(tmp_path / "fälle.jsonl", 1_000)
        out = tmp_path / "aus.csv"
        with monkeypatch.context() as patched, pytest.raises(KeyboardInterrupt):
            Interrupt(patched, after=3)
            compare(flat, flat, cases, out=out)
        path = partial(out) if which == "partial" else state(out)
        moved = tmp_path / "woanders"
        shutil.move(path, moved)
        path.symlink_to(moved)
        before = moved.read_bytes()
        with pytest.raises(CaseError, match="symbolischer Link"):
            compare(flat, flat, cases, out=out, resume=True)
        assert moved.read_bytes() == before


class TestNothingLeftBehind:
    """A run that fails before its first row leaves no partial file and no state."""

    def test_a_bad_csv_header(self, flat: teilhabe_rules.Model, tmp_path: Path) -> None:
        cases = tmp_path / "fälle.csv"
        cases.write_text("stunden,beginn[x\n10,2025-01-01\n", encoding="utf-8")
        out = tmp_path / "aus.csv"
        with pytest.raises(CaseError, match="Spalte 2"):
            compare(flat, flat, cases, out=out)
        assert list(tmp_path.iterdir()) == [cases]

    def test_the_state_is_closed_when_the_partial_file_cannot_be_opened(
        self, tmp_path: Path
    ) -> None:
        out = tmp_path / "aus.csv"
        partial(out).mkdir()
        (partial(out) / "drin").touch()  # a directory that cannot be removed as a file
        rows = compare_module._RowFile(out, {"lauf": 1})
        with pytest.raises(CaseError, match="lässt sich nicht schreiben"):
            rows.open("kopf\n")
        assert rows.state is not None and rows.state.closed
        assert not state(out).exists()


class TestResumeIdentity:
    """What makes a run the same includes the agreement's validity and its file's content."""

    def test_validity_and_file_content_count(self, tmp_path: Path) -> None:
        root = Path(__file__).resolve().parents[2]
        bei = teilhabe_rules.load(root / "models" / "bei_nrw3.rules")
        source = root / "examples" / "bei_nrw3" / "vereinbarung_fiktiv.toml"
        agreed = bei.load_agreement(source)
        identity = compare_module._agreement_identity
        later = attrs.evolve(agreed, valid_from=dt.date(2031, 1, 1))
        shorter = attrs.evolve(agreed, valid_to=dt.date(2031, 1, 1))
        assert len({identity(agreed), identity(later), identity(shorter)}) == 3
        copy = tmp_path / "v.toml"
        copy.write_text(source.read_text(encoding="utf-8") + "\n# eine Anmerkung\n",
                        encoding="utf-8")
        assert identity(bei.load_agreement(copy)) != identity(agreed)


class TestSameFile:
    """``same_file`` is public in ``files``; the command line no longer reaches into compare."""

    def test_same_file(self, tmp_path: Path) -> None:
        (tmp_path / "a").touch()
        (tmp_path / "b").symlink_to(tmp_path / "a")
        assert same_file(tmp_path / "a", tmp_path / "b")
        assert not same_file(tmp_path / "a", tmp_path / "c")
        assert not hasattr(compare_module, "_same_file")
        assert "_same_file" not in Path(cli_module.__file__).read_text(encoding="utf-8")
