"""OpenFisca's vectorised throughput on the MAWo person formulas, beside the columnar backend's.

Run: ``python benchmarks/peers/bench_openfisca.py [-n 1000000] [--pool 2000] [--seed 1]`` (from the
checkout, with the package and its ``peers`` extra installed: ``pip install 'teilhabe-rules[peers]'``).
``benchmarks/bench_columnar.py`` prints the same lines after its compute figure.

1. **Pool**: the generated person cases of ``bench_columnar.persons`` (the same seed), loaded; their
   exact figures by ``benchmarks/mawo_hand.py`` (Decimal, equal digit for digit to the model).
2. **OpenFisca**: the system of ``openfisca_mawo.py`` over ``-n`` persons (the pool's input arrays
   repeated), with OpenFisca's default number type ``float32`` and, for comparison, ``float64``:
   persons per second (simulation built, inputs set, every figure of ``FIGURES`` computed; building
   the input arrays from the loaded cases is not timed, as the columnar compute does not time the
   staging), and the persons whose billed figures (day rate, ILB 4 amounts, annual amount,
   Pflegekasse share, net amount) differ from the exact ones in cents.
3. **Columnar**: the plan of ``mawo`` over the same ``-n`` persons in the same run
   (``bench_columnar.compute``), every value of every person, and its ratio to OpenFisca's rate;
   then the plan computing only the figures of :data:`FIGURES` (``bench_columnar.pruned``) and its
   ratio, beside the floor under it: DuckDB alone copying its result tables
   (``bench_columnar.copy_floor``).

The machine is shared: read the figures as an order of magnitude.
"""

from __future__ import annotations

import argparse
import decimal
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
for folder in (HERE, HERE.parent):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

try:  # the extra „peers“ (numpy, openfisca-core): without it, main says so after reading its arguments
    import numpy
    from openfisca_mawo import BILLED, FIGURES, LEVELS, inputs, mawo_system, simulate
except ImportError as missing:
    _MISSING: ImportError | None = missing
else:
    _MISSING = None
from mawo_hand import mawo_person  # noqa: E402

from teilhabe_rules.ir.checked import DECIMAL_CONTEXT  # noqa: E402

LABELS = {"tagessatz": "Tagessatz", "ilb4_budget": "ILB-4-Budget", "ilb4_betrag_ungeplant": "ILB 4 ungeplant",
          "jahresbetrag": "Jahresbetrag", "pflegekasse_43a": "Pflegekasse", "nettobetrag_jahr": "Nettobetrag"}


def exact(model: Any, rows: list[Any]) -> list[dict[str, Any] | None]:
    """The hand-written function's figures of each loaded case (None where the model rejects it)."""
    found: list[dict[str, Any] | None] = []
    with decimal.localcontext(DECIMAL_CONTEXT):
        for row in rows:
            try:
                found.append(mawo_person(row, model.parameters, model.tables))
            except (ValueError, KeyError):
                found.append(None)
    return found


def wrong_in_cents(figures: dict[str, Any], expected: list[dict[str, Any] | None],
                   n: int) -> tuple[int, int, dict[str, int], int]:
    """(persons compared, persons with a billed figure off by a cent or more, such persons by figure,
    persons with a package level other than the exact one); person ``i`` is pool case ``i % len``."""
    valid = numpy.resize(numpy.array([e is not None for e in expected]), n)
    by_figure: dict[str, int] = {}
    wrong = numpy.zeros(n, dtype=bool)
    for name in BILLED:
        cents = numpy.array([0 if e is None else int(e[FIGURES[name]].scaleb(2)) for e in expected], dtype=numpy.int64)
        computed = numpy.rint(numpy.asarray(figures[name], dtype=numpy.float64) * 100)
        off = valid & ~(computed == numpy.resize(cents, n))
        by_figure[name] = int(off.sum())
        wrong |= off
    levels = numpy.zeros(n, dtype=bool)
    for name in LEVELS:
        level = numpy.array([0 if e is None else int(e[FIGURES[name]]) for e in expected], dtype=numpy.int64)
        levels |= valid & (numpy.asarray(figures[name]) != numpy.resize(level, n))
    return int(valid.sum()), int(wrong.sum()), by_figure, int(levels.sum())


