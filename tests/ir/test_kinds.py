"""The kinds of value types, references and nodes: enums that read, print and hash as their German word."""

from __future__ import annotations

import json
from typing import Any

import pytest

from teilhabe_rules.ir import checked as c

MEMBERS = [member for cls in (c.TypeKind, c.RefKind, c.NodeKind) for member in cls]


@pytest.mark.parametrize("member", MEMBERS, ids=lambda m: f"{type(m).__name__}.{m.name}")
def test_a_kind_is_its_word(member: Any) -> None:
    word = member.value
    assert type(word) is str
    assert member == word and hash(member) == hash(word)
    assert {word: 1}[member] == 1 and member in {word}
    assert str(member) == f"{member}" == "%s" % member == word  # noqa: UP031 - the %-format too
    assert f"{member:>12}" == f"{word:>12}"
    assert json.dumps({member: member}) == json.dumps({word: word})
    assert type(member)(word) is member


def test_the_words() -> None:
    assert [k.value for k in c.NodeKind] == ["wert", "stufe", "bewilligt", "prüfung", "warnung"]
    assert [k.value for k in c.RefKind] == ["eingabe", "parameter", "wert"]
    assert [k.value for k in c.TypeKind] == [
        "zahl", "ja_nein", "datum", "text", "schlüssel", "enum", "liste", "modus"
    ]


def test_describe_by_kind() -> None:
    assert c.NUMBER.describe() == "Zahl"
    assert c.KEY.describe() == "Schlüssel 1:x"
    assert c.ValueType(c.TypeKind.MODUS).describe() == "Rundungsart"
    assert c.ValueType(c.TypeKind.LISTE, element=c.DATE).describe() == "Liste von Datum"
