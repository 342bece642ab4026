"""The command line: exit codes 0/1/2, compiler-style errors, JSON output, never a traceback."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from teilhabe_rules.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CASES = FIXTURES / "cases"
AGREEMENTS = FIXTURES / "agreements"
MODEL = str(CASES / "klein.rules")
CASE = str(CASES / "grundfall.toml")
CASES_CSV = str(Path(__file__).resolve().parents[2] / "examples" / "daten" / "fälle.csv")
HOURS = str(Path(__file__).resolve().parents[2] / "examples" / "daten" / "stunden.rules")

BAD_MODEL = """\
modell kaputt "Mit Einheitenfehler"
  version "1"
  gültig ab 01.01.2024
ende
wert a: EUR = 1 min
"""

EXAMPLES_MODEL = """\
modell beispiele "Beispiele"
  version "1"
  gültig ab 01.01.2024
ende

eingabe kap4: auswahl {0, 2, 5} min/Tag
parameter satz: EUR/h = 60 "Stundensatz"
wert jahresstunden: h/Jahr = kap4 als h/Jahr
wert betrag: EUR/Jahr = runde(jahresstunden * satz, 2, kaufmännisch)

vorlage grund
  kap4 = 2
ende

beispiel "stimmt"
  basis grund
  erwartet betrag = 730.00 EUR/Jahr
ende
"""

FAILING_EXAMPLE = """
beispiel "stimmt-nicht"
  basis grund
  erwartet betrag = 1.00 EUR/Jahr
