"""Values kept in a server's memory (``circle.core.memo``): made once per key, the least
recently used out first when full, all forgotten on demand."""

from __future__ import annotations

from circle.core.memo import Memo


def maker(log: list, value):
    """A ``make`` that notes every call."""

    def make():
        log.append(value)
        return value

    return make


def test_a_value_is_made_once_per_key():
    memo, made = Memo(4), []
    assert memo.get("a", maker(made, 1)) == 1
    assert memo.get("a", maker(made, 2)) == 1  # kept: not made again
    assert memo.get("b", maker(made, 3)) == 3
    assert made == [1, 3]


def test_the_least_recently_used_value_goes_first_when_full():
    memo, made = Memo(2), []
    memo.get("a", maker(made, 1))
    memo.get("b", maker(made, 2))
    memo.get("a", maker(made, 0))  # a is used again: b is now the oldest
    memo.get("c", maker(made, 3))
    assert len(memo) == 2
    assert memo.get("a", maker(made, 10)) == 1
    assert memo.get("b", maker(made, 20)) == 20  # made again
    assert made == [1, 2, 3, 20]


def test_forget_everything_empties_every_store():
    first, second, made = Memo(2), Memo(2), []
    first.get("a", maker(made, 1))
    second.get("a", maker(made, 2))
    Memo.forget_everything()
    assert len(first) == len(second) == 0
    assert first.get("a", maker(made, 3)) == 3


def test_values_are_kept_in_reading_requests_only(app):
    """A GET keeps and reuses; a POST (a writing transaction) and work outside a request
    make the value every time and keep nothing."""
    memo, made = Memo(4), []
    with app.test_request_context(method="POST"):
        assert memo.get_reading("a", maker(made, 1)) == 1
        assert memo.get_reading("a", maker(made, 2)) == 2
    assert memo.get_reading("a", maker(made, 3)) == 3
    assert len(memo) == 0
    with app.test_request_context(method="GET"):
        assert memo.get_reading("a", maker(made, 4)) == 4
        assert memo.get_reading("a", maker(made, 5)) == 4
    assert made == [1, 2, 3, 4]


def test_a_stale_value_is_made_anew():
    """A kept value that ``stale`` says no longer holds (an expired invitation shown) is
    made again and kept in its place."""
    memo, made = Memo(4), []
    assert memo.get("a", maker(made, 1), stale=lambda value: value == 1) == 1
    assert memo.get("a", maker(made, 2), stale=lambda value: value == 1) == 2
    assert memo.get("a", maker(made, 3), stale=lambda value: value == 1) == 2
    assert made == [1, 2]
