"""Speed of this checkout against an earlier revision, measured side by side in one run.

Run: ``python benchmarks/bench_versions.py REVISION`` (e.g. ``1a414d2``, the revision before the
evaluation contracts were rearranged). The revision is checked out into a temporary git
worktree; both versions run the same workload through the public API only (``load``,
``load_case``, ``evaluate``, ``explanations``, ``to_dict``), each in processes of its own, the two
alternating round by round. Every figure is CPU time of the measuring process (the workload is
single-threaded), so that the load of a shared machine does not enter it as it would enter wall
time. Printed: the median of each figure for both versions and their ratio (new/old), with the
target ratio ≤ 1.10.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.10

# Runs inside the version measured: argv[1] is its checkout. Prints {figure: seconds}.
WORKLOAD = r"""
import copy, json, os, sys, tempfile, time, statistics
from pathlib import Path

root = Path(sys.argv[1])
started = time.process_time()
import teilhabe_rules
figures = {"import teilhabe_rules [ms]": time.process_time() - started}


def median(fn, repeat, number):
    samples = []
    for _ in range(repeat):
        t = time.process_time()
        for _ in range(number):
            fn()
        samples.append((time.process_time() - t) / number)
    return statistics.median(samples)


mawo_path = root / "models" / "mawo.rules"
os.environ["TEILHABE_RULES_CACHE"] = "aus"
teilhabe_rules.load(mawo_path)
figures["mawo laden und prüfen, ohne Cache [ms]"] = median(lambda: teilhabe_rules.load(mawo_path), 3, 2)
os.environ["TEILHABE_RULES_CACHE"] = tempfile.mkdtemp(prefix="bench-versions-")
teilhabe_rules.load(mawo_path)
figures["mawo laden, Modell aus dem Cache [ms]"] = median(lambda: teilhabe_rules.load(mawo_path), 5, 3)

mawo = teilhabe_rules.load(mawo_path)
person = mawo.load_case(root / "examples/mawo/person_grundfall.toml")
figures["MAWo: eine Person auswerten [µs]"] = median(lambda: mawo.evaluate(person), 7, 300)
figures["MAWo: eine Person + alle Erklärungen [µs]"] = median(
    lambda: mawo.evaluate(person, explain=True).explanations(), 5, 20)
figures["MAWo: eine Person als JSON [µs]"] = median(lambda: mawo.evaluate(person).to_dict(), 5, 50)
import tomllib
with open(root / "examples/mawo/haus_linde.toml", "rb") as handle:
    base = tomllib.load(handle)
people = []
for item in base["bewohner"]:
    if isinstance(item, str):
        with open(root / "examples/mawo" / item, "rb") as handle:
            people.append(tomllib.load(handle))
    else:
        people.append(item)
base["bewohner"] = [copy.deepcopy(people[i % len(people)]) for i in range(24)]
base["plaetze"] = base["nacht_bezugsgroesse"] = max(base.get("plaetze", 24), 24)
house = mawo.load_case(base)
figures["MAWo: Angebot mit 24 Bewohnern auswerten [µs]"] = median(lambda: mawo.evaluate(house), 7, 30)
with open(root / "examples/mawo/person_grundfall.toml", "rb") as handle:
    raw = tomllib.load(handle)
figures["MAWo: eine Person aus einem dict (prüfen + auswerten) [µs]"] = median(lambda: mawo.evaluate(raw), 5, 50)
bei = teilhabe_rules.load(root / "models" / "bei_nrw3.rules")
case = bei.load_case(root / "examples/bei_nrw3/eigene_haeuslichkeit.toml")
figures["BEI_NRW 3.0: eine Fortschreibung auswerten [µs]"] = median(lambda: bei.evaluate(case), 7, 300)
print(json.dumps(figures))
"""


def run(tree: Path) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
    env["PYTHONPATH"] = str(tree / "src")
    done = subprocess.run([sys.executable, "-c", WORKLOAD, str(tree)], capture_output=True, text=True, env=env,
                          check=False, cwd=tempfile.gettempdir())
    if done.returncode != 0:
        raise SystemExit(f"the workload failed in {tree}:\n{done.stderr}")
    figures: dict[str, float] = json.loads(done.stdout)
    return figures


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("revision", metavar="REVISION", help="the earlier revision, e.g. 1a414d2")
    revision = parser.parse_args(argv).revision
    found = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", "--quiet", "--end-of-options",
                            f"{revision}^{{commit}}"], capture_output=True, text=True, check=False)
    if found.returncode != 0:
        parser.error(f"REVISION: „{revision}“ ist keine Revision dieses Repositorys")
    with tempfile.TemporaryDirectory(prefix="bench-versions-") as folder:
        old_tree = Path(folder) / "alt"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(old_tree), revision],
                       check=True, capture_output=True)
        try:
            rounds = 3
            old: list[dict[str, float]] = []
            new: list[dict[str, float]] = []
            for _ in range(rounds):  # alternating: both versions see the same load
                old.append(run(old_tree))
                new.append(run(ROOT))
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old_tree)], check=False)
    print(f"{'Messgröße':<62} {'alt':>10} {'neu':>10}  neu/alt  (Ziel ≤ {TARGET:.2f})")
    worst = 0.0
    for name in new[0]:
        unit = name.rsplit("[", 1)[-1].rstrip("]")
        scale = 1e3 if unit == "ms" else 1e6
        before = statistics.median(r[name] for r in old) * scale
        after = statistics.median(r[name] for r in new) * scale
        ratio = after / before
        worst = max(worst, ratio)
        verdict = "ok" if ratio <= TARGET else "LANGSAMER"
        print(f"{name:<62} {before:10.1f} {after:10.1f}  {ratio:6.2f}   {verdict}")
    print(f"{'schlechtestes Verhältnis':<62} {'':>10} {'':>10}  {worst:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