ende
"""


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    assert "Traceback" not in out.getvalue() + err.getvalue()
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def bad_model(tmp_path: Path) -> str:
    path = tmp_path / "kaputt.rules"
    path.write_text(BAD_MODEL, encoding="utf-8")
    return str(path)


class TestCheck:
    """``check`` reports ok files on stdout and errors with file:line:col and a caret on stderr."""

    def test_ok(self) -> None:
        code, out, err = run("check", MODEL)
        assert code == 0
        assert out.startswith(f"{MODEL}: in Ordnung")
        assert "fehler" not in err

    def test_bad_file(self, bad_model: str) -> None:
        code, out, err = run("check", bad_model)
        assert code == 1
        assert "in Ordnung" not in out
        lines = err.splitlines()
        assert lines[0].startswith(f"{bad_model}:5:9: fehler: ")
        assert lines[1].strip() == "wert a: EUR = 1 min"
        caret = lines[2]
        assert caret.strip().startswith("^")
        assert caret.index("^") == len("    ") + 8  # under column 9

    def test_ok_and_bad_together(self, bad_model: str) -> None:
        code, out, err = run("check", MODEL, bad_model)
        assert code == 1
        assert "in Ordnung" in out and bad_model in err

    def test_json(self, bad_model: str) -> None:
        code, out, _ = run("check", MODEL, bad_model, "--format", "json")
        assert code == 1
        report = json.loads(out)
        assert [entry["ok"] for entry in report] == [True, False]
        finding = report[1]["meldungen"][0]
        assert (finding["datei"], finding["zeile"], finding["spalte"], finding["art"]) == (bad_model, 5, 9, "fehler")

    def test_syntax_error(self, tmp_path: Path) -> None:
        path = tmp_path / "syntax.rules"
        path.write_text(BAD_MODEL.replace("wert a: EUR = 1 min", "wert a = = 1"), encoding="utf-8")
        code, _, err = run("check", str(path))
        assert code == 1
        assert err.startswith(f"{path}:5:")
        assert "^" in err

    def test_missing_file(self, tmp_path: Path) -> None:
        code, _, err = run("check", str(tmp_path / "fehlt.rules"))
        assert code == 1
        assert "fehlt.rules" in err


class TestEval:
    """``eval`` prints a text report or the JSON form; bad input is exit 1 with a readable message."""

    def test_text(self) -> None:
        code, out, err = run("eval", MODEL, CASE)
        assert code == 0, err
        assert out.startswith("Kleines Modell — Version 1.0")
        assert "4.619,50 EUR/Jahr" in out
        assert "Stufe 1 (gering)" in out
        assert "↳" not in out

    def test_text_explained(self) -> None:
        code, out, _ = run("eval", MODEL, CASE, "--explain")
        assert code == 0
        assert "↳" in out
        assert f"[{MODEL}:" in out

    def test_json(self) -> None:
        code, out, _ = run("eval", MODEL, CASE, "--format", "json")
        assert code == 0
        data = json.loads(out)
        assert data["ok"] is True
        assert data["schema"] == "1"
        assert data["ergebnis"]["werte"]["betrag"] == {"wert": "4619.50", "einheit": "EUR/Jahr"}
        assert "erklärung" not in json.dumps(data, ensure_ascii=False)

    def test_json_explained(self) -> None:
        code, out, _ = run("eval", MODEL, CASE, "--format", "json", "--explain")
        assert code == 0
        betrag = json.loads(out)["ergebnis"]["werte"]["betrag"]
        assert betrag["erklärung"]["regel"].startswith(f"{MODEL}:")

    def test_json_case(self) -> None:
        code, out, _ = run("eval", MODEL, str(CASES / "grundfall.json"), "--format", "json")
        assert code == 0
        assert json.loads(out)["ergebnis"]["werte"]["betrag"]["wert"] == "4619.50"

    def test_agreement(self) -> None:
        code, out, _ = run("eval", MODEL, CASE, "--agreement", str(AGREEMENTS / "gut.toml"))
        assert code == 0
        assert "Vereinbarung: Haus Test – Vereinbarung 2025" in out
        assert "4.337,50 EUR/Jahr" in out

    def test_at(self) -> None:
        assert run("eval", MODEL, CASE, "--at", "01.06.2025")[0] == 0
        code, _, err = run("eval", MODEL, CASE, "--at", "2030-01-01")
        assert code == 1
        assert "01.01.2030" in err and "Gültigkeit" in err

    def test_bad_case(self, tmp_path: Path) -> None:
        case = tmp_path / "fall.toml"
        case.write_text(Path(CASE).read_text(encoding="utf-8").replace("kap4 = 5", "kap4 = 3"), encoding="utf-8")
        code, out, err = run("eval", MODEL, str(case))
        assert code == 1
        assert out == ""
        assert "@ $.kap4" in err and "{0, 2, 5, 8, 16}" in err

    def test_bad_case_json(self) -> None:
        code, out, _ = run("eval", MODEL, str(CASES / "dateifehler.toml"), "--format", "json")
        assert code == 1
        data = json.loads(out)
        assert data["ok"] is False
        assert data["fehler"]["fehlerart"] == "fall"
        paths = {m["pfad"] for m in data["fehler"]["meldungen"]}
        assert paths == {"$.massnahmen[2]", "$.massnahmen[3].stunden"}

    def test_invalid_case_file(self) -> None:
        code, _, err = run("eval", MODEL, str(CASES / "kaputt.toml"))
        assert code == 1
        assert "kaputt.toml:3:" in err

    def test_bad_agreement(self) -> None:
        code, _, err = run("eval", MODEL, CASE, "--agreement", str(AGREEMENTS / "fehler.toml"))
        assert code == 1
        assert f"{AGREEMENTS / 'fehler.toml'}:6:1: fehler: Das Modell hat keinen Parameter „sats“" in err
        assert "meinten Sie „satz“?" in err

    def test_bad_agreement_json(self) -> None:
        code, out, _ = run("eval", MODEL, CASE, "--agreement", str(AGREEMENTS / "luecke.toml"), "--format", "json")
        assert code == 1
        data = json.loads(out)
        assert data["fehler"]["fehlerart"] == "vereinbarung"
        assert data["fehler"]["meldungen"][0]["zeile"] == 6

    @pytest.mark.parametrize("which", ["model", "case", "agreement"])
    def test_missing_files(self, tmp_path: Path, which: str) -> None:
        missing = str(tmp_path / "fehlt.toml")
        argv = {
            "model": ["eval", str(tmp_path / "fehlt.rules"), CASE],
            "case": ["eval", MODEL, missing],
            "agreement": ["eval", MODEL, CASE, "--agreement", missing],
        }[which]
        code, out, err = run(*argv)
        assert code == 1
        assert "fehlt." in err
        assert out == ""

    def test_bad_model(self, bad_model: str) -> None:
        code, _, err = run("eval", bad_model, CASE)
        assert code == 1
        assert f"{bad_model}:5:9" in err

    def test_unknown_bundled_model(self) -> None:
        code, _, err = run("eval", "gibt_es_nicht", CASE)
        assert code == 1
        assert "gibt_es_nicht" in err


class TestUsage:
    """A bad command line is exit 2 with a usage line."""

    @pytest.mark.parametrize(
        "argv",
        [
            [],
            ["frobnicate"],
            ["check"],
            ["eval"],
            ["eval", MODEL],
            ["eval", MODEL, CASE, "--at", "gestern"],
            ["eval", MODEL, CASE, "--at", "2025-13-01"],
            ["eval", MODEL, CASE, "--at", ""],  # (an empty date, a script's unset variable: never ignored)
            ["compare", MODEL, MODEL, CASE, "--at-old", ""],
            ["sql", MODEL, "--stichtag", ""],
            ["compare", MODEL, MODEL, CASE, "--blatt", "1"],  # (a sheet of a file that has none)
            ["eval", MODEL, CASE, "--format", "xml"],
            ["eval", MODEL, CASE, "--unbekannt"],
            ["test"],
        ],
    )
    def test_usage_errors(self, argv: list[str]) -> None:
        code, out, err = run(*argv)
        assert code == 2
        assert "Aufruf:" in out + err and "usage:" not in out + err

    def test_a_count_of_no_examples_names_the_option_in_german_too(self) -> None:
        code, _, err = run("test", MODEL, "--anzahl", "0")
        assert code == 2 and "--anzahl (--examples-count): mindestens 1" in err

    @pytest.mark.parametrize("values", ["", " ", ","])
    def test_an_empty_choice_of_values_is_no_none(self, values: str) -> None:
        """``--werte ""`` (a script's unset variable) is a usage error, not ``--werte keine``."""
        code, out, err = run("compare", MODEL, MODEL, CASE, "--werte", values)
        assert code == 2 and out == ""
        assert f"--werte: „{values}“ nennt keine Werte" in err and "Aufruf:" in err

    @pytest.mark.parametrize(("arguments", "option"), [
        (("eval", MODEL, CASE, "--out", ""), "--out"),
        (("schema", MODEL, "--out", " "), "--out"),
        (("generate", MODEL, "-n", "1", "--out", ""), "--out"),
        (("compare", MODEL, MODEL, CASE, "--out", ""), "--out"),
        (("compare", MODEL, MODEL, CASE, "--summary", ""), "--summary"),
    ])
    def test_an_empty_output_name_is_a_usage_error(self, arguments: tuple[str, ...], option: str) -> None:
        """``--out ""`` (a script's unset variable) names no file: not the screen, as no option would."""
        code, out, err = run(*arguments)
        assert code == 2 and out == ""
        assert (f"{option}: ein leerer Dateiname nennt keine Datei für die Ausgabe; ohne {option} geht sie auf den "
                "Bildschirm") in err

    @pytest.mark.parametrize(("arguments", "option"), [
        (("eval", MODEL, CASE, "--vereinbarung", ""), "--vereinbarung"),
        (("eval-many", MODEL, CASE, "--out", "r.jsonl", "--vereinbarung", " "), "--vereinbarung"),
        (("compare", MODEL, MODEL, CASE, "--budget", ""), "--budget"),
        (("compare", MODEL, MODEL, CASE, "--vereinbarung-alt", ""), "--vereinbarung-alt"),
        (("handbuch", MODEL, "--out", "hb", "--vergleich", ""), "--vergleich"),
    ])
    def test_an_option_naming_nothing_is_no_option_left_out(self, arguments: tuple[str, ...], option: str,
                                                             tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """An agreement, budget or earlier model given empty (a script's unset variable) is a
        usage error — before, it was taken as not given: no agreement, the header's budget."""
        monkeypatch.chdir(tmp_path)
        code, out, err = run(*arguments)
        assert code == 2 and out == ""
        assert f"{option}: „{arguments[-1]}“ nennt nichts" in err and "Aufruf:" in err
        assert not (tmp_path / "hb").exists()

    @pytest.mark.parametrize(("arguments", "said"), [
        (("check", ""), "DATEI ist leer"),
        (("eval", "", CASE), "MODELL ist leer"),
        (("eval", MODEL, " "), "FALL ist leer"),
        (("test", MODEL, ""), "MODELL ist leer (die 2. Angabe)"),
        (("diff", MODEL, ""), "NEU ist leer"),
        (("schema", ""), "MODELL ist leer"),
        (("handbuch", "", "--out", "hb"), "MODELL ist leer"),
        (("eval-many", "", CASE, "--out", "r.jsonl"), "MODELL ist leer"),
        (("compare", "", MODEL, CASE), "ALT ist leer"),
        (("compare", MODEL, MODEL, ""), "FÄLLE ist leer"),
        (("compare", "", CASE, "--alt", "a", "--neu", "b"), "MODELL ist leer"),
        (("format", ""), "DATEI ist leer"),
    ])
    def test_an_empty_argument_is_a_usage_error(self, arguments: tuple[str, ...], said: str,
                                                tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """A model, case or file given empty (a script's unset variable) is a usage error saying
        so — before, the path "" was read as the working directory and named „.“."""
        monkeypatch.chdir(tmp_path)
        code, out, err = run(*arguments)
        assert code == 2 and out == ""
        assert f"teilhabe-rules: {said}: " in err and "Aufruf:" in err
        assert "„.“" not in err and not (tmp_path / "hb").exists()

    def test_bad_at_names_the_value(self) -> None:
        _, _, err = run("eval", MODEL, CASE, "--at", "gestern")
        assert "„gestern“" in err

    def test_help(self) -> None:
        code, out, _ = run("--help")
        assert code == 0
        assert "check" in out and "eval" in out and "test" in out

    def test_every_command_has_its_own_help(self) -> None:
        """A command line that names its command builds only that command's parser: each command
        an unknown one is told of still shows its own usage and options."""
        code, _, err = run("evl", "modell.rules", "fall.toml")
        assert code == 2
        listed = re.findall(r"'([\w-]+)'", err.split("möglich:", 1)[1])
        assert {"check", "eval", "test", "compare", "eval-many", "sql", "lsp"} <= set(listed)
        for command in listed:
            code, out, _ = run(command, "--help")
            assert code == 0, command
            assert out.startswith(f"Aufruf: teilhabe-rules {command} "), command
            assert "Optionen:" in out and "diese Hilfe zeigen und beenden" in out, command
            assert not re.search(r"usage|positional arguments|options:|show this help", out), command
        _, out, _ = run("eval", "--help")
        assert "--agreement" in out and "--genau" in out and "--trennzeichen" not in out


class TestTestCommand:
    """``test`` runs the examples of a model and ends with the line "N passed, M failed"."""

    def test_all_pass(self, tmp_path: Path) -> None:
        path = tmp_path / "beispiele.rules"
        path.write_text(EXAMPLES_MODEL, encoding="utf-8")
        code, out, _ = run("test", str(path))
        assert code == 0
        assert out.splitlines()[-1] == "1 passed, 0 failed"
        assert "ok      beispiele.rules::stimmt" in out

    def test_one_example_and_one_generated_case_are_singular(self, tmp_path: Path) -> None:
        path = tmp_path / "beispiele.rules"
        path.write_text(EXAMPLES_MODEL, encoding="utf-8")
        assert run("check", str(path))[1] == f"{path}: in Ordnung (2 Regeln, 1 Beispiel)\n"
        code, out, _ = run("test", str(path), "--anzahl", "1")
        assert code == 0 and "ok      beispiele.rules::invarianten::auswertbar  (1 Fall)\n" in out

    def test_one_fails(self, tmp_path: Path) -> None:
        path = tmp_path / "beispiele.rules"
        path.write_text(EXAMPLES_MODEL + FAILING_EXAMPLE, encoding="utf-8")
        code, out, _ = run("test", str(path))
        assert code == 1
        assert out.splitlines()[-1] == "1 passed, 1 failed"
        assert "FEHLER  beispiele.rules::stimmt-nicht" in out
        assert "erwartet 1" in out and "berechnet 730" in out

    def test_json(self, tmp_path: Path) -> None:
        path = tmp_path / "beispiele.rules"
        path.write_text(EXAMPLES_MODEL + FAILING_EXAMPLE, encoding="utf-8")
        code, out, _ = run("test", str(path), "--format", "json")
        assert code == 1
        data = json.loads(out)
        assert (data["bestanden"], data["fehlgeschlagen"]) == (1, 1)
        assert [e["ok"] for e in data["beispiele"]] == [True, False]

    def test_model_that_does_not_load(self, bad_model: str) -> None:
        code, out, err = run("test", bad_model)
        assert code == 1
        assert f"{bad_model}:5:9" in err
        assert out.splitlines()[-1] == "0 passed, 0 failed, 1 nicht geladen"


class TestInstalledCommand:
    """The installed console script and ``python -m teilhabe_rules`` run the same command line."""

    def test_console_script_and_module(self, bad_model: str) -> None:
        script = Path(sys.executable).parent / ("teilhabe-rules.exe" if os.name == "nt" else "teilhabe-rules")
        assert script.exists(), f"console script not installed next to {sys.executable}"
        commands = {
            "script": [str(script)],
            "module": [sys.executable, "-m", "teilhabe_rules"],
        }
        for name, command in commands.items():
            ok = subprocess.run([*command, "check", MODEL], capture_output=True, text=True, timeout=60)
            assert ok.returncode == 0, (name, ok.stderr)
            assert "in Ordnung" in ok.stdout
            bad = subprocess.run([*command, "check", bad_model], capture_output=True, text=True, timeout=60)
            assert bad.returncode == 1, name
            assert f"{bad_model}:5:9: fehler:" in bad.stderr
            assert "Traceback" not in bad.stderr
            usage = subprocess.run([*command, "frobnicate"], capture_output=True, text=True, timeout=60)
            assert usage.returncode == 2, name
            evaluated = subprocess.run([*command, "eval", MODEL, CASE, "--format", "json"],
                                       capture_output=True, text=True, timeout=60)
            assert evaluated.returncode == 0, (name, evaluated.stderr)
            assert json.loads(evaluated.stdout)["ergebnis"]["werte"]["betrag"]["wert"] == "4619.50"

    def test_the_program_exits_with_the_command_s_code_and_all_its_output(self, tmp_path: Path) -> None:
        """``run`` (the program: console script and ``python -m``) freezes the collector before the
        exit: every output is still written in full, and the exit code is the command's."""
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(Path(__file__).parents[2] / "src"),
                                                                        os.environ.get("PYTHONPATH")])))
        program = [sys.executable, "-c", "from teilhabe_rules.cli import run; run()"]
        evaluated = subprocess.run([*program, "eval", MODEL, CASE, "--format", "json", "--explain"],
                                   capture_output=True, text=True, timeout=60, env=env)
        assert evaluated.returncode == 0, evaluated.stderr
        assert json.loads(evaluated.stdout)["ergebnis"]["werte"]["betrag"]["wert"] == "4619.50"
        table = tmp_path / "ergebnis.csv"
        written = subprocess.run([*program, "eval", MODEL, CASE, "--out", str(table)],
                                 capture_output=True, text=True, timeout=60, env=env)
        assert written.returncode == 0, written.stderr
        assert "4619.50" in table.read_text(encoding="utf-8")
        missing = subprocess.run([*program, "eval", MODEL, str(tmp_path / "fehlt.toml")],
                                 capture_output=True, text=True, timeout=60, env=env)
        assert missing.returncode == 1
        assert "fehlt.toml" in missing.stderr



