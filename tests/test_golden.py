"""Golden snapshots: what a user sees of every bundled model, byte for byte.

Every example case of every bundled model is evaluated (text, ``--explain`` text and JSON),
every ``beispiel`` of a model is evaluated to its JSON result, and ``check``, ``test``, ``diff``
and ``compare`` run on the bundled examples. The outputs are compared with the files under
``tests/golden/``. A change to the library that changes any of them fails here; a change that
is meant to change them regenerates the files with::

    TEILHABE_GOLDEN_AKTUALISIEREN=1 python -m pytest tests/test_golden.py

and the diff of ``tests/golden/`` is reviewed with the change.
"""

from __future__ import annotations

import copy
import io
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import teilhabe_rules
from teilhabe_rules import TeilhabeError, load
from teilhabe_rules.cli import main

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
UPDATE = os.environ.get("TEILHABE_GOLDEN_AKTUALISIEREN") == "1"
# where the package is installed (bundled models are named by their path there)
PACKAGE = str(Path(teilhabe_rules.__file__).resolve().parent)

MAWO_PERSONS = sorted(p.name for p in (ROOT / "examples/mawo").glob("person_*.toml"))
BEI3_CASES = sorted(p.name for p in (ROOT / "examples/bei_nrw3").glob("*.toml") if "vereinbarung" not in p.name)

# (snapshot name, command line); run from the repository root with relative paths.
EVAL_RUNS: list[tuple[str, list[str]]] = []
for _case in [*MAWO_PERSONS, "haus_linde.toml"]:
    EVAL_RUNS.append((f"mawo__{_case[:-5]}", ["models/mawo.rules", f"examples/mawo/{_case}"]))
    EVAL_RUNS.append((f"mawo_2025__{_case[:-5]}",
                      ["models/mawo_2025.rules", f"examples/mawo/{_case}", "--at", "2025-07-01"]))
EVAL_RUNS.append(("mawo__haus_linde__vereinbarung",
                  ["models/mawo.rules", "examples/mawo/haus_linde.toml",
                   "--agreement", "examples/mawo/vereinbarung_haus_linde.toml"]))
EVAL_RUNS.append(("bei_nrw2__fall_2_0", ["models/bei_nrw2.rules", "examples/bei_nrw2/fall_2_0.toml"]))
for _case in BEI3_CASES:
    EVAL_RUNS.append((f"bei_nrw3__{_case[:-5]}", ["models/bei_nrw3.rules", f"examples/bei_nrw3/{_case}"]))
    EVAL_RUNS.append((f"bei_nrw3__{_case[:-5]}__vereinbarung",
                      ["models/bei_nrw3.rules", f"examples/bei_nrw3/{_case}",
                       "--agreement", "examples/bei_nrw3/vereinbarung_fiktiv.toml"]))
for _at in ("2024-06-30", "2025-03-01"):
    EVAL_RUNS.append((f"stundensatz__{_at}",
                      ["examples/versionen/stundensatz.rules", "examples/versionen/fall.toml", "--at", _at]))

# the JSON form of explanations, for one case of each kind (the text form is kept for every case)
JSON_EXPLAINED = {"mawo__person_grundfall", "mawo__haus_linde__vereinbarung", "bei_nrw3__eigene_haeuslichkeit"}

MODELS = ["models/mawo.rules", "models/mawo_2025.rules", "models/bei_nrw2.rules", "models/bei_nrw3.rules"]

OTHER_RUNS: list[tuple[str, list[str]]] = [
    ("check", ["check", *MODELS, "examples/versionen/stundensatz.rules"]),
    ("check__tippfehler", ["check", "examples/versionen/tippfehler.rules"]),
    *[(f"test__{Path(m).stem}", ["test", m]) for m in MODELS],
    ("diff__mawo__mawo_2025", ["diff", "models/mawo.rules", "models/mawo_2025.rules"]),
    ("diff__mawo__mawo_2025__json", ["diff", "--format", "json", "models/mawo.rules", "models/mawo_2025.rules"]),
    ("diff__bei_nrw2__bei_nrw3", ["diff", "models/bei_nrw2.rules", "models/bei_nrw3.rules"]),
    ("diff__bei_nrw2__bei_nrw3__json", ["diff", "--format", "json", "models/bei_nrw2.rules", "models/bei_nrw3.rules"]),
    ("diff__mitgeliefert__mawo__mawo_2025", ["diff", "mawo", "mawo_2025"]),
]

