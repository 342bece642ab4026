"""Budget comparison of 100,000 generated MAWo person cases under two versions, rows to CSV.

Run: ``python benchmarks/bench_compare.py [-n 100000] [--seed 1] [--keep DIR]``
(from the checkout, with the package installed).

1. Generate the population (``teilhabe-rules generate mawo_2025 -n N --split bewohner``) into a
   JSON Lines file — timed separately; with ``--keep DIR`` an existing file is reused.
2. Compare ``mawo`` → ``mawo_2025`` over it with the per-case rows written to CSV, in a fresh
   process each (so that its peak memory is the comparison's own): once over the first tenth of
   the population and once over all of it. Streaming means the peak memory hardly grows with the
   number of cases (the summary keeps 8 bytes per case for the quartiles).

Prints cases per second, the total time and the peak memory (``ru_maxrss``) with the target
(≤ 60 s for 100,000 cases). The machine is shared: read the figures as an order of magnitude.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path
from typing import Any

TARGET_SECONDS = 60.0
TARGET_CASES = 100_000


def generate(path: Path, n: int, seed: int) -> float:
    import teilhabe_rules
    from teilhabe_rules.tools.compare import generate_population

    model = teilhabe_rules.bundled("mawo_2025")
    start = time.perf_counter()
    written = generate_population(model, n, seed, path, split="bewohner")
    seconds = time.perf_counter() - start
    assert written == n, written
    return seconds


def child(population: str, out: str) -> None:
    """Run one comparison and print its figures as JSON (in a fresh process)."""
    import resource

    import teilhabe_rules
    from teilhabe_rules.tools.compare import compare

    old, new = teilhabe_rules.bundled("mawo"), teilhabe_rules.bundled("mawo_2025")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    summary = compare(old, new, population, out=out)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"rows": summary.rows, "evaluated": summary.evaluated, "errors": summary.errors,
                      "seconds": seconds, "peak_kb": peak, "before_kb": before, "children_peak_kb": children,
                      "difference": str(summary.difference)}))


def run_child(population: Path, out: Path) -> dict[str, Any]:
    result = subprocess.run([sys.executable, __file__, "--child", str(population), str(out)],
                            capture_output=True, text=True, check=True)
    figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=TARGET_CASES)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", metavar="DIR", help="keep (and reuse) the generated population in DIR")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1])
        return
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-compare-"))
    folder.mkdir(parents=True, exist_ok=True)
    population = folder / f"mawo_personen_{args.n}_{args.seed}.jsonl"
    if population.exists():
        print(f"Population vorhanden: {population}")
    else:
        seconds = generate(population, args.n, args.seed)
        print(f"{'Population erzeugen':<44} {args.n:>8} Fälle {seconds:8.1f} s   {args.n / seconds:8.0f} Fälle/s")
    tenth = folder / f"mawo_personen_{args.n // 10}_{args.seed}.jsonl"
    with population.open(encoding="utf-8") as source, tenth.open("w", encoding="utf-8") as target:
        target.writelines(islice(source, args.n // 10))
    for path, count in ((tenth, args.n // 10), (population, args.n)):
        figures = run_child(path, folder / f"vergleich_{count}.csv")
        rate = figures["rows"] / figures["seconds"]
        peak_mb = max(figures["peak_kb"], figures["children_peak_kb"]) / 1024
        line = "Vergleich mawo → mawo_2025, Zeilen als CSV"
        print(f"{line:<44} {figures['rows']:>8} Fälle {figures['seconds']:8.1f} s   {rate:8.0f} Fälle/s   "
              f"Spitze {peak_mb:6.1f} MB (vor dem Vergleich {figures['before_kb'] / 1024:.1f} MB)   "
              f"Fehler {figures['errors']}")
        if count == TARGET_CASES:
            ratio = figures["seconds"] / TARGET_SECONDS
            print(f"{'':<44} Ziel ≤ {TARGET_SECONDS:g} s für {TARGET_CASES} Fälle   Verhältnis {ratio:5.2f}  "
                  f"{'ok' if ratio <= 1 else 'ÜBER ZIEL'}")
    print(f"Dateien: {folder}")


if __name__ == "__main__":
    main()
