"""Whatever text it is given, parsing ends in a module or in one of the library's errors."""

from __future__ import annotations

import datetime as dt
import re

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from hypothesis_budget import examples
from lark.lexer import PatternStr

from teilhabe_rules.errors import RuleSyntaxError, TeilhabeError
from teilhabe_rules.syntax.builder import parse_module
from teilhabe_rules.syntax.hints import KEYWORDS
from teilhabe_rules.syntax.parser import make_parser, parse_text

HEADER = 'modell m "M"\nende\n'
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

# A small model touching most of the grammar; the mutation test starts from it.
SAMPLE = """modell probe "Probe" # Kopf
  version "1.0"
  gültig ab 01.01.2024
  stichtag erstellt
ende
aufzählung Grad "Grad"
  0 "kein"
  1 "eins" "mit Beschreibung"
ende
eingabe erstellt: datum
eingabe kap4: auswahl {0, 2, 5} min/Tag "Kap. 4"
eingabe grad: Grad standard 0
parameter satz: zahl EUR/h von 0 bis 500 = 68.95 "Satz" annahme "üblich"
parameter leitung: schlüssel = 1:50
tabelle anteil "Anteil": ganzzahl Personen -> % teilweise
  1: 100 %
  2, 3: 65 % annahme "geschätzt"
ende
liste massnahmen mindestens 0 höchstens 3
  eingabe stunden: zahl h/Jahr von 0 bis 2000
  wert doppelt: h/Jahr = stunden * 2
ende
paket lp1 "LP 1"
  stufen
    0 "kein Bedarf"
    1 "Bedarf"
  ende
  wert summe: min/Tag = kap4 + 2 min/Tag
  stufe nach korridor summe
    0: ab 0 bis 2
    1: über 2
  ende
ende
wert gesamt: EUR/Jahr = wenn nicht (kap4 > 0 und grad = 1) dann 0 EUR/Jahr sonst max(
  summe(massnahmen.doppelt wo stunden >= 1) als h/Jahr * satz,
  -1 EUR/Jahr
)
prüfung "zu früh {erstellt}": erstellt >= 01.01.2024
vorlage grundfall
  kap4 = 2
  massnahmen = [{ stunden = 10 }]
ende
beispiel "b" "Ein Beispiel"
  basis grundfall
  eingabe massnahmen[1].stunden = 20
  vereinbarung satz = 70 EUR/h
  erwartet lp1.stufe = 1
  erwartet fehler "nicht erlaubt"
ende
eigenschaft "steigt": steigend gesamt mit kap4
"""


def assert_parses_or_fails_cleanly(text: str) -> None:
    """``parse_module`` returns, or raises a TeilhabeError whose diagnostics point into the text."""
    try:
        parse_module(text, "fuzz.rules")
    except TeilhabeError as exc:
        assert isinstance(exc, RuleSyntaxError)
        assert exc.diagnostics
        lines = [
            line.rstrip("\r") for line in (text if text.endswith("\n") else text + "\n").split("\n")
        ]
        for diagnostic in exc.diagnostics:
            assert diagnostic.message
            location = diagnostic.location
            assert location is not None and location.file == "fuzz.rules"
            assert 1 <= location.line <= len(lines)
            line = lines[location.line - 1]
            shown = diagnostic.source_line or ""
            # a very long line is cut some way behind the caret
            assert shown == line or shown.endswith(" …") and line.startswith(shown[:-2])
            assert 1 <= location.column <= len(lines[location.line - 1]) + 1
            assert diagnostic.render().startswith(
                f"fuzz.rules:{location.line}:{location.column}: fehler: "
            )


def test_sample_is_valid() -> None:
    """The mutation test starts from a valid model."""
    module = parse_module(SAMPLE)
    assert module.header.name == "probe" and len(module.items) == 14


# ---- (a) arbitrary text ----------------------------------------------------------------------

