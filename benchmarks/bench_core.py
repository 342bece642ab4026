"""Speed figures of teilhabe_rules, each with its target and the ratio figure/target.

Run: ``python benchmarks/bench_core.py`` (from the checkout, with the package installed).
Medians over repeated runs; the machine is shared, so read the figures as an order of magnitude
and compare ratios, not single runs.
"""

from __future__ import annotations

import argparse
import copy
import functools
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import teilhabe_rules

ROOT = Path(__file__).resolve().parent.parent


def median_time(fn: Callable[[], object], repeat: int, number: int) -> float:
    """Median seconds per call over ``repeat`` batches of ``number`` calls."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)


def report(label: str, seconds: float, target: float | None, unit: str = "µs") -> None:
    scale = {"µs": 1e6, "ms": 1e3}[unit]
    value = seconds * scale
    if target is None:
        print(f"{label:<58} {value:10.1f} {unit}")
    else:
        ratio = value / target
        verdict = "ok" if ratio <= 1 else "ÜBER ZIEL"
        print(f"{label:<58} {value:10.1f} {unit}   Ziel ≤ {target:g} {unit}   Verhältnis {ratio:5.2f}  {verdict}")


def import_time() -> float:
    code = "import time; t=time.perf_counter(); import teilhabe_rules; print(time.perf_counter()-t)"
    runs = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
            for _ in range(5)]
    return statistics.median(runs)


def fresh_process_load(path: Path, cache: str, repeat: int = 5) -> float:
    """Median seconds for ``import teilhabe_rules`` + ``load(path)`` in a new process each time
    (interpreter start-up not counted), with ``TEILHABE_RULES_CACHE=cache``. Byte code is
    written and used as in an installed package, whatever ``PYTHONDONTWRITEBYTECODE`` says."""
    import os

    code = ("import time; t=time.perf_counter(); import teilhabe_rules; "
            f"teilhabe_rules.load({str(path)!r}); print(time.perf_counter()-t)")
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["TEILHABE_RULES_CACHE"] = cache
    runs = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout)
        for _ in range(repeat)
    ]
    return statistics.median(runs)


def offer_with(model: teilhabe_rules.Model, residents: int) -> teilhabe_rules.Case:
    from teilhabe_rules.inputs.cases import read_data

    base = read_data(ROOT / "examples/mawo/haus_linde.toml")
    folder = ROOT / "examples/mawo"
    people = [read_data(folder / item) if isinstance(item, str) else item for item in base["bewohner"]]
    base["bewohner"] = [copy.deepcopy(people[i % len(people)]) for i in range(residents)]
    base["plaetze"] = base["nacht_bezugsgroesse"] = max(base.get("plaetze", residents), residents)
    return model.load_case(base)


def main() -> None:
    report("import teilhabe_rules (eigener Prozess)", import_time(), 150, "ms")
    import os
    import tempfile

    import teilhabe_rules
    from teilhabe_rules import cache
    from teilhabe_rules.syntax.parser import make_parser

    os.environ["TEILHABE_RULES_CACHE"] = "aus"
    start = time.perf_counter()
    make_parser()
    report("Parser bauen (lark-Grammatikanalyse, einmal je Prozess)", time.perf_counter() - start, None, "ms")
    os.environ["TEILHABE_RULES_CACHE"] = tempfile.mkdtemp(prefix="bench-cache-")
    cache.store_parser(make_parser())
    report("Parser aus dem Cache laden (statt bauen)", median_time(cache.lookup_parser, 5, 1), None, "ms")

    for name in ("mawo", "mawo_2025", "bei_nrw3", "bei_nrw2"):
        path = ROOT / "models" / f"{name}.rules"
        os.environ["TEILHABE_RULES_CACHE"] = "aus"
        load = functools.partial(teilhabe_rules.load, path)
        report(f"{name}.rules laden und prüfen, ohne Cache", median_time(load, 5, 3), 50, "ms")
        os.environ["TEILHABE_RULES_CACHE"] = tempfile.mkdtemp(prefix="bench-cache-")
        teilhabe_rules.load(path)
        report(f"{name}.rules laden, geprüftes Modell aus dem Cache", median_time(load, 5, 3), 50, "ms")

    # What a command-line call pays before it can evaluate: a new process imports the library
    # and loads the model — with nothing cached, with only the built parser cached (a model file
    # just edited), and with the checked model cached.
    mawo_path = ROOT / "models/mawo.rules"
    fresh_process_load(mawo_path, "aus", 1)  # writes the byte code once
    report("neuer Prozess: import + mawo laden, ohne Cache", fresh_process_load(mawo_path, "aus", 3), None, "ms")
    folder = tempfile.mkdtemp(prefix="bench-cache-")
    fresh_process_load(mawo_path, folder, 1)
    runs = []
    for _ in range(5):
        for entry in Path(folder).glob("model-*.entry"):
            entry.unlink()  # keep the parser, drop the checked model
        runs.append(fresh_process_load(mawo_path, folder, 1))
    report("neuer Prozess: import + mawo laden, Parser aus dem Cache", statistics.median(runs), None, "ms")
    cached = fresh_process_load(mawo_path, folder)
    report("neuer Prozess: import + mawo laden, Modell aus dem Cache", cached, None, "ms")

    mawo = teilhabe_rules.load(ROOT / "models/mawo.rules")
    person = mawo.load_case(ROOT / "examples/mawo/person_grundfall.toml")
    plain = median_time(lambda: mawo.evaluate(person), 7, 500)
    report("MAWo: eine Person auswerten (ohne Erklärungen)", plain, 50)
    traced = median_time(lambda: mawo.evaluate(person, explain=True), 7, 500)
    report("MAWo: eine Person, explain=True (Erklärungsdaten behalten)", traced, 150)
    print(f"{'  Verhältnis mit/ohne Erklärungen':<58} {traced / plain:10.2f} ×   Ziel ≤ 3 ×")
    one = median_time(lambda: mawo.evaluate(person, explain=True).explain("bewohner[1].lp2a.stufe"), 7, 200)
    report("MAWo: eine Person + Erklärung einer Zahl (LP 2a)", one, 150)
    print(f"{'  Verhältnis mit/ohne Erklärungen':<58} {one / plain:10.2f} ×   Ziel ≤ 3 ×")
    rendered = median_time(lambda: mawo.evaluate(person, explain=True).explanations(), 5, 20)
    report("MAWo: eine Person + alle Erklärungstexte erzeugen", rendered, None)
    print(f"{'  Verhältnis Texte/ohne Erklärungen':<58} {rendered / plain:10.2f} ×")
    from teilhabe_rules.inputs.cases import read_data

    raw = read_data(ROOT / "examples/mawo/person_grundfall.toml")
    report("MAWo: eine Person aus einem dict (Eingaben prüfen + auswerten)",
           median_time(lambda: mawo.evaluate(raw), 5, 100), None)
    house = offer_with(mawo, 24)
    report("MAWo: Angebot mit 24 Bewohnern auswerten", median_time(lambda: mawo.evaluate(house), 7, 50), 2000)

    bei = teilhabe_rules.load(ROOT / "models/bei_nrw3.rules")
    case = bei.load_case(ROOT / "examples/bei_nrw3/eigene_haeuslichkeit.toml")
    report("BEI_NRW 3.0: eine Fortschreibung auswerten", median_time(lambda: bei.evaluate(case), 7, 500), None)


if __name__ == "__main__":
    argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0]).parse_args()
    main()
