"""Link rules: one original per duplicate, originals are not duplicates, no cause cycles."""

from __future__ import annotations

import pytest

from slaguard.domain.errors import LinkError
from slaguard.domain.links import CAUSED_BY, DUPLICATE_OF, LinkGraph


def test_duplicate_of_one_original_only() -> None:
    g = LinkGraph.of([("B", DUPLICATE_OF, "A")])
    g.add("B", DUPLICATE_OF, "A")  # the same link again is fine
    with pytest.raises(LinkError, match="one original only") as err:
        g.add("B", DUPLICATE_OF, "C")
    assert err.value.path == "original"
    assert g.duplicate_of == {"B": "A"}  # nothing written


def test_an_original_cannot_become_a_duplicate() -> None:
    g = LinkGraph.of([("B", DUPLICATE_OF, "A")])
    with pytest.raises(LinkError, match="original of 'B'"):
        g.add("A", DUPLICATE_OF, "C")


def test_cannot_duplicate_a_duplicate() -> None:
    g = LinkGraph.of([("B", DUPLICATE_OF, "A")])
    with pytest.raises(LinkError, match="itself a duplicate of 'A'"):
        g.add("C", DUPLICATE_OF, "B")


def test_mutual_duplicates_are_refused() -> None:
    g = LinkGraph.of([("B", DUPLICATE_OF, "A")])
    with pytest.raises(LinkError):
        g.add("A", DUPLICATE_OF, "B")


@pytest.mark.parametrize("kind", [DUPLICATE_OF, CAUSED_BY])
def test_self_links_are_refused(kind: str) -> None:
    with pytest.raises(LinkError, match="itself"):
        LinkGraph().add("A", kind, "A")


def test_cause_cycles_are_refused_and_named() -> None:
    g = LinkGraph.of([("B", CAUSED_BY, "A"), ("C", CAUSED_BY, "B"), ("D", CAUSED_BY, "C")])
    with pytest.raises(LinkError, match="A -> D -> C -> B -> A"):
        g.add("A", CAUSED_BY, "D")
    assert "A" not in g.caused_by


def test_a_diamond_is_not_a_cycle() -> None:
    g = LinkGraph.of(
        [("B", CAUSED_BY, "A"), ("C", CAUSED_BY, "A"), ("D", CAUSED_BY, "B"), ("D", CAUSED_BY, "C")]
    )
    assert g.caused_by["D"] == {"B", "C"}


def test_unknown_kind() -> None:
    with pytest.raises(LinkError, match="unknown link kind"):
        LinkGraph().add("A", "blocks", "B")


def test_a_cycle_through_both_kinds_is_refused() -> None:
    # B duplicates A, so A being caused by B would make A its own cause.
    g = LinkGraph.of([("B", DUPLICATE_OF, "A")])
    with pytest.raises(LinkError, match="cycle: A -> B -> A") as err:
        g.add("A", CAUSED_BY, "B")
    assert err.value.path == "cause"
    assert "A" not in g.caused_by


def test_a_duplicate_that_closes_a_cause_cycle_is_refused() -> None:
    g = LinkGraph.of([("B", CAUSED_BY, "A"), ("C", CAUSED_BY, "B")])
    with pytest.raises(LinkError, match="cycle: A -> C -> B -> A") as err:
        g.add("A", DUPLICATE_OF, "C")
    assert err.value.path == "original"
    assert "A" not in g.duplicate_of
    g.add("C", DUPLICATE_OF, "A")  # the other way round is no cycle


def test_stored_links_are_not_judged_again_and_new_ones_still_are() -> None:
    # a cycle through both kinds, stored before such cycles were refused
    g = LinkGraph.stored([("B", DUPLICATE_OF, "A"), ("A", CAUSED_BY, "B")])
    assert g.duplicate_of == {"B": "A"} and g.caused_by == {"A": {"B"}}
    g.add("C", CAUSED_BY, "A")  # an unrelated link goes in
    with pytest.raises(LinkError, match="cycle: A -> C -> A"):
        g.add("A", CAUSED_BY, "C")
    with pytest.raises(LinkError, match="cycle"):
        LinkGraph.of([("B", DUPLICATE_OF, "A"), ("A", CAUSED_BY, "B")])
