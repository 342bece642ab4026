"""A fuzz harness: hostile and broken rule files, cases, agreements and populations.

Takes: a seed and a number of inputs (or a time budget). Gives: for every generated input one
outcome — ``erfolg`` (the library returned a result), ``verortet`` (it raised one of its own
errors, :class:`~teilhabe_rules.errors.TeilhabeError`, every error diagnostic of which names a
file, a line and a column) — or a *defect*: any other exception, an error without a location, a
library error that quotes a secret planted outside the input's tree, a population whose results
and error rows do not add up to its input rows, an exit code 3, or an input that takes longer
than the time limit. Defects are written to a folder (the input and what happened), so that each
becomes a regression test.

Kinds of input (:data:`KINDS`):

- ``regel``: rule files — mutations of a small sample and of the bundled models (lines deleted,
  duplicated or swapped, tokens replaced by keywords, numbers, units and hostile strings, random
  bytes inserted, truncation), grammar-flavoured word soup, deep nesting, huge tokens, variants
  whose ``erweitert`` names hostile paths, and bad encodings (latin-1, UTF-16, NUL bytes);
- ``fall``: cases of the bundled models — mutations of the example cases as data (values of the
  wrong type, keys removed or added, lists lengthened, elements given as hostile file paths,
  deep nesting) and as TOML/JSON text, evaluated with and without explanations;
- ``vereinbarung``: agreements — mutations of the bundled example agreements, evaluated with an
  example case;
- ``population``: small JSON Lines and CSV populations with injected faults (bad encodings,
  broken lines, deep nesting, scalars, wrong columns), compared under two model versions through
  the command line; the summary must account for every input row.

The bounded run in CI is ``tests/fuzz/test_fuzz.py``; the long run is this file as a script::

    python tests/fuzz/harness.py --inputs 1000000 --jobs 2 --defects fuzz-defekte/

It prints the inputs tried per kind and every outcome other than success or a located error.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import io
import json
import multiprocessing
import os
import random
import re
import resource
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"
EXAMPLES = ROOT / "examples"

#: the per-input limit of computing time (CPU seconds of the process) past which an input
#: counts as a blow-up — CPU time, not wall time, so that a loaded machine does not make
#: inputs "slow"
TIME_LIMIT = 10.0
#: the per-input limit of wall time (seconds) past which an input counts as hanging (a
#: blocking read uses no CPU time)
WALL_LIMIT = 60.0
#: memory limit of a worker process of the long run (bytes)
MEMORY_LIMIT = 4 * 1024**3

KINDS = ("regel", "fall", "vereinbarung", "population")
WEIGHTS = (3, 10, 3, 1)


# ---- outcomes ------------------------------------------------------------------------------


@attrs.frozen
class Outcome:
    """What one input gave: ``erfolg``, ``verortet`` or a defect (``defekt``) with its text."""

    kind: str
    status: str
    detail: str = ""
    seconds: float = 0.0

    @property
    def defect(self) -> bool:
        return self.status == "defekt"


class Secret:
    """A file outside every input's tree whose content must never appear in a message."""

    def __init__(self, folder: Path):
        self.token = f"GEHEIMNIS-{os.getpid()}-{random.getrandbits(48):x}"
        self.path = folder / "geheim.txt"
        self.path.write_text(f"{self.token}\nzweite Zeile {self.token}\n", encoding="utf-8")


def _judge(kind: str, action: Callable[[], object], secret: Secret) -> Outcome:
    """Run ``action`` and classify what happened."""
    from teilhabe_rules.errors import TeilhabeError

    started = time.perf_counter()
    try:
        with _time_limit(TIME_LIMIT, WALL_LIMIT):
            action()
    except _Timeout as exc:
        return Outcome(kind, "defekt", str(exc), time.perf_counter() - started)
    except TeilhabeError as exc:
        seconds = time.perf_counter() - started
        text = str(exc)
        if secret.token in text:
            return Outcome(
                kind, "defekt", "Meldung zitiert eine fremde Datei:\n" + text[:2000], seconds
            )
        unlocated = [
            d
            for d in exc.diagnostics
            if d.is_error and (d.location is None or d.location.line < 1 or d.location.column < 1)
        ]
        if unlocated:
            return Outcome(
                kind,
                "defekt",
                "Fehler ohne Ort:\n" + "\n".join(d.render() for d in unlocated)[:2000],
                seconds,
            )
        return Outcome(kind, "verortet", "", seconds)
    except _Reported:
        return Outcome(kind, "verortet", "", time.perf_counter() - started)
    except _Defect as exc:
        return Outcome(kind, "defekt", str(exc), time.perf_counter() - started)
    except BaseException as exc:  # noqa: BLE001 — everything else is what the harness is for
        if isinstance(exc, KeyboardInterrupt):
            raise
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-8))
        return Outcome(
            kind,
            "defekt",
            f"{type(exc).__name__}: {str(exc)[:500]}\n{tb[-3000:]}",
            time.perf_counter() - started,
        )
    return Outcome(kind, "erfolg", "", time.perf_counter() - started)


