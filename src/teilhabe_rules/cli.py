"""The command line: ``teilhabe-rules check | eval | test | modelle | diff | compare | generate |
umstellen | schema | handbuch | format | lsp | eval-many | sql``.

Takes: ``argv``. Gives: an exit code — :data:`EXIT_OK` (0), :data:`EXIT_FINDINGS` (1: errors in
the input — rule file, case or agreement — or failing examples), :data:`EXIT_USAGE` (2: bad
command line), :data:`EXIT_INTERNAL` (3: a defect of the library itself, reported in one line),
:data:`EXIT_INTERRUPTED` (130: stopped with Ctrl+C). Bad input never shows a traceback: every
library error is printed compiler-style, or as JSON with ``--format json``.

Output never fails on a console or file whose encoding is not UTF-8 (Windows' cp1252, ``ascii``):
text shows what the encoding cannot as a plain replacement (``→`` as ``->``, ``ü`` in ASCII as
``ue``), JSON and TOML write it as escapes (lossless). Files the commands write are UTF-8, and
complete or absent (:mod:`teilhabe_rules.atomic`).
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import datetime as _dt
import gc
import io
import json
import os
import re
import sys
import threading
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO, TypeVar, cast, overload

from .backends import BACKENDS
from .errors import TeilhabeError, counted, did_you_mean

if TYPE_CHECKING:  # pragma: no cover
    from .model import Model
    from .tools.progress import ProgressBar

__all__ = ["EXIT_FINDINGS", "EXIT_INTERNAL", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "main", "run"]

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130


# ---- output on any console -------------------------------------------------------------------

_REPLACEMENTS = {
    "→": "->", "↳": "->", "←": "<-", "↔": "<->", "▶": ">", "−": "-", "–": "-", "—": "-", "─": "-",
    "…": "...", "„": '"', "“": '"', "”": '"', "‚": "'", "‘": "'", "’": "'", "«": '"', "»": '"',
    "·": "|", "×": "x", "≤": "<=", "≥": ">=", "≠": "!=", "∞": "unendlich", "€": "EUR", "§": "Par.",
    "ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss", "\u00a0": " ",
}
_SUBSTITUTE = "teilhabe_rules.ersatz"


def _substitute(exc: UnicodeError) -> tuple[str, int]:
    """Encoding error handler: what an encoding cannot show, as ASCII — a plain replacement
    (``→`` → ``->``), the letter without its accent, ``\\xNN`` for an undecodable byte of a
    file name, or ``?``."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    out = []
    for ch in exc.object[exc.start:exc.end]:
        if ch in _REPLACEMENTS:
            out.append(_REPLACEMENTS[ch])
        elif 0xDC80 <= ord(ch) <= 0xDCFF:  # a byte the system could not decode (surrogateescape)
            out.append(f"\\x{ord(ch) - 0xDC00:02x}")
        else:
            plain = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode("ascii")
            out.append(plain or "?")
    return "".join(out), exc.end


codecs.register_error(_SUBSTITUTE, _substitute)


def _is_unicode(encoding: str | None) -> bool:
    """Whether an encoding can write any text (None: a stream of text, such as StringIO)."""
    if not encoding:
        return True
    try:
        return codecs.lookup(encoding).name in ("utf-8", "utf-16", "utf-32", "utf-8-sig")
    except LookupError:
        return False


class _Tolerant(io.TextIOBase):
    """A text stream that writes to ``stream`` and, where its encoding cannot show a character,
    writes a replacement (:func:`_substitute`) instead of failing."""

    def __init__(self, stream: TextIO):
        super().__init__()
        self.stream = stream

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.stream, "encoding", None) or "utf-8"

    def write(self, text: str) -> int:
        try:
            try:
                return self.stream.write(text)
            except UnicodeEncodeError:
                encoding = self.encoding
                return self.stream.write(text.encode(encoding, _SUBSTITUTE).decode(encoding))
        except OSError as exc:
            raise _StreamError(exc) from None

    def flush(self) -> None:
        try:
            self.stream.flush()
        except OSError as exc:
            raise _StreamError(exc) from None


    def isatty(self) -> bool:
        try:
            return bool(self.stream.isatty())
        except (AttributeError, ValueError):
            return False

    def writable(self) -> bool:
        return True


class _StreamError(Exception):
    """Writing to a standard stream failed (a full disk behind ``> datei``, a closed pipe)."""

    def __init__(self, cause: OSError):
        from .files import write_problem

        super().__init__(write_problem(cause))


def _unwritable(reason: object) -> str:
    """The line reporting a standard output that cannot be written."""
    return f"teilhabe-rules: die Ausgabe lässt sich nicht schreiben: {reason}\n"


def _tolerant(stream: TextIO, own: bool) -> TextIO:
    """``stream`` wrapped so that writing never fails for the encoding. ``own``: it is the
    process's own standard stream, which is also told to replace (for writes that do not go
    through the wrapper, e.g. of a library)."""
    encoding = getattr(stream, "encoding", None)
    if own and not _is_unicode(encoding) and isinstance(stream, io.TextIOWrapper):
        with contextlib.suppress(ValueError, AttributeError):
            stream.reconfigure(errors=_SUBSTITUTE)
    return cast(TextIO, _Tolerant(stream))


def _json(data: Any, out: TextIO) -> str:
    """``data`` as indented JSON for ``out``: characters as they are, or as escapes (``\\u00fc``)
    where the stream's encoding is not Unicode — JSON readers get the same text either way."""
    escaped = not _is_unicode(getattr(out, "encoding", None))
    return json.dumps(data, ensure_ascii=escaped, indent=2) + "\n"


class _UsageError(Exception):
    """A bad command line; ``usage``: the usage to show (default: the program's)."""

    def __init__(self, message: str, usage: str | None = None):
        super().__init__(message)
        self.usage = usage


_COMPARE_USAGE = ("teilhabe-rules compare ALT NEU FÄLLE [Optionen]\n"
                  "        teilhabe-rules compare MODELL FÄLLE --alt FIGUR --neu FIGUR [Optionen]")


class _CompareUsageError(_UsageError):
    """A bad command line of ``compare``: shown with both of its forms."""

    def __init__(self, message: str):
        super().__init__(message, f"Aufruf: {_COMPARE_USAGE}\n")


_N = TypeVar("_N")


# argparse's messages (Python 3.11–3.13) in German: pattern → replacement (``\\g<name>``)
_ARGPARSE_GERMAN = (
    (r"the following arguments are required: (?P<a>.*)", r"es fehlt: \g<a>"),
    (r"unrecognized arguments: (?P<a>.*)", r"unbekannte Angaben: \g<a>"),
    (r"argument (?P<o>.+?): invalid int value: (?P<v>.*)", r"\g<o>: \g<v> ist keine ganze Zahl"),
    (r"argument (?P<o>.+?): invalid float value: (?P<v>.*)", r"\g<o>: \g<v> ist keine Zahl"),
    (r"argument (?P<o>.+?): invalid (?P<t>\w+) value: (?P<v>.*)", r"\g<o>: \g<v> ist kein gültiger Wert"),
    (r"argument (?P<o>.+?): invalid choice: (?P<v>.*?) \(choose from (?P<c>.*)\)",
     r"\g<o>: \g<v> gibt es nicht (möglich: \g<c>)"),
    (r"argument (?P<o>.+?): expected one argument", r"\g<o>: es fehlt ein Wert"),
    (r"argument (?P<o>.+?): expected at least one argument", r"\g<o>: es fehlt mindestens ein Wert"),
    (r"argument (?P<o>.+?): expected at most one argument", r"\g<o>: höchstens ein Wert"),
    (r"argument (?P<o>.+?): expected (?P<n>\d+) arguments?", r"\g<o>: erwartet \g<n> Werte"),
    (r"argument (?P<o>.+?): not allowed with argument (?P<p>.*)", r"\g<o>: nicht zusammen mit \g<p>"),
    (r"argument (?P<o>.+?): ignored explicit argument (?P<v>.*)", r"\g<o>: nimmt keinen Wert (\g<v>)"),
    (r"ambiguous option: (?P<o>.+?) could match (?P<c>.*)", r"\g<o> ist mehrdeutig: \g<c>"),
    (r"one of the arguments (?P<a>.*) is required", r"eine der Angaben \g<a> ist nötig"),
)


def _german_usage_message(message: str) -> str:
    """An argparse error message in German (an unknown one as it is)."""
    for pattern, german in _ARGPARSE_GERMAN:
        match = re.fullmatch(pattern, message, re.S)
        if match:
            return match.expand(german)
    return message


class _Parser(argparse.ArgumentParser):
    """argparse's parser, its help in German: „Aufruf:“, „Angaben“, „Optionen“ and ``-h``'s own
    text (argparse writes them in English), its errors as :func:`_german_usage_message` gives them."""

    gather: str | None = None  # a ``+`` positional that also takes positionals after options
    commands: dict[str, argparse.ArgumentParser]  # the commands' parsers built (the program's)
    command: str | None = None  # the command this parser is of (None: the program's)

    def __init__(self, *args: Any, **options: Any) -> None:
        options["add_help"] = False
        super().__init__(*args, **options)
        self._positionals.title = "Angaben"
        self._optionals.title = "Optionen"
        self.add_argument("-h", "--help", "--hilfe", action="help", default=argparse.SUPPRESS,
                          help="diese Hilfe zeigen und beenden")
        self.commands = {}

    def error(self, message: str) -> NoReturn:
        # (a command's parser shows its own usage; the program's, that of the command named)
        raise _UsageError(_german_usage_message(message), self.format_usage() if self.command is not None else None)

    def usage_of(self, command: str | None) -> str:
        """The usage of ``command`` (of the program where it has no parser)."""
        found = self.commands.get(command) if command is not None else None
        return (found or self).format_usage()

    @overload
    def parse_known_args(
        self, args: Iterable[str] | None = None, namespace: None = None
    ) -> tuple[argparse.Namespace, list[str]]: ...
    @overload
    def parse_known_args(self, args: Iterable[str] | None, namespace: _N) -> tuple[_N, list[str]]: ...
    @overload
    def parse_known_args(self, *, namespace: _N) -> tuple[_N, list[str]]: ...

    def parse_known_args(
        self, args: Iterable[str] | None = None, namespace: Any = None
    ) -> tuple[Any, list[str]]:
        """As argparse, and where ``gather`` names a positional list: the positionals that follow
        an option (``compare A --out X B C``) join it in their order, as they would had it fixed
        positionals — argparse would have them unrecognized."""
        parsed, extra = super().parse_known_args(args, namespace)
        if self.gather and extra and not any(item.startswith("-") for item in extra):
            getattr(parsed, self.gather).extend(extra)
            extra = []
        return parsed, extra


