"""A bounded fuzz run: hostile and broken inputs end in success or a located library error."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from pathlib import Path

from harness import KINDS, Corpus, Outcome, Secret, _judge, generate

HARNESS = Path(__file__).with_name("harness.py")
#: inputs of the bounded run (a fixed seed: the same inputs in every run)
COUNT = 2_000
SEED = 20261130


def test_bounded_run_has_no_defects(tmp_path: Path) -> None:
    """Every generated input gives a result or a located error of the library's own.

    The run is a process of its own with a memory limit, so that an input that makes the
    library read without end fails this test instead of the machine."""
    env = {**os.environ, "TEILHABE_RULES_CACHE": "aus"}
    run = subprocess.run(
        [
            sys.executable,
            str(HARNESS),
            "--inputs",
            str(COUNT),
            "--seed",
            str(SEED),
            "--jobs",
            "1",
            "--chunk",
            str(COUNT),
            "--defects",
            str(tmp_path / "defekte"),
        ],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=600,
    )
    report = run.stdout + run.stderr
    assert run.returncode == 0, report[-20_000:]
    assert f"Eingaben: {COUNT:,}" in report
    for kind in KINDS:  # the run reaches every kind, each with successes and no other outcome
        line = re.search(rf"^  {kind} .*$", report, re.MULTILINE)
        assert line is not None, report
        assert re.search(r"erfolg +[1-9]", line.group()), line.group()
        assert re.search(r"andere +0$", line.group()), line.group()
        if kind != "population":  # a broken population row is an error row of a run that succeeds
            assert re.search(r"verortet +[1-9]", line.group()), line.group()
    assert "Andere Ausgänge als Erfolg oder verorteter Fehler: 0" in report


def test_inputs_are_reproducible() -> None:
    """Input i of a seed is the same whenever it is generated (a defect can be replayed alone)."""
    corpus = Corpus()
    for index in random.Random(1).sample(range(10_000), 20):
        assert generate(SEED, index, True, corpus) == generate(SEED, index, True, corpus)


def test_harness_catches_a_defect(tmp_path: Path) -> None:
    """The harness's oracle is not blind: another exception, or a quoted secret, is a defect."""
    secret = Secret(tmp_path)

    def broken() -> None:
        raise KeyError("x")

    outcome: Outcome = _judge("fall", broken, secret)
    assert outcome.defect and "KeyError" in outcome.detail

    def leaking() -> None:
        from teilhabe_rules.errors import CaseError, Diagnostic, Location

        raise CaseError(Diagnostic(f"Inhalt: {secret.token}", Location("x.toml", 1, 1)))

    assert _judge("fall", leaking, secret).defect