class _Timeout(BaseException):
    pass


class _Reported(Exception):
    """The command line reported an input error with its place (exit 1)."""


_LOCATED = re.compile(r"^\S.*:\d+:\d+: fehler: ", re.MULTILINE)


class _Defect(Exception):
    """A check of the harness's own failed (rows lost, exit 3, secret shown)."""


@contextlib.contextmanager
def _time_limit(cpu_seconds: float, wall_seconds: float) -> Iterator[None]:
    """Raise :class:`_Timeout` after ``cpu_seconds`` of the process's computing time (user and
    system) or ``wall_seconds`` of wall time, whichever comes first."""

    def too_long(signum: int, frame: Any) -> None:
        raise _Timeout(f"mehr als {cpu_seconds:g} s Rechenzeit")

    def hanging(signum: int, frame: Any) -> None:
        raise _Timeout(f"länger als {wall_seconds:g} s (hängt)")

    previous_prof = signal.signal(signal.SIGPROF, too_long)
    previous_alarm = signal.signal(signal.SIGALRM, hanging)
    signal.setitimer(signal.ITIMER_PROF, cpu_seconds)
    signal.setitimer(signal.ITIMER_REAL, wall_seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGPROF, previous_prof)
        signal.signal(signal.SIGALRM, previous_alarm)


# ---- text mutations ------------------------------------------------------------------------

KEYWORDS = (
    "modell",
    "ende",
    "eingabe",
    "parameter",
    "tabelle",
    "liste",
    "paket",
    "stufen",
    "stufe",
    "nach",
    "korridor",
    "wert",
    "wenn",
    "dann",
    "sonst",
    "und",
    "oder",
    "nicht",
    "summe",
    "anzahl",
    "min",
    "max",
    "runde",
    "kaufmännisch",
    "prüfung",
    "warnung",
    "beispiel",
    "erwartet",
    "vorlage",
    "basis",
    "eigenschaft",
    "steigend",
    "fallend",
    "mit",
    "ab",
    "bis",
    "über",
    "unter",
    "gültig",
    "erweitert",
    "aufzählung",
    "zahl",
    "datum",
    "ja",
    "nein",
    "auswahl",
    "schlüssel",
    "annahme",
    "quelle",
    "standard",
    "von",
    "mindestens",
    "höchstens",
    "teilweise",
    "bewilligt",
    "vorher",
    "position",
    "als",
    "wo",
    "fehler",
    "stichtag",
)
UNITS = (
    "EUR",
    "EUR/h",
    "EUR/Tag",
    "EUR/Jahr",
    "h",
    "h/Jahr",
    "min/Tag",
    "min/Woche",
    "VK",
    "%",
    "Tage",
    "Plätze",
    "Personen",
)
HOSTILE = (
    "/proc/self/environ",
    "/etc/passwd",
    "../../../../etc/hostname",
    "/dev/zero",
    "/dev/stdin",
    "/dev/urandom",
    "a\x00b",
    "..",
    ".",
    "/",
    "~",
    "C:\\Windows\\win.ini",
    "\\\\server\\share",
    "file:///etc/passwd",
    "{__import__('os').system('true')}",
    "$(id)",
    "`id`",
    "%s%s%s%n",
    "\u202e",
    "\ud800",
    "\x1b[2J",
    "'",
    '"',
    '"""',
    "\\",
    "NaN",
    "Infinity",
    "-0",
    "1e999999",
    "9" * 400,
    "0x10",
    "١٢٣",
    "½",
    "\ufeff",
    "\r",
    "\x0c",
)
NUMBERS = (
    "0",
    "-1",
    "1",
    "0.5",
    "1,5",
    "1e3",
    "99999999999999999999999999",
    "0.000000000000000000001",
    "2147483648",
    "-0",
    "1_000",
)


def _tokens(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(r"\w+|[^\w\s]", text)]


