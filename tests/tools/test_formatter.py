"""The formatter gives one canonical layout: idempotent, keeping every token and every comment in
place and the meaning (module and checked model) of the text; the bundled models are in it."""

from __future__ import annotations

import io
import random
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from hypothesis_budget import examples
from lark.lexer import PatternStr

from teilhabe_rules.cli import main
from teilhabe_rules.errors import Location, RuleSyntaxError
from teilhabe_rules.loading import check_text
from teilhabe_rules.shipped import model_files
from teilhabe_rules.span import Span
from teilhabe_rules.syntax.builder import parse_module
from teilhabe_rules.syntax.hints import KEYWORDS
from teilhabe_rules.syntax.parser import make_parser
from teilhabe_rules.tools.formatter import format_file, format_text, is_formatted

ROOT = Path(__file__).resolve().parents[2]
MODELS = model_files()
FENCE = re.compile(r"^```rules[ \t]*\n(?P<code>.*?)^```[ \t]*$", re.S | re.M)
DOC_BLOCKS = [
    (f"{doc.relative_to(ROOT)}:{text[: m.start()].count(chr(10)) + 1}", m.group("code"))
    for doc in sorted((ROOT / "docs").rglob("*.md"))
    for text in [doc.read_text("utf-8")]
    for m in FENCE.finditer(text)
]


# ---- what "the same" means -------------------------------------------------------------------

_LAYOUT_FIELDS = frozenset({"source", "other_sources", "source_line"})
# a check's node id names its line (prüfung@361: checks have no names)
_CHECK_ID = re.compile(r"((?:prüfung|warnung)@(?:\w+-)?)\d+")


