"""The shared ``repr`` of the library's attrs classes is the one attrs itself writes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
from hypothesis import given
from hypothesis import strategies as st

from teilhabe_rules.records import Record
from teilhabe_rules.span import Span


@attrs.frozen
class Written:
    name: str
    value: Any
    hidden: int = attrs.field(default=0, repr=False)
    parts: tuple[Any, ...] = ()


@attrs.frozen(repr=False)
class Shared(Record):
    name: str
    value: Any
    hidden: int = attrs.field(default=0, repr=False)
    parts: tuple[Any, ...] = ()


@attrs.define
class WrittenNode:
    label: str
    next: Any = None


@attrs.define(repr=False)
class SharedNode(Record):
    label: str
    next: Any = None


VALUES = st.recursive(
    st.none() | st.integers() | st.text(max_size=5) | st.decimals(allow_nan=False).map(Decimal),
    lambda inner: st.lists(inner, max_size=3).map(tuple),
    max_leaves=8,
)


@given(name=st.text(max_size=8), value=VALUES, hidden=st.integers(), parts=st.lists(VALUES, max_size=3))
def test_the_repr_is_the_one_attrs_writes(name: str, value: Any, hidden: int, parts: list[Any]) -> None:
    written = repr(Written(name, Written(name, value), hidden, tuple(parts)))
    shared = repr(Shared(name, Shared(name, value), hidden, tuple(parts)))
    assert shared == written.replace("Written(", "Shared(")


def test_an_object_already_being_shown_is_three_dots_as_in_attrs() -> None:
    written, shared = WrittenNode("a"), SharedNode("a")
    written.next, shared.next = written, shared
    assert repr(shared) == repr(written).replace("WrittenNode(", "SharedNode(") == "SharedNode(label='a', next=...)"


def test_the_library_classes_use_it() -> None:
    assert repr(Span(1, 2, 3, 4)) == "Span(line=1, column=2, end_line=3, end_column=4, file=None)"
    assert "__repr__" not in vars(Span)
