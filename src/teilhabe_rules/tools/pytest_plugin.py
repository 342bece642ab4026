"""pytest plugin: every ``beispiel``, every ``eigenschaft`` and the generic invariants of every
``*.rules`` file are tests.

``pytest models/`` collects each rule file and runs each of its examples as its own test id
(``mawo.rules::lp2a::beispiel-15-minuten``). A failure shows expected vs. actual and the
explanation of the actual figure. A rule file that does not load fails as one test with the
checker's report.

Each declared property is a test ``mawo.rules::eigenschaft::<titel>`` and each generic invariant
(:mod:`teilhabe_rules.tools.properties`) a test ``mawo.rules::invarianten::<name>``, checked over
generated cases with a CI profile: ``--teilhabe-faelle N`` cases each (ini ``teilhabe_faelle``,
default :data:`CI_EXAMPLES`; 0 collects none), seed ``--teilhabe-seed``. A failure shows the
shrunk counterexample as a case file, written to ``--teilhabe-gegenbeispiele DIR`` (default: the
pytest cache, ``.pytest_cache/d/teilhabe-gegenbeispiele``).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..errors import TeilhabeError

CI_EXAMPLES = 25


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("teilhabe-rules", "Tarifmodelle (*.rules)")
    group.addoption("--teilhabe-faelle", type=_count, default=None, metavar="N",
                    help="erzeugte Fälle je Eigenschaft und Invariante (0: keine Eigenschaften sammeln)")
    group.addoption("--teilhabe-seed", type=int, default=0, metavar="S", help="Startwert der Fallerzeugung")
    group.addoption("--teilhabe-gegenbeispiele", default=None, metavar="DIR",
                    help="Verzeichnis für Gegenbeispiele (TOML)")
    parser.addini("teilhabe_faelle", f"erzeugte Fälle je Eigenschaft (Standard {CI_EXAMPLES})",
                  default=str(CI_EXAMPLES))


def _count(text: str) -> int:
    """A number of cases as the option gives it: a whole number from 0 (a usage error else)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"„{text}“ ist keine ganze Zahl") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"„{text}“: die Zahl der Fälle ist 0 oder mehr")
    return value


def _examples_count(config: pytest.Config) -> int:
    count = config.getoption("teilhabe_faelle", default=None)
    if count is None:
        written = config.getini("teilhabe_faelle")
        try:
            count = _count(str(written))
        except argparse.ArgumentTypeError as exc:
            raise pytest.UsageError(f"teilhabe_faelle: {exc}") from None
    return int(count)


def pytest_configure(config: pytest.Config) -> None:
    _examples_count(config)  # (a number of cases in the ini that is none: a usage error before collecting)


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix == ".rules":
        return RuleFile.from_parent(parent, path=file_path)
    return None


class RuleFile(pytest.File):
    """A rule file; its items are its examples."""

    def collect(self) -> Iterator[pytest.Item]:
        from ..model import load

        try:
            model = load(self.path)
        except TeilhabeError as exc:
            yield RuleLoadItem.from_parent(self, name="laden", error=exc)
            return
        from .testing import example_id

        for example in model.checked.examples:
            name = "::".join(example_id(model, example).split("::")[1:])
            yield ExampleItem.from_parent(self, name=name, model=model, example=example)
        if _examples_count(self.config) > 0:
            from .properties import property_checks

            for check in property_checks(model):
                yield PropertyItem.from_parent(self, name=check.name, check=check)


class RuleLoadItem(pytest.Item):
    def __init__(self, *, error: TeilhabeError, **kwargs: Any):
        super().__init__(**kwargs)
        self.error = error

    def runtest(self) -> None:
        raise ExampleFailure(self.error.render())

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        return str(excinfo.value)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"{self.path.name}: laden"


class ExampleFailure(Exception):
    """An example whose expectations do not hold."""


class ExampleItem(pytest.Item):
    def __init__(self, *, model: Any, example: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.model = model
        self.example = example

    def runtest(self) -> None:
        from .testing import run_example

        outcome = run_example(self.model, self.example)
        if not outcome.passed:
            raise ExampleFailure("\n".join(outcome.failures))

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        if isinstance(excinfo.value, ExampleFailure):
            where = f"{self.model.checked.info.file}:{self.example.span.line}"
            return f"{where}: Beispiel „{self.example.id}“\n{excinfo.value}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.example.span.line - 1, f"beispiel {self.example.id}"


class PropertyFailed(Exception):
    """A declared property or generic invariant that does not hold; carries the report."""


class PropertyItem(pytest.Item):
    """A declared property (``eigenschaft::…``) or a generic invariant (``invarianten::…``)."""

    def __init__(self, *, check: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.check = check

    def _directory(self) -> Path:
        option = self.config.getoption("teilhabe_gegenbeispiele", default=None)
        if option:
            return Path(option)
        cache = getattr(self.config, "cache", None)
        if cache is not None:
            return Path(cache.mkdir("teilhabe-gegenbeispiele"))
        import tempfile

        return Path(tempfile.mkdtemp(prefix="teilhabe-gegenbeispiele-"))

    def runtest(self) -> None:
        try:
            import hypothesis  # noqa: F401
        except ImportError:  # pragma: no cover - hypothesis is a test dependency
            pytest.skip("Eigenschaften brauchen das Paket hypothesis")
        from .properties import run_property

        outcome = run_property(self.check, max_examples=_examples_count(self.config),
                               seed=self.config.getoption("teilhabe_seed", default=0) or 0,
                               counterexample_dir=self._directory())
        if not outcome.passed:
            text = f"{outcome.message}"
            if outcome.counterexample_toml is not None:
                where = f" ({outcome.counterexample_file})" if outcome.counterexample_file else ""
                text += f"\n\nGegenbeispiel als Falldatei{where}:\n{outcome.counterexample_toml}"
                if outcome.counterexample_file is not None:
                    model_file = self.check.model.checked.info.file
                    text += f"\nAusführen: teilhabe-rules eval {model_file} {outcome.counterexample_file}"
            if outcome.counterexample_error is not None:
                text += f"\nGegenbeispiel nicht geschrieben: {outcome.counterexample_error}"
            raise PropertyFailed(text)

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        if isinstance(excinfo.value, PropertyFailed):
            what = "Eigenschaft" if self.check.kind == "eigenschaft" else "Invariante"
            return f"{self.check.location}: {what} „{self.check.title}“\n{excinfo.value}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        same_file = not self.check.file or Path(self.check.file).name == self.path.name
        return self.path, max(0, self.check.line - 1) if same_file else 0, self.check.name