def meaning(value: Any) -> Any:
    """A value of the AST or the checked model with every position left out (spans, locations,
    the source text and quoted source lines, the line in a check's id): what formatting must not
    change."""
    if isinstance(value, (Span, Location)):
        return None
    if isinstance(value, str):
        return _CHECK_ID.sub(r"\1…", value)
    if attrs.has(type(value)):
        return (type(value).__name__, tuple((field.name, meaning(getattr(value, field.name)))
                                            for field in attrs.fields(type(value)) if field.name not in _LAYOUT_FIELDS))
    if isinstance(value, dict):
        return tuple((meaning(key), meaning(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return tuple(meaning(item) for item in value)
    if isinstance(value, frozenset):
        return frozenset(meaning(item) for item in value)
    if isinstance(value, Decimal):
        return str(value)  # 1.0 and 1.00 are equal Decimals, but not the same text
    return value


def tokens(text: str) -> list[tuple[str, str]]:
    """The tokens the parser reads, one spelling per operator, without the text of line ends."""
    spelling = {"≤": "<=", "≥": ">=", "≠": "<>", "→": "->"}
    text = text.removeprefix("\ufeff")  # as files.read_text drops it
    full = text if text.endswith("\n") else text + "\n"
    found = [(t.type, "\n" if t.type == "_NL" else spelling.get(str(t), str(t)))
             for t in make_parser().parse_interactive(full, start="start").iter_parse()]
    while found and found[0][0] == "_NL":  # blank lines and comments before the header
        found.pop(0)
    return found


def comments(text: str) -> list[str]:
    """The comments of a rule text, in order (a ``#`` outside texts starts one)."""
    found = []
    # texts first, over the whole text: a text in triple quotes may span lines
    outside = re.sub(r'"""[\s\S]*?"""|"(?:[^"\\\n]|\\.)*"', '""', text)
    for line in outside.splitlines():
        if "#" in line:
            found.append(line[line.index("#"):].rstrip())
    return found


def assert_formats_faithfully(text: str) -> str:
    formatted = format_text(text)
    assert format_text(formatted) == formatted, "formatting twice changes the text"
    assert tokens(formatted) == tokens(text)
    assert meaning(parse_module(formatted, "m.rules")) == meaning(parse_module(text.removeprefix("\ufeff"), "m.rules"))
    return formatted


# ---- the layout ------------------------------------------------------------------------------

HEADER = 'modell m "M"\n  gültig ab 01.01.2024\nende\n'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # indentation: two blanks per block; blanks and tabs at the end of a line go
        ("modell m\n    version \"1\" \t\n\tgültig ab 01.01.2024\nende\n",
         'modell m\n  version "1"\n  gültig ab 01.01.2024\nende\n'),
        # one blank between tokens, none inside brackets, before ":" "," "." or a call's "("
        (HEADER + "eingabe kap4 : auswahl{0,2 ,5}min/Tag\nwert x=runde ( a.b [1]*(2+3) ,2)\n",
         HEADER + "eingabe kap4: auswahl {0, 2, 5} min/Tag\nwert x = runde(a.b[1] * (2 + 3), 2)\n"),
        # a sign sticks to what it negates, unless that is a number (then it would be one token)
        (HEADER + "wert x = - a + - ( b ) - -1 - - c + a -1 - - 1\n",
         HEADER + "wert x = -a + -(b) - -1 - -c + a - 1 - - 1\n"),
        (HEADER + "wert x = - 1\n", HEADER + "wert x = - 1\n"),
        # one spelling of the operators
        (HEADER + "wert x = a ≤ b und c ≥ d oder e ≠ f\ntabelle t: ganzzahl → %\n  1: 5 %\nende\n",
         HEADER + "wert x = a <= b und c >= d oder e <> f\ntabelle t: ganzzahl -> %\n  1: 5 %\nende\n"),
        # later values of a parameter one level deeper
        (HEADER + "parameter s: EUR/h = 1 EUR/h\nab 01.01.2025 = 2 EUR/h\n      ab 01.01.2026 = 3 EUR/h\n",
         HEADER + "parameter s: EUR/h = 1 EUR/h\n  ab 01.01.2025 = 2 EUR/h\n  ab 01.01.2026 = 3 EUR/h\n"),
        # table rows: the values in one column
        (HEADER + "tabelle t: ganzzahl, ganzzahl -> ganzzahl\n-1, 1: 0\n 0,1:1\n  10, 11 : 2 \"zwei\"\nende\n",
         HEADER + "tabelle t: ganzzahl, ganzzahl -> ganzzahl\n  -1, 1:  0\n  0, 1:   1\n  10, 11: 2 \"zwei\"\nende\n"),
        # corridor bands: levels, and upper bounds in the column after the longest lower bound
        (HEADER + "paket p\nstufen\n0 \"a\"\n1 \"b\"\n10 \"c\"\nende\nstufe nach korridor x\n"
                  "0: ab 0 bis 2\n1: über lp_grenze_1 unter 10\n10: bis 20\n2: über 20\nende\nende\n",
         HEADER + "paket p\n  stufen\n    0 \"a\"\n    1 \"b\"\n    10 \"c\"\n  ende\n  stufe nach korridor x\n"
                  "    0:  ab 0             bis 2\n    1:  über lp_grenze_1 unter 10\n    10:                  bis 20\n"
                  "    2:  über 20\n  ende\nende\n"),
        # comments stay: at the end of their line, or on their own line indented as the code after
        # them (before "ende": as the block's content); at most one blank line, none after a
        # block's first line, before its "ende", at the start or at the end
        ("\n\n# Kopf\n\n\n#   zweite Zeile\nmodell m   # am Kopf\n\n   # innen\n\nversion \"1\"\n\n# vor ende\n\n"
         "ende\n\n\n     # unten\nwert x = 1#eng\n\n",
         "# Kopf\n\n#   zweite Zeile\nmodell m # am Kopf\n  # innen\n\n  version \"1\"\n\n  # vor ende\nende\n\n"
         "# unten\nwert x = 1 #eng\n"),
        # a statement over several lines keeps its line breaks, indented by the brackets still open
        (HEADER + "wert x = max(\n        a,   # erstes\n   # zweites\n b\n       )\n"
                  "vorlage v\n l = [{a = 1},\n                {a = 2}]\n"
                  " r = [{\n a = 1,\n     b = {c = [1,\n 2]}\n    }]\nende\n",
         HEADER + "wert x = max(\n  a, # erstes\n  # zweites\n  b\n)\n"
                  "vorlage v\n  l = [{a = 1},\n    {a = 2}]\n"
                  "  r = [{\n    a = 1,\n    b = {c = [1,\n      2]}\n  }]\nende\n"),
        # line ends: \r\n become \n; a byte order mark goes; a missing last line end is added
        ("\ufeffmodell m\r\n  version \"1\"\r\nende", 'modell m\n  version "1"\nende\n'),
        # texts stay as written, with what they hold
        (HEADER + 'beschreibung """zwei\n   Zeilen  # kein Kommentar"""\n'.replace("beschreibung", "wert t ="),
         HEADER + 'wert t = """zwei\n   Zeilen  # kein Kommentar"""\n'),
    ],
    ids=["einrueckung", "abstaende", "vorzeichen", "vorzeichen-vor-zahl", "operatoren", "spaetere-werte",
         "tabellenzeilen", "korridor", "kommentare", "mehrzeilig", "zeilenenden", "texte"],
)
def test_the_canonical_layout(text: str, expected: str) -> None:
    assert format_text(text) == expected
    assert is_formatted(expected) and (text == expected or not is_formatted(text))
    assert comments(text) == comments(expected) or "#eng" in text  # every comment kept, as written
    assert_formats_faithfully(text)


def test_two_tokens_never_run_together() -> None:
    """Where leaving out a blank would read as other tokens (``1 . 5`` is not ``1.5``), it stays."""
    text = HEADER + "wert x = 1 . 5 + a . 1 . 5 + a . b\n"
    formatted = assert_formats_faithfully(text)
    assert "1.5" not in formatted and formatted.endswith(" + a.b\n")


def test_a_text_that_does_not_parse_is_refused_with_the_parsers_error() -> None:
    with pytest.raises(RuleSyntaxError, match=r"m\.rules:4:10: fehler: .*endet, bevor") as raised:
        format_text(HEADER + "wert x = \n", "m.rules")
    assert raised.value.diagnostics[0].location.line == 4


# ---- the bundled models, the documentation ---------------------------------------------------


@pytest.mark.parametrize("path", [*MODELS, *sorted((ROOT / "examples").rglob("*.rules"))], ids=lambda p: p.name)
def test_every_bundled_model_and_example_is_formatted(path: Path) -> None:
    text = path.read_text("utf-8")
    assert format_text(text, str(path)) == text, f"teilhabe-rules format {path.relative_to(ROOT)}"


def test_format_check_passes_on_the_bundled_models() -> None:
    """CI: ``teilhabe-rules format --prüfen models/*.rules`` succeeds."""
    out, err = io.StringIO(), io.StringIO()
    assert main(["format", "--prüfen", *map(str, MODELS)], out, err) == 0, out.getvalue() + err.getvalue()
    assert out.getvalue() == f"{len(MODELS)} Dateien im einheitlichen Layout\n" and err.getvalue() == ""


def _scrambled(text: str, rng: random.Random) -> str:
    """``text`` in another layout: other blanks between tokens, other indentation, extra blank
    lines, the other spelling of operators — the same tokens and comments."""
    full = text if text.endswith("\n") else text + "\n"
    found = [t for t in make_parser().parse_interactive(full, start="start").iter_parse() if t.type != "_NL"]
    other = {"<=": "≤", ">=": "≥", "<>": "≠", "->": "→"}
    parts = []
    position = 0
    for token in found:
        start, end = token.start_pos or 0, token.end_pos or 0
        pieces = full[position:start].split("\n")
        # a blank stays (where there is none, two tokens may stand together or apart)
        blank = [" ", "  ", "\t", " \t "] if full[position:start] else ["", " "]
        gap = [rng.choice(blank) + pieces[0].strip() if pieces[0].strip() else rng.choice(blank)]
        for number, piece in enumerate(pieces[1:], start=1):
            # a blank line may become several
            blanks = "\n" * rng.choice([0, 1, 2]) if number < len(pieces) - 1 and not piece.strip() else ""
            gap.append(blanks + rng.choice(["", " ", "    ", "\t", "      "]) + piece.strip())
        parts.append("\n".join(gap))
        value = full[start:end]
        parts.append(other.get(value, value) if rng.random() < 0.5 else value)
        position = end
    parts.append(full[position:].rstrip() + "\n" * rng.choice([1, 1, 3]))
    return "".join(parts)


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.name)
def test_a_bundled_model_in_any_layout_formats_back_to_itself_with_the_same_checked_model(path: Path) -> None:
    text = path.read_text("utf-8")
    scrambled = _scrambled(text, random.Random(path.name))
    assert scrambled != text and comments(scrambled) == comments(text)
    assert format_text(scrambled, str(path)) == text
    name = str(path)  # a variant finds its base beside it
    assert meaning(check_text(scrambled, name)) == meaning(check_text(text, name))