_INTERRUPTED = """
import os, signal, sys, threading, time
import teilhabe_rules.tools.compare
from teilhabe_rules import duck
from teilhabe_rules.cli import main
from teilhabe_rules.model import Model

def interrupted_query(*args, **kwargs):
    if sys.argv[1] == "compare":  # a partial file is written: it stays, and compare says so
        open(sys.argv[-1] + ".unvollständig", "w", encoding="utf-8").write("fall\\n")
    con = duck.connect()

    def press():  # Ctrl+C in the query (DuckDB may miss it on a busy machine: the command line not)
        while con.query_progress() < 0:  # (-1: the query has not begun)
            time.sleep(0.005)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=press, daemon=True).start()
    con.execute("SELECT count(*) FROM range(1000000000000) t(x) WHERE x % 7 = 3").fetchall()

Model.evaluate_many = interrupted_query
teilhabe_rules.tools.compare.compare = interrupted_query
code = main(sys.argv[1:])
assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
sys.exit(code)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to the own process")
@pytest.mark.parametrize("command", ["eval-many", "compare"])
def test_ctrl_c_in_a_duckdb_query_is_an_interruption(command: str, tmp_path: Path) -> None:
    """Ctrl+C (a real SIGINT) in the middle of a DuckDB query, which DuckDB turns into a
    ``RuntimeError``: exit 130 and „abgebrochen“, not an internal error; ``compare --out`` keeps
    its partial file and says so; Python's handler of SIGINT is in place again after the command.
    (A process of its own: DuckDB notices only the first interruption of a process.)"""
    population = tmp_path / "p.jsonl"
    population.write_text('{"beginn": "2025-03-01", "stunden": 12}\n', "utf-8")
    model = str(Path(__file__).resolve().parents[2] / "examples" / "daten" / "stunden.rules")
    arguments = ([command, model, str(population), "--out", str(tmp_path / "e.jsonl")] if command == "eval-many"
                 else [command, model, model, str(population), "--out", str(tmp_path / "v.csv")])
    done = subprocess.run([sys.executable, "-c", _INTERRUPTED, *arguments], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 130, done.stderr
    if command == "eval-many":
        assert done.stderr == "teilhabe-rules: abgebrochen\n"
    else:
        assert (tmp_path / "v.csv.unvollständig").exists()  # the partial file stays
        # and is named — also where the watcher had to stop the query and the KeyboardInterrupt
        # that follows came while compare was handling the stopped query
        assert done.stderr == (f"teilhabe-rules: abgebrochen; „{tmp_path / 'v.csv.unvollständig'}“ hält die "
                               "bisher geschriebenen Fälle, --fortsetzen macht dort weiter\n")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to the own process")
def test_ctrl_c_interrupts_a_query_duckdb_does_not_stop_for_it() -> None:
    """Ctrl+C in a long query stops it — by DuckDB, or, where DuckDB does not look for Python's
    signal, by the thread watching for it half a second later, the KeyboardInterrupt following —
    and afterwards the signal's handler and wakeup are as before."""
    import signal
    import threading
    import time

    from teilhabe_rules import duck
    from teilhabe_rules.cli import _noting_interrupts

    connection = duck.connect()

    def press() -> None:  # Ctrl+C once the query runs (not before it, nor after a fast machine finished it)
        while connection.query_progress() < 0:  # (-1: no query)
            time.sleep(0.005)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=press, daemon=True).start()
    start = time.monotonic()
    with pytest.raises((KeyboardInterrupt, RuntimeError)), _noting_interrupts():  # (DuckDB's own: RuntimeError)
        connection.execute("CREATE TEMP TABLE slow AS SELECT x FROM range(3000000000) t(x) ORDER BY x DESC LIMIT 1")
    assert time.monotonic() - start < 30, "the query was not interrupted"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert signal.set_wakeup_fd(-1) == -1
    connection.execute("SELECT 1").fetchall()  # the connection serves the next query


