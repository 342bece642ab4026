"""pytest plugin: every ``beispiel`` of every ``*.rules`` file is a test.

``pytest models/`` collects each rule file and runs each of its examples as its own test id
(``mawo.rules::lp2a::beispiel-15-minuten``). A failure shows expected vs. actual and the
explanation of the actual figure. A rule file that does not load fails as one test with the
checker's report.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .errors import TeilhabeError


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix == ".rules":
        return RuleFile.from_parent(parent, path=file_path)
    return None


class RuleFile(pytest.File):
    """A rule file; its items are its examples."""

    def collect(self) -> Iterator[pytest.Item]:
        from .model import load

        try:
            model = load(self.path)
        except TeilhabeError as exc:
            yield RuleLoadItem.from_parent(self, name="laden", error=exc)
            return
        from .testing import example_id

        for example in model.checked.examples:
            name = "::".join(example_id(model, example).split("::")[1:])
            yield ExampleItem.from_parent(self, name=name, model=model, example=example)


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
            return f"{self.model.checked.info.file}:{self.example.span.line}: Beispiel „{self.example.id}“\n{excinfo.value}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.example.span.line - 1, f"beispiel {self.example.id}"
