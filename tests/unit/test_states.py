"""The clock state table: every combination of (cancelled, stopped, breached, paused), by hand."""

from __future__ import annotations

import itertools

import pytest

from slaguard.domain.states import STATE_TABLE, ClockState, state_of

# cancelled, stopped, breached, paused -> state
EXPECTED: list[tuple[bool, bool, bool, bool, ClockState]] = [
    # open clocks
    (False, False, False, False, ClockState.RUNNING),  # also outside business hours
    (False, False, False, True, ClockState.PAUSED),
    (False, False, True, False, ClockState.BREACHED),
    (False, False, True, True, ClockState.BREACHED),  # a breach stays visible while paused
    # stopped clocks
    (False, True, False, False, ClockState.MET),
    (False, True, False, True, ClockState.MET),  # stopped while its status was paused
    (False, True, True, False, ClockState.BREACHED_MET),
    (False, True, True, True, ClockState.BREACHED_MET),
    # cancelled wins over everything else
    (True, False, False, False, ClockState.CANCELLED),
    (True, False, False, True, ClockState.CANCELLED),
    (True, False, True, False, ClockState.CANCELLED),
    (True, False, True, True, ClockState.CANCELLED),
    (True, True, False, False, ClockState.CANCELLED),
    (True, True, False, True, ClockState.CANCELLED),
    (True, True, True, False, ClockState.CANCELLED),
    (True, True, True, True, ClockState.CANCELLED),
]


@pytest.mark.parametrize(("cancelled", "stopped", "breached", "paused", "state"), EXPECTED)
def test_state_of(
    cancelled: bool, stopped: bool, breached: bool, paused: bool, state: ClockState
) -> None:
    assert state_of(cancelled=cancelled, stopped=stopped, breached=breached, paused=paused) is state
    assert STATE_TABLE[(cancelled, stopped, breached, paused)] is state


def test_the_table_covers_every_combination_exactly_once() -> None:
    combinations = set(itertools.product((False, True), repeat=4))
    assert set(STATE_TABLE) == combinations
    assert len(EXPECTED) == len(combinations)
    assert {row[:4] for row in EXPECTED} == combinations


def test_every_state_is_reachable() -> None:
    assert set(STATE_TABLE.values()) == set(ClockState)


def test_state_values_are_the_contract_names() -> None:
    assert [s.value for s in ClockState] == [
        "running",
        "paused",
        "met",
        "breached",
        "breached_met",
        "cancelled",
    ]
    assert str(ClockState.BREACHED_MET) == "breached_met"


def test_state_of_takes_keywords_only() -> None:
    with pytest.raises(TypeError):
        state_of(False, False, False, False)  # type: ignore[misc]
