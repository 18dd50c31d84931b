"""The bounded, expiring map behind the API-key check."""

from __future__ import annotations

from slaguard.app.services import TtlCache


class Ticking:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_entry_is_kept_for_its_ttl_and_then_forgotten() -> None:
    clock = Ticking()
    cache = TtlCache[int](ttl=5.0, monotonic=clock)
    cache.put("a", 1)
    clock.now += 4.9
    assert cache.get("a") == 1
    clock.now += 0.1
    assert cache.get("a") is None


def test_storing_again_restarts_the_ttl() -> None:
    clock = Ticking()
    cache = TtlCache[int](ttl=5.0, monotonic=clock)
    cache.put("a", 1)
    clock.now += 4
    cache.put("a", 2)
    clock.now += 4
    assert cache.get("a") == 2


def test_the_oldest_entry_goes_first_when_full() -> None:
    cache = TtlCache[int](ttl=60.0, size=2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("a", 3)
    cache.put("c", 4)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (3, None, 4)


def test_discard_forgets_at_once() -> None:
    cache = TtlCache[int](ttl=60.0)
    cache.put("a", 1)
    cache.discard("a")
    cache.discard("never stored")
    assert cache.get("a") is None
