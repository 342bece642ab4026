"""Generated MAWo person populations: the columnar generator against the hypothesis sampler.

Run: ``python benchmarks/bench_generate.py [-n 1000000] [--small 2000] [--seed 1]``
(from the checkout, with the package installed).

Writes ``n`` MAWo person cases (``generate mawo --split bewohner``) with the columnar generator
(:func:`teilhabe_rules.tools.generate.write_population`) to Parquet and to JSON Lines, and
``--small`` cases with the hypothesis sampler (``--verfahren hypothesis``, JSON Lines) beside
them. Prints persons per second (wall clock, the DuckDB threads included; the process's CPU
seconds beside), the ratio to the target of 100,000 persons/s, and the speed-up over the sampler.
Every figure is printed; nothing is asserted (the machine is shared: read them as an order of
magnitude).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

TARGET = 100_000  # persons per second


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(run: object, n: int) -> tuple[float, float]:
    """(persons per second wall, persons per CPU second) of ``run()``."""
    assert callable(run)
    wall, used = time.perf_counter(), cpu()
    run()
    return n / (time.perf_counter() - wall), n / max(cpu() - used, 1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=2_000, help="cases for the hypothesis sampler")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    import teilhabe_rules
    from teilhabe_rules.tools.compare import generate_population
    from teilhabe_rules.tools.generate import write_population

    model = teilhabe_rules.bundled("mawo")
    with tempfile.TemporaryDirectory() as folder:
        write_population(model, 100, args.seed, Path(folder) / "warm.parquet", split="bewohner")  # the analysis
        print(f"MAWo persons, seed {args.seed}; target {TARGET:,} persons/s")
        for fmt in ("parquet", "jsonl"):
            path = Path(folder) / f"personen.{fmt}"
            rate, per_cpu = timed(lambda p=path: write_population(model, args.n, args.seed, p, split="bewohner"),
                                  args.n)
            size = path.stat().st_size / 2**20
            print(f"  columnar → {fmt:<8} {args.n:>10,} persons  {rate:>10,.0f} persons/s  "
                  f"({per_cpu:,.0f} per CPU second)  ×{rate / TARGET:.2f} of the target  {size:,.0f} MiB")
            if fmt == "jsonl":
                columnar = rate
        path = Path(folder) / "hypothesis.jsonl"
        rate, per_cpu = timed(lambda: generate_population(model, args.small, args.seed, path, split="bewohner",
                                                          method="hypothesis"), args.small)
        print(f"  hypothesis → jsonl {args.small:>10,} persons  {rate:>10,.0f} persons/s  "
              f"({per_cpu:,.0f} per CPU second)  ×{rate / TARGET:.4f} of the target")
        print(f"  columnar JSON Lines / hypothesis: ×{columnar / rate:,.0f}")


if __name__ == "__main__":
    main()