@pytest.mark.parametrize(("where", "code"), DOC_BLOCKS, ids=[where for where, _ in DOC_BLOCKS])
def test_every_documented_block_formats_faithfully(where: str, code: str) -> None:
    formatted = assert_formats_faithfully(code)
    assert comments(formatted) == comments(code)
    name = str(ROOT / "models" / "dokumentation.rules")  # a variant of a bundled model finds its base
    assert meaning(check_text(formatted, name)) == meaning(check_text(code, name))


def test_the_documentation_has_blocks() -> None:
    assert len(DOC_BLOCKS) >= 10


# ---- generated text --------------------------------------------------------------------------

SAMPLE = (HEADER + "aufzählung Grad \"Grad\"\n  0 \"kein\" # null\n  1 \"eins\"\nende\neingabe grad: Grad standard 0\n"
          "eingabe kap4: auswahl {0, 2, 5} min/Tag \"Kap. 4\"\n"
          "parameter satz: zahl EUR/h von 0 bis 500 = 68.95 EUR/h \"Satz\" annahme \"üblich\"\n"
          "  ab 01.01.2025 = 70 EUR/h\n"
          "tabelle anteil \"Anteil\": ganzzahl Personen -> % teilweise\n  # Zeilen\n  1:    100 %\n"
          "  2:    65 % annahme \"geschätzt\"\nende\n"
          "liste massnahmen mindestens 0 höchstens 3\n  eingabe stunden: zahl h/Jahr von 0 bis 2000\n"
          "  wert doppelt: h/Jahr = stunden * 2\nende\n"
          "paket lp1 \"LP 1\"\n  stufen\n    0 \"kein Bedarf\"\n    1 \"Bedarf\"\n  ende\n"
          "  wert summe: min/Tag = kap4 + 2 min/Tag\n  stufe nach korridor summe\n    0: ab 0 bis 2\n"
          "    1: über 2\n  ende\nende\n"
          "wert gesamt: EUR/Jahr = wenn nicht (kap4 > 0 min/Tag und grad = 1) dann 0 EUR/Jahr sonst max(\n"
          "  summe(massnahmen.doppelt wo stunden >= 1 h/Jahr) * satz, # Summe\n  -1 EUR/Jahr\n)\n"
          "prüfung \"zu viel {gesamt}\": gesamt <= 100000 EUR/Jahr\n"
          "vorlage grundfall\n  kap4 = 2\n  massnahmen = [{stunden = 10},\n    {stunden = 20}]\nende\n"
          "beispiel \"b\" \"Ein Beispiel\"\n  basis grundfall\n  eingabe massnahmen[1].stunden = 20\n"
          "  erwartet lp1.stufe = 1\nende\n# am Ende\n")


