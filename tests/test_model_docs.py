"""The hand-written model descriptions (docs/models/*.md) state the models' numbers truly.

Every table row where a description names a parameter in backticks and gives a value right after it
(``| `njaz` | 1.650 h/VK/Jahr |``, ```lp0_indirekt` 0 %``, ```lp2a_grenze_0/1/2/3` 0 / 7 / 21 / 37
min/Tag``, ```lp2c_reinigung` 1:28.41``, ``| `abwesenheit_kuerzt_grundpauschale` | ja |``), every
table it names with its values (``| `lp1a_zeit` | 0 / 40 / 80 / 160 min/Tag |``, ``1 → 100 %, 2 →
65 %``) and the two tables bei_nrw3.md prints as grids is compared with the checked model. The
figures of the worked examples are results of evaluating cases; tests/runtime/test_mawo_model.py
and tests/runtime/test_bei_nrw3_model.py check those. The generated handbook
(``teilhabe-rules handbuch``) shows all of a model's numbers; these descriptions explain them.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import teilhabe_rules
from teilhabe_rules.ir import checked as c

ROOT = Path(__file__).resolve().parent.parent
DOCS = {"mawo": ROOT / "docs" / "models" / "mawo.md", "bei_nrw3": ROOT / "docs" / "models" / "bei_nrw3.md"}

NUMBER = r"[−-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?|[−-]?\d+(?:,\d+)?"
# a value right after a name: a staff key, a list of numbers with one unit, a truth value or a member
VALUE = re.compile(
    rf"\s*(?:\|\s*)?(?:(?P<key>1:\d+(?:[.,]\d+)?)|(?P<numbers>(?:{NUMBER})(?:\s*/\s*(?:{NUMBER}))*)"
    rf"(?:\s*(?P<unit>%|[A-Za-zÄÖÜäöü]+(?:/[A-Za-zÄÖÜäöü]+)*))?|(?P<truth>ja|nein)\b|`(?P<member>[\w]+)`)")
NAMED = re.compile(r"`(?P<name>[a-z][a-z0-9_]*)(?P<suffixes>(?:/[0-9a-z]+)+|…[0-9]+)?`")


def german(text: str) -> Decimal:
    """``1.650`` → 1650, ``68,95`` → 68.95, ``−1`` → -1 (as the descriptions write numbers)."""
    return Decimal(text.replace("−", "-").replace(".", "").replace(",", "."))


def _names(match: re.Match[str]) -> list[str]:
    """```lp2a_grenze_0/1/2/3``` → four names; ```lp3b_grenze_1…4``` → four."""
    name, suffixes = match["name"], match["suffixes"]
    if not suffixes:
        return [name]
    stem = re.sub(r"[0-9a-z]+$", "", name)
    if suffixes.startswith("…"):
        first = int(re.search(r"(\d+)$", name)[1])  # type: ignore[index]
        return [f"{stem}{n}" for n in range(first, int(suffixes[1:]) + 1)]
    return [name, *(stem + s for s in suffixes.strip("/").split("/"))]


def _shown(value: Any, vtype: c.ValueType) -> Any:
    """A parameter's value as the descriptions state it (a share in per cent)."""
    if isinstance(value, Decimal) and vtype.unit.percent:
        return value.scaleb(2)
    return value


