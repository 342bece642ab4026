"""Speed of the scalar (Python) backend, as ratios to yardsticks measured in the same run.

Run: ``python benchmarks/bench_scalar.py [ROUNDS]`` (from the checkout, with the package
importable). Every figure is measured once per round, the figures of a round one after another
(interleaved, so that a shared machine's load falls on all of them alike); evaluations in this
process are timed in CPU time, the new processes in wall time. Printed are the medians over the
rounds and each ratio with its target:

* a MAWo person from a loaded case ÷ the hand-written Decimal function doing the same arithmetic
  (``benchmarks/mawo_hand.py``, equal digit for digit by ``tests/tools/test_mawo_hand.py``) ≤ 2.0;
* a person from a mapping (input checks included) ÷ from a loaded case ≤ 1.5;
* a 24-resident offer ÷ one person ≤ 12 (beside it the same ratio of the hand-written function,
  ``mawo_offer``: how much of an offer is the residents' own arithmetic; and what each further
  resident costs, ``(offer − person) ÷ 23``, against the same of the hand-written function: the
  backend's cost per list element beside the arithmetic it must do);
* a new process ``teilhabe-rules eval`` with the checked model cached ≤ 150 ms wall;
* ``import teilhabe_rules`` in a new process ≤ 50 ms;

the two new-process figures also in CPU time (on a loaded machine the wall time grows, the CPU
time hardly).
"""

from __future__ import annotations

import argparse
import copy
import decimal
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from mawo_hand import mawo_offer, mawo_person  # noqa: E402

import teilhabe_rules  # noqa: E402
from teilhabe_rules.inputs.cases import read_data  # noqa: E402
from teilhabe_rules.ir.checked import DECIMAL_CONTEXT  # noqa: E402


def per_call(fn: Callable[[], object], number: int) -> float:
    """CPU seconds of this process per call over ``number`` calls (the best of three batches):
    the load of a shared machine does not enter as it would enter wall time."""
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        for _ in range(number):
            fn()
        best = min(best, (time.process_time() - start) / number)
    return best


