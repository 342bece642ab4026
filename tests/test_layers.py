"""The package's architecture, enforced: wings, what each may import, no cycles, no private reach.

Every module of ``src/teilhabe_rules`` belongs to a wing (``docs/architecture.md``). A module may
import only from its own wing and the wings below it; no import — at module level or inside a
function — closes a cycle; a module never uses another module's private names (``_x``), and a
private module (``syntax/_fastpath.py``) is imported only inside its wing. A change that breaks
one of these rules fails here, with the import that breaks it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "teilhabe_rules"

# top-level modules by wing; a subpackage is a wing of its own name (semantics and faults are
# the runtime's pure core, which the checker's corridor proofs use too)
TOP = {
    "base": {"errors", "limits", "files", "paths", "atomic", "duck", "units", "shipped", "toml_writer", "span",
             "version", "records"},
    "store": {"cache"},
    "api": {"", "model", "loading", "catalog", "registry", "backends"},
    "cli": {"cli", "__main__"},
}
CORE = {"runtime.semantics": "semantics", "runtime.faults": "semantics"}

# what each wing may import besides itself
ALLOWED = {
    "base": set(),
    "syntax": {"base", "store"},
    "ir": {"base"},
    "semantics": {"base", "ir"},
    "store": {"base", "ir"},
    "check": {"base", "syntax", "ir", "semantics", "store"},
    "runtime": {"base", "ir", "semantics"},
    "inputs": {"base", "ir", "semantics", "runtime", "check"},
    # the columnar backend: the checked model as one query plan on DuckDB
    "columnar": {"base", "ir", "semantics", "runtime", "inputs"},
    "api": {"base", "syntax", "ir", "semantics", "store", "check", "runtime", "inputs", "columnar"},
    "tools": {"base", "syntax", "ir", "semantics", "store", "check", "runtime", "inputs", "columnar", "api"},
    "cli": {"base", "syntax", "ir", "semantics", "store", "check", "runtime", "inputs", "columnar", "api", "tools"},
}

# single imports across the rules, each with its reason
EXCEPTIONS = {
    ("cache", "syntax.postlex"): "the cache supplies the parser's post-lexer when it loads a stored parser",
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def wing(module: str) -> str:
    if module in CORE:
        return CORE[module]
    if "." in module or module in {"syntax", "ir", "check", "runtime", "inputs", "columnar", "tools"}:
        return module.split(".")[0]
    for name, members in TOP.items():
        if module in members:
            return name
    raise AssertionError(f"teilhabe_rules.{module} belongs to no wing: add it to tests/test_layers.py and the docs")


def _imports(module: str, typing_too: bool = True) -> list[tuple[str, ast.ImportFrom | ast.Import, list[str]]]:
    """(imported module, the statement, the names it takes) for every import of a package module,
    wherever it stands; with ``typing_too`` also the imports only for type checking (``if
    TYPE_CHECKING:``), which are dependencies for the wings but run no code."""
    path = MODULES[module]
    tree = ast.parse(path.read_text("utf-8"))
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only.update(id(sub) for sub in ast.walk(node))
    found = []
    for node in ast.walk(tree):
        if not typing_too and id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("teilhabe_rules."):
                    found.append((alias.name.removeprefix("teilhabe_rules."), node, []))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                target = ".".join(p for p in [*base, *([node.module] if node.module else [])] if p)
            elif node.module and (node.module == "teilhabe_rules" or node.module.startswith("teilhabe_rules.")):
                target = node.module.removeprefix("teilhabe_rules").lstrip(".")
            else:
                continue
            names = [alias.name for alias in node.names]
            qualified = [f"{target}.{n}" if target else n for n in names]
            submodules = [q for q in qualified if q in MODULES]
            if submodules:
                found.extend((sub, node, []) for sub in submodules)
                rest = [n for n in names if (f"{target}.{n}" if target else n) not in MODULES]
                if rest:
                    found.append((target, node, rest))
            else:
                found.append((target, node, names))
    return found


def test_every_module_has_a_wing() -> None:
    for module in MODULES:
        wing(module)


def test_each_wing_imports_only_from_the_wings_below_it() -> None:
    broken = []
    for module in sorted(MODULES):
        own = wing(module)
        for target, node, _names in _imports(module):
            if target not in MODULES:
                broken.append(f"teilhabe_rules.{module}:{node.lineno} imports teilhabe_rules.{target}, "
                              "which does not exist")
                continue
            other = wing(target)
            if other == own or other in ALLOWED[own] or (module, target) in EXCEPTIONS:
                continue
            broken.append(f"teilhabe_rules.{module}:{node.lineno} ({own}) imports teilhabe_rules.{target} ({other})")
    assert broken == [], "\n".join(broken)


def test_no_import_cycle() -> None:
    # imports that run: those only for type checking close no cycle
    graph = {module: {t for t, _, _ in _imports(module, typing_too=False) if t in MODULES and t != module}
             for module in MODULES}
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(node: str, trail: list[str]) -> bool:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle.extend(trail[trail.index(nxt):] + [node, nxt] if nxt in trail else [node, nxt])
                return True
            if state.get(nxt) is None and visit(nxt, [*trail, node]):
                return True
        state[node] = 2
        return False

    for module in sorted(graph):
        if state.get(module) is None and visit(module, []):
            break
    assert not cycle, "import cycle: " + " → ".join(f"teilhabe_rules.{m}" if m else "teilhabe_rules" for m in cycle)


def test_no_private_name_of_another_module_is_used() -> None:
    broken = []
    for module in sorted(MODULES):
        path = MODULES[module]
        tree = ast.parse(path.read_text("utf-8"))
        aliases: dict[str, str] = {}  # local name → package module it stands for
        for target, node, names in _imports(module):
            if target not in MODULES:
                continue
            if isinstance(node, ast.ImportFrom) and not names:  # ``from package import module``
                for alias in node.names:
                    if target.rsplit(".", 1)[-1] == alias.name:
                        aliases[alias.asname or alias.name] = target
            last = target.rsplit(".", 1)[-1]
            private_module = last.startswith("_") and not last.startswith("__")
            if private_module and wing(target) != wing(module):
                broken.append(f"teilhabe_rules.{module}:{node.lineno} imports the private module "
                              f"teilhabe_rules.{target}")
            for name in names:
                if name.startswith("_") and not name.startswith("__") and target != module:
                    broken.append(f"teilhabe_rules.{module}:{node.lineno} imports {name} from teilhabe_rules.{target}")
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                broken.append(f"teilhabe_rules.{module}:{node.lineno} uses {node.value.id}.{node.attr} "
                              f"of teilhabe_rules.{aliases[node.value.id]}")
    assert broken == [], "\n".join(broken)


@pytest.mark.parametrize(
    ("source", "finding"),
    [
        ("from ..tools import diff\n", "imports teilhabe_rules.tools.diff (tools)"),
        ("from ..syntax.parser import _where\n", "imports _where from teilhabe_rules.syntax.parser"),
        ("from ..syntax import parser\nparser._x\n", "uses parser._x"),
    ],
)
def test_the_checks_see_a_breach(source: str, finding: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A runtime module that imports a tool, or a private name, is found (the checks can fail)."""
    probe = tmp_path / "probe.py"
    probe.write_text(source, encoding="utf-8")
    monkeypatch.setitem(MODULES, "runtime.probe", probe)
    messages: list[str] = []
    for check in (test_each_wing_imports_only_from_the_wings_below_it, test_no_private_name_of_another_module_is_used):
        try:
            check()
        except AssertionError as exc:
            messages.append(str(exc))
    assert any(finding in message for message in messages), messages


# the one place that reads a message's text: Python's JSON decoder gives its reasons only as
# English text (no code), which the population reader translates into German for its error rows
TEXT_READERS = {("src/teilhabe_rules/inputs/population.py", "if exc.message.startswith(english):")}


def test_no_message_text_decides_behaviour() -> None:
    """Code reacts to a fault or an error by its record (kind, fields), never by its German text."""
    patterns = (".message.startswith(", ".message.endswith(", ".message ==", "in exc.render()", "in str(exc)")
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for path in PACKAGE.rglob("*.py")
             for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1)
             if any(p in line for p in patterns) and (str(path.relative_to(ROOT)), line.strip()) not in TEXT_READERS]
    assert found == [], "\n".join(found)