_LANGUAGE_CHARACTERS = st.sampled_from(
    list('abdeilmnrstuwzäöüßEURh_019.,:;=<>+-*/()[]{}"#%€ \t\n\r\x0c')
)
_PIECES = st.sampled_from(
    [
        *KEYWORDS,
        "x",
        "kap4",
        "EUR/h",
        "EUR / h",
        "1:48",
        "1:0",
        "01.01.2024",
        "31.02.2024",
        "2024-01-01",
        "68,95",
        "-1",
        "[0]",
        '"t"',
        '"""',
        '"',
        "{a = 1}",
        "->",
        "(",
        ")",
        "\n",
        "\n  ",
        " ",
        ":",
        "=",
        "#",
    ]
)
_SOUP = st.lists(st.one_of(_PIECES, st.text(_LANGUAGE_CHARACTERS, max_size=3)), max_size=30).map(
    " ".join
)


@settings(FUZZ, max_examples=examples(300))
@given(st.text())
@example("")
@example("\x00")
@example(HEADER + "wert x = " + "-" * 600 + "1\n")
@example(HEADER + "\x0cwert x = 1\nwert y = 1:0\n")
@example(HEADER + "\x1cwert x = 1\nwert y = 1:0\n")
def test_arbitrary_text(text: str) -> None:
    """Any text, however broken, yields a module or a RuleSyntaxError pointing into the text."""
    assert_parses_or_fails_cleanly(text)


@settings(FUZZ, max_examples=examples(300))
@given(_SOUP)
@example('modell m "M\nende\n')
@example('wert x = """abc\n')
def test_word_soup_after_header(soup: str) -> None:
    """Language-like words and characters after a valid header never crash the parser."""
    assert_parses_or_fails_cleanly(HEADER + soup)


# ---- (b) text generated from the grammar -----------------------------------------------------

_NAMES = st.from_regex(r"[a-zäöüß][a-z0-9äöüß_]{0,6}", fullmatch=True).filter(
    lambda name: name not in KEYWORDS
)
_DATES = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)).map(
    lambda d: f"{d:%d.%m.%Y}"
)
_STRINGS = st.one_of(
    st.text(
        # no control character but tab, no line or paragraph separator, no bidirectional control
        st.characters(blacklist_characters='"\\\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069',
                      blacklist_categories=("Cs", "Cc", "Zl", "Zp")) | st.just("\t"), max_size=8
    ).map(lambda s: f'"{s}"'),
    st.text(st.sampled_from(list("ab \n")), max_size=6).map(lambda s: f'"""{s}"""'),
)


def _explicit() -> dict[str, st.SearchStrategy[str]]:
    """Strategies for the terminals: sane values, each followed by a separating space."""
    parser = make_parser()
    explicit: dict[str, st.SearchStrategy[str]] = {}
    for terminal in parser.terminals:
        if isinstance(terminal.pattern, PatternStr):
            explicit[terminal.name] = st.just(terminal.pattern.value + " ")
    spaced = {
        "NAME": _NAMES,
        "NUMBER": st.from_regex(r"-?[0-9]{1,3}(\.[0-9]{1,2})?", fullmatch=True),
        "STRING": _STRINGS,
        "DATE": _DATES,
        "KEY": st.from_regex(r"1:[1-9][0-9]{0,2}(\.[0-9]{1,2})?", fullmatch=True),
        "COMPOUND_UNIT": st.sampled_from(["EUR/h", "min/Tag", "h/Jahr", "EUR/VK/Jahr", "€/Tag"]),
        "COMP_OP": st.sampled_from(["<=", ">=", "<>", "=", "<", ">", "≤", "≥", "≠"]),
        "ADD_OP": st.sampled_from(["+", "-"]),
        "MUL_OP": st.sampled_from(["*", "/"]),
        "ARROW": st.sampled_from(["->", "→"]),
    }
    explicit.update({name: strategy.map(lambda s: s + " ") for name, strategy in spaced.items()})
    explicit["_NL"] = st.sampled_from(["\n", "\n\n", "\n  # Kommentar\n", "\r\n"])
    # Ignored terminals may be drawn between any two symbols: only blanks, never a comment
    # (which would swallow the rest of its line).
    explicit["COMMENT"] = st.just("")
    for name in parser.lexer_conf.ignore:
        explicit.setdefault(name, st.sampled_from(["", " ", "\t"]))
    return explicit


