"""Budget comparison of MAWo person populations under two versions, columnar and scalar backend.

Run: ``python benchmarks/bench_compare.py [--n 100000] [--n-parquet 1000000] [--n-scalar 10000]
[--pool 2000] [--seed 1] [--keep DIR]`` (from the checkout, with the package importable).

1. A pool of ``--pool`` distinct generated persons (:func:`~teilhabe_rules.tools.strategies.sample_cases`
   of ``mawo_2025``, each resident of a generated offer a case of its own) is repeated to the
   JSON Lines population of ``--n`` persons; the Parquet population of ``--n-parquet`` persons is
   ``generate mawo_2025 -n N --split bewohner --seed S`` (nested STRUCT and list columns, the
   layout DuckDB stages in SQL: :func:`~teilhabe_rules.columnar.intake.stage_parquet`).
2. ``compare mawo → mawo_2025`` (stichtag 01.07.2024 / 01.07.2025) runs in a fresh process each,
   which reports its wall time and its peak memory (``VmHWM`` of ``/proc/self/status``). Byte
   code is written and used, as in an installed package (whatever ``PYTHONDONTWRITEBYTECODE``
   says), after one warm-up run over the small JSON Lines file:
   - JSON Lines, ``--n`` persons, columnar backend, summary only — target ≤ 5 s;
   - Parquet, ``--n-parquet`` persons, columnar backend, summary only — target ≤ 10 s and ≤ 2 GiB;
   - Parquet in and out: the same with the rows per case written as Parquet (``--out
     zeilen.parquet``, by DuckDB from the plan's tables), once with the levels and the budget
     (``--werte keine``) and once with the default values (hours, VK and money of the top level:
     each version's plan then computes those too) — target ≤ 10 s and ≤ 2 GiB; beside each, the
     time DuckDB alone takes to write the same rows from a table (:func:`write_floor`), and the
     scalar run writes the default rows as Parquet;
   - beside each, the scalar backend over the first ``--n-scalar`` persons of the same file.

Each line prints persons per second, the time, the peak memory and, for a target, the ratio of
the figure to it (≤ 1: met). The 1,000,000-person run is done once per call; the machine is
shared, so read the figures as an order of magnitude.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

AT_OLD, AT_NEW = "2024-07-01", "2025-07-01"
TARGET_JSONL = (100_000, 5.0)  # persons, seconds
TARGET_PARQUET = (1_000_000, 10.0)
TARGET_RSS = 2 * 1024**3  # bytes


def pool(size: int, seed: int) -> list[dict[str, Any]]:
    import teilhabe_rules
    from teilhabe_rules.tools.strategies import sample_cases

    model = teilhabe_rules.bundled("mawo_2025")
    persons: list[dict[str, Any]] = []
    for case in sample_cases(model, size, seed):
        for element in case.get("bewohner") or ():
            persons.append({**case, "bewohner": [element]})
            if len(persons) == size:
                return persons
    return persons


def repeated(persons: list[dict[str, Any]], n: int) -> Iterator[dict[str, Any]]:
    return itertools.islice(itertools.cycle(persons), n)


def write_jsonl(path: Path, persons: list[dict[str, Any]], n: int) -> None:
    lines = [json.dumps(p, ensure_ascii=False, default=str) + "\n" for p in persons]
    with path.open("w", encoding="utf-8") as out:
        for number in range(n):
            out.write(lines[number % len(lines)])


def write_parquet(path: Path, n: int, seed: int) -> None:
    """``generate mawo_2025 -n n --split bewohner --seed seed --out path`` (persons, nested columns)."""
    import teilhabe_rules
    from teilhabe_rules.tools.generate import write_population

    write_population(teilhabe_rules.bundled("mawo_2025"), n, seed, path, split="bewohner")


def child(population: str, backend: str, out: str, values: str) -> None:
    """One comparison in this (fresh) process; prints its figures as JSON."""
    import datetime as dt

    import teilhabe_rules
    from teilhabe_rules.tools.compare import compare

    old, new = teilhabe_rules.bundled("mawo"), teilhabe_rules.bundled("mawo_2025")
    start = time.perf_counter()
    summary = compare(old, new, population, out=out or None, backend=backend, values=values or None,
                      at_old=dt.date.fromisoformat(AT_OLD), at_new=dt.date.fromisoformat(AT_NEW))
    seconds = time.perf_counter() - start
    peak = 0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            peak = int(line.split()[1]) * 1024
    print(json.dumps({"rows": summary.rows, "errors": summary.errors, "seconds": seconds, "peak": peak,
                      "backend": summary.backend, "notes": summary.notes,
                      "difference": str(summary.difference)}))


def run_child(population: Path, backend: str, out: Path | None, values: str = "") -> dict[str, Any]:
    """One comparison in a new process. Byte code is written and used as in an installed package,
    whatever ``PYTHONDONTWRITEBYTECODE`` says: otherwise each child compiles sqlglot's and the
    package's modules again (~1.5 s of the figure), which no installed copy does."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run([sys.executable, __file__, "--child", str(population), backend, str(out or ""), values],
                          capture_output=True, text=True, check=False, env=env)
    if done.returncode:
        raise SystemExit(done.stderr)
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def write_floor(rows: Path, copy: Path) -> float:
    """Seconds DuckDB alone takes to write the rows per case of ``rows`` — loaded into a table of
    a connection with the library's settings (memory limit, spilling) first, untimed — as Parquet
    to ``copy``: what any run writing those columns pays (a number of the plan's DECIMAL(38, 18) is
    16 bytes, however few its digits)."""
    from sqlglot import exp

    from teilhabe_rules import duck

    con = duck.connect()
    try:
        con.execute("CREATE TABLE zeilen AS SELECT * FROM read_parquet(?)", [str(rows)])
        start = time.perf_counter()
        con.execute(exp.Copy(this=exp.to_table("zeilen"), files=[exp.Literal.string(str(copy))], params=[
            exp.CopyParameter(this=exp.var("FORMAT"), expression=exp.var("parquet"))]).sql("duckdb"))
        return time.perf_counter() - start
    finally:
        con.close()
        copy.unlink(missing_ok=True)


