"""Clock states, as a table.

A clock instance's state follows from four facts about it at the evaluation instant:
whether it was cancelled, whether it stopped, whether it ran past its due instant, and
whether it is paused now. `STATE_TABLE` spells out every combination once:

    cancelled                      -> cancelled     (a merged/duplicate ticket, or a restart)
    stopped, never past due        -> met
    stopped, ran past due          -> breached_met
    open, past due (paused or not) -> breached      (breached stays visible while paused)
    open, paused                   -> paused
    open, otherwise                -> running       (also outside business hours)

"Past due" is strict: at exactly due_at a clock is still running.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["STATE_TABLE", "ClockState", "state_of"]


class ClockState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"
    BREACHED_MET = "breached_met"
    CANCELLED = "cancelled"


# (cancelled, stopped, breached, paused) -> state
STATE_TABLE: dict[tuple[bool, bool, bool, bool], ClockState] = {}
for _cancelled in (False, True):
    for _stopped in (False, True):
        for _breached in (False, True):
            for _paused in (False, True):
                if _cancelled:
                    _state = ClockState.CANCELLED
                elif _stopped:
                    _state = ClockState.BREACHED_MET if _breached else ClockState.MET
                elif _breached:
                    _state = ClockState.BREACHED
                else:
                    _state = ClockState.PAUSED if _paused else ClockState.RUNNING
                STATE_TABLE[(_cancelled, _stopped, _breached, _paused)] = _state


def state_of(*, cancelled: bool, stopped: bool, breached: bool, paused: bool) -> ClockState:
    return STATE_TABLE[(cancelled, stopped, breached, paused)]