def test_the_sample_checks() -> None:
    assert check_text(SAMPLE, "sample.rules").packages


@settings(max_examples=examples(30), deadline=None)
@given(st.randoms(use_true_random=False))
def test_any_layout_of_a_sample_formats_to_one_text_with_the_same_checked_model(rng: random.Random) -> None:
    scrambled = _scrambled(SAMPLE, rng)
    formatted = assert_formats_faithfully(scrambled)
    assert formatted == format_text(SAMPLE)
    assert comments(formatted) == comments(SAMPLE)
    assert meaning(check_text(scrambled, "sample.rules")) == meaning(check_text(SAMPLE, "sample.rules"))


_NAMES = st.from_regex(r"[a-zäöüß][a-z0-9äöüß_]{0,6}", fullmatch=True).filter(lambda name: name not in KEYWORDS)


def _explicit() -> dict[str, st.SearchStrategy[str]]:
    """Values of the terminals for generated text, each with a blank after it."""
    parser = make_parser()
    explicit: dict[str, st.SearchStrategy[str]] = {
        t.name: st.just(t.pattern.value + " ") for t in parser.terminals if isinstance(t.pattern, PatternStr)
    }
    spaced = {
        "NAME": _NAMES,
        "NUMBER": st.from_regex(r"-?[0-9]{1,3}(\.[0-9]{1,2})?", fullmatch=True),
        "STRING": st.sampled_from(['""', '"Text {x} # kein Kommentar"', '"a\\"b"', '"""zwei\n Zeilen"""']),
        "DATE": st.sampled_from(["01.01.2024", "1.2.2025"]),
        "KEY": st.sampled_from(["1:48", "1:28.41"]),
        "COMPOUND_UNIT": st.sampled_from(["EUR/h", "min/Tag", "€/Tag"]),
        "COMP_OP": st.sampled_from(["<=", ">=", "<>", "=", "<", ">", "≤", "≥", "≠"]),
        "ADD_OP": st.sampled_from(["+", "-"]),
        "MUL_OP": st.sampled_from(["*", "/"]),
        "ARROW": st.sampled_from(["->", "→"]),
    }
    explicit.update({name: strategy.map(lambda s: s + " ") for name, strategy in spaced.items()})
    explicit["_NL"] = st.sampled_from(["\n", "\n\n\n", " # hinten\n  # Kommentar\n\t", "\n\t   "])
    explicit["COMMENT"] = st.just("")
    for name in parser.lexer_conf.ignore:
        explicit.setdefault(name, st.sampled_from(["", " ", "\t"]))
    return explicit