_NOT_STOPPED = """
import json, os, signal, sys, threading, time
import teilhabe_rules
from teilhabe_rules import duck
from teilhabe_rules.columnar import intake
from teilhabe_rules.cli import main
from teilhabe_rules.tools.strategies import sample_cases

queries = intake._queries

def running():
    with duck._OPEN_LOCK:
        connections = list(duck._OPEN)
    for connection in connections:
        try:
            if connection.query_progress() >= 0:  # (-1: no query)
                return True
        except Exception:  # (closed meanwhile)
            pass
    return False

def press():  # Ctrl+C once a connection of the library runs a query: the next, the slow one
    while not running():
        time.sleep(0.005)
    os.kill(os.getpid(), signal.SIGINT)

def slowed(*args, **kwargs):  # a query first that DuckDB does not stop for Ctrl+C, then Ctrl+C
    threading.Thread(target=press, daemon=True).start()
    return ["CREATE TEMP TABLE langsam AS SELECT x FROM range(150000000) t(x) ORDER BY x DESC LIMIT 1",
            *queries(*args, **kwargs)]

intake._queries = slowed
population, out = sys.argv[1:]
with open(population, "w", encoding="utf-8") as file:
    for case in sample_cases(teilhabe_rules.bundled("mawo"), 20, 1):
        file.write(json.dumps(case, default=str) + "\\n")
sys.exit(main(["eval-many", "mawo", population, "--out", out]))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to the own process")
def test_ctrl_c_in_a_query_the_intake_falls_back_from_is_not_lost(tmp_path: Path) -> None:
    """Ctrl+C in a query of the intake, which falls back to reading case by case where DuckDB
    refuses: the stopped query is no refusal — the command ends „abgebrochen“ with exit 130 and
    writes no results, rather than evaluating every case after all."""
    out = tmp_path / "e.jsonl"
    done = subprocess.run([sys.executable, "-c", _NOT_STOPPED, str(tmp_path / "p.jsonl"), str(out)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 130, done.stderr
    assert done.stderr == "teilhabe-rules: abgebrochen\n"
    assert not out.exists()


@pytest.mark.parametrize(("argv", "said"), [
    (["test", "models/mawo.rules", "--seed", "1e5"], "teilhabe-rules: --seed: '1e5' ist keine ganze Zahl"),
    (["eval"], "teilhabe-rules: es fehlt: MODELL, FALL"),
    (["evl"], "teilhabe-rules: BEFEHL: 'evl' gibt es nicht (möglich: 'check', 'eval', "),
    (["eval", "mawo", "x.toml", "--bogus"], "teilhabe-rules: unbekannte Angaben: --bogus"),
    (["eval", "mawo", "x.toml", "--format"], "teilhabe-rules: --format: es fehlt ein Wert"),
])
def test_a_bad_command_line_is_told_in_german(argv: list[str], said: str) -> None:
    """argparse's messages are German, and the exit code is 2 (a usage error)."""
    err = io.StringIO()
    assert main(argv, io.StringIO(), err) == 2
    assert err.getvalue().startswith(said), err.getvalue()