def _replacement(rng: random.Random) -> str:
    pick = rng.random()
    if pick < 0.35:
        return rng.choice(KEYWORDS)
    if pick < 0.55:
        return rng.choice(NUMBERS)
    if pick < 0.7:
        return rng.choice(UNITS)
    if pick < 0.85:
        return rng.choice(HOSTILE)
    return rng.choice('()[]{}:=,.<>+-*/"#\n\t ')


def mutate_text(text: str, rng: random.Random, steps: int | None = None) -> str:
    """A few random edits of ``text``: lines and tokens deleted, duplicated, swapped or replaced."""
    for _ in range(steps if steps is not None else rng.choice((1, 1, 1, 2, 3, 5))):
        lines = text.split("\n")
        op = rng.randrange(9)
        if op == 0 and len(lines) > 1:
            start = rng.randrange(len(lines))
            del lines[start : start + rng.choice((1, 1, 2, 5, 20))]
            text = "\n".join(lines)
        elif op == 1 and lines:
            i = rng.randrange(len(lines))
            lines.insert(i, lines[rng.randrange(len(lines))])
            text = "\n".join(lines)
        elif op == 2 and len(lines) > 1:
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
        elif op in (3, 4, 5):
            spans = _tokens(text)
            if spans:
                a, b = rng.choice(spans)
                text = text[:a] + _replacement(rng) + text[b:]
        elif op == 6:
            spans = _tokens(text)
            if spans:
                a, b = rng.choice(spans)
                text = text[:a] + text[b:]
        elif op == 7:
            at = rng.randrange(len(text) + 1)
            text = (
                text[:at]
                + "".join(
                    chr(rng.choice((rng.randrange(32, 127), rng.randrange(0, 0x3000))))
                    for _ in range(rng.randrange(1, 8))
                )
                + text[at:]
            )
        elif op == 8 and text:
            text = text[: rng.randrange(len(text))]
    return text


def encode(text: str, rng: random.Random) -> bytes:
    """``text`` as bytes, mostly UTF-8, sometimes in a wrong encoding or with broken bytes."""
    pick = rng.random()
    if pick < 0.85:
        return text.encode("utf-8", "surrogatepass")
    if pick < 0.89:
        return text.encode("latin-1", "replace")
    if pick < 0.92:
        return text.encode("utf-16", "surrogatepass")
    if pick < 0.94:
        return b"\xef\xbb\xbf" + text.encode("utf-8", "surrogatepass")
    data = bytearray(text.encode("utf-8", "surrogatepass"))
    for _ in range(rng.randrange(1, 4)):
        data.insert(
            rng.randrange(len(data) + 1), rng.choice((0, 0x80, 0xFF, 0xC3, 0xED, 0xA0, 0x0D))
        )
    return bytes(data)


def _nesting(rng: random.Random, depth: int) -> str:
    opener, closer = rng.choice(
        (
            ("(", ")"),
            ("[", "]"),
            ("{", "}"),
            ("wenn ja dann ", " sonst 0"),
            ("-", ""),
            ("nicht ", ""),
        )
    )
    inner = rng.choice(("1", "x", "1 EUR", "ja"))
    return opener * depth + inner + (closer * depth if rng.random() < 0.7 else "")


def _size(rng: random.Random, large: bool) -> int:
    """A size for a generated structure: small mostly, now and then large (the long run: huge)."""
    pick = rng.random()
    if pick < 0.8:
        return rng.randrange(1, 60)
    if pick < 0.97 or not large:
        return rng.randrange(60, 5000)
    return rng.randrange(5000, 2_000_000 if pick < 0.9995 else 50_000_000)


# ---- generators ----------------------------------------------------------------------------


@attrs.frozen
class Input:
    """One generated input: its kind, a description and the files it consists of."""

    kind: str
    description: str
    files: dict[str, bytes]  # relative path → content
    entry: str  # the main file
    extra: dict[str, Any] = attrs.field(factory=dict)


_SAMPLE = """modell probe "Probe"
  version "1.0"
  gültig ab 01.01.2024
ende
aufzählung Grad "Grad"
  0 "kein"
  1 "eins"
ende
eingabe kap4: auswahl {0, 2, 5} min/Tag "Kap. 4"
eingabe grad: Grad standard 0
parameter satz: zahl EUR/h von 0 bis 500 = 68.95 "Satz" annahme "üblich"
tabelle anteil "Anteil": ganzzahl Personen -> % teilweise
  1: 100 %
  2, 3: 65 %
ende
liste massnahmen mindestens 0 höchstens 3
  eingabe stunden: zahl h/Jahr von 0 bis 2000
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
wert gesamt: EUR/Jahr = summe(massnahmen.stunden) * satz
"""