# compare runs write files; {tmp} is the run's own directory, whose files join the snapshot.
COMPARE_RUNS: list[tuple[str, list[str]]] = [
    ("compare__mawo__mawo_2025",
     ["compare", "models/mawo.rules", "models/mawo_2025.rules", "examples/mawo", "--at-old", "2024-07-01",
      "--at-new", "2025-07-01", "--out", "{tmp}/abweichungen.csv", "--summary", "{tmp}/zusammenfassung.json"]),
    ("compare__mawo__mawo_2025__json",
     ["compare", "models/mawo.rules", "models/mawo_2025.rules", "examples/mawo", "--at-old", "2024-07-01",
      "--at-new", "2025-07-01", "--format", "json", "--out", "{tmp}/abweichungen.jsonl"]),
    ("compare__mawo__lesart2",
     ["compare", "models/mawo_2025.rules", "models/mawo_2025.rules", "examples/mawo", "--at", "2025-07-01",
      "--agreement-new",
      "examples/versionen/lesart2.toml", "--values", "keine", "--out", "{tmp}/lesart2.jsonl"]),
    ("compare__bei_nrw3__alt_neu",
     ["compare", "models/bei_nrw3.rules", "examples/bei_nrw3/population_alt_neu.jsonl", "--alt",
      "budgetvergleich_alt", "--neu", "budgetvergleich_neu", "--out", "{tmp}/budgetvergleich.csv",
      "--summary", "{tmp}/zusammenfassung.json"]),
    ("compare__bei_nrw3__alt_neu__json",
     ["compare", "models/bei_nrw3.rules", "examples/bei_nrw3/population_alt_neu.jsonl", "--alt",
      "budgetvergleich_alt", "--neu", "budgetvergleich_neu", "--format", "json",
      "--out", "{tmp}/budgetvergleich.jsonl"]),
]


def _run(argv: list[str]) -> str:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out=out, err=err)
    return f"$ teilhabe-rules {' '.join(argv)}\n[exit {code}]\n[stdout]\n{out.getvalue()}[stderr]\n{err.getvalue()}"


def _snapshots_eval(name: str, args: list[str]) -> Iterator[tuple[str, str]]:
    yield f"eval/{name}.txt", _run(["eval", *args])
    yield f"eval/{name}.erklaerung.txt", _run(["eval", "--explain", *args])
    yield f"eval/{name}.json.txt", _run(["eval", "--format", "json", *args])
    if name in JSON_EXPLAINED:
        yield f"eval/{name}.json-erklaerung.txt", _run(["eval", "--format", "json", "--explain", *args])


def _examples(model_file: str) -> str:
    """Every ``beispiel`` of the model with its JSON result or error."""
    model = load(model_file)
    lines = []
    for example in model.checked.examples:
        agreement = None
        if example.agreement:
            values = {n: v if isinstance(v, (str, bool)) else str(v) for n, v, _ in example.agreement}
            agreement = model.load_agreement({"parameter": values})
        try:
            result = model.evaluate(copy.deepcopy(example.case), agreement, at=example.at)
            entry = {"beispiel": example.id, "paket": example.package, "ergebnis": result.to_dict()}
        except TeilhabeError as exc:
            entry = {"beispiel": example.id, "paket": example.package, "fehler": exc.render()}
        lines.append(json.dumps(entry, ensure_ascii=False, sort_keys=True))
    return "\n".join(lines) + "\n"


def _compare(name: str, args: list[str], tmp: Path) -> Iterator[tuple[str, str]]:
    run_dir = tmp / name
    run_dir.mkdir()

    def stable(text: str) -> str:
        # the golden text names the files as {tmp}/…, not as this run's temporary directory,
        # and the run's duration is the one figure that may differ
        text = text.replace(str(run_dir), "{tmp}")
        return re.sub(r'"sekunden": [0-9.]+', '"sekunden": …', text)

    yield f"compare/{name}.txt", stable(_run([a.replace("{tmp}", str(run_dir)) for a in args]))
    for produced in sorted(run_dir.iterdir()):
        yield f"compare/{name}.{produced.name}", stable(produced.read_text(encoding="utf-8"))


CASES = (
    [("eval", name, args) for name, args in EVAL_RUNS]
    + [("beispiele", Path(m).stem, [m]) for m in MODELS]
    + [("cli", name, args) for name, args in OTHER_RUNS]
    + [("compare", name, args) for name, args in COMPARE_RUNS]
)


@pytest.mark.parametrize(("kind", "name", "args"), CASES, ids=[f"{k}:{n}" for k, n, _ in CASES])
def test_golden(kind: str, name: str, args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    if kind == "eval":
        produced = list(_snapshots_eval(name, args))
    elif kind == "beispiele":
        produced = [(f"beispiele/{name}.jsonl", _examples(args[0]))]
    elif kind == "cli":
        produced = [(f"cli/{name}.txt", _run(args))]
    else:
        produced = list(_compare(name, args, tmp_path))
    for relative, text in produced:
        text = text.replace(PACKAGE, "{paket}")
        path = GOLDEN / relative
        if UPDATE:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="")
            continue
        assert path.exists(), f"{relative}: no golden file (regenerate with TEILHABE_GOLDEN_AKTUALISIEREN=1)"
        with path.open(encoding="utf-8", newline="") as file:
            expected = file.read()
        assert text == expected, f"{relative} differs from its golden file"


def test_every_golden_file_is_produced() -> None:
    """A golden file that no run produces any more is stale, not silently kept."""
    names = {n for _, n, _ in CASES}
    for path in GOLDEN.rglob("*"):
        if path.is_file():
            stem = path.relative_to(GOLDEN).as_posix().split("/", 1)[1]
            base = stem.split(".", 1)[0]
            assert base in names, f"tests/golden/{path.relative_to(GOLDEN)} is produced by no run"