@pytest.mark.parametrize(("argv", "usage"), [
    (["eval"], "Aufruf: teilhabe-rules eval "),  # found by argparse in the command's arguments
    (["eval", "mawo", "x.toml", "--bogus"], "Aufruf: teilhabe-rules eval "),
    (["eval", "mawo", "x.toml", "--format", "xlsx"], "Aufruf: teilhabe-rules eval "),  # found by the command
    (["eval-many", "mawo", "p.jsonl", "--out", "r.ods"], "Aufruf: teilhabe-rules eval-many "),
    (["generate", "mawo", "-n", "3", "--out", "p.txt"], "Aufruf: teilhabe-rules generate "),
    (["evl"], "Aufruf: teilhabe-rules [-h] BEFEHL"),  # no command: the program's
    (["--bogus"], "Aufruf: teilhabe-rules [-h] BEFEHL"),
])
def test_a_bad_command_line_shows_the_usage_of_its_command(argv: list[str], usage: str) -> None:
    """The usage after a usage error is that of the command named, wherever the error was found
    (by argparse or by the command), so it shows the options that were wrong."""
    err = io.StringIO()
    assert main(argv, io.StringIO(), err) == 2
    lines = err.getvalue().splitlines()
    assert lines[0].startswith("teilhabe-rules: ") and lines[1].startswith(usage), err.getvalue()