class _Formatter(argparse.HelpFormatter):
    """argparse's help formatter, its default width found as :func:`shutil.get_terminal_size`
    finds it (``$COLUMNS``, else the terminal of the standard output, else 80) without importing
    :mod:`shutil`, which (with the compression modules it imports) would cost every command
    some milliseconds of start-up."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None):
        if width is None:
            width = _terminal_columns() - 2
        super().__init__(prog, indent_increment, max_help_position, width)

    def add_usage(self, usage: str | None, actions: Iterable[argparse.Action],
                  groups: Iterable[argparse._MutuallyExclusiveGroup], prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, "Aufruf: " if prefix is None else prefix)


def _terminal_columns() -> int:
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


class _Commands:
    """The commands' parsers as :func:`_parser` adds them: all of them, or — where the command
    line names its command — only that one's (the others are neither parsed nor shown, and
    building them would cost a new process some milliseconds)."""

    def __init__(self, parent: _Parser, only: str | None):
        self.action = parent.add_subparsers(dest="command", metavar="BEFEHL")
        self.only = only
        self.found = False
        self.built = parent.commands

    def add_parser(self, name: str, **options: Any) -> _Parser:
        if self.only is not None and name != self.only:
            return cast(_Parser, _Unbuilt())
        self.found = True
        options.setdefault("formatter_class", _Formatter)
        made = self.action.add_parser(name, **options)  # the parent's class
        made.command = name
        self.built[name] = made
        return made


class _Unbuilt:
    """Stands for the parser of a command this process does not run: whatever is done to it
    (arguments, groups, defaults added; attributes set) is taken and kept nowhere."""

    def __getattr__(self, name: str) -> Callable[..., Any]:
        return lambda *args, **kwargs: self


def _parser(argv: Sequence[str] | None = None) -> _Parser:
    """The command line's parser; ``argv``: the arguments it will parse, whose first one, where
    it names a command, is the only command built."""
    only = argv[0] if argv else None
    parser = _Parser(
        prog="teilhabe-rules", description="Tarifmodelle der Eingliederungshilfe prüfen, auswerten und testen.",
        formatter_class=_Formatter,
    )
    sub = _Commands(parser, only)
    check = sub.add_parser("check", help="Regeldateien prüfen")
    check.add_argument("files", nargs="+", metavar="DATEI")
    check.add_argument("--format", choices=("text", "json"), default="text")
    ev = sub.add_parser("eval", help="einen Fall auswerten")
    ev.add_argument("model", metavar="MODELL", help="Regeldatei oder Name eines mitgelieferten Modells")
    ev.add_argument("case", metavar="FALL", help="Falldatei (TOML oder JSON)")
    ev.add_argument("--agreement", "--vereinbarung", metavar="DATEI")
    ev.add_argument("--format", default="text", metavar="FORMAT",
                    help="text oder json auf der Standardausgabe; mit --out das Format der Datei: "
                         "xlsx, csv, csv-de, jsonl, parquet (Standard: nach der Endung)")
    ev.add_argument("--out", "--ausgabe", metavar="DATEI",
                    help="das Ergebnis als Tabelle: .xlsx (ein Blatt je Ebene), .csv, .jsonl, .parquet")
    ev.add_argument("--explain", "--erklären", action="store_true", help="jede Zahl mit ihrer Herleitung")
    ev.add_argument("--stufenwechsel", "--level-changes", dest="level_changes", action="store_true",
                    help="je Stufe nach Korridor: welche einzelne Eingabe mit welchem Wert die Stufe ändern würde")
    ev.add_argument("--at", "--stichtag", metavar="DATUM", help="Stichtag (JJJJ-MM-TT); Standard: das Datum des Falls")
    ev.add_argument("--genau", "--full-precision", dest="full_precision", action="store_true",
                    help="Textausgabe mit allen Stellen; ohne: jede Zahl auf die Stellen ihrer Einheit gerundet "
                         "(EUR 2, VK 4, h 2, %% 2, min 0–1, sonst 0–4), JSON bleibt immer genau")
    test = sub.add_parser(
        "test", help="die Beispiele (mit --properties auch Eigenschaften und Invarianten) der Modelle prüfen"
    )
    test.add_argument("models", nargs="+", metavar="MODELL")
    test.add_argument("--format", choices=("text", "json"), default="text")
    test.add_argument("--properties", "--eigenschaften", action="store_true",
                      help="auch die Eigenschaften und die allgemeinen Invarianten mit erzeugten Fällen prüfen")
    test.add_argument("--examples-count", "--anzahl", type=int, metavar="N",
                      help="erzeugte Fälle je Eigenschaft (Standard 50; schließt --properties ein)")
    test.add_argument("--seed", type=int, metavar="S",
                      help="Startwert der Erzeugung (Standard 0; schließt --properties ein)")
    test.add_argument("--counterexamples", "--gegenbeispiele", metavar="VERZEICHNIS",
                      help="wohin Gegenbeispiele geschrieben werden (Standard: aktuelles Verzeichnis)")
    test.add_argument("--coverage", "--abdeckung", action="store_true",
                      help="welche Korridorbänder, Tabellenzeilen und Stufen die Beispiele erreichen")
    sub.add_parser("modelle", help="die mitgelieferten Modelle auflisten")
    diff = sub.add_parser("diff", help="zwei Modellversionen inhaltlich vergleichen")
    diff.add_argument("old", metavar="ALT", help="Regeldatei oder Name eines mitgelieferten Modells")
    diff.add_argument("new", metavar="NEU", help="Regeldatei oder Name eines mitgelieferten Modells")
    diff.add_argument("--format", choices=("text", "json"), default="text")
    cmp = sub.add_parser(
        "compare", usage=_COMPARE_USAGE,
        help="eine Population unter zwei Modellversionen auswerten, oder zwei Werte eines "
             "Modells (Budgetvergleich)")
    cmp.gather = "operands"
    cmp.add_argument("operands", nargs="+", metavar="ALT NEU FÄLLE | MODELL FÄLLE",
                     help="zwei Modelle (Regeldatei oder Name eines mitgelieferten Modells) und "
                          "die Population, oder ein Modell und die Population mit --alt/--neu; "
                          "FÄLLE: Verzeichnis von TOML-Fällen, JSON-Lines-Datei (.jsonl), "
                          "CSV-Datei (.csv), Excel-Mappe (.xlsx) oder Parquet-Datei (.parquet)")
    cmp.add_argument("--alt", dest="figure_old", metavar="FIGUR",
                     help="zwei Werte eines Modells: der Wert, der das alte Budget ist (mit --neu)")
    cmp.add_argument("--neu", dest="figure_new", metavar="FIGUR",
                     help="zwei Werte eines Modells: der Wert, der das neue Budget ist (mit --alt)")
    cmp.add_argument("--agreement", "--vereinbarung", metavar="DATEI",
                     help="zwei Werte eines Modells: die Vereinbarung des Modells")
    cmp.add_argument("--out", "--ausgabe", metavar="DATEI",
                     help="Abweichungen je Fall als .csv, .jsonl, .xlsx oder .parquet (csv-de: mit --format)")
    cmp.add_argument("--summary", "--zusammenfassung", metavar="DATEI", help="Zusammenfassung als JSON-Datei")
    cmp.add_argument("--agreement-old", "--vereinbarung-alt", metavar="DATEI")
    cmp.add_argument("--agreement-new", "--vereinbarung-neu", metavar="DATEI")
    cmp.add_argument("--at", "--stichtag", metavar="DATUM",
                     help="Stichtag für beide Versionen (mit --alt/--neu: für das Modell); "
                          "Standard: das Datum jedes Falls")
    cmp.add_argument("--at-old", "--stichtag-alt", metavar="DATUM", help="Stichtag für die alte Version")
    cmp.add_argument("--at-new", "--stichtag-neu", metavar="DATUM", help="Stichtag für die neue Version")
    cmp.add_argument("--values", "--werte", metavar="AUSWAHL",
                     help="verglichene Werte: alle, keine oder Namen mit Komma "
                          "(Standard: Stunden, VK und Geld der obersten Ebene)")
    cmp.add_argument("--budget", metavar="PFAD",
                     help="der Wert, der das Budget eines Falls ist (Standard: „budget“ im Modellkopf)")
    cmp.add_argument("--format", default="text", metavar="FORMAT",
                     help="text oder json: die Zusammenfassung auf der Standardausgabe; csv, csv-de, "
                          "jsonl, xlsx, parquet: das Format von --out (Standard: nach der Endung)")
    _reading_arguments(cmp)
    cmp.add_argument("--fortsetzen", "--resume", dest="resume", action="store_true",
                     help="einen abgebrochenen Lauf fortsetzen: die Zeilen in "
                          "AUSGABE.unvollständig werden übernommen")
    cmp.add_argument("--backend", default=None, choices=tuple(BACKENDS),
                     metavar="spalten|skalar",
                     help="spalten: jede Version wertet die ganze Population auf einmal aus (DuckDB); "
                          "skalar: Fall für Fall. Standard: spalten für eine JSON-Lines- oder Parquet-Datei ohne "
                          "--fortsetzen, deren Zeilen (--out) nicht als Text geschrieben werden (Parquet), sonst "
                          "skalar (siehe docs/batch.md)")
    schema = sub.add_parser("schema",
                            help="JSON Schema (2020-12) der Fälle, Vereinbarungen oder Ergebnisse eines Modells")
    schema.add_argument("model", metavar="MODELL", help="Regeldatei oder Name eines mitgelieferten Modells")
    schema.add_argument("--für", "--for", dest="kind", choices=("fall", "vereinbarung", "ergebnis"), default="fall",
                        help="wofür: fall (Standard), vereinbarung oder ergebnis")
    schema.add_argument("--out", "--ausgabe", metavar="DATEI",
                        help="in eine Datei schreiben statt auf die Standardausgabe")
    gen = sub.add_parser("generate", help="eine synthetische Population erzeugen (reproduzierbar je Startwert)")
    gen.add_argument("model", metavar="MODELL", help="Regeldatei oder Name eines mitgelieferten Modells")
    gen.add_argument("-n", type=int, required=True, metavar="N", help="Zahl der Fälle")
    gen.add_argument("--seed", type=int, default=0, metavar="S", help="Startwert (Standard 0)")
    gen.add_argument("--out", "--ausgabe", metavar="ZIEL",
                     help="Verzeichnis (TOML-Dateien) oder Datei: .jsonl, .csv, .xlsx, .parquet (Tabellen im "
                          "flachen Layout, eine Zeile je Listenelement); Standard: JSON Lines auf die Standardausgabe")
    gen.add_argument("--format", metavar="FORMAT",
                     help="jsonl, csv, csv-de (Semikolon, Dezimalkomma, BOM), xlsx oder parquet; "
                          "Standard: nach der Endung von --out")
    gen.add_argument("--split", "--je", metavar="LISTE",
                     help="ein Fall je Element dieser Liste der obersten Ebene "
                          "(MAWo: --split bewohner ergibt Personenfälle)")
    gen.add_argument("--verfahren", "--method", dest="method", choices=("spaltenweise", "hypothesis"),
                     help="spaltenweise (DuckDB, Standard für Parquet und JSON Lines) oder hypothesis "
                          "(der Fallgenerator der Tests; Standard für Verzeichnis, CSV und XLSX)")
    book = sub.add_parser("handbuch", help="das Handbuch eines Modells als HTML-Seiten erzeugen")
    book.add_argument("model", metavar="MODELL", help="Regeldatei oder Name eines mitgelieferten Modells")
    book.add_argument("--out", "--ausgabe", required=True, metavar="VERZEICHNIS",
                      help="wohin die Seiten geschrieben werden")
    book.add_argument("--vereinbarung", "--agreement", dest="agreement", metavar="DATEI",
                      help="eine Vereinbarung: ihre Werte stehen neben denen des Modells")
    book.add_argument("--vergleich", "--compare-with", dest="previous", metavar="ALTES_MODELL",
                      help="eine ältere Version: ihre Änderungen werden aufgeführt und in die Korridore gezeichnet")
    many = sub.add_parser("eval-many", help="eine Population spaltenweise auswerten (DuckDB)")
    many.add_argument("model", metavar="MODELL", help="Regeldatei oder Name eines mitgelieferten Modells")
    many.add_argument("population", metavar="POPULATION",
                      help="JSON-Lines- (.jsonl, .ndjson), CSV- (.csv, .tsv), Excel- (.xlsx) oder Parquet-Datei "
                           "oder Verzeichnis von Falldateien")
    many.add_argument("--out", "--ausgabe", required=True, metavar="DATEI",
                      help="Ergebnisse als .parquet, .csv, .jsonl/.ndjson oder .xlsx (eine Excel-Mappe: "
                           "Zusammenfassung und Tabelle)")
    many.add_argument("--format", metavar="FORMAT",
                      help="das Format von --out: parquet, csv, csv-de (Komma als Dezimalzeichen, für ein "
                           "deutsches Excel), jsonl, xlsx (Standard: nach der Endung)")
    many.add_argument("--agreement", "--vereinbarung", metavar="DATEI")
    many.add_argument("--at", "--stichtag", metavar="DATUM",
                      help="Stichtag (JJJJ-MM-TT); Standard: das Datum jedes Falls")
    many.add_argument("--liste", "--list", dest="scope", metavar="LISTE",
                      help="die Ergebnisse je Element dieser Liste statt je Fall (z. B. bewohner; eine "
                           "innere Liste gleichen Namens mit ihrem Pfad: a.posten); ein Fall ohne Element hat "
                           "dort keine Zeile")
    many.add_argument("--backend", default="spalten", choices=tuple(BACKENDS),
                      metavar="spalten|skalar",
                      help="spalten: die Population auf einmal (DuckDB), Fälle, die der Plan nicht exakt "
                           "entscheidet, skalar; skalar: jeder Fall einzeln mit dem skalaren Backend, "
                           "dieselbe Ausgabe (Standard: spalten)")
    _reading_arguments(many)
    sql = sub.add_parser("sql", help="den Spaltenplan eines Modells als SQL ausgeben")
    sql.add_argument("model", metavar="MODELL", help="Regeldatei oder Name eines mitgelieferten Modells")
    sql.add_argument("--dialect", "--dialekt", default="duckdb", metavar="DIALEKT",
                     help="SQL-Dialekt von sqlglot (duckdb, spark, …; Standard duckdb; geprüft sind duckdb und spark)")
    sql.add_argument("--agreement", "--vereinbarung", metavar="DATEI")
    sql.add_argument("--at", "--stichtag", metavar="DATUM", help="Stichtag (JJJJ-MM-TT)")
    conv = sub.add_parser("umstellen", help="einen BEI_NRW-2.0-Fall in einen 3.0-Fall umstellen (Kapitel → Bereich)")
    conv.add_argument("case", metavar="FALL", help="Falldatei nach BEI_NRW 2.0")
    conv.add_argument("--erstellt-am", required=True, metavar="DATUM", help="Erstellungsdatum der 3.0-Fortschreibung")
    conv.add_argument("--wohnform", required=True, metavar="WOHNFORM", help="geplante Wohnform (in 2.0 nicht erfasst)")
    conv.add_argument("--beginn", metavar="DATUM", help="Beginn des neuen Zeitraums (Standard: wie in 2.0)")
    conv.add_argument("--ende", metavar="DATUM", help="Ende des neuen Zeitraums (Standard: wie in 2.0)")
    conv.add_argument("--out", "--ausgabe", metavar="DATEI", help="TOML-Datei; Standard: die Standardausgabe")
    fmt = sub.add_parser("format",
                         help="Regeldateien in das einheitliche Layout bringen (Einrückung, Abstände, Ausrichtung)")
    fmt.add_argument("files", nargs="+", metavar="DATEI")
    fmt.add_argument("--prüfen", "--pruefen", "--check", dest="check_only", action="store_true",
                     help="nichts schreiben, nur die Dateien nennen, die sich ändern würden (Exit-Code 1)")
    sub.add_parser("lsp", help="der Sprachserver für Editoren (Language Server Protocol über stdin/stdout; "
                                "Extra „editor“)")
    if only is not None and not sub.found:  # no command named first (an option, a typo): all of them
        return _parser()
    return parser


def _cmd_lsp(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        from .tools.lsp import serve
    except ImportError as exc:  # pygls/lsprotocol: the optional extra
        err.write(f"teilhabe-rules: der Sprachserver braucht das Extra „editor“ ({exc.name} fehlt): "
                  "pip install 'teilhabe-rules[editor]'\n")
        return EXIT_USAGE
    serve()
    return EXIT_OK


def _cmd_format(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .tools.formatter import format_file

    status = EXIT_OK
    changed = failed = 0
    for file in args.files:
        try:
            differs = format_file(file, write=not args.check_only)
        except TeilhabeError as exc:
            err.write(exc.render() + "\n")
            status, failed = EXIT_FINDINGS, failed + 1
            continue
        if differs:
            changed += 1
            out.write(f"{file}: {'nicht formatiert' if args.check_only else 'formatiert'}\n")
            if args.check_only:
                status = EXIT_FINDINGS
    total = len(args.files)
    files = counted(total, "Datei", "Dateien")
    if args.check_only:
        fine = total - failed  # (a file that failed is not in any layout)
        summary = (f"{changed} von {files} {'würde' if changed == 1 else 'würden'} umformatiert" if changed
                   else f"{counted(fine, 'Datei', 'Dateien')} im einheitlichen Layout")
    else:
        summary = f"{changed} von {files} umformatiert"
    out.write(summary + (f", {failed} mit Fehlern" if failed else "") + "\n")
    return status


def _cmd_convert(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .toml_writer import dumps
    from .tools.conversions import bei_nrw_2_to_3

    created = _date(args.erstellt_am, "--erstellt-am")
    start = _date(args.beginn, "--beginn") if args.beginn is not None else None
    end = _date(args.ende, "--ende") if args.ende is not None else None
    _outputs_apart(args)
    try:
        case = bei_nrw_2_to_3(
            args.case, erstellt_am=created, wohnform=args.wohnform, zeitraum_beginn=start, zeitraum_ende=end
        )
    except TeilhabeError as exc:
        err.write(exc.render() + "\n")
        return EXIT_FINDINGS
    header = f"BEI_NRW 3.0 – umgestellt aus {args.case} (Kapitel → Bereich nach bereich_je_kapitel)"
    if args.out:
        from .atomic import write_atomic

        write_atomic(args.out, dumps(case, header=header))
    else:  # escapes keep every value on a console that cannot show it
        out.write(dumps(case, header=header, ascii=not _is_unicode(getattr(out, "encoding", None))))
    return EXIT_OK


def _model(name: str) -> Any:
    from .model import load

    try:
        given = Path(name).exists()
    except (OSError, ValueError):  # a name too long for a path, a NUL in it: no file, maybe a model's name
        given = False
    if given or name.endswith(".rules"):
        return load(name)
    from .registry import bundled, model_path  # a bundled model's name (the catalog)

    model_path(name)
    return bundled(name)


def _reading(args: argparse.Namespace, population: str) -> dict[str, Any]:
    """How the population file ``population`` is read (--trennzeichen, --dezimalzeichen, --blatt),
    checked: each option given only for the formats it applies to, as the population is read
    (:data:`~teilhabe_rules.inputs.population.FORMATS`) — a separator of a CSV file, a decimal
    mark of a table's text cells, a sheet of a workbook."""
    from .inputs.population import FORMATS, SEPARATORS

    path = Path(population)
    kind = "verzeichnis" if path.is_dir() else FORMATS.get(path.suffix.lower())
    if kind is None and not os.path.lexists(path):
        kind = "fehlt"  # a name of nothing (a folder's, mistyped): reading the population says so, not an option
    if args.separator is not None and kind not in ("csv", "fehlt"):
        raise _UsageError(f"--trennzeichen: „{population}“ ist keine CSV-Datei (.csv, .tsv); "
                          "nur eine CSV-Population hat ein Trennzeichen")
    if args.decimal is not None and kind not in ("csv", "xlsx", "parquet", "fehlt"):
        raise _UsageError(f"--dezimalzeichen: „{population}“ ist keine Tabelle (CSV, Excel, Parquet); "
                          "nur in den Textzellen einer Tabelle stehen Zahlen mit Dezimalzeichen")
    if args.sheet is not None and kind not in ("xlsx", "fehlt"):
        raise _UsageError(f"--blatt: „{population}“ ist keine Excel-Mappe (.xlsx, .xlsm); nur eine Mappe hat Blätter")
    if args.separator is not None and args.separator.lower() not in SEPARATORS:
        raise _UsageError(f"--trennzeichen: „{args.separator}“ ist kein Trennzeichen "
                          "(erlaubt: „,“, „;“ oder tab, auch „tabulator“)")
    if args.decimal is not None and args.decimal not in (",", "."):
        raise _UsageError(f"--dezimalzeichen: „{args.decimal}“ ist kein Dezimalzeichen (erlaubt: „,“ oder „.“)")
    return {"separator": args.separator, "decimal": args.decimal, "sheet": args.sheet}