# hypothesis reads the grammar of a built parser (one loaded from the cache has none)
GRAMMAR_TEXT = from_lark(make_parser(strict=True), start="start", explicit=_explicit())
RAW_GRAMMAR_TEXT = from_lark(
    make_parser(strict=True),
    start="start",
    explicit={"COMMENT": st.just("#k\n")},
    alphabet=st.characters(codec="utf-8"),
)


@settings(FUZZ, max_examples=examples(100))
@given(GRAMMAR_TEXT)
def test_grammar_generated_text_parses(text: str) -> None:
    """Text derived from the grammar (tokens separated by blanks) is accepted by the parser, and
    the AST builder either builds it or rejects a literal with a RuleSyntaxError."""
    tree = parse_text(text)
    assert tree.data == "start"
    assert_parses_or_fails_cleanly(text)


@settings(FUZZ, max_examples=examples(30))
@given(RAW_GRAMMAR_TEXT)
def test_raw_grammar_text_fails_cleanly(text: str) -> None:
    """Text from the grammar with hypothesis' own terminal values (glued, odd) never crashes."""
    assert_parses_or_fails_cleanly(text)


# ---- (c) mutations of a valid sample ---------------------------------------------------------

_TOKEN = re.compile(
    r'"""[\s\S]*?"""|"[^"\n]*"|#[^\n]*|\n|[^\W\d]\w*(?:/[^\W\d]\w*)*|\d[\d.:]*|->|<=|>=|<>|\S'
)
SAMPLE_TOKENS = [(m.start(), m.end()) for m in _TOKEN.finditer(SAMPLE)]
_INSERTS = st.sampled_from(
    [
        ",",
        ":",
        "=",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        '"',
        "#",
        "\n",
        " ",
        ".",
        "-",
        "/",
        "ende",
        "wert",
        "1",
        "x",
        "€",
    ]
)


@st.composite
def mutated_sample(draw: st.DrawFn) -> str:
    text = SAMPLE
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(
            st.sampled_from(
                ["delete", "insert", "replace", "drop-token", "repeat-token", "swap-tokens"]
            )
        )
        if kind in ("delete", "insert", "replace"):
            at = draw(st.integers(0, len(text) - 1))
            piece = draw(st.one_of(_INSERTS, st.characters(codec="utf-8")))
            if kind == "delete":
                text = text[:at] + text[at + 1 :]
            elif kind == "insert":
                text = text[:at] + piece + text[at:]
            else:
                text = text[:at] + piece + text[at + 1 :]
        else:
            tokens = [(m.start(), m.end()) for m in _TOKEN.finditer(text)]
            index = draw(st.integers(0, len(tokens) - 2))
            (start, end), (start2, end2) = tokens[index], tokens[index + 1]
            if kind == "drop-token":
                text = text[:start] + text[end:]
            elif kind == "repeat-token":
                text = text[:end] + " " + text[start:end] + text[end:]
            else:
                text = (
                    text[:start]
                    + text[start2:end2]
                    + text[end:start2]
                    + text[start:end]
                    + text[end2:]
                )
    return text


@settings(FUZZ, max_examples=examples(500))
@given(mutated_sample())
@example(SAMPLE.replace("68.95", "68,95"))
@example(SAMPLE.replace("\nende\naufzählung", "\naufzählung", 1))
@example(SAMPLE.replace("max(", "max((", 1))
@example(SAMPLE.replace("* satz,", "* satz satz,", 1))
def test_mutated_sample_fails_cleanly(text: str) -> None:
    """Deleting, inserting, replacing or moving characters and tokens of a valid model never
    crashes: the result parses or raises a RuleSyntaxError pointing into the text."""
    assert_parses_or_fails_cleanly(text)