def test_an_interrupt_while_the_abort_text_is_made_still_says_abgebrochen(monkeypatch: pytest.MonkeyPatch) -> None:
    """The watcher's second KeyboardInterrupt may come while „abgebrochen“'s text is made: the
    word is written all the same (without the text), once."""
    from teilhabe_rules import cli

    def late() -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli._Interrupts, "reported", False)
    monkeypatch.setattr(cli._Interrupts, "after", late)
    err = io.StringIO()
    assert cli._aborted(err) == 130 and cli._aborted(err) == 130
    assert err.getvalue() == "teilhabe-rules: abgebrochen\n"


@pytest.mark.parametrize(("command", "victim", "what"), [
    (["eval", "{model}", "{case}", "--format", "csv", "--out", "{model}"], "model", "das Modell"),
    (["eval", "{model}", "{case}", "--format", "jsonl", "--out", "{case}"], "case", "der Fall"),
    (["eval", "{model}", "{case}", "--vereinbarung", "{agreement}", "--format", "csv", "--out", "{agreement}"],
     "agreement", "die Vereinbarung"),
    (["compare", "{model}", "{model}", "{folder}", "--out", "{model}", "--format", "csv"], "model",
     "die alte Version"),
    (["schema", "{model}", "--out", "{model}"], "model", "das Modell"),
    (["generate", "{model}", "-n", "1", "--out", "{model}", "--format", "jsonl"], "model", "das Modell"),
])
def test_an_output_naming_a_file_the_command_reads_is_refused_and_the_file_kept(
        tmp_path: Path, command: list[str], victim: str, what: str) -> None:
    folder = tmp_path / "faelle"
    folder.mkdir()
    files = {"model": tmp_path / "m.rules", "case": folder / "fall.toml", "agreement": tmp_path / "v.toml"}
    files["model"].write_bytes(Path(MODEL).read_bytes())
    files["case"].write_bytes(Path(CASE).read_bytes())
    files["agreement"].write_text('[vereinbarung]\nmodell = "klein"\n', encoding="utf-8")
    before = files[victim].read_bytes()
    names = {key: str(path) for key, path in files.items()} | {"folder": str(folder)}
    out, err = io.StringIO(), io.StringIO()
    code = main([part.format(**names) for part in command], out, err)
    assert code == 2, err.getvalue()
    assert f"„{files[victim]}“ ist {what} selbst" in err.getvalue()
    assert files[victim].read_bytes() == before


@pytest.mark.parametrize("command", [
    ["eval", "{variant}", "{case}", "--format", "csv", "--out", "{base}"],
    ["compare", "{variant}", "{variant}", "{folder}", "--summary", "{base}"],
    ["compare", "{variant}", "{variant}", "{folder}", "--out", "{base}", "--format", "jsonl"],
])
def test_an_output_naming_the_base_file_of_a_variant_is_refused(tmp_path: Path, command: list[str]) -> None:
    """The file a variant extends is read whenever the variant is loaded: no output replaces it."""
    folder = tmp_path / "faelle"
    folder.mkdir()
    base, variant = tmp_path / "klein.rules", tmp_path / "variante.rules"
    base.write_bytes(Path(MODEL).read_bytes())
    variant.write_text('modell variante "V"\n  erweitert "klein"\n  version "2"\n  gültig ab 01.01.2024\nende\n',
                       encoding="utf-8")
    (folder / "fall.toml").write_bytes(Path(CASE).read_bytes())
    before = base.read_bytes()
    names = {"variant": str(variant), "base": str(base), "case": str(folder / "fall.toml"), "folder": str(folder)}
    out, err = io.StringIO(), io.StringIO()
    assert main([part.format(**names) for part in command], out, err) == 2, err.getvalue()
    assert f"„{base}“ ist die Regeldatei eines Grundmodells" in err.getvalue()
    assert base.read_bytes() == before


