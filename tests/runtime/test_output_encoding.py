"""Every command prints on a console that is not UTF-8 (cp1252, ASCII); files stay UTF-8."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from teilhabe_rules.cli import main

ROOT = Path(__file__).resolve().parents[2]
CASES = Path(__file__).resolve().parents[1] / "fixtures" / "cases"
MODEL = str(CASES / "klein.rules")
CASE = str(CASES / "grundfall.toml")
PERSON = ROOT / "examples" / "mawo" / "person_grundfall.toml"
CASE_2_0 = str(ROOT / "examples" / "bei_nrw2" / "fall_2_0.toml")

BAD_MODEL = (
    'modell kaputt "Mit Einheitenfehler → Größe"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
    "wert a: EUR = 1 min\n"
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bad rule file and a small population (one line has a typo in a key: an error row)."""
    from teilhabe_rules.inputs.cases import read_data

    here = tmp_path_factory.mktemp("kodierung")
    (here / "kaputt.rules").write_text(BAD_MODEL, encoding="utf-8")
    person = read_data(PERSON)
    person["zeitraum_ab"] = "2025-03-01"
    lines = [json.dumps(person, default=str, ensure_ascii=False)] * 2
    lines.append(lines[0].replace('"pflegegrad"', '"pflegegräd"'))
    (here / "fälle.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return here


def commands(folder: Path, tag: str = "") -> list[tuple[str, list[str], int]]:
    """(name, argv, expected exit code) of every command that prints (``tag``: in the names of
    the files written)."""
    return [
        ("check", ["check", MODEL], 0),
        ("check-fehler", ["check", str(folder / "kaputt.rules")], 1),
        ("check-json", ["check", str(folder / "kaputt.rules"), "--format", "json"], 1),
        ("eval", ["eval", MODEL, CASE], 0),
        ("eval-explain", ["eval", MODEL, CASE, "--explain"], 0),
        ("eval-json", ["eval", MODEL, CASE, "--format", "json", "--explain"], 0),
        ("test", ["test", MODEL], 0),
        ("modelle", ["modelle"], 0),
        ("diff", ["diff", "mawo", "mawo_2025"], 0),
        (
            "compare",
            [
                "compare",
                "mawo",
                "mawo_2025",
                str(folder / "fälle.jsonl"),
                "--out",
                str(folder / f"vergleich{tag}.csv"),
                "--summary",
                str(folder / f"zusammenfassung{tag}.json"),
            ],
            1,
        ),
        (
            "compare-json",
            ["compare", "mawo", "mawo_2025", str(folder / "fälle.jsonl"), "--format", "json"],
            1,
        ),
        (
            "compare-csv-de",
            ["compare", "mawo", "mawo_2025", str(folder / "fälle.jsonl"), "--format", "csv-de",
             "--out", str(folder / f"vergleich{tag}-de.csv")],
            1,
        ),
        ("eval-xlsx", ["eval", MODEL, CASE, "--out", str(folder / f"fall{tag}.xlsx")], 0),
        ("falsches-format", ["compare", "mawo", "mawo_2025", str(folder / "fälle.jsonl"), "--out", "v.ods"], 2),
        ("generate", ["generate", "mawo_2025", "-n", "3", "--seed", "4"], 0),
        (
            "umstellen",
            [
                "umstellen",
                CASE_2_0,
                "--erstellt-am",
                "2026-01-15",
                "--wohnform",
                "eigene_häuslichkeit",
            ],
            0,
        ),
    ]


def in_utf8(folder: Path) -> dict[str, tuple[int, str, str]]:
    """Each command's exit code and output on UTF-8 streams (the reference)."""
    out = {}
    for name, argv, _ in commands(folder):
        stdout, stderr = io.StringIO(), io.StringIO()
        code = main(argv, stdout, stderr)
        out[name] = (code, stdout.getvalue(), stderr.getvalue())
    return out


DRIVER = textwrap.dedent("""
    import json, sys
    from teilhabe_rules.cli import main
    for name, argv in json.loads(sys.argv[1]):
        for stream in (sys.stdout, sys.stderr):
            stream.write(f"\\n@@@ {name}\\n")
            stream.flush()
        code = main(argv)
        sys.stdout.write(f"\\n@@@ exit {code}\\n")
        sys.stdout.flush()
        sys.stderr.flush()
""")


def split(output: bytes, encoding: str) -> dict[str, str]:
    """The driver's output per command (it must decode in the stream's encoding)."""
    text = output.decode(encoding)
    parts: dict[str, str] = {}
    name = None
    for line in text.split("\n"):
        if line.startswith("@@@ "):
            name = line[4:]
            parts.setdefault(name, "")
        elif name is not None:
            parts[name] += line + "\n"
    return parts


class TestConsoleThatIsNotUtf8:
    """The installed command line on a cp1252 and an ASCII console (PYTHONIOENCODING)."""

    def test_every_command(self, folder: Path) -> None:
        reference = in_utf8(folder)
        runs = {}
        for encoding in ("cp1252", "ascii"):  # both at once: the two processes overlap
            argv = json.dumps([(name, args) for name, args, _ in commands(folder, encoding)])
            env = {**os.environ, "PYTHONIOENCODING": encoding, "PYTHONUTF8": "0"}
            runs[encoding] = subprocess.Popen(
                [sys.executable, "-c", DRIVER, argv],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                cwd=folder,
            )
        for encoding, process in runs.items():
            stdout, stderr = process.communicate(timeout=300)
            assert process.returncode == 0, stderr.decode(encoding, "replace")
            out, err = split(stdout, encoding), split(stderr, encoding)
            for name, _, _ in commands(folder):
                text = out[name]
                assert "interner Fehler" not in text + err[name], (encoding, name, err[name])
                assert "Traceback" not in err[name], (encoding, name, err[name])
                check_output(name, encoding, text, err[name], reference[name])
            codes = [
                int(line[9:])
                for line in stdout.decode(encoding).splitlines()
                if line.startswith("@@@ exit ")
            ]
            assert codes == [expected for _, _, expected in commands(folder)], (
                encoding,
                stderr.decode(encoding),
            )
            assert (
                json.loads(
                    (folder / f"zusammenfassung{encoding}.json").read_text(encoding="utf-8")
                )["fehler"]
                == 1
            )
            assert "pflegegräd" in (folder / f"vergleich{encoding}.csv").read_text(
                encoding="utf-8"
            )  # UTF-8 files


def check_output(
    name: str, encoding: str, out: str, err: str, reference: tuple[int, str, str]
) -> None:
    """What a command printed on a console in ``encoding`` says what it says in UTF-8."""
    _, ref_out, ref_err = reference
    if name in ("check-json", "eval-json", "compare-json"):
        data, expected = json.loads(out), json.loads(ref_out)
        if name == "compare-json":  # a time
            data.pop("sekunden"), expected.pop("sekunden")
        assert data == expected  # escapes: the same data
    elif name == "generate":
        assert [json.loads(line) for line in out.split("\n") if line] == [
            json.loads(line) for line in ref_out.splitlines()
        ]
    elif name == "umstellen":
        import tomllib

        assert tomllib.loads(out) == tomllib.loads(ref_out)
    else:
        assert (
            out.count("\n") == ref_out.count("\n") + 1
            and err.count("\n") == ref_err.count("\n") + 1
        )
    if name == "eval-explain":
        assert "->" in out and ("über" in out if encoding == "cp1252" else "ueber" in out)
    if name == "check-fehler":
        assert ("„a“ ist als EUR" if encoding == "cp1252" else '"a" ist als EUR') in err


class TestStreamsThatAreNotUtf8:
    """``main`` with streams in cp1252 or ASCII: replacements in text, escapes in JSON."""

    @pytest.mark.parametrize("encoding", ["cp1252", "ascii", "latin-1"])
    @pytest.mark.parametrize(
        "argv",
        [
            ["eval", MODEL, CASE, "--explain"],
            ["check", "KAPUTT"],
            ["modelle"],
            ["diff", "mawo", "mawo_2025"],
            ["compare", "mawo", "mawo_2025", "FÄLLE"],
            ["compare", "mawo", "mawo_2025", "FÄLLE", "--out", "v.ods"],
        ],
        ids=["eval", "check", "modelle", "diff", "compare", "falsches-format"],
    )
    def test_text_is_replaced_not_failed(
        self, folder: Path, argv: list[str], encoding: str
    ) -> None:
        places = {"KAPUTT": str(folder / "kaputt.rules"), "FÄLLE": str(folder / "fälle.jsonl")}
        argv = [places.get(a, a) for a in argv]
        out_bytes, err_bytes = io.BytesIO(), io.BytesIO()
        out = io.TextIOWrapper(out_bytes, encoding=encoding)
        err = io.TextIOWrapper(err_bytes, encoding=encoding)
        code = main(argv, out, err)
        out.flush(), err.flush()
        assert code == (2 if "v.ods" in argv else 1 if argv[0] in ("check", "compare") else 0), err_bytes.getvalue()
        text = out_bytes.getvalue().decode(encoding) + err_bytes.getvalue().decode(encoding)
        assert text and "interner Fehler" not in text and "Traceback" not in text

    def test_json_keeps_every_character(self) -> None:
        raw = io.BytesIO()
        out = io.TextIOWrapper(raw, encoding="ascii")
        assert main(["eval", MODEL, CASE, "--format", "json", "--explain"], out, io.StringIO()) == 0
        out.flush()
        reference = io.StringIO()
        main(["eval", MODEL, CASE, "--format", "json", "--explain"], reference, io.StringIO())
        assert json.loads(raw.getvalue().decode("ascii")) == json.loads(reference.getvalue())
        assert "\\u2192" in raw.getvalue().decode("ascii")  # → as an escape

    def test_replacements(self) -> None:
        raw = io.BytesIO()
        out = io.TextIOWrapper(raw, encoding="ascii")
        from teilhabe_rules.cli import _tolerant

        stream = _tolerant(out, own=False)
        stream.write("Fälle → „Größe“ — 5 € · 3 ≤ 4 ↳ é 漢 \udce4\n")
        out.flush()
        assert (
            raw.getvalue().decode("ascii") == 'Faelle -> "Groesse" - 5 EUR | 3 <= 4 -> e ? \\xe4\n'
        )