def openfisca(model: Any, rows: list[Any], n: int, dtype: Any, expected: list[dict[str, Any] | None]) -> dict[str, Any]:
    """OpenFisca over ``n`` persons of the loaded pool ``rows``: seconds, rate and the persons off by a cent."""
    slots = max(1, *(len(row["bewohner"][0]["massnahmen"]) for row in rows))
    system = mawo_system(model, slots, dtype=dtype)
    arrays = inputs(rows, slots, dtype)
    start = time.perf_counter()
    figures = simulate(system, arrays, n)
    seconds = time.perf_counter() - start
    compared, wrong, by_figure, levels = wrong_in_cents(figures, expected, n)
    return {"seconds": seconds, "rate": n / seconds, "compared": compared, "wrong": wrong, "by_figure": by_figure,
            "levels": levels}


def peer_lines(model: Any, pool: list[dict[str, Any]], n: int, columnar_rate: float) -> list[str]:
    """The lines printed beside the columnar figure: OpenFisca with float32 and float64 over ``n``
    persons of ``pool``, and the columnar rate's ratio to OpenFisca's (float32)."""
    rows = [model.load_case(case).row for case in pool]
    expected = exact(model, rows)
    lines = []
    rates = {}
    for label, dtype in (("float32, Standard", numpy.float32), ("float64", numpy.float64)):
        figures = openfisca(model, rows, n, dtype, expected)
        rates[label] = figures["rate"]
        compared = max(1, figures["compared"])
        parts = ", ".join(f"{LABELS[name]} {count / compared:.1%}" for name, count in figures["by_figure"].items()
                          if count)
        lines.append(f"OpenFisca ({label}): {n:,} Personen in {figures['seconds']:.2f} s = {figures['rate']:,.0f} "
                     f"Personen/s; {figures['wrong']:,} von {figures['compared']:,} Personen "
                     f"({figures['wrong'] / compared:.1%}) mit einem abgerechneten Betrag, der um einen Cent oder "
                     f"mehr abweicht" + (f" ({parts})" if parts else "")
                     + (f"; {figures['levels']:,} mit einer anderen Stufe" if figures["levels"] else ""))
    base = rates["float32, Standard"]
    lines.append(f"Spaltenplan ÷ OpenFisca (float32): {columnar_rate:,.0f} ÷ {base:,.0f} Personen/s = "
                 f"{columnar_rate / base:.2f}× (jeder Wert jeder Person; Ziel: > 1×, exakt)")
    import bench_columnar

    plan, keep = bench_columnar.pruned(model, same_figures())
    seconds, rows, (con, tables) = bench_columnar.compute(model, plan, pool, n, keep)
    floor = bench_columnar.copy_floor(con, tables)
    con.close()
    lines.append(f"  der Spaltenplan nur mit den {len(FIGURES)} Zahlen, die OpenFisca rechnet: {rows / seconds:,.0f} ÷ "
                 f"{base:,.0f} Personen/s = {rows / seconds / base:.2f}×; Boden: dieselben Ergebnistabellen nur "
                 f"kopiert {rows / floor:,.0f} Personen/s = {rows / floor / base:.2f}×")
    return lines


def same_figures() -> set[tuple[str, str]]:
    """The (scope, key) of the model's values that OpenFisca computes (:data:`FIGURES`)."""
    return {("bewohner", key.removeprefix("bewohner.")) if key.startswith("bewohner.") else ("", key)
            for key in FIGURES.values()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1_000_000)
    parser.add_argument("--pool", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if _MISSING is not None:
        parser.exit(2, f"bench_openfisca.py braucht das Extra „peers“: pip install 'teilhabe-rules[peers]' "
                       f"({_MISSING})\n")
    import bench_columnar

    import teilhabe_rules

    model = teilhabe_rules.bundled("mawo")
    pool = bench_columnar.persons(model, args.pool, args.seed)
    seconds, rows, held = bench_columnar.compute(model, model.columnar_plan(), pool, args.n)
    del held  # the DuckDB connection and its tables
    rate = rows / seconds
    print(f"Spaltenplan MAWo: {rows:,} Personen in {seconds:.2f} s = {rate:,.0f} Personen/s")
    for line in peer_lines(model, pool, rows, rate):
        print(line)


if __name__ == "__main__":
    main()