class Corpus:
    """The texts the generators start from, read once."""

    def __init__(self) -> None:
        self.models = {
            p.stem: p.read_text(encoding="utf-8") for p in sorted(MODELS.glob("*.rules"))
        }
        self.rules = [
            _SAMPLE,
            *(p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.rglob("*.rules"))),
        ]
        self.cases: list[tuple[str, Path]] = []
        for folder, model in (("mawo", "mawo"), ("bei_nrw3", "bei_nrw3"), ("bei_nrw2", "bei_nrw2")):
            for path in sorted((EXAMPLES / folder).glob("*.toml")):
                if not path.name.startswith("vereinbarung"):
                    self.cases.append((model, path))
        self.agreements = [
            (
                "mawo",
                EXAMPLES / "mawo" / "vereinbarung_haus_linde.toml",
                EXAMPLES / "mawo" / "haus_linde.toml",
            ),
            (
                "bei_nrw3",
                EXAMPLES / "bei_nrw3" / "vereinbarung_fiktiv.toml",
                EXAMPLES / "bei_nrw3" / "besondere_wohnform_module.toml",
            ),
        ]
        self.residents = {
            p.name: p.read_bytes() for p in sorted((EXAMPLES / "mawo" / "bewohner").glob("*.toml"))
        }


def gen_rule(rng: random.Random, corpus: Corpus, large: bool) -> Input:
    pick = rng.random()
    base = (
        rng.choice(corpus.rules)
        if rng.random() < 0.85
        else corpus.models[rng.choice(sorted(corpus.models))]
    )
    if pick < 0.6:
        text, what = mutate_text(base, rng), "Mutation"
    elif pick < 0.7:
        words = [
            rng.choice((*KEYWORDS, *UNITS, *NUMBERS, "x", "y", ":", "=", "\n", "ende\n", '"T"'))
            for _ in range(min(_size(rng, large), 2_000_000))
        ]
        text, what = 'modell m "M"\nende\n' + " ".join(words), "Wortsuppe"
    elif pick < 0.8:
        depth = _size(rng, large)
        text, what = (
            f'modell m "M"\nende\nwert w: EUR = {_nesting(rng, depth)}\n',
            f"Schachtelung {depth}",
        )
    elif pick < 0.88:
        n = _size(rng, large)
        token = rng.choice(
            ("a" * n, "9" * n, '"' + "x" * n + '"', "1." + "0" * n, "ä" * n, "(" * n, "+1" * n)
        )
        text, what = (
            f'modell m "M"\nende\neingabe x: zahl\nwert w: zahl = {token}\n',
            f"großes Wort {n}",
        )
    elif pick < 0.93:
        n = _size(rng, large)
        text, what = (
            'modell m "M"\nende\neingabe x: zahl\nwert w: zahl = x' + " + x" * n + "\n",
            f"Kette {n}",
        )
    else:
        target = rng.choice(
            (
                *HOSTILE[:14],
                "mawo",
                "mawo.rules",
                "basis",
                "unter/basis.rules",
                "../geheim.txt",
                "../../geheim.txt",
                "link.rules",
                "geheim",
            )
        )
        text, what = (
            f'modell v "V"\n  erweitert "{target}"\nende\n'
            + ("" if rng.random() < 0.5 else mutate_text("wert w: zahl = 1\n", rng)),
            f"erweitert {target!r}",
        )
    files = {"modell.rules": encode(text, rng)}
    if rng.random() < 0.2:
        files["basis.rules"] = _SAMPLE.encode()
        files["unter/basis.rules"] = _SAMPLE.encode()
    return Input("regel", what, files, "modell.rules", {"link": rng.random() < 0.3})


