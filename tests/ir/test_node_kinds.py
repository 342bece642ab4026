"""One class per kind of computation step: each has exactly the fields its kind uses, none of them optional."""

from __future__ import annotations

import typing

import attrs
import pytest

import teilhabe_rules
from teilhabe_rules.ir import checked as c
from teilhabe_rules.shipped import model_files

# the fields every step has; only the texts may be missing
COMMON: dict[str, bool] = {  # field → may be None
    "id": False,
    "key": False,
    "scope": False,
    "type": False,
    "span": False,
    "label": True,
    "doc": True,
    "source": True,
    "deps": False,
}

# class → (its kinds, its own fields → may be None)
KINDS: dict[type, tuple[frozenset[c.NodeKind], dict[str, bool]]] = {
    c.ValueNode: (frozenset({c.NodeKind.WERT}), {"expr": False, "package": True}),
    c.ExpressionLevelNode: (frozenset({c.NodeKind.STUFE}), {"expr": False, "package": False}),
    c.CorridorLevelNode: (frozenset({c.NodeKind.STUFE}), {"subject": False, "bands": False, "package": False}),
    c.GrantedLevelNode: (frozenset({c.NodeKind.BEWILLIGT}), {"expr": False, "package": False}),
    c.CheckNode: (
        frozenset({c.NodeKind.PRUEFUNG, c.NodeKind.WARNUNG}),
        {"kind": False, "expr": False, "message": False, "package": True},
    ),
}


def _optional(annotation: object) -> bool:
    return type(None) in typing.get_args(annotation)


def test_the_node_union_is_the_table() -> None:
    assert set(typing.get_args(c.Node)) == set(KINDS)
    assert set().union(*(kinds for kinds, _fields in KINDS.values())) == set(c.NodeKind)


@pytest.mark.parametrize("cls", list(KINDS), ids=lambda cls: cls.__name__)
def test_fields_of_each_kind(cls: type) -> None:
    kinds, own = KINDS[cls]
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in attrs.fields(cls)}
    assert set(fields) == set(COMMON) | set(own)
    for name, may_be_none in {**COMMON, **own}.items():
        assert _optional(hints[name]) is may_be_none, f"{cls.__name__}.{name}"
        assert fields[name].default is attrs.NOTHING, f"{cls.__name__}.{name} has a default"
    if "kind" not in own:
        assert vars(cls)["kind"] in kinds  # a class constant: the class tells the kind


def test_every_node_of_the_bundled_models_has_its_kind() -> None:
    seen: set[type] = set()
    for path in model_files():
        model = teilhabe_rules.load(path)
        for node in model.checked.nodes.values():
            kinds, _own = KINDS[type(node)]
            assert node.kind in kinds
            seen.add(type(node))
    assert seen == set(KINDS)
