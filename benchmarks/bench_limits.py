"""How fast hostile input is rejected, and how evaluation grows with the number of list elements.

Run: ``python benchmarks/bench_limits.py`` (from the checkout, with the package installed).

Part 1 times each adversarial rule file from text to the located error (each target
1 s, for inputs up to 50 MB), through ``teilhabe_rules.loads`` — file size, nesting, chains,
wide expressions, huge words, texts and numbers, and a limit passed at the end of a file just
under the size limit (the worst case: the whole file is parsed first).

Part 2 evaluates a small model of residents without ``höchstens`` (aggregates inside the list
elements: a share of the total, a count, ``vorher``) for 100, 1,000 and 10,000 residents, and a
copy of BEI_NRW 3.0 with its list bounds raised for many Zeitabschnitte, Maßnahmen and months;
it prints each time and the ratio to the previous size (linear: about 10 for ten times as many).
The machine is shared: read the figures as orders of magnitude.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HEAD = 'modell m "M"\n  version "1"\n  gültig ab 01.01.2024\nende\n'


def seconds(fn: Callable[[], Any], repeat: int = 3) -> float:
    """Median seconds of ``fn()`` over ``repeat`` runs."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def adversarial() -> list[tuple[str, str]]:
    from teilhabe_rules.limits import MAX_RULE_FILE_CHARS as CAP

    filler = "".join(f"wert w{i} = {i} EUR\n" for i in range(CAP // 10))
    filler = filler[: filler.rindex("\n", 0, CAP - len(HEAD) - 1000) + 1]
    most = f"{CAP / 1e6:g} MB"
    a = HEAD + "eingabe a: zahl\nwert x = "
    tables, deep = 830_000, CAP // 6 - 100
    return [
        ("50 MB Zeilen", HEAD + "wert x = 1\n" * 4_600_000),
        ("5 MB verschachtelte Inline-Tabellen",
         HEAD + "vorlage v\n  x = " + "{a = " * tables + "1" + "}" * tables + "\nende\n"),
        (f"{most} verschachtelte Inline-Tabellen",
         HEAD + "vorlage v\n  x = " + "{a = " * deep + "1" + "}" * deep + "\nende\n"),
        ("5 MB Klammern", HEAD + "wert x = " + "(" * 2_500_000 + "1" + ")" * 2_500_000 + "\n"),
        (f"{most} Vorzeichen - - - … a", a + "- " * (CAP // 2 - 100) + "a\n"),
        ("Kette aus 10⁴ Gliedern a + a + …", a + "a" + " + a" * 10_000 + "\n"),
        ("Kette aus 10⁵ Gliedern a + a + …", a + "a" + " + a" * 100_000 + "\n"),
        ("max(a, a, …) mit 10⁵ Argumenten", a + "max(a" + ", a" * 100_000 + ")\n"),
        ("Wort aus 200.000 Zeichen (als Schlüsselwort)", HEAD + "x" * 200_000 + " = 1\n"),
        ("Wort aus 200.000 Zeichen (als Name)", a + "b" * 200_000 + "\n"),
        ("Text aus 400.000 Zeichen", HEAD + 'wert x = "' + "x" * 400_000 + '"\n'),
        ("Zahl aus 400.000 Ziffern", HEAD + "wert x = " + "9" * 400_000 + "\n"),
        (f"Grenze am Ende von {most} gültigem Text", HEAD + filler + "wert z = 1" + " +1" * 200 + "\n"),
        (f"Syntaxfehler am Ende von {most} gültigem Text", HEAD + filler + "wert z = = 1\n"),
    ]


def residents_model() -> Any:
    import teilhabe_rules

    return teilhabe_rules.loads(HEAD + """\
parameter satz: EUR/h = 10 EUR/h
liste bewohner
  eingabe stunden: zahl h/Jahr von 0 bis 1000
  wert kosten: EUR/Jahr = stunden * satz
  wert anteil = kosten / summe(bewohner.kosten)
  wert teurere = anzahl(bewohner wo kosten > 5000 EUR/Jahr)
  wert bis_hier: EUR/Jahr = wenn position = 1 dann kosten sonst vorher.kosten + kosten
  prüfung "Bewohner {position}: zu viele Stunden": stunden <= 1000 h/Jahr
ende
wert gesamt: EUR/Jahr = summe(bewohner.kosten)
""", "bewohner.rules")


def bei_nrw3_large(tmp: Path) -> tuple[Any, Callable[[int, int, int], dict[str, Any]]]:
    import teilhabe_rules
    from teilhabe_rules.inputs.cases import read_data

    text = (ROOT / "models/bei_nrw3.rules").read_text("utf-8")
    for bound in ("1 höchstens 3", "0 höchstens 30", "0 höchstens 24"):
        low = bound.split()[0]
        text = text.replace(f"mindestens {bound}", f"mindestens {low} höchstens 100000")
    path = tmp / "bei_nrw3_gross.rules"
    path.write_text(text, "utf-8")
    model = teilhabe_rules.load(path)
    base = read_data(ROOT / "examples/bei_nrw3/altsystem_lt_hbg.toml")

    def case(days: int, per_day: int, months: int) -> dict[str, Any]:
        data: dict[str, Any] = copy.deepcopy(base)
        start = dt.date(2026, 1, 1)
        data["zeitraum_beginn"], data["zeitraum_ende"] = start, start + dt.timedelta(days=days - 1)
        data["zeitabschnitte"] = [
            {"beginn": start + dt.timedelta(days=i), "schluss": start + dt.timedelta(days=i),
             "massnahmen": [{"bezeichnung": f"m{j}", "bereich": "b1", "art": "qa", "stunden": 1}
                            for j in range(per_day)]}
            for i in range(days)
        ]
        data["abrechnungsmonate"] = [
            {"abrechnungsjahr": 2026 + k // 12, "abrechnungsmonat": k % 12 + 1,
             "anwesenheitstage": 20, "abwesenheitstage": 0, "tagesstrukturtage": 10}
            for k in range(months)
        ]
        return data

    return model, case


def main() -> None:
    import tempfile

    import teilhabe_rules
    from teilhabe_rules.syntax.builder import fast_parser

    fast_parser()  # the parser is built (or loaded) once per process; not part of the figures
    print("Abweisung feindlicher Regeldateien (Ziel ≤ 1000 ms)")
    for label, text in adversarial():
        def reject(text: str = text, label: str = label) -> str:
            try:
                teilhabe_rules.loads(text, "feindlich.rules")
            except teilhabe_rules.TeilhabeError as exc:
                return exc.diagnostics[0].message
            raise AssertionError(f"{label}: not rejected")

        message = reject()
        taken = seconds(reject) * 1000
        verdict = "ok" if taken <= 1000 else "ÜBER ZIEL"
        size = f"{len(text) / 1e6:6.2f} MB"
        print(f"  {label:<46} {size}  {taken:8.1f} ms  {verdict:<9}  {message[:60]}")

    print("\nAuswertung mit vielen Bewohnern (linear: Verhältnis etwa 10; Ziel 10.000 ≤ 10 s)")
    model = residents_model()
    previous = None
    for count in (100, 1_000, 10_000):
        case = {"bewohner": [{"stunden": i % 1000 + 1} for i in range(count)]}
        for explain in (False, True):
            def run(case: dict[str, Any] = case, explain: bool = explain) -> None:
                model.evaluate(case, explain=explain).to_dict()

            taken = seconds(run)
            if not explain:
                ratio = f"Verhältnis {taken / previous:5.1f}" if previous else ""
                previous = taken
            label = f"{count:>6} Bewohner{' mit Erklärungen' if explain else ''}"
            print(f"  {label:<46} {taken * 1000:10.1f} ms  {ratio if not explain else ''}")

    print("\nBEI_NRW 3.0 mit vielen Zeitabschnitten, Maßnahmen und Monaten "
          "(Listengrenzen angehoben)")
    with tempfile.TemporaryDirectory() as tmp:
        bei, case_of = bei_nrw3_large(Path(tmp))
        previous = None
        for days, per_day, months in ((7, 14, 9), (70, 14, 90), (700, 14, 900)):
            case = case_of(days, per_day, months)
            def run_bei(case: dict[str, Any] = case) -> None:
                bei.evaluate(case).to_dict()

            taken = seconds(run_bei)
            ratio = f"Verhältnis {taken / previous:5.1f}" if previous else ""
            previous = taken
            label = f"{days} Zeitabschnitte, {days * per_day} Maßnahmen, {months} Monate"
            print(f"  {label:<46} {taken * 1000:10.1f} ms  {ratio}")


if __name__ == "__main__":
    argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0]).parse_args()
    main()