def report(label: str, figures: dict[str, Any], target: tuple[int, float] | None = None) -> None:
    rate = figures["rows"] / figures["seconds"]
    print(f"{label:<52} {figures['rows']:>9} Pers. {figures['seconds']:8.1f} s {rate:9.0f} Pers./s "
          f"Spitze {figures['peak'] / 2**20:7.0f} MiB  Backend {figures['backend']}  Fehler {figures['errors']}")
    for note in figures["notes"]:
        print(f"{'':<52} Hinweis: {note}")
    if target is not None:
        n, seconds = target
        if n == figures["rows"]:
            ratio = figures["seconds"] / seconds
            met = "  ok" if ratio <= 1 else ""
            print(f"{'':<52} Ziel ≤ {seconds:g} s für {n} Pers.: Verhältnis {ratio:.2f}{met}")
        else:  # a smaller run: its rate carried over to the target's size, said so
            ratio = figures["seconds"] * n / figures["rows"] / seconds
            print(f"{'':<52} Ziel ≤ {seconds:g} s für {n} Pers.: nicht gemessen; bei dieser Rate "
                  f"{figures['seconds'] * n / figures['rows']:.0f} s, Verhältnis {ratio:.2f} (hochgerechnet)")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=TARGET_JSONL[0], help="persons of the JSON Lines run")
    parser.add_argument("--n-parquet", type=int, default=TARGET_PARQUET[0], help="persons of the Parquet run")
    parser.add_argument("--n-scalar", type=int, default=10_000, help="persons of the scalar runs beside")
    parser.add_argument("--pool", type=int, default=2_000, help="distinct generated persons, repeated")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", metavar="DIR", help="keep (and reuse) the populations in DIR")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-compare-"))
    folder.mkdir(parents=True, exist_ok=True)
    files = {"jsonl": folder / f"mawo_personen_{args.n}_{args.pool}_{args.seed}.jsonl",
             "parquet": folder / f"mawo_personen_{args.n_parquet}_generiert_{args.seed}.parquet"}
    small = {"jsonl": folder / f"mawo_personen_{args.n_scalar}_{args.pool}_{args.seed}.jsonl",
             "parquet": folder / f"mawo_personen_{args.n_scalar}_generiert_{args.seed}.parquet"}
    if not all(path.exists() for path in (*files.values(), *small.values())):
        start = time.perf_counter()
        persons = pool(args.pool, args.seed)
        for path, n in ((files["jsonl"], args.n), (small["jsonl"], args.n_scalar)):
            if not path.exists():
                write_jsonl(path, persons, n)
        for path, n in ((files["parquet"], args.n_parquet), (small["parquet"], args.n_scalar)):
            if not path.exists():
                write_parquet(path, n, args.seed)
        print(f"Populationen erzeugt ({len(persons)} verschiedene Personen, wiederholt; Parquet generiert): "
              f"{time.perf_counter() - start:.1f} s")
    warm = run_child(small["jsonl"], "spalten", None)  # byte code written: the runs below start as installed
    print(f"Aufwärmen (Byte-Code geschrieben): {warm['rows']} Pers. {warm['seconds']:.1f} s")
    report("compare JSON Lines, Spalten, nur Zusammenfassung", run_child(files["jsonl"], "spalten", None),
           TARGET_JSONL)
    report("compare JSON Lines, skalar, nur Zusammenfassung", run_child(small["jsonl"], "skalar", None))
    big = run_child(files["parquet"], "spalten", None)
    report("compare Parquet, Spalten, Zusammenfassung", big, TARGET_PARQUET)
    ratio = big["peak"] / TARGET_RSS
    measured = "" if big["rows"] == TARGET_PARQUET[0] else f" (gemessen bei {big['rows']} Pers.)"
    print(f"{'':<52} Ziel ≤ 2 GiB Spitze: Verhältnis {ratio:.2f}{measured}")
    for label, values in (("Stufen, Budget", "keine"), ("Standardwerte", "")):
        rows = run_child(files["parquet"], "spalten", folder / "zeilen_spalten.parquet", values)
        report(f"compare Parquet → Zeilen Parquet, Spalten ({label})", rows, TARGET_PARQUET)
        print(f"{'':<52} Ziel ≤ 2 GiB Spitze: Verhältnis {rows['peak'] / TARGET_RSS:.2f}")
        floor = write_floor(folder / "zeilen_spalten.parquet", folder / "zeilen_kopie.parquet")
        print(f"{'':<52} DuckDB allein, dieselben Zeilen aus einer Tabelle geschrieben: {floor:.1f} s "
              f"(Verhältnis compare/Schreiben {rows['seconds'] / floor:.1f})")
    scalar = run_child(small["parquet"], "skalar", None)
    report("compare Parquet, skalar, nur Zusammenfassung", scalar)
    speedup = (big["rows"] / big["seconds"]) / (scalar["rows"] / scalar["seconds"])
    print(f"{'':<52} Spalten/skalar (Pers./s): {speedup:.1f}×")
    report("compare Parquet, skalar, Zeilen als Parquet (Standardwerte)",
           run_child(small["parquet"], "skalar", folder / "zeilen.parquet"))
    print(f"Dateien: {folder}")


if __name__ == "__main__":
    main()