@pytest.mark.parametrize(("command", "victim", "said"), [
    (["schema", "mawo", "--out", "{mawo}"], "mawo", "ist das Modell selbst"),
    (["compare", "mawo", "mawo_2025", CASES_CSV, "--summary", "{mawo_2025}"], "mawo_2025",
     "ist die neue Version selbst"),
    (["compare", "mawo", "mawo_2025", CASES_CSV, "--summary", "{mawo}"], "mawo", "ist die alte Version selbst"),
    (["schema", "mawo_2025", "--out", "{mawo}"], "mawo", "ist die Regeldatei eines Grundmodells"),
], ids=["schema", "compare-neu", "compare-alt", "grundmodell"])
def test_an_output_naming_the_rule_file_of_a_bundled_model_given_by_name_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str], victim: str, said: str) -> None:
    """`schema mawo --out …/models/mawo.rules` replaced the installed model: a name reads its file too."""
    from teilhabe_rules import registry

    shipped = Path(__file__).resolve().parents[2] / "models"
    files = {name: tmp_path / f"{name}.rules" for name in ("mawo", "mawo_2025")}
    for name, path in files.items():
        path.write_bytes((shipped / f"{name}.rules").read_bytes())
    monkeypatch.setattr(registry, "model_files", lambda: list(files.values()))
    before = files[victim].read_bytes()
    code, _out, err = run(*[part.format(**{name: str(path) for name, path in files.items()}) for part in command])
    assert code == 2, err
    assert f"„{files[victim]}“ {said}" in err
    assert files[victim].read_bytes() == before


@pytest.mark.parametrize("command", [
    ["umstellen", str(Path(__file__).resolve().parents[2] / "examples/bei_nrw2/fall_2_0.toml"),
     "--erstellt-am", "2026-01-15", "--wohnform", "eigene_häuslichkeit", "--out", "{missing}/neu.toml"],
    ["eval", MODEL, CASE, "--format", "csv", "--out", "{missing}/ergebnis.csv"],
    ["schema", MODEL, "--out", "{missing}/schema.json"],
    ["compare", HOURS, HOURS, CASES_CSV, "--out", "{missing}/vergleich.csv"],
    ["eval-many", HOURS, CASES_CSV, "--out", "{missing}/ergebnis.csv"],
])
def test_an_output_that_cannot_be_written_is_told_in_german(tmp_path: Path, command: list[str]) -> None:
    """… naming the output given (before, compare named its state file beside it)."""
    missing = tmp_path / "fehlt"
    out, err = io.StringIO(), io.StringIO()
    code = main([part.format(missing=missing) for part in command], out, err)
    assert code == 1
    given = next(part for part in command if part.startswith("{missing}")).format(missing=missing)
    assert f"„{given}“ lässt sich nicht schreiben: das Verzeichnis gibt es nicht" in err.getvalue(), err.getvalue()


def test_a_summary_that_cannot_be_written_fails_before_any_case_is_evaluated(tmp_path: Path) -> None:
    """As --out does: not after the whole population is compared, its rows written and the summary lost."""
    rows, summary = tmp_path / "vergleich.csv", tmp_path / "fehlt" / "zusammenfassung.json"
    code, out, err = run("compare", HOURS, HOURS, CASES_CSV, "--out", str(rows), "--summary", str(summary))
    assert code == 1
    assert f"„{summary}“ lässt sich nicht schreiben: das Verzeichnis gibt es nicht" in err, err
    assert not out and sorted(tmp_path.iterdir()) == []


def test_every_cause_of_a_failed_write_has_german_words() -> None:
    import errno as codes

    from teilhabe_rules.files import write_problem

    for number in (codes.ENOENT, codes.EACCES, codes.ENOSPC, codes.EROFS, codes.EISDIR, codes.EPIPE):
        told = write_problem(OSError(number, os.strerror(number)))
        assert told != os.strerror(number) and not re.search(r"\b(No|Permission|Read-only|Is a|Broken)\b", told)
    assert write_problem(OSError(codes.ETIMEDOUT, "Connection timed out")) == \
        f"Fehler {codes.ETIMEDOUT} des Betriebssystems (Connection timed out)"


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="no /proc")
def test_a_folder_that_takes_no_file_is_not_called_missing(tmp_path: Path) -> None:
    """/proc is there, yet no file can be made in it: said so, not „das Verzeichnis gibt es nicht“."""
    out, err = io.StringIO(), io.StringIO()
    assert main(["eval-many", HOURS, CASES_CSV, "--out", "/proc/ergebnis.csv"], out, err) == 1
    assert "„/proc/ergebnis.csv“ lässt sich nicht schreiben: in diesem Verzeichnis lassen sich keine Dateien anlegen" \
        in err.getvalue(), err.getvalue()


