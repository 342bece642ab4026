"""The command line: ``teilhabe-rules check | eval | test | modelle | diff | compare | generate``.

Takes: ``argv``. Gives: an exit code — :data:`EXIT_OK` (0), :data:`EXIT_FINDINGS` (1: errors in
the input — rule file, case or agreement — or failing examples), :data:`EXIT_USAGE` (2: bad
command line), :data:`EXIT_INTERNAL` (3: a defect of the library itself, reported in one line). Bad input never shows a traceback: every library error is printed
compiler-style, or as JSON with ``--format json``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from .errors import TeilhabeError

__all__ = ["EXIT_FINDINGS", "EXIT_INTERNAL", "EXIT_OK", "EXIT_USAGE", "main"]

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # type: ignore[override]
        raise _UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="teilhabe-rules", description="Tarifmodelle der Eingliederungshilfe prüfen, auswerten und testen.")
    sub = parser.add_subparsers(dest="command", metavar="BEFEHL")
    check = sub.add_parser("check", help="Regeldateien prüfen")
    check.add_argument("files", nargs="+", metavar="DATEI")
    check.add_argument("--format", choices=("text", "json"), default="text")
    ev = sub.add_parser("eval", help="einen Fall auswerten")
    ev.add_argument("model", metavar="MODELL", help="Regeldatei oder Name eines mitgelieferten Modells")
    ev.add_argument("case", metavar="FALL", help="Falldatei (TOML oder JSON)")
    ev.add_argument("--agreement", "--vereinbarung", metavar="DATEI")
    ev.add_argument("--format", choices=("text", "json"), default="text")
    ev.add_argument("--explain", "--erklären", action="store_true", help="jede Zahl mit ihrer Herleitung")
    ev.add_argument("--at", "--stichtag", metavar="DATUM", help="Stichtag (JJJJ-MM-TT); Standard: das Datum des Falls")
    test = sub.add_parser("test", help="die Beispiele (mit --properties auch Eigenschaften und Invarianten) der Modelle prüfen")
    test.add_argument("models", nargs="+", metavar="MODELL")
    test.add_argument("--format", choices=("text", "json"), default="text")
    test.add_argument("--properties", "--eigenschaften", action="store_true",
                      help="auch die Eigenschaften und die allgemeinen Invarianten mit erzeugten Fällen prüfen")
    test.add_argument("--examples-count", "--anzahl", type=int, metavar="N",
                      help="erzeugte Fälle je Eigenschaft (Standard 50; schließt --properties ein)")
    test.add_argument("--seed", type=int, metavar="S", help="Startwert der Erzeugung (Standard 0; schließt --properties ein)")
    test.add_argument("--counterexamples", "--gegenbeispiele", metavar="VERZEICHNIS",
                      help="wohin Gegenbeispiele geschrieben werden (Standard: aktuelles Verzeichnis)")
    test.add_argument("--coverage", "--abdeckung", action="store_true",
                      help="welche Korridorbänder, Tabellenzeilen und Stufen die Beispiele erreichen")
    sub.add_parser("modelle", help="die mitgelieferten Modelle auflisten")
    diff = sub.add_parser("diff", help="zwei Modellversionen inhaltlich vergleichen")
    diff.add_argument("old", metavar="ALT", help="Regeldatei oder Name eines mitgelieferten Modells")
    diff.add_argument("new", metavar="NEU", help="Regeldatei oder Name eines mitgelieferten Modells")
    diff.add_argument("--format", choices=("text", "json"), default="text")
    cmp = sub.add_parser("compare", help="eine Population unter zwei Modellversionen auswerten (Budgetvergleich)")
    cmp.add_argument("old", metavar="ALT", help="Regeldatei oder Name eines mitgelieferten Modells")
    cmp.add_argument("new", metavar="NEU", help="Regeldatei oder Name eines mitgelieferten Modells")
    cmp.add_argument("cases", metavar="FÄLLE", help="Verzeichnis von TOML-Fällen, JSON-Lines-Datei (.jsonl) oder CSV-Datei (.csv)")
    cmp.add_argument("--out", "--ausgabe", metavar="DATEI", help="Abweichungen je Fall als .csv oder .jsonl")
    cmp.add_argument("--summary", "--zusammenfassung", metavar="DATEI", help="Zusammenfassung als JSON-Datei")
    cmp.add_argument("--agreement-old", "--vereinbarung-alt", metavar="DATEI")
    cmp.add_argument("--agreement-new", "--vereinbarung-neu", metavar="DATEI")
    cmp.add_argument("--at", "--stichtag", metavar="DATUM", help="Stichtag für beide Versionen; Standard: das Datum jedes Falls")
    cmp.add_argument("--at-old", "--stichtag-alt", metavar="DATUM", help="Stichtag für die alte Version")
    cmp.add_argument("--at-new", "--stichtag-neu", metavar="DATUM", help="Stichtag für die neue Version")
    cmp.add_argument("--values", "--werte", metavar="AUSWAHL",
                     help="verglichene Werte: alle, keine oder Namen mit Komma (Standard: Stunden, VK und Geld der obersten Ebene)")
    cmp.add_argument("--budget", metavar="PFAD", help="der Wert, der das Budget eines Falls ist (Standard: „budget“ im Modellkopf)")
    cmp.add_argument("--format", choices=("text", "json"), default="text", help="Format der Zusammenfassung auf der Standardausgabe")
    gen = sub.add_parser("generate", help="eine synthetische Population erzeugen (reproduzierbar je Startwert)")
    gen.add_argument("model", metavar="MODELL", help="Regeldatei oder Name eines mitgelieferten Modells")
    gen.add_argument("-n", type=int, required=True, metavar="N", help="Zahl der Fälle")
    gen.add_argument("--seed", type=int, default=0, metavar="S", help="Startwert (Standard 0)")
    gen.add_argument("--out", "--ausgabe", metavar="ZIEL", help="Verzeichnis (TOML-Dateien) oder .jsonl-Datei; Standard: JSON Lines auf die Standardausgabe")
    gen.add_argument("--split", "--je", metavar="LISTE",
                     help="ein Fall je Element dieser Liste der obersten Ebene (MAWo: --split bewohner ergibt Personenfälle)")
    conv = sub.add_parser("umstellen", help="einen BEI_NRW-2.0-Fall in einen 3.0-Fall umstellen (Kapitel → Bereich)")
    conv.add_argument("case", metavar="FALL", help="Falldatei nach BEI_NRW 2.0")
    conv.add_argument("--erstellt-am", required=True, metavar="DATUM", help="Erstellungsdatum der 3.0-Fortschreibung")
    conv.add_argument("--wohnform", required=True, metavar="WOHNFORM", help="geplante Wohnform (in 2.0 nicht erfasst)")
    conv.add_argument("--beginn", metavar="DATUM", help="Beginn des neuen Zeitraums (Standard: wie in 2.0)")
    conv.add_argument("--ende", metavar="DATUM", help="Ende des neuen Zeitraums (Standard: wie in 2.0)")
    conv.add_argument("--out", "--ausgabe", metavar="DATEI", help="TOML-Datei; Standard: die Standardausgabe")
    return parser


def _cmd_convert(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .conversions import bei_nrw_2_to_3
    from .toml_writer import dumps

    created = _date(args.erstellt_am)
    start = _date(args.beginn) if args.beginn else None
    end = _date(args.ende) if args.ende else None
    try:
        case = bei_nrw_2_to_3(args.case, erstellt_am=created, wohnform=args.wohnform, zeitraum_beginn=start, zeitraum_ende=end)
    except TeilhabeError as exc:
        err.write(exc.render() + "\n")
        return EXIT_FINDINGS
    text = dumps(case, header=f"BEI_NRW 3.0 – umgestellt aus {args.case} (Kapitel → Bereich nach bereich_je_kapitel)")
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        out.write(text)
    return EXIT_OK


def _model(name: str) -> Any:
    from .model import load
    from .registry import bundled, model_path

    if Path(name).exists() or name.endswith(".rules"):
        return load(name)
    model_path(name)
    return bundled(name)


def _date(text: str) -> _dt.date:
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return _dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise _UsageError(f"--at: „{text}“ ist kein Datum (JJJJ-MM-TT oder TT.MM.JJJJ)")


def _print_error(exc: TeilhabeError, fmt: str, out: TextIO, err: TextIO) -> None:
    if fmt == "json":
        out.write(json.dumps({"ok": False, "fehler": exc.to_dict()}, ensure_ascii=False, indent=2) + "\n")
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
            out.write(f"{file}: in Ordnung ({len(model.checked.nodes)} Regeln, {len(model.checked.examples)} Beispiele"
                      f"{', ' + str(len(model.warnings)) + ' Warnungen' if model.warnings else ''})\n")
    if args.format == "json":
        out.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    return status


def _cmd_eval(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    at = _date(args.at) if args.at else None
    try:
        model = _model(args.model)
        result = model.evaluate(args.case, args.agreement, explain=args.explain, at=at)
    except TeilhabeError as exc:
        _print_error(exc, args.format, out, err)
        return EXIT_FINDINGS
    if args.format == "json":
        data = {"ok": True, **result.to_dict()}
        out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(result.render_text(explain=args.explain))
    return EXIT_OK


def _test_properties(model: Any, args: argparse.Namespace, out: TextIO, report: list[dict[str, Any]]) -> tuple[int, int]:
    """``test --properties``: declared properties and generic invariants; (passed, failed)."""
    from .properties import DEFAULT_EXAMPLES, keep_hypothesis_files_in_cache, property_checks, run_property

    keep_hypothesis_files_in_cache()
    passed = failed = 0
    for check in property_checks(model):
        outcome = run_property(check, max_examples=args.examples_count or DEFAULT_EXAMPLES, seed=args.seed or 0,
                               counterexample_dir=args.counterexamples or ".")
        report.append(outcome.to_dict())
        if outcome.passed:
            passed += 1
            if args.format == "text":
                out.write(f"ok      {outcome.id}  ({outcome.examples} Fälle)\n")
            continue
        failed += 1
        if args.format == "text":
            out.write(f"FEHLER  {outcome.id}  [{outcome.location}]\n        {outcome.title}\n")
            out.write("        " + (outcome.message or "").replace("\n", "\n        ") + "\n")
            if outcome.counterexample_toml is not None:
                out.write("        Gegenbeispiel als Falldatei:\n")
                out.write("".join(f"          {line}\n" if line else "\n" for line in outcome.counterexample_toml.splitlines()))
            if outcome.counterexample_file is not None:
                out.write(f"        Gegenbeispiel: {outcome.counterexample_file}\n")
    return passed, failed


def _cmd_test(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .testing import run_examples

    properties = args.properties or args.examples_count is not None or args.seed is not None or args.counterexamples is not None
    if properties:
        try:
            import hypothesis  # noqa: F401
        except ImportError:
            err.write("teilhabe-rules: --properties braucht das Paket hypothesis (pip install hypothesis)\n")
            return EXIT_USAGE
    if args.examples_count is not None and args.examples_count < 1:
        raise _UsageError("--examples-count: mindestens 1")
    property_report: list[dict[str, Any]] = []
    coverage_report: list[dict[str, Any]] = []

    status = EXIT_OK
    report = []
    passed = failed = 0
    for name in args.models:
        try:
            model = _model(name)
        except TeilhabeError as exc:
            _print_error(exc, args.format, out, err)
            status = EXIT_FINDINGS
            continue
        for outcome in run_examples(model):
            report.append({"id": outcome.id, "ok": outcome.passed, "ort": outcome.location, "fehler": list(outcome.failures)})
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
            from .example_coverage import example_coverage

            coverage = example_coverage(model)
            coverage_report.append(coverage.to_dict())
            if args.format == "text":
                out.write(coverage.render_text())
    if args.format == "json":
        data: dict[str, Any] = {"bestanden": passed, "fehlgeschlagen": failed, "beispiele": report}
        if properties:
            data["eigenschaften"] = property_report
        if args.coverage:
            data["abdeckung"] = coverage_report
        out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(f"{passed} passed, {failed} failed\n")
    return status


def _cmd_models(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .registry import bundled_models

    for m in bundled_models():
        family = f"Familie {m.family}" if m.family else ""
        base = f", erweitert {m.extends}" if m.extends else ""
        out.write(f"{m.name:<12} {m.version or '':<8} {m.validity_text():<36} {family + base:<28} {m.title}\n")
    return EXIT_OK


def _cmd_diff(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .diff import diff_models

    try:
        old, new = _model(args.old), _model(args.new)
    except TeilhabeError as exc:
        _print_error(exc, args.format, out, err)
        return EXIT_FINDINGS
    result = diff_models(old.checked, new.checked)
    if args.format == "json":
        out.write(json.dumps({"ok": True, **result.to_dict()}, ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(result.render_text())
    return EXIT_OK


def _cmd_compare(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .compare import compare

    at = _date(args.at) if args.at else None
    at_old = _date(args.at_old) if args.at_old else at
    at_new = _date(args.at_new) if args.at_new else at
    try:
        old, new = _model(args.old), _model(args.new)
        summary = compare(old, new, args.cases, out=args.out, agreement_old=args.agreement_old, agreement_new=args.agreement_new,
                          at_old=at_old, at_new=at_new, values=args.values, budget=args.budget, progress=err)
    except TeilhabeError as exc:
        _print_error(exc, args.format, out, err)
        return EXIT_FINDINGS
    data = summary.to_dict()
    if args.summary:
        try:
            Path(args.summary).write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            err.write(f"teilhabe-rules: die Zusammenfassung lässt sich nicht schreiben: {exc.strerror or exc}\n")
            return EXIT_FINDINGS
    if args.format == "json":
        out.write(json.dumps({"ok": True, **data}, ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(summary.render_text())
    return EXIT_FINDINGS if summary.errors else EXIT_OK


def _cmd_generate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .compare import generate_population

    if args.n < 0:
        raise _UsageError("-n: eine Zahl ab 0")
    try:
        model = _model(args.model)
        written = generate_population(model, args.n, args.seed, args.out if args.out else out, split=args.split)
    except TeilhabeError as exc:
        _print_error(exc, "text", out, err)
        return EXIT_FINDINGS
    except BrokenPipeError:  # the reader of the standard output stopped early (… | head)
        return EXIT_OK
    if args.out:
        out.write(f"{written} Fälle von „{model.name}“ (Startwert {args.seed}) geschrieben: {args.out}\n")
    return EXIT_OK


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the CLI; returns the exit code (never raises for bad input)."""
    out = out or sys.stdout
    err = err or sys.stderr
    parser = _parser()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):  # --help goes to ``out``
            args = parser.parse_args(list(argv) if argv is not None else None)
        if args.command is None:
            parser.print_help(out)
            return EXIT_USAGE
        command = {"check": _cmd_check, "eval": _cmd_eval, "test": _cmd_test, "modelle": _cmd_models, "diff": _cmd_diff,
                   "compare": _cmd_compare, "generate": _cmd_generate, "umstellen": _cmd_convert}[args.command]
        return command(args, out, err)
    except _UsageError as exc:
        err.write(f"teilhabe-rules: {exc}\n")
        err.write(parser.format_usage())
        return EXIT_USAGE
    except TeilhabeError as exc:
        err.write(exc.render() + "\n")
        return EXIT_FINDINGS
    except SystemExit as exc:  # --help
        return int(exc.code or 0) if isinstance(exc.code, int) else EXIT_OK
    except Exception as exc:  # noqa: BLE001 - last resort: an internal error is reported, not dumped
        err.write(f"teilhabe-rules: interner Fehler ({type(exc).__name__}: {exc}) — bitte mit der Eingabe melden\n")
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