def _reading_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("--trennzeichen", "--separator", dest="separator", metavar="ZEICHEN",
                         help="Trennzeichen der CSV-Population: „,“, „;“ oder tab (auch „tabulator“) "
                              "(Standard: aus der Kopfzeile erkannt)")
    command.add_argument("--dezimalzeichen", "--decimal", dest="decimal", metavar="ZEICHEN",
                         help="Dezimalzeichen der Zahlen in Textzellen einer CSV-, Excel- oder Parquet-Population: "
                              "„,“ oder „.“ (Standard: je Datei erkannt)")
    command.add_argument("--blatt", "--sheet", dest="sheet", metavar="BLATT",
                         help="Blatt einer Excel-Population: Name oder Nummer (Standard: das erste)")


def _date(text: str, option: str = "--at") -> _dt.date:
    """The day of a command line option (``option``: its name, for the message), written as a
    case's date is."""
    from .inputs.cases import day_of_text

    day = day_of_text(text)
    if day is not None:
        return day
    raise _UsageError(f"{option}: „{text}“ ist kein Datum (JJJJ-MM-TT oder TT.MM.JJJJ)")


_INPUTS = (("model", "das Modell"), ("old", "die alte Version"), ("new", "die neue Version"), ("case", "der Fall"),
           ("cases", "die Population"), ("population", "die Population"), ("agreement", "die Vereinbarung"),
           ("agreement_old", "die alte Vereinbarung"), ("agreement_new", "die neue Vereinbarung"))


