"""The process's caches keep at most their limit, the oldest leaving first."""

from app.bounded import Bounded


def test_the_oldest_entries_leave_first() -> None:
    kept: Bounded[str, int] = Bounded(2)
    assert kept.keep("a", 1) == 1
    kept.keep("b", 2)
    kept.keep("c", 3)
    assert kept == {"b": 2, "c": 3}


def test_keeping_a_known_key_again_replaces_its_value_without_evicting() -> None:
    kept: Bounded[str, int] = Bounded(2)
    kept.keep("a", 1)
    kept.keep("b", 2)
    kept.keep("a", 10)
    assert kept == {"a": 10, "b": 2}