GRAMMAR_TEXT = from_lark(make_parser(strict=True), start="start", explicit=_explicit())


def _parses(text: str) -> bool:
    try:
        parse_module(text, "m.rules")
    except RuleSyntaxError:
        return False
    return True


@settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(GRAMMAR_TEXT)
@example('modell m\nende\nwert x = a . 1 . 5 - - 1 * - (b)\n')
@example('modell a \nende \neingabe a : zahl standard """zwei\n Zeilen""" "Text {x} # kein Kommentar"  # hinten\n'
         '  # Kommentar\n\t')
def test_text_generated_from_the_grammar_formats_faithfully(text: str) -> None:
    """Any text of the grammar: formatting keeps its tokens, comments and module, and is idempotent."""
    if not _parses(text):  # beyond a limit (nesting) or a decoded literal the builder refuses
        return
    formatted = assert_formats_faithfully(text)
    assert comments(formatted) == comments(text)


# ---- the command -----------------------------------------------------------------------------


def test_format_rewrites_files_and_check_mode_only_names_them(tmp_path: Path) -> None:
    messy = tmp_path / "unordentlich.rules"
    tidy = tmp_path / "ordentlich.rules"
    messy.write_text("modell m\n    version \"1\"\nende\nwert x=1\n", "utf-8")
    tidy.write_text('modell m\n  version "1"\nende\nwert x = 1\n', "utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert main(["format", "--prüfen", str(messy), str(tidy)], out, err) == 1
    assert out.getvalue() == f"{messy}: nicht formatiert\n1 von 2 Dateien würde umformatiert\n"
    assert messy.read_text("utf-8") == "modell m\n    version \"1\"\nende\nwert x=1\n"  # nothing written
    out = io.StringIO()
    assert main(["format", str(messy), str(tidy)], out, err) == 0
    assert out.getvalue() == f"{messy}: formatiert\n1 von 2 Dateien umformatiert\n"
    assert messy.read_text("utf-8") == tidy.read_text("utf-8")
    assert not list(tmp_path.glob("*.unvollständig"))
    out = io.StringIO()
    assert main(["format", "--pruefen", str(messy)], out, err) == 0 and err.getvalue() == ""
    assert out.getvalue() == "1 Datei im einheitlichen Layout\n"
    assert format_file(messy, write=False) is False
    # a file that cannot be read is counted once: with the errors, not in the layout
    out, err = io.StringIO(), io.StringIO()
    assert main(["format", "--prüfen", str(tmp_path / "fehlt.rules"), str(messy)], out, err) == 1
    assert out.getvalue() == "1 Datei im einheitlichen Layout, 1 mit Fehlern\n"
    assert "fehlt.rules" in err.getvalue()
    for file in (messy, tidy):  # two to be formatted: the verb in the plural
        file.write_text("modell m\n    version \"1\"\nende\n", "utf-8")
    out = io.StringIO()
    assert main(["format", "--prüfen", str(messy), str(tidy)], out, io.StringIO()) == 1
    assert out.getvalue().endswith("\n2 von 2 Dateien würden umformatiert\n")


def test_format_reports_a_file_that_does_not_parse_and_leaves_it(tmp_path: Path) -> None:
    broken = tmp_path / "kaputt.rules"
    broken.write_text("modell m\nende\nwert x = \n", "utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert main(["format", str(broken), str(tmp_path / "fehlt.rules")], out, err) == 1
    assert f"{broken}:3:10: fehler: " in err.getvalue()
    assert "fehlt.rules" in err.getvalue() and "fehler:" in err.getvalue()
    assert broken.read_text("utf-8") == "modell m\nende\nwert x = \n"
    assert out.getvalue() == "0 von 2 Dateien umformatiert, 2 mit Fehlern\n"


def test_a_file_rewritten_in_place_keeps_its_permissions_and_its_link(tmp_path: Path) -> None:
    """Formatting edits a file in place: a private file stays private, a symbolic link stays a
    link and the file it names is formatted."""
    import os
    import stat

    text = 'modell m "M"\n  version "1"\nende\nparameter   satz:  EUR/h = 60 "Satz"\n'
    private = tmp_path / "privat.rules"
    private.write_text(text, encoding="utf-8")
    private.chmod(0o600)
    assert format_file(private)
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert is_formatted(private.read_text(encoding="utf-8"))
    real = tmp_path / "echt.rules"
    real.write_text(text, encoding="utf-8")
    real.chmod(0o640)
    link = tmp_path / "verweis.rules"
    link.symlink_to(real.name)
    assert format_file(link)
    assert link.is_symlink() and os.readlink(link) == real.name
    assert is_formatted(real.read_text(encoding="utf-8"))
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["echt.rules", "privat.rules", "verweis.rules"]


def test_a_layout_beyond_the_size_of_a_rule_file_is_refused_and_the_file_kept(tmp_path: Path) -> None:
    """A file just within the limit, whose package's rules the layout indents past it: checking
    it works, formatting it would give a file the checker refuses — so the file is kept."""
    from teilhabe_rules.limits import MAX_RULE_FILE_CHARS

    head = 'modell m "M"\n  version "1"\n  gültig ab 01.01.2024\nende\npaket p "P"\n'
    label = "x" * 230
    rules = [f'wert w{i} = {i} "{label}"\n' for i in range(2_200)]
    text = head + "".join(rules) + "ende\n"
    while len(text) > MAX_RULE_FILE_CHARS:
        rules.pop()
        text = head + "".join(rules) + "ende\n"
    check_text(text, "gross.rules")
    path = tmp_path / "gross.rules"
    path.write_text(text, "utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert main(["format", str(path)], out, err) == 1
    assert f"{path}:1:1: fehler: Im einheitlichen Layout wäre die Regeldatei zu groß" in err.getvalue()
    assert path.read_text("utf-8") == text
    with pytest.raises(RuleSyntaxError, match="Die Regeldatei ist zu groß"):
        format_text(text + "#" * (MAX_RULE_FILE_CHARS - len(text) + 1) + "\n")


def test_a_crlf_file_formats_to_lf_also_inside_a_text_of_several_lines() -> None:
    """``\\r\\n`` ends a line of a ``\\"\\"\\"text\\"\\"\\"`` too: the text's value is the same in a CRLF
    file and in an LF file, and the formatted file holds no ``\\r``."""
    lf = 'modell m "M"\n  gültig ab 01.01.2024\n  beschreibung """zwei\nZeilen"""\nende\neingabe x: zahl\n'
    crlf = lf.replace("\n", "\r\n")
    formatted = format_text(crlf)
    assert "\r" not in formatted and formatted == format_text(lf)
    assert check_text(crlf, "m.rules").info.description == check_text(lf, "m.rules").info.description \
        == "zwei\nZeilen"


def test_a_file_whose_only_difference_is_a_byte_order_mark_is_rewritten(tmp_path: Path) -> None:
    """The layout has no byte order mark: ``format --prüfen`` reports it, ``format`` drops it."""
    path = tmp_path / "b.rules"
    canonical = 'modell x "X"\n  version "1"\n  gültig ab 01.01.2024\nende\n'
    assert format_text(canonical) == canonical
    path.write_bytes(b"\xef\xbb\xbf" + canonical.encode())
    assert format_file(path, write=False) is True and path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert format_file(path) is True
    assert path.read_bytes() == canonical.encode()
    assert format_file(path) is False


def test_a_file_gone_after_reading_is_formatted_as_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If the file cannot be opened again to look for a byte order mark, what was read decides."""
    from teilhabe_rules.tools import formatter

    path = tmp_path / "b.rules"
    path.write_text('modell x "X"\n  version "1"\n  gültig ab 01.01.2024\nende\n', "utf-8")

    def gone(*args: object, **kwargs: object) -> object:
        raise FileNotFoundError(2, "No such file or directory")

    monkeypatch.setattr(formatter, "open", gone, raising=False)
    assert format_file(path, write=False) is False