def _outputs_apart(args: argparse.Namespace) -> None:
    """A usage error where ``--out`` or ``--summary`` names a file the command reads (the model,
    the case, the population, an agreement): writing it would replace an input."""
    from .files import same_file

    for option, attribute in (("--out", "out"), ("--summary", "summary")):
        target = getattr(args, attribute, None)
        if isinstance(target, str) and not target.strip():  # (not the screen, not the working directory)
            raise _UsageError(f"{option}: ein leerer Dateiname nennt keine Datei für die Ausgabe; ohne {option} "
                              "geht sie auf den Bildschirm")
    if not (getattr(args, "out", None) or getattr(args, "summary", None)):
        return
    read: dict[str, object] = {name: getattr(args, name, None) for name, _what in _INPUTS}
    for name in ("model", "old", "new"):  # a bundled model's name: its installed rule file is read
        given = read[name]
        if isinstance(given, str):
            read[name] = _rule_file(given)
    bases: list[Path] = []  # the files a variant named extends: read whenever it is loaded
    for name in ("model", "old", "new"):
        given = read[name]
        if isinstance(given, str) and given.endswith(".rules") and os.path.isfile(given):
            bases += [path for path, _text in _base_files(given)]
    for option, attribute in (("--out", "out"), ("--summary", "summary")):
        target = getattr(args, attribute, None)
        if not target:
            continue
        for name, what in _INPUTS:
            given = read[name]
            if isinstance(given, str) and os.path.lexists(given) and same_file(target, given):
                raise _UsageError(f"{option}: „{target}“ ist {what} selbst: die Ausgabe braucht eine eigene Datei")
        for base in bases:
            if same_file(target, base):
                raise _UsageError(f"{option}: „{target}“ ist die Regeldatei eines Grundmodells: die Ausgabe braucht "
                                  "eine eigene Datei")


def _rule_file(given: str) -> str:
    """The rule file a model operand ``given`` names: the path as given, or — for the name of a
    bundled model (``mawo``), where no file of that name is — the model's installed rule file."""
    from .registry import model_path

    try:
        if os.path.lexists(given) or given.endswith(".rules"):
            return given
        return str(model_path(given))
    except (TeilhabeError, OSError, ValueError):  # no bundled model of that name: loading says why
        return given


def _base_files(path: str) -> list[tuple[Path, str]]:
    """The base files the variant at ``path`` builds on (none where it is no variant or cannot be
    read: loading then says why)."""
    from .check.variants import base_files
    from .files import MAX_RULE_BYTES, FileRefused, read_text

    try:
        return base_files(read_text(Path(path), MAX_RULE_BYTES), path) or []
    except (FileRefused, OSError, ValueError):
        return []


def _print_error(exc: TeilhabeError, fmt: str, out: TextIO, err: TextIO) -> None:
    if fmt == "json":
        out.write(_json({"ok": False, "fehler": exc.to_dict()}, out))
    else:
        err.write(exc.render() + "\n")


def _cmd_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .model import load

    status = EXIT_OK
    report = []
    for file in args.files:
        try:
            model = load(file)
        except TeilhabeError as exc:
            status = EXIT_FINDINGS
            report.append({"datei": file, "ok": False, "meldungen": [d.to_dict() for d in exc.diagnostics]})
            if args.format == "text":
                err.write(exc.render() + "\n")
            continue
        report.append({"datei": file, "ok": True, "meldungen": [d.to_dict() for d in model.warnings]})
        if args.format == "text":
            for warning in model.warnings:
                err.write(warning.render() + "\n")
            warned = f", {counted(len(model.warnings), 'Warnung', 'Warnungen')}" if model.warnings else ""
            out.write(f"{file}: in Ordnung ({counted(len(model.checked.nodes), 'Regel', 'Regeln')}, "
                      f"{counted(len(model.checked.examples), 'Beispiel', 'Beispiele')}{warned})\n")
    if args.format == "json":
        out.write(_json(report, out))
    return status


_SCREEN = ("text", "json")


def _format_fits_suffix(command: str, given: str, out: str) -> None:
    """A usage error where ``--format`` names a file format and the suffix of ``--out`` another
    one (``--format parquet --out x.jsonl``: the file would hold what its name denies); a suffix
    that names no format, or none, goes with any."""
    from .tools.export import SUFFIXES

    suffix = Path(out).suffix.lower()
    named = SUFFIXES.get(suffix)
    family = "csv" if given == "csv-de" else given  # (csv-de is a CSV file: .csv)
    if named is None or named == family:
        return
    endings = " oder ".join(s for s, f in SUFFIXES.items() if f == family)
    raise _UsageError(f"{command}: --format {given} und --out „{out}“ widersprechen sich: die Endung „{suffix}“ "
                      f"steht für {named} — eine {given}-Datei endet auf {endings}, oder --format weglassen "
                      "(dann gilt die Endung)")


def _file_format(args: argparse.Namespace, command: str) -> str | None:
    """The format of ``--out`` (``--format`` if it names a file format, else the suffix), or
    None without ``--out``; a usage error if there is none — and ``args.format`` becomes the
    format of the standard output (text, unless json)."""
    given = args.format
    if given in _SCREEN and not args.out:
        return None  # no file: the writers' module (and what it imports) is not needed
    from .tools.export import FORMATS, FormatError, format_of

    if given not in (*_SCREEN, *FORMATS):
        raise _UsageError(f"--format: unbekanntes Format „{given}“ (möglich: {', '.join((*_SCREEN, *FORMATS))})")
    if given not in _SCREEN and not args.out:
        raise _UsageError(f"--format {given}: schreibt eine Datei, gib sie mit --out DATEI an")
    if given not in _SCREEN:
        args.format = "text"
    if not args.out:
        return None
    if given not in _SCREEN:
        _format_fits_suffix(command, given, args.out)
    try:
        return format_of(args.out, None if given in _SCREEN else given)
    except FormatError as exc:
        raise _UsageError(f"{command} --out: {exc.message}") from None