@pytest.mark.parametrize("day", ["2025-01- 5", "2025-\u0660\u0661-05", "1.1.2025x"])
def test_a_day_on_the_command_line_is_read_as_a_cases_date(day: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["eval", MODEL, CASE, "--at", day], out, err) == 2
    assert f"--at: „{day}“ ist kein Datum" in err.getvalue()


@pytest.mark.parametrize(("setting", "said"), [
    ({"TEILHABE_RULES_MEMORY": "viel"}, "teilhabe-rules: warnung: TEILHABE_RULES_MEMORY='viel' ist keine Größe"),
    ({"TEILHABE_RULES_CACHE": "{shared}"}, "teilhabe-rules: warnung: Der Cache ist ausgeschaltet: das "
                                           "Cache-Verzeichnis „{shared}“ ist für andere beschreibbar"),
], ids=["speicher", "cache"])
def test_a_warning_of_the_library_is_one_line_of_the_program(tmp_path: Path, setting: dict[str, str],
                                                              said: str) -> None:
    """A warning of the library on the command line is the program's line, as its errors are —
    not Python's ``datei.py:614: CacheWarning: …`` with the source line that warned."""
    shared = tmp_path / "geteilt"
    shared.mkdir()
    shared.chmod(0o777)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2] / "src"),
               TEILHABE_RULES_CACHE=str(tmp_path / "cache"))
    env.update({name: value.format(shared=shared) for name, value in setting.items()})
    population = tmp_path / "p.jsonl"
    population.write_text(json.dumps({"beginn": "2025-03-01", "stunden": 250.5, "name": "A"}) + "\n",
                          encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "teilhabe_rules", "eval-many", HOURS, str(population),
                           "--out", str(tmp_path / "r.jsonl")],
                          capture_output=True, text=True, env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    warned = [line for line in done.stderr.splitlines() if "warnung" in line]
    assert len(warned) == 1 and warned[0].startswith(said.format(shared=shared)), done.stderr
    assert "Warning" not in done.stderr and ".py:" not in done.stderr, done.stderr


def test_the_warning_printer_keeps_to_its_thread_and_survives_a_closed_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    """A command's warning printer writes the warnings of its own thread to its ``err``; those of
    another thread go where they went before; a closed ``err`` makes no error of a warning."""
    import threading
    import warnings

    from teilhabe_rules import cli
    from teilhabe_rules.cache import CacheWarning

    before: list[str] = []
    monkeypatch.setattr(warnings, "showwarning", lambda message, *rest: before.append(str(message)))
    err = io.StringIO()
    show = cli._warning_printer(err)
    show(CacheWarning("eigene"), CacheWarning, "x.py", 1)
    other = threading.Thread(target=show, args=(CacheWarning("fremde"), CacheWarning, "x.py", 1))
    other.start()
    other.join()
    assert err.getvalue() == "teilhabe-rules: warnung: eigene\n" and before == ["fremde"]
    err.close()
    show(CacheWarning("spät"), CacheWarning, "x.py", 1)  # no ValueError


def test_a_warning_made_an_error_is_an_error_of_the_program(tmp_path: Path) -> None:
    """``python -W error``: the library's warning is the command's error (exit 1), said in one
    line — not „interner Fehler“ with exit 3."""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2] / "src"),
               TEILHABE_RULES_CACHE=str(tmp_path / "cache"), TEILHABE_RULES_MEMORY="viel")
    population = tmp_path / "p.jsonl"
    population.write_text(json.dumps({"beginn": "2025-03-01", "stunden": 250.5, "name": "A"}) + "\n",
                          encoding="utf-8")
    done = subprocess.run([sys.executable, "-W", "error::UserWarning", "-m", "teilhabe_rules", "eval-many", HOURS,
                           str(population), "--out", str(tmp_path / "r.jsonl")],
                          capture_output=True, text=True, env=env, timeout=300, check=False)
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("teilhabe-rules: TEILHABE_RULES_MEMORY='viel' ist keine Größe"), done.stderr
    assert "interner Fehler" not in done.stderr and "Traceback" not in done.stderr


def test_eval_many_reads_the_format_of_its_file_from_the_suffix_as_every_command_does(tmp_path: Path) -> None:
    """``--out`` names its format by the suffixes every command knows (``.ndjson`` is JSON
    Lines, as for ``eval``); a suffix of no format is refused with the formats there are."""
    out, err = io.StringIO(), io.StringIO()
    written = tmp_path / "ergebnis.ndjson"
    assert main(["eval-many", HOURS, CASES_CSV, "--out", str(written)], out, err) in (0, 1), err.getvalue()
    rows = [json.loads(line) for line in written.read_text(encoding="utf-8").splitlines()]
    assert rows and all(isinstance(row, dict) for row in rows)
    err = io.StringIO()
    assert main(["eval-many", HOURS, CASES_CSV, "--out", str(tmp_path / "r.ods")], io.StringIO(), err) == 2
    assert "die Endung „.ods“ ist kein Ausgabeformat (möglich: .csv, .jsonl, .ndjson, .xlsx, .parquet" \
        in err.getvalue(), err.getvalue()
    err = io.StringIO()
    assert main(["eval-many", HOURS, CASES_CSV, "--format", "csv-de", "--out", str(tmp_path / "r.txt")],
                io.StringIO(), err) == 2
    assert "die Endung „.txt“ ist kein Ausgabeformat" in err.getvalue(), err.getvalue()