def stated_parameters(text: str, model: c.CheckedModel) -> list[tuple[int, str, Any, Any]]:
    """(line, parameter, stated, the model's) for every value stated right after a parameter's name
    in a table row (prose names values of examples and agreements too: ```lp3a_poolanteil` = 100 %
    rechnet …``)."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("|"):
            continue
        for match in NAMED.finditer(line):
            names = _names(match)
            if not all(n in model.parameters for n in names):
                continue
            value = VALUE.match(line, match.end())
            if value is None:
                continue
            specs = [model.parameters[n] for n in names]
            if value["key"]:
                stated: list[Any] = [Decimal(value["key"][2:].replace(",", "."))]
            elif value["numbers"]:
                stated = [german(part) for part in re.split(r"\s*/\s*", value["numbers"])]
            elif value["truth"]:
                stated = [value["truth"] == "ja"]
            else:
                stated = [value["member"]]
            if len(stated) != len(specs):
                continue  # a list of other numbers follows (e.g. a range), not the names' values
            for spec, said in zip(specs, stated, strict=True):
                found.append((number, spec.name, said, _shown(spec.default, spec.type)))
    return found


def stated_tables(text: str, model: c.CheckedModel) -> list[tuple[int, str, Any, Any]]:
    """(line, table, stated, the model's) for the value lists and ``key → value`` pairs in a table
    row that names a table of numbers (``| `lp1a_zeit` | 0 / 40 / 80 / 160 min/Tag |``)."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if len(cells) < 2 or not re.fullmatch(r"`\w+`", cells[0]) or cells[0].strip("`") not in model.tables:
            continue
        table = model.tables[cells[0].strip("`")]
        if table.value_type.kind is not c.TypeKind.ZAHL:
            continue
        values = [_shown(row.value, table.value_type) for row in table.rows]
        pairs = re.findall(rf"(?<![\w–])(\d+) → ({NUMBER})", cells[1])
        listed = re.search(rf"(?:{NUMBER})(?:\s*(?:/|%,)\s*(?:{NUMBER}))+", cells[1])
        if pairs:
            mapping = table.mapping()
            for key, said in pairs:
                found.append((number, f"{table.name}[{key}]", german(said),
                              _shown(mapping.get(int(key)), table.value_type)))
        elif listed:
            stated = [german(n) for n in re.findall(NUMBER, listed.group(0))]
            found.append((number, table.name, stated, values[-len(stated):]))
    return found


@pytest.fixture(scope="module", params=sorted(DOCS))
def described(request: pytest.FixtureRequest) -> tuple[str, str, c.CheckedModel]:
    name = request.param
    return name, DOCS[name].read_text("utf-8"), teilhabe_rules.bundled(name).checked


def test_parameter_values_are_the_models(described: tuple[str, str, c.CheckedModel]) -> None:
    name, text, model = described
    wrong = [f"{name}.md:{line}: {what} = {said}, das Modell sagt {truth}"
             for line, what, said, truth in stated_parameters(text, model) if said != truth]
    assert wrong == []


def test_table_values_are_the_models(described: tuple[str, str, c.CheckedModel]) -> None:
    name, text, model = described
    wrong = [f"{name}.md:{line}: {what} = {said}, das Modell sagt {truth}"
             for line, what, said, truth in stated_tables(text, model) if said != truth]
    assert wrong == []


def test_every_parameter_is_stated(described: tuple[str, str, c.CheckedModel]) -> None:
    """The parameter tables list every parameter with its value: none is left unchecked."""
    name, text, model = described
    stated = {what for _, what, _, _ in stated_parameters(text, model)}
    assert sorted(set(model.parameters) - stated) == []


def test_a_wrong_number_is_found() -> None:
    model = teilhabe_rules.bundled("mawo").checked
    text = DOCS["mawo"].read_text("utf-8")
    for right, wrong in (("| `njaz` | 1.650 h/VK/Jahr", "| `njaz` | 1.651 h/VK/Jahr"),
                         ("`lp2a_grenze_0/1/2/3` 0 / 7 / 21 / 37", "`lp2a_grenze_0/1/2/3` 0 / 7 / 22 / 37"),
                         ("`lp2c_reinigung` 1:28.41", "`lp2c_reinigung` 1:28.42"),
                         ("`lp0_indirekt` 0 %", "`lp0_indirekt` 5 %")):
        assert right in text
        mistakes = [item for item in stated_parameters(text.replace(right, wrong), model) if item[2] != item[3]]
        assert len(mistakes) == 1, (wrong, mistakes)
    assert "| `lp1a_zeit` | 0 / 40 / 80 / 160 min/Tag |" in text
    changed = text.replace("| `lp1a_zeit` | 0 / 40 / 80 / 160", "| `lp1a_zeit` | 0 / 40 / 90 / 160")
    assert [item for item in stated_tables(changed, model) if item[2] != item[3]] != []


def _grid(text: str, heading: str) -> list[list[str]]:
    """The cells of the first Markdown table after the paragraph that starts with ``heading``."""
    start = text.index(heading)
    block = re.search(r"((?:^\|.*\n)+)", text[start:], re.M)
    assert block is not None
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in block.group(1).splitlines()]
    return [row for row in rows if not set("".join(row)) <= set("-: ")]


def test_bei_nrw3_grids() -> None:
    """The group shares (one row) and the Maßnahmepauschale (LT × HBG) of bei_nrw3.md."""
    model = teilhabe_rules.bundled("bei_nrw3").checked
    text = DOCS["bei_nrw3"].read_text("utf-8")
    people, shares = _grid(text, "`gruppenanteil` –")
    mapping = model.tables["gruppenanteil"].mapping()
    compared = 0
    for key, share in zip(people[1:], shares[1:], strict=True):
        if key.isdigit():
            assert german(share.rstrip(" %")) == mapping[int(key)].scaleb(2), key
            compared += 1
        else:
            assert "nicht vereinbart" in share and not any(k >= 6 for k in mapping), key
    assert compared == len(mapping)
    grid = _grid(text, "`massnahmepauschale` –")
    prices = model.tables["massnahmepauschale"].mapping()
    seen = set()
    for row in grid[1:]:
        if not row[0].isdigit():
            continue
        for hbg, cell in enumerate(row[2:5], start=1):
            key = next((k for k in prices if str(k[0]) == row[0] and str(k[1]) == str(hbg)), None)
            if cell in ("–", ""):
                assert key is None, (row[0], hbg)
            else:
                assert key is not None and german(cell) == prices[key], (row[0], hbg, cell)
                seen.add(key)
    assert seen == set(prices)