def _mutate_data(value: Any, rng: random.Random, large: bool, depth: int = 0) -> Any:
    """``value`` with one random change somewhere inside it."""
    if (
        isinstance(value, dict)
        and value
        and (rng.random() < 0.75 or depth == 0 and rng.random() < 0.95)
    ):
        key = rng.choice(sorted(value))
        copy = dict(value)
        action = rng.random()
        if action < 0.6:
            copy[key] = _mutate_data(value[key], rng, large, depth + 1)
        elif action < 0.75:
            del copy[key]
        elif action < 0.9:
            copy[
                rng.choice((key + "x", key.upper(), "unbekannt", "", " ", "ä" * 3, "a.b", "$"))
            ] = _random_value(rng, large)
        else:
            copy[key] = _random_value(rng, large)
        return copy
    if isinstance(value, list) and value and rng.random() < 0.75:
        copy = list(value)
        action = rng.random()
        if action < 0.5:
            i = rng.randrange(len(copy))
            copy[i] = _mutate_data(copy[i], rng, large, depth + 1)
        elif action < 0.7:
            copy = (
                copy * min(_size(rng, large), 1 + 20_000 // len(copy))
                if rng.random() < 0.5
                else copy[: rng.randrange(len(copy))]
            )
        elif action < 0.85:
            copy.insert(
                rng.randrange(len(copy) + 1),
                rng.choice(
                    (
                        *HOSTILE[:6],
                        "bewohner/linde_1.toml",
                        "../bewohner/linde_1.toml",
                        "bewohner",
                        "geheim.txt",
                        "../geheim.txt",
                        "link.toml",
                        "a\x00b.toml",
                    )
                ),
            )
        else:
            copy.append(_random_value(rng, large))
        return copy
    return _random_value(rng, large)


def _random_value(rng: random.Random, large: bool) -> Any:
    pick = rng.random()
    if pick < 0.15:
        return rng.choice((0, 1, -1, 2**63, -(2**70), 10**30))
    if pick < 0.3:
        return Decimal(
            rng.choice(
                (
                    "0.5",
                    "-0.0",
                    "1E+3",
                    "1E-30",
                    "123456789012345678901234567890.123",
                    "NaN",
                    "Infinity",
                )
            )
        )
    if pick < 0.45:
        return rng.choice(
            (*HOSTILE, "1,5", "2024-13-01", "01.01.2024", "ja", "", "x" * _size(rng, large))
        )
    if pick < 0.55:
        return rng.choice((True, False))
    if pick < 0.65:
        return rng.choice(
            (
                _dt.date(1, 1, 1),
                _dt.date(9999, 12, 31),
                _dt.date(2024, 2, 29),
                _dt.date(2019, 12, 31),
            )
        )
    if pick < 0.75:
        return _Deep(_size(rng, large), rng.random() < 0.5)
    if pick < 0.85:
        return [{}] * min(_size(rng, large), 2_000_000)
    return {}


@attrs.frozen
class _Deep:
    """Nesting ``depth`` levels deep (lists or objects): written as text, never built as data."""

    depth: int
    lists: bool

    @property
    def placeholder(self) -> str:
        return f"__TIEF_{self.depth}_{int(self.lists)}__"

    def json(self) -> str:
        if self.lists:
            return "[" * self.depth + "1" + "]" * self.depth
        return '{"a": ' * self.depth + "1" + "}" * self.depth


def _jsonable(value: Any) -> Any:
    if isinstance(value, _Deep):
        return value.placeholder
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() and len(str(value)) < 30 else str(value)
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _case_text(data: Any, rng: random.Random) -> tuple[str, bytes]:
    """The case as a JSON or TOML file."""
    from teilhabe_rules import toml_writer

    if rng.random() < 0.5 and isinstance(data, dict) and "__TIEF_" not in repr(data):
        with contextlib.suppress(Exception):
            return "fall.toml", toml_writer.dumps(data).encode("utf-8", "surrogatepass")
    text = json.dumps(_jsonable(data), ensure_ascii=rng.random() < 0.5)
    for deep in _deeps(data):
        text = text.replace(json.dumps(deep.placeholder), deep.json())
    return "fall.json", text.encode("utf-8", "surrogatepass")


def _deeps(value: Any) -> Iterator[_Deep]:
    if isinstance(value, _Deep):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _deeps(item)
    elif isinstance(value, list):
        for item in value:
            yield from _deeps(item)


def gen_case(rng: random.Random, corpus: Corpus, large: bool) -> Input:
    from teilhabe_rules.inputs.cases import read_data

    model, path = rng.choice(corpus.cases)
    files = {
        f"bewohner/{name}": content for name, content in corpus.residents.items() if model == "mawo"
    }
    pick = rng.random()
    if pick < 0.7:
        data = read_data(path)
        for _ in range(rng.choice((1, 1, 2, 3))):
            data = _mutate_data(data, rng, large)
        name, content = _case_text(data, rng)
        what = "Datenmutation"
    else:
        name, content = path.name, encode(mutate_text(path.read_text(encoding="utf-8"), rng), rng)
        what = "Textmutation"
    files[name] = content
    return Input(
        "fall",
        f"{what} von {path.name}",
        files,
        name,
        {"model": model, "explain": rng.random() < 0.3, "link": rng.random() < 0.1},
    )


def gen_agreement(rng: random.Random, corpus: Corpus, large: bool) -> Input:
    model, agreement, case = rng.choice(corpus.agreements)
    text = agreement.read_text(encoding="utf-8")
    if rng.random() < 0.2:
        text = (
            rng.choice(
                (
                    'modell = "mawo"\n',
                    "",
                    "gueltig_ab = 2024-01-01\n",
                    'modell = "x"\n[parameter]\n',
                )
            )
            + text
        )
    files = {
        f"bewohner/{name}": content for name, content in corpus.residents.items() if model == "mawo"
    }
    if rng.random() < 0.05:  # very many keys
        text += "\n[parameter]\n" + "".join(
            f"unbekannt_{i} = 1\n" for i in range(_size(rng, large))
        )
    files["vereinbarung.toml"] = encode(mutate_text(text, rng), rng)
    files["fall.toml"] = case.read_bytes()
    return Input(
        "vereinbarung",
        f"Mutation von {agreement.name}",
        files,
        "vereinbarung.toml",
        {"model": model, "case": "fall.toml"},
    )


def gen_population(rng: random.Random, corpus: Corpus, large: bool) -> Input:
    from teilhabe_rules.inputs.cases import read_data

    person = read_data(EXAMPLES / "mawo" / "person_grundfall.toml")
    rows: list[bytes] = []
    csv = rng.random() < 0.3
    n = rng.randrange(1, 12)
    for _ in range(n):
        data = _mutate_data(person, rng, False) if rng.random() < 0.3 else person
        line = json.dumps(_jsonable(data), ensure_ascii=False) if not csv else ""
        for deep in _deeps(data):
            line = line.replace(json.dumps(deep.placeholder), deep.json())
        fault = rng.random()
        if csv:
            kap4 = rng.choice(("0", "2", "5", "x", "1,5", "", '"'))
            line = f"{kap4},{rng.choice(('2024-07-01', '', '01.07.2024'))}"
        raw = line.encode("utf-8", "surrogatepass")
        if fault < 0.05:
            raw = line.encode("latin-1", "replace") + "ä".encode("latin-1")
        elif fault < 0.08:
            raw = b"[" * 200_000
        elif fault < 0.1:
            raw = b"\x00" * 5
        elif fault < 0.12:
            raw = b"42"
        elif fault < 0.14:
            raw = raw[: max(1, len(raw) // 2)]  # never empty: an empty last row is a final newline
        elif fault < 0.16:
            raw = b"\xef\xbb\xbf" + raw
        elif fault < 0.19:  # unclosed quotes and escapes before many brackets
            raw = b'"\\' * _size(rng, large) + b"[" * 65
        elif fault < 0.21 and not csv:  # a resident given as an element file beside the population
            raw = json.dumps(
                {
                    **_jsonable(person),
                    "bewohner": [rng.choice(("element.json", "../element.json", "fehlt.json"))],
                }
            ).encode()
        rows.append(raw)
    sep = b"\r\n" if rng.random() < 0.2 else b"\n"
    if csv:
        body = b"lp2a.kap4,zeitraum_ab" + sep + sep.join(rows)
        name = "population.csv"
    else:
        body = sep.join(rows)
        name = "population.jsonl"
    if rng.random() < 0.5:
        body += sep
    if rng.random() < 0.05:
        body = body.decode("utf-8", "replace").encode("utf-16")
    files = {name: body, "element.json": json.dumps(_jsonable(person["bewohner"][0])).encode()}
    resume = rng.random() < 0.1
    if resume:  # a partial output and state of an interrupted run, damaged now and then
        state = rng.choice(
            (
                b"",
                b"[1]\n",
                b'{"zeilen": -1}\n',
                b"{" * 100_000,
                b'{}\n{"zeilen": 1, "bytes": "x"}\n',
                bytes(rng.randrange(256) for _ in range(rng.randrange(200))),
            )
        )
        files["vergleich.csv.unvollständig"] = bytes(
            rng.randrange(256) for _ in range(rng.randrange(300))
        )
        files["vergleich.csv.unvollständig.stand"] = state
    return Input(
        "population",
        f"{n} Zeilen, {'CSV' if csv else 'JSONL'}{', fortsetzen' if resume else ''}",
        files,
        name,
        {"rows": n, "resume": resume},
    )


GENERATORS: dict[str, Callable[[random.Random, Corpus, bool], Input]] = {
    "regel": gen_rule,
    "fall": gen_case,
    "vereinbarung": gen_agreement,
    "population": gen_population,
}


# ---- running -------------------------------------------------------------------------------


class Runner:
    """Runs inputs in a scratch folder; keeps the bundled models loaded."""

    def __init__(self, scratch: Path):
        import teilhabe_rules

        self.scratch = scratch
        self.secret = Secret(scratch)
        self.models = {
            name: teilhabe_rules.bundled(name)
            for name in ("mawo", "mawo_2025", "bei_nrw3", "bei_nrw2")
        }
        self.corpus = Corpus()
        self.counter = 0

    def place(self, item: Input) -> Path:
        """Write the input's files into a fresh folder below the scratch folder; a link to the
        secret lies beside them where the input asks for one."""
        self.counter += 1
        folder = self.scratch / f"e{self.counter % 4}" / "baum"
        if folder.exists():
            _remove(folder)
        folder.mkdir(parents=True)
        for name, content in item.files.items():
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        if item.extra.get("link"):
            for name in ("link.rules", "link.toml"):
                with contextlib.suppress(OSError):
                    (folder / name).symlink_to(self.secret.path)
        return folder

    def run(self, item: Input) -> Outcome:
        folder = self.place(item)
        entry = folder / item.entry
        return _judge(item.kind, lambda: self.execute(item, folder, entry), self.secret)

    def execute(self, item: Input, folder: Path, entry: Path) -> None:
        import teilhabe_rules

        if item.kind == "regel":
            model = teilhabe_rules.load(entry)
            if model.checked.examples:
                self.cli(["test", str(entry)], allowed=(0, 1))
        elif item.kind == "fall":
            model = self.models[item.extra["model"]]
            result = model.evaluate(entry, explain=item.extra.get("explain", False))
            json.dumps(result.to_dict())
            if item.extra.get("explain"):
                self.cli(["eval", item.extra["model"], str(entry), "--explain"], allowed=(0,))
        elif item.kind == "vereinbarung":
            model = self.models[item.extra["model"]]
            result = model.evaluate(folder / item.extra["case"], agreement=entry)
            json.dumps(result.to_dict())
        else:
            out, summary = folder / "vergleich.csv", folder / "zusammenfassung.json"
            self.cli(
                [
                    "compare",
                    "mawo",
                    "mawo_2025",
                    str(entry),
                    "--out",
                    str(out),
                    "--summary",
                    str(summary),
                    "--budget",
                    "erloes_jahr",
                    *(["--fortsetzen"] if item.extra.get("resume") else []),
                ],
                allowed=(0, 1, 2) if item.extra.get("resume") else (0, 1),
            )
            if summary.exists():
                data = json.loads(summary.read_text(encoding="utf-8"))
                rows = item.extra["rows"]
                counted = data["ausgewertet"] + data["fehler"] + data["leere_zeilen"]
                if counted != rows or data["fälle"] != data["ausgewertet"] + data["fehler"]:
                    raise _Defect(
                        f"Zeilen verloren: {rows} Eingabezeilen, {counted} Ergebnisse, Fehler und leere Zeilen ({data})"
                    )

    def cli(self, argv: list[str], allowed: tuple[int, ...]) -> None:
        from teilhabe_rules.cli import main

        out, err = io.StringIO(), io.StringIO()
        code = main(argv, out, err)
        text = out.getvalue() + err.getvalue()
        if self.secret.token in text:
            raise _Defect("Ausgabe zitiert eine fremde Datei:\n" + text[:2000])
        if code not in allowed:
            if code == 1 and _LOCATED.search(text):
                raise _Reported  # an input error the command reported itself, with its place
            raise _Defect(f"teilhabe-rules {' '.join(argv[:1])} endete mit {code}:\n{text[-2000:]}")


def _remove(folder: Path) -> None:
    for path in sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.is_dir() and not path.is_symlink():
            path.rmdir()
        else:
            path.unlink()
    folder.rmdir()


def inputs(seed: int, count: int | None, large: bool, corpus: Corpus) -> Iterator[Input]:
    """The generated inputs of a run: reproducible from ``seed``; input ``i`` depends only on
    ``seed`` and ``i``, so a defect found in a long run can be generated again alone."""
    i = 0
    while count is None or i < count:
        yield generate(seed, i, large, corpus)
        i += 1


def generate(seed: int, index: int, large: bool, corpus: Corpus) -> Input:
    rng = random.Random(f"{seed}:{index}")
    kind = rng.choices(KINDS, WEIGHTS)[0]
    return GENERATORS[kind](rng, corpus, large)


def save_defect(folder: Path, seed: int, index: int, item: Input, outcome: Outcome) -> None:
    target = folder / f"{item.kind}-{seed}-{index}"
    target.mkdir(parents=True, exist_ok=True)
    for name, content in item.files.items():
        path = target / "eingabe" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content[: 64 * 1024 * 1024])
    (target / "ergebnis.txt").write_text(
        f"{item.description}\n{item.extra}\n{outcome.detail}\n", encoding="utf-8"
    )


# ---- the long run --------------------------------------------------------------------------


def _worker(
    args: tuple[int, int, int, bool, str, str],
) -> tuple[Counter[str], list[tuple[int, str, str, str]], float]:
    seed, start, stop, large, scratch, defects = args
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000))
    runner = _runner(Path(scratch))
    counts: Counter[str] = Counter()
    found: list[tuple[int, str, str, str]] = []
    slowest = 0.0
    for index in range(start, stop):
        item = generate(seed, index, large, runner.corpus)
        outcome = runner.run(item)
        counts[f"{item.kind}:{outcome.status}"] += 1
        slowest = max(slowest, outcome.seconds)
        if outcome.defect:
            found.append((index, item.kind, item.description, outcome.detail[:4000]))
            if defects:
                save_defect(Path(defects), seed, index, item, outcome)
    return counts, found, slowest


