"""Files named inside other files stay confined: a variant's base and a case's element files are
regular files inside their directory tree, of bounded size; no message shows a foreign file."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import threading
import time
from pathlib import Path

import pytest

import teilhabe_rules
from teilhabe_rules import CaseError, CheckError, RuleSyntaxError
from teilhabe_rules.cli import main

ROOT = Path(__file__).resolve().parents[2]
MAWO = ROOT / "models" / "mawo.rules"
CASES = Path(__file__).resolve().parents[1] / "fixtures" / "cases"
SECRET = "GEHEIMNIS-4711"
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")


def fifo(path: Path) -> Path:
    """A FIFO at ``path``. Should a regression open it for reading and wait for a writer, a
    helper opens it for writing (for half a minute, after two seconds): the test then fails
    instead of hanging."""
    os.mkfifo(path)

    def unblock() -> None:
        time.sleep(2)
        for _ in range(300):
            with contextlib.suppress(OSError):  # no reader (the right outcome) or the test is over
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
            time.sleep(0.1)

    threading.Thread(target=unblock, daemon=True).start()
    return path


def variant(folder: Path, base: str, name: str = "haus.rules") -> Path:
    path = folder / name
    path.write_text(f'modell haus "Haus"\n  erweitert "{base}"\n  gültig ab 01.01.2025\nende\n', encoding="utf-8")
    return path


def refused(path: Path, **options: object) -> CheckError:
    with pytest.raises(CheckError) as caught:
        teilhabe_rules.load(path, **options)  # type: ignore[arg-type]
    return caught.value


class TestVariantBases:
    """``erweitert`` names a bundled model or a .rules file in the variant's tree (or a search path)."""

    @pytest.mark.parametrize("base", ["/proc/self/environ", "/etc/passwd", "/etc/hostname"])
    def test_an_absolute_base_is_refused_on_the_erweitert_line(self, tmp_path: Path, base: str,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("TEILHABE_TEST_SECRET", SECRET)
        error = refused(variant(tmp_path, base))
        (diagnostic,) = error.diagnostics
        assert diagnostic.message == f"Das Basismodell „{base}“ ist ein absoluter Pfad"
        assert diagnostic.location is not None
        where = (diagnostic.location.file, diagnostic.location.line, diagnostic.location.column)
        assert where == (str(tmp_path / "haus.rules"), 2, 13)
        assert diagnostic.source_line == f'  erweitert "{base}"'
        assert diagnostic.hint is not None and "mitgeliefertes Modell" in diagnostic.hint
        rendered = error.render()
        assert SECRET not in rendered and "root:" not in rendered

    @pytest.mark.parametrize("base", ["../../etc/hostname", "../draussen", "unten/../../draussen.rules"])
    def test_dot_dot_out_of_the_tree_is_refused(self, tmp_path: Path, base: str) -> None:
        (tmp_path / "draussen.rules").write_text(f"# {SECRET}\n", encoding="utf-8")
        inner = tmp_path / "innen"
        inner.mkdir()
        error = refused(variant(inner, base))
        assert "„..“ führt hinaus" in error.message and SECRET not in error.render()

    def test_a_symbolic_link_out_of_the_tree_is_refused(self, tmp_path: Path) -> None:
        shutil.copy(MAWO, tmp_path / "mawo.rules")
        inner = tmp_path / "innen"
        inner.mkdir()
        (inner / "basis.rules").symlink_to(tmp_path / "mawo.rules")
        error = refused(variant(inner, "basis"))
        assert "symbolischer Link" in error.message
        assert error.diagnostics[0].location is not None and error.diagnostics[0].location.line == 2

    def test_a_file_that_is_not_a_rule_file_is_refused_unread(self, tmp_path: Path) -> None:
        (tmp_path / "notizen.txt").write_text(f"{SECRET}\n", encoding="utf-8")
        (tmp_path / "tarnung.rules").symlink_to(tmp_path / "notizen.txt")  # inside, but not a .rules file
        for base in ("notizen.txt", "tarnung"):
            error = refused(variant(tmp_path, base))
            assert "ist keine Regeldatei" in error.message and SECRET not in error.render()

    @needs_fifo
    def test_a_fifo_is_refused_without_blocking(self, tmp_path: Path) -> None:
        fifo(tmp_path / "basis.rules")
        error = refused(variant(tmp_path, "basis"))
        assert "keine gewöhnliche Datei, sondern eine Pipe (FIFO)" in error.message

    def test_a_base_larger_than_the_limit_is_refused(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        from teilhabe_rules.check import variants

        shutil.copy(MAWO, tmp_path / "mawo.rules")
        monkeypatch.setattr(variants, "MAX_RULE_BYTES", 1000)
        error = refused(variant(tmp_path, "mawo"))
        assert "erlaubt sind höchstens 1000 Bytes" in error.message
        assert "versehentlich" in (error.diagnostics[0].hint or "")

    def test_a_base_below_the_variant_and_a_bundled_base_load(self, tmp_path: Path) -> None:
        (tmp_path / "unten").mkdir()
        shutil.copy(MAWO, tmp_path / "unten" / "basis.rules")
        model = teilhabe_rules.load(variant(tmp_path, "unten/basis"))
        assert [Path(f).name for f in model.info.base_files] == ["basis.rules"]
        bundled = teilhabe_rules.load(variant(tmp_path, "mawo", "gebuendelt.rules"))
        assert Path(bundled.info.base_files[0]).parent.name == "models"

    def test_a_search_path_given_by_the_caller(self, tmp_path: Path) -> None:
        shared, own = tmp_path / "gemeinsam", tmp_path / "haus"
        shared.mkdir()
        own.mkdir()
        shutil.copy(MAWO, shared / "traeger.rules")
        path = variant(own, "traeger")
        assert "wurde nicht gefunden" in refused(path).message
        assert teilhabe_rules.load(path, search_path=[shared]).info.base_files == (str(shared / "traeger.rules"),)
        text = path.read_text(encoding="utf-8")
        assert teilhabe_rules.loads(text, str(path), search_path=[shared]).name == "haus"
        # the search path does not open a way out of itself either
        assert "„..“ führt hinaus" in refused(variant(own, "../haus/x"), search_path=[shared]).message

    @needs_fifo
    def test_a_rule_file_that_is_a_fifo(self, tmp_path: Path) -> None:
        fifo(tmp_path / "modell.rules")
        with pytest.raises(RuleSyntaxError, match="keine gewöhnliche Datei"):
            teilhabe_rules.load(tmp_path / "modell.rules")


CASE_HEAD = "beginn = 2025-01-01\npflegegrad = 1\nkap4 = 5\n"


@pytest.fixture(scope="module")
def klein() -> teilhabe_rules.Model:
    return teilhabe_rules.load(CASES / "klein.rules")


def case_file(folder: Path, *elements: str) -> Path:
    path = folder / "fall.toml"
    listed = ", ".join('"' + e.replace("\\", "\\\\").replace("\x00", "\\u0000") + '"' for e in elements)
    path.write_text(f"{CASE_HEAD}massnahmen = [{listed}]\n\n[lp2a]\nkap5 = 2\n", encoding="utf-8")
    return path


def case_error(model: teilhabe_rules.Model, data: object) -> CaseError:
    with pytest.raises(CaseError) as caught:
        model.load_case(data)  # type: ignore[arg-type]
    return caught.value


class TestElementFiles:
    """A list element given as a file is a regular file inside the case file's directory tree."""

    @pytest.mark.parametrize(
        ("element", "words"),
        [
            ("/dev/zero", "ist ein absoluter Pfad"),
            ("/dev/stdin", "ist ein absoluter Pfad"),
            ("../draussen.toml", "„..“ führt hinaus"),
            ("unten/../../draussen.toml", "„..“ führt hinaus"),
            ("a\x00b.toml", "Nullzeichen"),
            ("ordner.toml", "ein Verzeichnis"),
            ("notizen.txt", "keine TOML- oder JSON-Datei"),
            ("fehlt.toml", "gibt es nicht"),
        ],
    )
    def test_refused_at_the_element_that_names_it(self, klein: teilhabe_rules.Model, tmp_path: Path, element: str,
                                                  words: str) -> None:
        inner = tmp_path / "fall"
        inner.mkdir()
        (tmp_path / "draussen.toml").write_text('bezeichnung = "x"\nstunden = 1\n', encoding="utf-8")
        shutil.copy(CASES / "massnahmen" / "gruppe.toml", inner / "gruppe.toml")
        (inner / "ordner.toml").mkdir()
        (inner / "notizen.txt").write_text(f"{SECRET}\n", encoding="utf-8")
        path = case_file(inner, "gruppe.toml", element)
        (diagnostic,) = case_error(klein, path).diagnostics
        assert words in diagnostic.message and SECRET not in diagnostic.render()
        assert diagnostic.path == "$.massnahmen[2]"
        assert diagnostic.location is not None and diagnostic.location.file == str(path)
        assert diagnostic.location.line == 4  # the line of `massnahmen = [...]`
        assert diagnostic.source_line is not None
        assert diagnostic.source_line[diagnostic.location.column - 1:].startswith('"' + element[:1])

    def test_a_file_that_is_not_toml_or_json_is_not_read(self, klein: teilhabe_rules.Model, tmp_path: Path) -> None:
        (tmp_path / ".env").write_text(f"PASSWORT={SECRET}\n", encoding="utf-8")
        (tmp_path / "tarnung.toml").symlink_to(tmp_path / ".env")
        error = case_error(klein, case_file(tmp_path, ".env", "tarnung.toml"))
        assert [d.path for d in error.diagnostics] == ["$.massnahmen[1]", "$.massnahmen[2]"]
        assert all("keine TOML- oder JSON-Datei" in d.message for d in error.diagnostics)
        assert SECRET not in error.render()

    def test_a_symbolic_link_out_of_the_tree(self, klein: teilhabe_rules.Model, tmp_path: Path) -> None:
        inner = tmp_path / "fall"
        inner.mkdir()
        (inner / "null.toml").symlink_to("/dev/zero")
        (tmp_path / "draussen.toml").write_text(f'bezeichnung = "{SECRET}"\nstunden = 1\n', encoding="utf-8")
        (inner / "weg.toml").symlink_to(tmp_path / "draussen.toml")
        error = case_error(klein, case_file(inner, "null.toml", "weg.toml"))
        assert [d.path for d in error.diagnostics] == ["$.massnahmen[1]", "$.massnahmen[2]"]
        assert all("symbolischer Link" in d.message for d in error.diagnostics)
        assert SECRET not in error.render()

    @needs_fifo
    def test_a_fifo_is_refused_without_blocking(self, klein: teilhabe_rules.Model, tmp_path: Path) -> None:
        fifo(tmp_path / "pipe.toml")
        (diagnostic,) = case_error(klein, case_file(tmp_path, "pipe.toml")).diagnostics
        assert "eine Pipe (FIFO)" in diagnostic.message and diagnostic.path == "$.massnahmen[1]"

    def test_a_file_over_the_size_limit(self, klein: teilhabe_rules.Model, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
        from teilhabe_rules.inputs import cases

        (tmp_path / "gross.toml").write_text('bezeichnung = "x"\nstunden = 1\n' + "# " + "x" * 200 + "\n",
                                             encoding="utf-8")
        monkeypatch.setattr(cases, "MAX_CASE_BYTES", 150)
        (diagnostic,) = case_error(klein, case_file(tmp_path, "gross.toml")).diagnostics
        assert "erlaubt sind höchstens 150 Bytes" in diagnostic.message

    def test_all_files_of_a_case_together_are_bounded(self, klein: teilhabe_rules.Model, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
        from teilhabe_rules.inputs import cases

        for name in ("a", "b"):
            (tmp_path / f"{name}.toml").write_text(f'bezeichnung = "{name}"\nstunden = 1\n' + "#" * 100 + "\n",
                                                   encoding="utf-8")
        path = case_file(tmp_path, "a.toml", "a.toml", "b.toml")
        monkeypatch.setattr(cases, "MAX_CASE_TOTAL_BYTES", len(path.read_text(encoding="utf-8")) + 200)
        (diagnostic,) = case_error(klein, path).diagnostics  # a.toml twice is read once
        assert diagnostic.path == "$.massnahmen[3]" and "Gesamtgröße" in diagnostic.message

    def test_an_element_file_of_a_mapping_stays_in_the_working_directory(
        self, klein: teilhabe_rules.Model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir(CASES / "massnahmen")
        data = {"beginn": "2025-01-01", "pflegegrad": 1, "kap4": 5, "lp2a": {"kap5": 2},
                "massnahmen": ["../grundfall.toml"]}
        (diagnostic,) = case_error(klein, data).diagnostics
        assert "„..“ führt hinaus" in diagnostic.message and diagnostic.path == "$.massnahmen[1]"


    def test_a_mapping_in_a_removed_working_directory(self, klein: teilhabe_rules.Model, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
        gone = tmp_path / "weg"
        gone.mkdir()
        monkeypatch.chdir(gone)
        gone.rmdir()
        data = {"beginn": "2025-01-01", "pflegegrad": 1, "kap4": 5, "lp2a": {"kap5": 2},
                "massnahmen": [{"bezeichnung": "x", "stunden": 1}]}
        assert klein.load_case(data).row["kap4"] == 5  # no element file: the directory is not needed
        (diagnostic,) = case_error(klein, dict(data, massnahmen=["gruppe.toml"])).diagnostics
        assert "Arbeitsverzeichnis" in diagnostic.message and diagnostic.path == "$.massnahmen[1]"


class TestCaseFile:
    """The case file itself: a regular file of bounded size, never read without end."""

    @needs_fifo
    def test_a_fifo(self, klein: teilhabe_rules.Model, tmp_path: Path) -> None:
        fifo(tmp_path / "fall.toml")
        assert "eine Pipe (FIFO)" in case_error(klein, tmp_path / "fall.toml").message

    @pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
    def test_dev_zero_on_the_command_line(self, tmp_path: Path) -> None:
        err = io.StringIO()
        assert main(["eval", str(CASES / "klein.rules"), "/dev/zero"], io.StringIO(), err) == 1
        assert "/dev/zero" in err.getvalue() and "ein Gerät" in err.getvalue()

    def test_over_the_size_limit(self, klein: teilhabe_rules.Model, monkeypatch: pytest.MonkeyPatch) -> None:
        from teilhabe_rules.inputs import cases

        monkeypatch.setattr(cases, "MAX_CASE_BYTES", 10)
        error = case_error(klein, CASES / "grundfall.toml")
        assert "erlaubt sind höchstens 10 Bytes" in error.message
        location = error.diagnostics[0].location
        assert location is not None and location.file == str(CASES / "grundfall.toml")


def test_sizes_are_written_with_the_german_decimal_mark() -> None:
    from teilhabe_rules.files import size_text

    assert [size_text(n) for n in (800, 2**20, 1536 * 1024, 2_300_000)] == [
        "800 Bytes", "1 MiB", "1,5 MiB", "2,2 MiB"]