def new_process(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of a new process running ``argv``
    (interpreter start-up included)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def import_seconds(env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds ``import teilhabe_rules`` takes in a new process (start-up
    not counted)."""
    code = ("import time; t = time.perf_counter(); c = time.process_time(); import teilhabe_rules; "
            "print(time.perf_counter() - t, time.process_time() - c)")
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env)
    wall, cpu = done.stdout.split()
    return float(wall), float(cpu)


def offer(residents: int) -> dict[str, Any]:
    base = read_data(ROOT / "examples/mawo/haus_linde.toml")
    folder = ROOT / "examples/mawo"
    people = [read_data(folder / item) if isinstance(item, str) else item for item in base["bewohner"]]
    base["bewohner"] = [copy.deepcopy(people[i % len(people)]) for i in range(residents)]
    base["plaetze"] = base["nacht_bezugsgroesse"] = max(base.get("plaetze", residents), residents)
    return dict(base)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rounds", nargs="?", type=int, default=7, metavar="ROUNDS",
                        help="rounds of every figure; printed: their medians (default 7)")
    rounds = parser.parse_args(argv).rounds
    if rounds < 1:
        parser.error("ROUNDS: mindestens 1")
    mawo_path = ROOT / "models/mawo.rules"
    person_path = ROOT / "examples/mawo/person_grundfall.toml"
    mawo = teilhabe_rules.load(mawo_path)
    raw = read_data(person_path)
    person = mawo.load_case(raw)
    house = mawo.load_case(offer(24))
    parameters, tables = mawo.parameters, mawo.tables

    def hand() -> object:
        with decimal.localcontext(DECIMAL_CONTEXT):
            return mawo_person(person.row, parameters, tables)

    def hand_house() -> object:
        with decimal.localcontext(DECIMAL_CONTEXT):
            return mawo_offer(house.row, parameters, tables)

    expected = mawo.evaluate(person).frame.root.children("bewohner")[0]["tagessatz"]
    assert hand()["bewohner.tagessatz"] == expected
    assert hand_house()["budget_jahr"] == mawo.evaluate(house).value("budget_jahr")  # type: ignore[index]

    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    env["TEILHABE_RULES_CACHE"] = tempfile.mkdtemp(prefix="bench-scalar-")
    eval_argv = [sys.executable, "-m", "teilhabe_rules", "eval", str(mawo_path), str(person_path)]
    new_process(eval_argv, env)  # byte code and the checked model into the cache
    new_process(eval_argv, env)

    figures: dict[str, list[float]] = {}
    work: list[tuple[str, Callable[[], float | tuple[float, float]]]] = [
        ("hand", lambda: per_call(hand, 300)),
        ("hand24", lambda: per_call(hand_house, 20)),
        ("person", lambda: per_call(lambda: mawo.evaluate(person), 300)),
        ("mapping", lambda: per_call(lambda: mawo.evaluate(raw), 200)),
        ("offer24", lambda: per_call(lambda: mawo.evaluate(house), 20)),
        ("eval", lambda: new_process(eval_argv, env)),
        ("import", lambda: import_seconds(env)),
    ]
    for _ in range(rounds):
        for name, measure in work:
            found = measure()
            if isinstance(found, tuple):
                figures.setdefault(name, []).append(found[0])
                figures.setdefault(name + " cpu", []).append(found[1])
            else:
                figures.setdefault(name, []).append(found)
    m = {name: statistics.median(values) for name, values in figures.items()}

    def line(label: str, value: float, unit: str, ratio: float | None = None, target: float | None = None) -> None:
        scale = {"µs": 1e6, "ms": 1e3}[unit]
        text = f"{label:<56} {value * scale:9.1f} {unit}"
        if ratio is not None and target is not None:
            verdict = "ok" if ratio <= target else "ÜBER ZIEL"
            text += f"   Verhältnis {ratio:6.2f}   Ziel ≤ {target:g}   {verdict}"
        elif target is not None:
            verdict = "ok" if value * scale <= target else "ÜBER ZIEL"
            text += f"   Ziel ≤ {target:g} {unit}   {verdict}"
        print(text)

    print(f"Median über {rounds} Runden (je Runde alle Messgrößen nacheinander)")
    line("handgeschriebene Funktion: eine MAWo-Person (Decimal)", m["hand"], "µs")
    line("MAWo: eine Person (geladener Fall) ÷ handgeschrieben", m["person"], "µs", m["person"] / m["hand"], 2.0)
    line("MAWo: eine Person aus einem dict ÷ geladener Fall", m["mapping"], "µs", m["mapping"] / m["person"], 1.5)
    line("MAWo: Angebot mit 24 Bewohnern ÷ eine Person", m["offer24"], "µs", m["offer24"] / m["person"], 12)
    print(f"{'  handgeschrieben: 24 Bewohner ÷ eine Person (Vergleich)':<56} {m['hand24'] * 1e6:9.1f} µs"
          f"   Verhältnis {m['hand24'] / m['hand']:6.2f}")
    extra, extra_hand = (m["offer24"] - m["person"]) / 23, (m["hand24"] - m["hand"]) / 23
    print(f"{'  je weiterer Bewohner ÷ handgeschrieben (Vergleich)':<56} {extra * 1e6:9.1f} µs"
          f"   Verhältnis {extra / extra_hand:6.2f}")
    line("neuer Prozess: teilhabe-rules eval, Modell im Cache (Wand)", m["eval"], "ms", target=150)
    line("  dasselbe, CPU-Zeit des Prozesses", m["eval cpu"], "ms")
    line("neuer Prozess: import teilhabe_rules (Wand)", m["import"], "ms", target=50)
    line("  dasselbe, CPU-Zeit", m["import cpu"], "ms")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