_RUNNERS: dict[str, Runner] = {}


def _runner(scratch: Path) -> Runner:
    key = f"{os.getpid()}:{scratch}"
    if key not in _RUNNERS:
        folder = Path(tempfile.mkdtemp(prefix="fuzz-", dir=scratch))
        _RUNNERS[key] = Runner(folder)
    return _RUNNERS[key]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fuzz the library with hostile and broken inputs.")
    parser.add_argument("--inputs", type=int, default=10_000, help="how many inputs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--chunk", type=int, default=500, help="inputs per work unit")
    parser.add_argument(
        "--large", action="store_true", help="now and then huge inputs (up to 50 MB)"
    )
    parser.add_argument(
        "--defects", metavar="DIR", default="", help="write every defect's input here"
    )
    args = parser.parse_args(argv)

    os.environ["TEILHABE_RULES_CACHE"] = "aus"  # generated rule files must not fill a cache
    # the inputs' files live in memory where the system has a tmpfs (a disk's directory
    # operations would cost more than most inputs)
    shm = Path("/dev/shm")
    scratch = Path(
        tempfile.mkdtemp(
            prefix="teilhabe-fuzz-", dir=shm if shm.is_dir() and os.access(shm, os.W_OK) else None
        )
    )
    units = [
        (
            args.seed,
            start,
            min(start + args.chunk, args.inputs),
            args.large,
            str(scratch),
            args.defects,
        )
        for start in range(0, args.inputs, args.chunk)
    ]
    totals: Counter[str] = Counter()
    defects: list[tuple[int, str, str, str]] = []
    slowest = 0.0
    started = time.perf_counter()
    done = 0
    with multiprocessing.get_context("fork").Pool(args.jobs, maxtasksperchild=20) as pool:
        for counts, found, slow in pool.imap_unordered(_worker, units):
            totals.update(counts)
            defects.extend(found)
            slowest = max(slowest, slow)
            done += sum(counts.values())
            elapsed = time.perf_counter() - started
            print(
                f"{done:>9,} Eingaben  {elapsed:7.0f} s  {done / elapsed:6.0f}/s  Defekte: {len(defects)}",
                flush=True,
            )
    elapsed = time.perf_counter() - started
    print()
    print(
        f"Eingaben: {done:,} in {elapsed:.0f} s "
        f"(Startwert {args.seed}, {args.jobs} Prozesse, langsamste {slowest:.2f} s)"
    )
    for kind in KINDS:
        parts = {status: totals[f"{kind}:{status}"] for status in ("erfolg", "verortet", "defekt")}
        print(
            f"  {kind:<13} {sum(parts.values()):>9,}  erfolg {parts['erfolg']:>9,}  "
            f"verortet {parts['verortet']:>9,}  andere {parts['defekt']:>6,}"
        )
    print(f"Andere Ausgänge als Erfolg oder verorteter Fehler: {len(defects)}")
    for index, kind, description, detail in sorted(defects)[:50]:
        print(f"\n--- {kind} #{index}: {description}\n{detail[:1500]}")
    return 1 if defects else 0


if __name__ == "__main__":
    sys.exit(main())