def _cmd_eval(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    _outputs_apart(args)
    at = _date(args.at) if args.at is not None else None
    table = _file_format(args, "eval")
    try:
        model = _model(args.model)
        result = model.evaluate(args.case, args.agreement, explain=args.explain, at=at)
        if table is not None:
            from .tools.export import write_result

            write_result(args.out, result, table)
    except TeilhabeError as exc:
        _print_error(exc, args.format, out, err)
        return EXIT_FINDINGS
    if table is not None:
        if args.format == "json":
            out.write(_json({"ok": True, "ausgabe": args.out, "format": table}, out))
        else:
            out.write(f"Ergebnis von „{args.case}“ geschrieben: {args.out} ({table})\n")
        return EXIT_OK
    if args.format == "json":
        data = {"ok": True, **result.to_dict(level_changes=args.level_changes)}
        out.write(_json(data, out))
    else:
        out.write(result.render_text(explain=args.explain, level_changes=args.level_changes,
                                     full_precision=args.full_precision))
    return EXIT_OK


def _test_properties(
    model: Any, args: argparse.Namespace, out: TextIO, report: list[dict[str, Any]]
) -> tuple[int, int]:
    """``test --properties``: declared properties and generic invariants; (passed, failed)."""
    from .tools.properties import DEFAULT_EXAMPLES, keep_hypothesis_files_in_cache, property_checks, run_property

    keep_hypothesis_files_in_cache()
    passed = failed = 0
    for check in property_checks(model):
        outcome = run_property(check, max_examples=args.examples_count or DEFAULT_EXAMPLES, seed=args.seed or 0,
                               counterexample_dir=args.counterexamples or ".")
        report.append(outcome.to_dict())
        if outcome.passed:
            passed += 1
            if args.format == "text":
                out.write(f"ok      {outcome.id}  ({counted(outcome.examples, 'Fall', 'Fälle')})\n")
            continue
        failed += 1
        if args.format == "text":
            out.write(f"FEHLER  {outcome.id}  [{outcome.location}]\n        {outcome.title}\n")
            out.write("        " + (outcome.message or "").replace("\n", "\n        ") + "\n")
            if outcome.counterexample_toml is not None:
                out.write("        Gegenbeispiel als Falldatei:\n")
                lines = outcome.counterexample_toml.splitlines()
                out.write("".join(f"          {line}\n" if line else "\n" for line in lines))
            if outcome.counterexample_file is not None:
                out.write(f"        Gegenbeispiel: {outcome.counterexample_file}\n")
            if outcome.counterexample_error is not None:
                out.write(f"        Gegenbeispiel nicht geschrieben: {outcome.counterexample_error}\n")
    return passed, failed


def _cmd_test(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .tools.testing import run_examples

    properties = (
        args.properties
        or args.examples_count is not None
        or args.seed is not None
        or args.counterexamples is not None
    )
    if properties:
        try:
            import hypothesis  # noqa: F401
        except ImportError:
            err.write("teilhabe-rules: --properties braucht das Paket hypothesis (pip install hypothesis)\n")
            return EXIT_USAGE
    if args.examples_count is not None and args.examples_count < 1:
        raise _UsageError("--anzahl (--examples-count): mindestens 1")
    property_report: list[dict[str, Any]] = []
    coverage_report: list[dict[str, Any]] = []

    status = EXIT_OK
    report = []
    unloaded: list[dict[str, Any]] = []  # the models that did not load: in the one JSON document
    passed = failed = 0
    for name in args.models:
        try:
            model = _model(name)
        except TeilhabeError as exc:
            unloaded.append({"modell": name, "fehler": exc.to_dict()})
            if args.format != "json":
                err.write(exc.render() + "\n")
            status = EXIT_FINDINGS
            continue
        for outcome in run_examples(model):
            report.append(
                {"id": outcome.id, "ok": outcome.passed, "ort": outcome.location, "fehler": list(outcome.failures)}
            )
            if outcome.passed:
                passed += 1
                if args.format == "text":
                    out.write(f"ok      {outcome.id}\n")
            else:
                failed += 1
                status = EXIT_FINDINGS
                if args.format == "text":
                    out.write(f"FEHLER  {outcome.id}  [{outcome.location}]\n")
                    for failure in outcome.failures:
                        out.write("        " + failure.replace("\n", "\n        ") + "\n")
        if properties:
            good, bad = _test_properties(model, args, out, property_report)
            passed, failed = passed + good, failed + bad
            status = EXIT_FINDINGS if bad else status
        if args.coverage:
            from .tools.example_coverage import example_coverage

            coverage = example_coverage(model)
            coverage_report.append(coverage.to_dict())
            if args.format == "text":
                out.write(coverage.render_text())
    if args.format == "json":
        data: dict[str, Any] = {"bestanden": passed, "fehlgeschlagen": failed, "beispiele": report}
        if unloaded:
            data["nicht_geladen"] = unloaded
        if properties:
            data["eigenschaften"] = property_report
        if args.coverage:
            data["abdeckung"] = coverage_report
        out.write(_json(data, out))
    else:
        out.write(f"{passed} passed, {failed} failed" + (f", {len(unloaded)} nicht geladen" if unloaded else "") + "\n")
    return status


def _cmd_models(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .registry import bundled_models

    for m in bundled_models():
        family = f"Familie {m.family}" if m.family else ""
        base = f", erweitert {m.extends}" if m.extends else ""
        out.write(f"{m.name:<12} {m.version or '':<8} {m.validity_text():<36} {family + base:<28} {m.title}\n")
    return EXIT_OK


def _cmd_diff(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .tools.diff import diff_models

    try:
        old, new = _model(args.old), _model(args.new)
    except TeilhabeError as exc:
        _print_error(exc, args.format, out, err)
        return EXIT_FINDINGS
    result = diff_models(old.checked, new.checked)
    if args.format == "json":
        out.write(_json({"ok": True, **result.to_dict()}, out))
    else:
        out.write(result.render_text())
    return EXIT_OK


_FIGURE_FORM = "compare MODELL FÄLLE --alt FIGUR --neu FIGUR"
_BOTH_FORMS = f"compare ALT NEU FÄLLE (zwei Modelle) oder {_FIGURE_FORM} (zwei Werte eines Modells)"

# options of one form of compare only: (dest, as written, the form's own option)
_TWO_MODELS_ONLY = (("agreement_old", "--agreement-old/--vereinbarung-alt", "--vereinbarung DATEI"),
                    ("agreement_new", "--agreement-new/--vereinbarung-neu", "--vereinbarung DATEI"),
                    ("at_old", "--at-old/--stichtag-alt", "--stichtag DATUM"),
                    ("at_new", "--at-new/--stichtag-neu", "--stichtag DATUM"),
                    ("values", "--values/--werte", None),
                    ("budget", "--budget", None))


def _compare_form(args: argparse.Namespace) -> None:
    """Which form of ``compare`` the command line is — ``ALT NEU FÄLLE`` (two models) or
    ``MODELL FÄLLE --alt FIGUR --neu FIGUR`` (two values of one model) — set as ``args.old``,
    ``args.new`` (None for one model) and ``args.cases``; a mix of the two is a usage error."""
    operands = list(args.operands)
    shown = " ".join(operands)
    if args.figure_old is None and args.figure_new is None:
        if len(operands) != 3:
            given = "zu viele Angaben" if len(operands) > 3 else "zu wenige Angaben"
            raise _CompareUsageError(f"compare: {given} ({shown}); erwartet {_BOTH_FORMS}")
        if args.agreement is not None:
            raise _CompareUsageError(
                "--vereinbarung gilt für zwei Werte eines Modells (--alt/--neu); für zwei Modelle: "
                "--vereinbarung-alt DATEI und/oder --vereinbarung-neu DATEI")
        args.old, args.new, args.cases = operands
        for argument, named, value in (("ALT", _A_MODEL, args.old), ("NEU", _A_MODEL, args.new),
                                       ("FÄLLE", "eine Population", args.cases)):
            _refuse_empty(argument, named, value)
        return
    if args.figure_old is None or args.figure_new is None:
        given, missing = ("--neu", "--alt") if args.figure_old is None else ("--alt", "--neu")
        raise _CompareUsageError(
            f"{given} ohne {missing}: zwei Werte eines Modells vergleicht {_FIGURE_FORM}")
    if len(operands) == 3:
        raise _CompareUsageError(
            "mit --alt/--neu vergleicht compare zwei Werte eines Modells, ohne zweites Modell "
            f"({shown}): {_FIGURE_FORM}; zwei Modelle: compare ALT NEU FÄLLE ohne --alt/--neu")
    if len(operands) != 2:
        given = "zu viele Angaben" if len(operands) > 3 else "die Population fehlt"
        raise _CompareUsageError(f"compare: {given} ({shown}); erwartet {_FIGURE_FORM}")
    for dest, written, instead in _TWO_MODELS_ONLY:
        if getattr(args, dest) is not None:
            use = f"; für das eine Modell: {instead}" if instead else ""
            raise _CompareUsageError(
                f"{written} gilt für den Vergleich zweier Modelle; mit --alt/--neu wird jeder "
                f"Fall einmal ausgewertet und die beiden Werte sind das Budget{use}")
    args.old, args.new, args.cases = operands[0], None, operands[1]
    _refuse_empty("MODELL", _A_MODEL, args.old)
    _refuse_empty("FÄLLE", "eine Population", args.cases)


def _figures(model: Any, args: argparse.Namespace) -> None:
    """Refuse (as a usage error) figures that are no numeric values of ``model`` or whose units
    differ — with the library's message and its did-you-mean."""
    from .errors import CheckError
    from .tools.compare import figure_field

    try:
        figure_field(model, args.figure_old, args.figure_new, labels=("--alt", "--neu"))
    except CheckError as exc:
        found = exc.diagnostics[0]
        hint = f" ({found.hint})" if found.hint else ""
        raise _CompareUsageError(found.message + hint) from None


def _cmd_compare(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .atomic import AtomicFile, partial_path, write_atomic
    from .files import same_file
    from .tools.compare import compare

    _compare_form(args)
    _outputs_apart(args)
    rows_format = _file_format(args, "compare")
    at = _date(args.at) if args.at is not None else None
    at_old = _date(args.at_old, "--at-old") if args.at_old is not None else at
    at_new = _date(args.at_new, "--at-new") if args.at_new is not None else at
    if args.values is not None and not any(name.strip() for name in args.values.split(",")):
        # (an empty choice, a script's unset variable, is no „keine“)
        raise _UsageError(f"--werte: „{args.values}“ nennt keine Werte (alle, keine oder Namen mit Komma; "
                          "ohne --werte: Stunden, VK und Geld der obersten Ebene)")
    if args.resume and not args.out:
        raise _UsageError("--fortsetzen: setzt einen Lauf mit --out DATEI fort")
    reading = _reading(args, args.cases)
    if args.out:  # an interrupted run names its partial file, wherever the interruption is caught
        partial = partial_path(args.out)

        def kept() -> str:
            return (f"; „{partial}“ hält die bisher geschriebenen Fälle, --fortsetzen macht dort weiter"
                    if partial.exists() else "")

        _Interrupts.after = kept
    if args.summary and args.out and same_file(args.summary, args.out):  # (the inputs: _outputs_apart)
        raise _UsageError(f"--summary: „{args.summary}“ ist die Ausgabe (--out)")
    nothing_to_resume = _nothing_to_resume(args.out) if args.resume else ""
    try:
        if args.summary:  # a summary that cannot be written fails now, as --out does, not once all is evaluated
            AtomicFile(args.summary).close()
        if args.new is None:  # two values of one model
            model = _model(args.old)
            _figures(model, args)
            summary = compare(model, None, args.cases, out=args.out, out_format=rows_format,
                              figures=(args.figure_old, args.figure_new),
                              agreement=args.agreement, at=at, progress=err, resume=args.resume,
                              backend=args.backend, **reading)
        else:
            old, new = _model(args.old), _model(args.new)
            summary = compare(old, new, args.cases, out=args.out, out_format=rows_format,
                              agreement_old=args.agreement_old,
                              agreement_new=args.agreement_new, at_old=at_old, at_new=at_new,
                              values=args.values, budget=args.budget, progress=err,
                              resume=args.resume, backend=args.backend, **reading)
        data = summary.to_dict()
        if args.summary:
            write_atomic(args.summary, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    except (KeyboardInterrupt, Exception) as exc:
        if _interruption(exc):
            return _aborted(err)
        if isinstance(exc, TeilhabeError):
            _print_error(exc, args.format, out, err)
            return EXIT_FINDINGS
        raise
    if args.backend is not None:  # (the default backend's choice is not reported)
        for note in summary.notes:
            err.write(note + "\n")
    if args.resume:
        partial = partial_path(args.out)
        if summary.resumed:
            resumed = summary.resumed
            err.write(f"teilhabe-rules: fortgesetzt nach {counted(resumed, 'Fall', 'Fällen')} aus „{partial}“\n")
        else:
            err.write(f"teilhabe-rules: nichts fortzusetzen ({nothing_to_resume}), der Vergleich lief von vorn\n")
    _no_case_files(args.cases, summary.rows, err)
    if args.format == "json":
        out.write(_json({"ok": True, **data}, out))
    else:
        out.write(summary.render_text())
    return EXIT_FINDINGS if summary.errors else EXIT_OK


def _cmd_schema(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .tools.schema import json_schema

    _outputs_apart(args)

    try:
        model = _model(args.model)
    except TeilhabeError as exc:
        _print_error(exc, "text", out, err)
        return EXIT_FINDINGS
    schema = json_schema(model, args.kind)
    if args.out:
        from .atomic import write_atomic

        write_atomic(args.out, json.dumps(schema, ensure_ascii=False, indent=2) + "\n")
        out.write(f"JSON Schema ({args.kind}) von „{model.name}“ geschrieben: {args.out}\n")
    else:
        out.write(_json(schema, out))
    return EXIT_OK


def _cmd_handbook(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .tools.handbook import OVERVIEW, write_handbook

    if not args.out.strip():  # (an empty name would be the working directory)
        raise _UsageError("--out: ein Verzeichnis für das Handbuch (ein leerer Name ist keins)")
    try:
        model = _model(args.model)
        agreement = model.load_agreement(args.agreement) if args.agreement else None
        previous = _model(args.previous) if args.previous else None
        written = write_handbook(model, args.out, agreement, previous)
    except TeilhabeError as exc:
        _print_error(exc, "text", out, err)
        return EXIT_FINDINGS
    out.write(f"Handbuch von „{model.name}“ geschrieben ({len(written)} Dateien): {Path(args.out) / OVERVIEW}\n")
    return EXIT_OK


def _unknown_list(option: str, name: str, where: str, model: Model, lists: Sequence[str]) -> _UsageError:
    """The usage error of an option naming a list ``model`` has not (``where``: which lists count),
    with the closest name and the lists it has."""
    hint = did_you_mean(name, lists)
    known = f"Listen: {', '.join(dict.fromkeys(lists))}" if lists else "das Modell hat keine Listen"
    return _UsageError(f"{option}: „{name}“ ist keine Liste{where} von „{model.name}“"
                       + (f" — {hint}" if hint else "") + f" ({known})")


_MAX_GENERATED = 10**12  # cases one ``generate`` draws (far beyond a population; its numbers are 64-bit in DuckDB)


def _cmd_generate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .tools.compare import generate_population, generated_format
    from .tools.export import FormatError

    if not 0 <= args.n <= _MAX_GENERATED:
        raise _UsageError(f"-n: eine Zahl von 0 bis {_MAX_GENERATED:,}".replace(",", "."))
    _outputs_apart(args)
    try:
        table = generated_format(args.out if args.out else out, args.format)
    except FormatError as exc:
        raise _UsageError(f"generate: {exc.message}") from None
    if args.format is not None and args.out:
        _format_fits_suffix("generate", args.format, args.out)
    jsonl = table is None and (not args.out or args.format == "jsonl"
                               or args.out.lower().endswith((".jsonl", ".ndjson")))
    if args.method == "spaltenweise" and table != "parquet" and not jsonl:
        raise _UsageError("generate: --verfahren spaltenweise schreibt Parquet oder JSON Lines")
    try:
        model = _model(args.model)
        if args.split is not None:  # (a name on the command line: a usage error, as eval-many's --liste)
            lists = [model.checked.scopes[sid].name for sid in model.checked.scopes[""].lists]
            if args.split not in lists:
                raise _unknown_list("--split", args.split, " auf der obersten Ebene", model, lists)
        written = generate_population(model, args.n, args.seed, args.out if args.out else out, split=args.split,
                                      fmt=args.format, method=args.method)
    except TeilhabeError as exc:
        _print_error(exc, "text", out, err)
        return EXIT_FINDINGS
    except BrokenPipeError:  # the reader of the standard output stopped early (… | head)
        return EXIT_OK
    if args.out:
        out.write(f"{counted(written, 'Fall', 'Fälle')} von „{model.name}“ (Startwert {args.seed}) "
                  f"geschrieben: {args.out}\n")
    return EXIT_OK


def _cmd_eval_many(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .tools.export import BATCH_FORMATS, FormatError, format_of, write_batch

    files = ("parquet", "csv", "jsonl", "xlsx")  # (by the suffix of --out; csv-de only by --format: a .csv file)
    formats = (*files, "csv-de")
    if args.format is not None and args.format not in formats:
        raise _UsageError(f"--format: unbekanntes Format „{args.format}“ (möglich: {', '.join(formats)})")
    if args.format is not None:
        _format_fits_suffix("eval-many", args.format, args.out)
    try:
        # (with --format too: the file's suffix must name a format, as the writers require)
        by_suffix = format_of(args.out, None, files, named=False)
    except FormatError as exc:
        raise _UsageError(f"eval-many --out: {exc.message}") from None
    fmt = args.format or by_suffix
    _outputs_apart(args)
    model = _model(args.model)
    scope = ""
    if args.scope:
        # a list by its name, or by its path where the name is that of several (a.posten, b.posten)
        found = [args.scope] if args.scope and args.scope in model.checked.scopes else [
            sid for sid in model.checked.scopes if sid and model.checked.scopes[sid].name == args.scope]
        if not found:
            lists = [model.checked.scopes[sid].name for sid in model.checked.scopes if sid]
            raise _unknown_list("--liste", args.scope, "", model, lists)
        if len(found) > 1:
            raise _UsageError(f"--liste: „{args.scope}“ ist der Name mehrerer Listen von „{model.name}“: "
                              + " oder ".join(f"„{sid}“" for sid in found) + " angeben")
        scope = found[0]
    at = _date(args.at) if args.at is not None else None
    reading = _reading(args, args.population)
    from .columnar.batch import case_ids
    from .columnar.sources import element_folder, read_source
    from .inputs.population import count_rows, read_population
    from .tools.progress import is_terminal, progress_bar

    # (counting the cases reads the population once more: only for a bar drawn)
    bar = progress_bar(err, count_rows(args.population, reading["separator"])) if is_terminal(err) else None
    source: Any
    read: list[str] = []  # the ids of the cases, as the population reader reads them
    progress: Callable[[int, int], None] | None = None
    # the rows' element files: beside the population file (a case file's beside it), whatever it is read as
    base_dir = element_folder(Path(args.population))
    if Path(args.population).suffix.lower() in (".jsonl", ".ndjson", ".parquet") and not any(reading.values()):
        # a JSON Lines or Parquet file is checked, staged and computed by DuckDB as a whole, where it
        # can be (columnar/intake.py; else read case by case): the bar stands until the plan's cases
        # are done, then moves with those of the scalar backend
        source = Path(args.population)
        if bar is not None:
            bar.draw(0, bar.start)
            progress = _updating(bar)
    else:
        source = read_source(read_population(args.population, **reading), read)
        if bar is not None:
            source = _counted(source, bar.update)
    finished: int | None = None
    try:
        result = model.evaluate_many(source, args.agreement, at=at, progress=progress, backend=args.backend,
                                     base_dir=base_dir)
        finished = result.cases
    finally:
        if bar is not None:
            bar.close(finished)
    if result.ids is None:
        result.ids = case_ids(Path(args.population), read, result.cases)
    if result.source is None:
        result.source = Path(args.population)
    if fmt in BATCH_FORMATS:
        write_batch(args.out, result, fmt, scope)
    else:
        result.write(args.out, scope)
    for note in result.notes:
        err.write(note + "\n")
    _no_case_files(args.population, result.cases, err)
    out.write(f"{result.evaluated} von {counted(result.cases, 'Fall', 'Fällen')} ausgewertet, "
              f"{counted(len(result.errors), 'Fehlerzeile', 'Fehlerzeilen')}: {args.out}\n")
    return EXIT_FINDINGS if result.errors else EXIT_OK


def _nothing_to_resume(out: str) -> str:
    """Why a comparison to be resumed into ``out`` may find nothing to take over, as things stand
    before it runs (said only if it then starts over): its partial file is missing or empty, the
    state beside it (:func:`~teilhabe_rules.tools.compare.state_path`) that tells which of its
    rows are complete is missing, or the two do not name one complete row together (a state
    unreadable, of another format, or naming more than the partial file holds)."""
    from .atomic import partial_path
    from .tools.compare import state_path

    partial = partial_path(out)
    state = state_path(partial)
    try:
        if not partial.is_file() or partial.stat().st_size == 0:
            return f"„{partial}“ fehlt oder ist leer"
        if not state.is_file():
            return f"„{state}“ fehlt, die Datei, die festhält, welche Zeilen von „{partial}“ fertig sind"
    except OSError:
        return f"„{partial}“ ist nicht lesbar"
    return f"„{state}“ nennt keine fertige Zeile, die „{partial}“ hält"


def _no_case_files(population: str, cases: int, err: TextIO) -> None:
    """A note where a population folder held no case file, or a population file no case (empty,
    a table's header alone, empty lines): a run over nothing, said rather than taken for a
    population of no cases."""
    if cases != 0:
        return
    path = Path(population)
    if path.is_dir():
        err.write(f"teilhabe-rules: „{population}“ enthält keine Falldatei (*.toml, *.json)\n")
    elif path.is_file():
        try:
            empty = path.stat().st_size == 0
        except OSError:
            empty = False
        err.write(f"teilhabe-rules: „{population}“ enthält keinen Fall"
                  + (" (die Datei ist leer)\n" if empty else " (keine Zeile mit Daten)\n"))


def _updating(bar: ProgressBar) -> Callable[[int, int], None]:
    """A ``progress(done, total)`` callback moving ``bar``."""

    def progress(done: int, _total: int) -> None:
        bar.update(done)

    return progress


def _counted(items: Iterable[_N], done: Callable[[int], None]) -> Iterator[_N]:
    """``items``, telling ``done`` how many were taken after each."""
    for number, item in enumerate(items, start=1):
        yield item
        done(number)


# the dialects whose engines take „SELECT * EXCEPT (…)“ (or EXCLUDE, as sqlglot writes it for them)
_STAR_EXCEPT = frozenset({"duckdb", "spark", "spark2", "databricks", "bigquery", "snowflake", "clickhouse", "redshift"})


def _cmd_sql(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    at = _date(args.at) if args.at is not None else None
    model = _model(args.model)
    if at is not None:  # (no plan of a tariff for a day it does not cover)
        model.check_date(at)
    elif model.has_periods:  # (a plan holds the values of one day; eval-many's scalar fallback is no answer here)
        dated = ", ".join(sorted(name for name, spec in model.checked.parameters.items() if spec.periods))
        raise _UsageError(f"--at: „{model.info.named()}“ hat Parameter mit Werten je Zeitraum ({dated}); sein "
                          "Spaltenplan gilt für einen Stichtag: gib ihn mit --at JJJJ-MM-TT an")
    plan = model.columnar_plan(args.agreement, at)
    from sqlglot.dialects.dialect import Dialect

    try:
        Dialect.get_or_raise(args.dialect)
    except ValueError:
        known = sorted(name for name in Dialect.classes if name)
        hint = did_you_mean(args.dialect.lower(), known)
        raise _UsageError(f"--dialect: „{args.dialect}“ ist kein SQL-Dialekt von sqlglot"
                          + (f" — {hint}" if hint else "") + f" (bekannt: {', '.join(known)})") from None
    from sqlglot import ErrorLevel, exp
    from sqlglot.errors import UnsupportedError

    dialect = args.dialect.lower()
    query = plan.query(guarded=dialect == "duckdb")
    parts = [query]
    if dialect not in _STAR_EXCEPT and any(star.args.get("except_") for star in query.find_all(exp.Star)):
        # (sqlglot writes „* EXCEPT (…)“ for these too, which they cannot run)
        raise _UsageError(f"--dialect: der Dialekt „{args.dialect}“ kennt kein „SELECT * EXCEPT (…)“, das der Plan "
                          f"braucht (es kennen es: {', '.join(sorted(_STAR_EXCEPT))})")
    try:  # (a construct sqlglot knows the dialect has not: refused, not written as it would not run there)
        if dialect != "duckdb":  # DuckDB's integer arithmetic written exactly, each step a table of its own
            from .columnar.engines import statements

            parts = statements(query)
        text = ";\n\n".join(part.sql(args.dialect, pretty=True, unsupported_level=ErrorLevel.RAISE) for part in parts)
        if len(parts) > 1:
            text += ";"
    except (ValueError, UnsupportedError) as exc:  # (a dialect that cannot write this query)
        raise _UsageError(f"--dialect: der Dialekt „{args.dialect}“ kann diese Abfrage nicht schreiben "
                          f"(sqlglot: {str(exc).splitlines()[0]})") from None
    out.write(text + "\n")
    return EXIT_OK


# The young generation's threshold of the garbage collector while a command runs (Python's is
# 700): loading a model makes some 20,000 objects, none of them garbage, and every 700 of them
# cost a collection — some 5 ms of a new process. Cycles are still collected, later.
_GC_YOUNG = 10_000


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the CLI; returns the exit code (never raises for bad input). ``out`` and ``err``
    default to the standard streams; text they cannot encode is replaced, never an error."""
    young, older, oldest = gc.get_threshold()
    if young:  # 0: automatic collection is off, and stays off
        gc.set_threshold(max(young, _GC_YOUNG), older, oldest)
    try:
        with _noting_interrupts():
            try:
                return _main(argv, out, err)
            except KeyboardInterrupt:  # Ctrl+C while the command's end was being written
                return _aborted(_tolerant(err if err is not None else sys.stderr, own=err is None))
    finally:
        gc.set_threshold(young, older, oldest)


class _Interrupts:
    """Whether Ctrl+C came while the command ran. DuckDB turns the ``KeyboardInterrupt`` of a
    query into a ``RuntimeError``: an exception after Ctrl+C is the interruption, not a defect.
    ``reported``: „abgebrochen“ is written."""

    seen = False
    reported = False
    after: Callable[[], str] | None = None  # what „abgebrochen“ is followed by, as the command has it then


_STUCK = 0.5  # seconds DuckDB may take to stop a query for Ctrl+C before the watcher stops it


def _from_a_stopped_query(exc: BaseException | None) -> bool:
    """Whether ``exc`` is, or arose from, DuckDB's interruption of a query (also where the
    library turned it into an error of its own: its ``__context__``)."""
    duckdb = sys.modules.get("duckdb")
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if duckdb is not None and isinstance(exc, duckdb.InterruptException):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


@contextlib.contextmanager
def _noting_interrupts() -> Iterator[None]:
    """Note Ctrl+C in :class:`_Interrupts` (then raise ``KeyboardInterrupt`` as Python does), where
    Python's own handler is in place — in the main thread; an application's handler is left alone.

    Python runs its handler only between the main thread's byte codes: while a DuckDB query runs,
    DuckDB must notice the signal itself, and on a busy machine it may not. So the signal is also
    written to a pipe (:func:`signal.set_wakeup_fd`, at the moment it arrives), which a thread of
    its own reads: a query of the library's connections still running half a second later, it
    interrupts (:func:`teilhabe_rules.duck.interrupt_running`) and tells the main thread once
    more (:func:`_thread.interrupt_main`), whose ``KeyboardInterrupt`` follows when the query has
    ended."""
    import _thread
    import signal
    import threading
    import time

    _Interrupts.seen = _Interrupts.reported = False
    _Interrupts.after = None
    if threading.current_thread() is not threading.main_thread() \
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield
        return

    def noting(signum: int, frame: Any) -> None:
        _Interrupts.seen = True
        signal.default_int_handler(signum, frame)

    reading = writing = previous = -1
    if sys.platform != "win32":  # (there the wakeup descriptor is a socket; Python's handler alone)
        reading, writing = os.pipe()
        try:
            os.set_blocking(writing, False)
            previous = signal.set_wakeup_fd(writing, warn_on_full_buffer=False)
        except (ValueError, OSError):  # (no wakeup descriptor here: Python's handler alone)
            os.close(reading)
            os.close(writing)
            reading = writing = previous = -1

    def watch() -> None:
        while True:
            try:
                numbers = os.read(reading, 64)
            except OSError:
                return
            if not numbers:  # the command is over (its end of the pipe closed)
                return
            if signal.SIGINT not in numbers:
                continue
            # DuckDB stops a query for Ctrl+C itself, but not always: a query of the library's
            # still running a moment later is interrupted, and the main thread is told once more
            # (its KeyboardInterrupt comes when the query has ended, wherever it is handled)
            time.sleep(_STUCK)
            duck = sys.modules.get("teilhabe_rules.duck")  # (no module: no connection to interrupt)
            if duck is not None and duck.interrupt_running():
                _Interrupts.seen = True
                _thread.interrupt_main()

    watcher = None
    if reading >= 0:
        watcher = threading.Thread(target=watch, name="teilhabe-rules: Strg+C", daemon=True)
        watcher.start()
    signal.signal(signal.SIGINT, noting)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if watcher is not None:
            signal.set_wakeup_fd(previous)
            os.close(writing)
            watcher.join(timeout=5)  # (a process forked meanwhile may hold the pipe open)
            if not watcher.is_alive():
                os.close(reading)


def _interruption(exc: BaseException) -> bool:
    """Whether ``exc`` is Ctrl+C: a ``KeyboardInterrupt``, or what DuckDB made of one (after
    Ctrl+C, any exception; an error of the library's own only where it arose from a query
    stopped — a finding stays a finding)."""
    if isinstance(exc, TeilhabeError):
        return _Interrupts.seen and _from_a_stopped_query(exc)
    return isinstance(exc, KeyboardInterrupt) or (isinstance(exc, Exception) and _Interrupts.seen)


def _aborted(err: TextIO) -> int:
    """Say „abgebrochen“ (once; after it what the command has to say then: ``_Interrupts.after``)
    and give the exit code of Ctrl+C. Wherever the interruption is caught — by the command, or
    by :func:`main` where a ``KeyboardInterrupt`` came while the command was handling it — the
    text is the same."""
    if not _Interrupts.reported:
        try:
            text = _Interrupts.after() if _Interrupts.after is not None else ""
        except KeyboardInterrupt:  # (the watcher's second interrupt while the text is made)
            text = ""
        _Interrupts.reported = True
        err.write(f"teilhabe-rules: abgebrochen{text}\n")
    return EXIT_INTERRUPTED


def run() -> NoReturn:
    """The program ``teilhabe-rules`` (its console script and ``python -m teilhabe_rules``):
    :func:`main` on the process's arguments and streams, then exit with its code.

    Before the exit, every object made is frozen (:func:`gc.freeze`): the interpreter's last
    collection at exit would otherwise search all of them — a loaded model's and every module's,
    some 15 ms of a command that evaluates one case — for garbage that would be freed a moment
    later with the process anyway. (Only the program does this: :func:`main` called in a process
    that goes on leaves the collector as it was.)"""
    code = main()
    gc.freeze()
    try:
        sys.stdout.flush()  # (what main wrote may still be in its buffer)
    except OSError as exc:
        with contextlib.suppress(OSError, ValueError):
            from .files import write_problem

            sys.stderr.write(_unwritable(write_problem(exc)))
            # the interpreter's own flush at exit would fail again, and print a traceback
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = code or EXIT_FINDINGS
    except ValueError:  # closed by the command: the language server's at the editor's „exit“
        pass
    sys.exit(code)


# options naming a file or a value: given empty (a script's unset variable), they would be taken as
# not given (no agreement, the header's budget, no earlier model)
_NAMING_OPTIONS = {"agreement": ("--vereinbarung", "eine Vereinbarung"),
                   "agreement_old": ("--vereinbarung-alt", "eine Vereinbarung"),
                   "agreement_new": ("--vereinbarung-neu", "eine Vereinbarung"),
                   "budget": ("--budget", "einen Wert"), "previous": ("--vergleich", "ein Modell")}


_A_MODEL = "eine Regeldatei oder den Namen eines mitgelieferten Modells"

# arguments naming a file or a model: given empty, the path "" would be read as „.“, the working
# directory, and named so („Die Regeldatei „.“ ist keine gewöhnliche Datei …“); compare's are
# checked where its form is known (_compare_form)
_NAMING_ARGUMENTS = {"model": ("MODELL", _A_MODEL), "models": ("MODELL", _A_MODEL),
                     "old": ("ALT", _A_MODEL), "new": ("NEU", _A_MODEL),
                     "case": ("FALL", "eine Falldatei"),
                     "population": ("POPULATION", "eine Population"), "files": ("DATEI", "eine Regeldatei")}


def _named_files(args: argparse.Namespace) -> None:
    """A usage error where an option of :data:`_NAMING_OPTIONS` is given with an empty value, or
    an argument of :data:`_NAMING_ARGUMENTS` is empty."""
    for dest, (option, named) in _NAMING_OPTIONS.items():
        value = getattr(args, dest, None)
        if isinstance(value, str) and not value.strip():
            raise _UsageError(f"{option}: „{value}“ nennt nichts — die Option weglassen oder {named} nennen")
    for dest, (argument, named) in _NAMING_ARGUMENTS.items():
        _refuse_empty(argument, named, getattr(args, dest, None))


def _refuse_empty(argument: str, named: str, given: Any) -> None:
    """A usage error where ``given`` — the value of ``argument`` (``MODELL``) or the list of its
    values — is empty; ``named``: what it should name."""
    values = given if isinstance(given, list) else [given]
    for number, value in enumerate(values, start=1):
        if isinstance(value, str) and not value.strip():
            which = f" (die {number}. Angabe)" if len(values) > 1 else ""
            raise _UsageError(f"{argument} ist leer{which}: {named} angeben")


def _warning_printer(err: TextIO) -> Callable[..., None]:
    """``warnings.showwarning`` for a command run by this thread: a warning of the library (a
    cache directory it does not use, a memory setting that is no size) is one line
    ``teilhabe-rules: warnung: …`` on ``err``; any other warning is shown as Python shows it, on
    ``err``. A warning of another thread goes where it went before (``main`` may run in several
    threads of one process, each with its own ``err``)."""
    previous = warnings.showwarning
    owner = threading.get_ident()

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: TextIO | None = None, line: str | None = None) -> None:
        if threading.get_ident() != owner:
            previous(message, category, filename, lineno, file, line)
            return
        if category.__module__.split(".")[0] == "teilhabe_rules":
            text = f"teilhabe-rules: warnung: {message}\n"
        else:
            text = warnings.formatwarning(message, category, filename, lineno, line)
        with contextlib.suppress(_StreamError, OSError, ValueError):  # (ValueError: ``err`` closed)
            err.write(text)

    return show


def _main(argv: Sequence[str] | None, out: TextIO | None, err: TextIO | None) -> int:
    out = _tolerant(out if out is not None else sys.stdout, own=out is None)
    err = _tolerant(err if err is not None else sys.stderr, own=err is None)
    arguments = list(argv) if argv is not None else sys.argv[1:]
    parser = _parser(arguments)
    args: argparse.Namespace | None = None
    try:
        with warnings.catch_warnings():
            # (the library's warnings as the program's lines, not as Python's source lines)
            warnings.showwarning = _warning_printer(err)
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):  # --help goes to ``out``
                args = parser.parse_args(arguments)
            if args.command is None:
                parser.print_help(out)
                return EXIT_USAGE
            _named_files(args)
            command = {"check": _cmd_check, "eval": _cmd_eval, "test": _cmd_test, "modelle": _cmd_models,
                       "diff": _cmd_diff, "compare": _cmd_compare, "generate": _cmd_generate,
                       "umstellen": _cmd_convert, "schema": _cmd_schema, "handbuch": _cmd_handbook,
                       "format": _cmd_format, "lsp": _cmd_lsp, "eval-many": _cmd_eval_many,
                       "sql": _cmd_sql}[args.command]
            return command(args, out, err)
    except _UsageError as exc:
        err.write(f"teilhabe-rules: {exc}\n")
        named = arguments[0] if arguments and arguments[0] in parser.commands else None
        err.write(exc.usage or parser.usage_of(getattr(args, "command", None) or named))
        return EXIT_USAGE
    except TeilhabeError as exc:
        if _interruption(exc):  # (a query stopped by Ctrl+C, as the library says it)
            return _aborted(err)
        err.write(exc.render() + "\n")
        return EXIT_FINDINGS
    except SystemExit as exc:  # --help
        return int(exc.code or 0) if isinstance(exc.code, int) else EXIT_OK
    except KeyboardInterrupt:
        return _aborted(err)
    except _StreamError as exc:
        with contextlib.suppress(_StreamError):
            err.write(_unwritable(exc))
        return EXIT_FINDINGS
    except Warning as exc:  # a warning the interpreter was told to make an error (``python -W error``)
        err.write(f"teilhabe-rules: {exc}\n")
        return EXIT_FINDINGS
    except Exception as exc:  # noqa: BLE001 - last resort: an internal error is reported, not dumped
        if _interruption(exc):
            return _aborted(err)
        err.write(f"teilhabe-rules: interner Fehler ({type(exc).__name__}: {exc}) — bitte mit der Eingabe melden\n")
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    run()
