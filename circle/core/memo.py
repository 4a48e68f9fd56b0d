"""A bounded, thread-safe store of computed values in a server's memory.

For results that are expensive to compute and cheap to recognise: the key must name
everything the value depends on (for data of the database, a stamp that changes in the
same transaction as the data, like ``Circle.slips_stamp``), so that a kept value is never
used for anything else. The oldest unused entry goes first when the store is full.

A value made under ``Circle.data_stamp`` is kept and used only in a request that reads
(``only_reading``): a writing transaction gives the circle its new stamp at its first
write, and what it computed after that would miss its later writes.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from threading import Lock
from typing import Generic, TypeVar
from weakref import WeakSet

from flask import has_request_context, request

V = TypeVar("V")


class Memo(Generic[V]):
    """At most ``size`` values by key, least recently used out first."""

    _every: WeakSet[Memo] = WeakSet()

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = Lock()
        Memo._every.add(self)

    def get(
        self, key: Hashable, make: Callable[[], V], stale: Callable[[V], bool] | None = None
    ) -> V:
        """The value kept for ``key``, or ``make()``'s, which is kept from then on; a kept
        value that ``stale`` says no longer holds is made and kept anew.

        ``make`` runs outside the lock: two threads may both make a missing value, and
        the later one is kept (they are equal, as the key says everything).
        """
        with self._lock:
            if key in self._values and not (stale and stale(self._values[key])):
                self._values.move_to_end(key)
                return self._values[key]
        value = make()
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        return value

    def get_reading(
        self, key: Hashable, make: Callable[[], V], stale: Callable[[V], bool] | None = None
    ) -> V:
        """``get`` in a request that only reads (``only_reading``); elsewhere ``make()``,
        neither used nor kept."""
        return self.get(key, make, stale) if only_reading() else make()

    def __len__(self) -> int:
        """How many values are kept."""
        return len(self._values)

    def clear(self) -> None:
        """Forget every value."""
        with self._lock:
            self._values.clear()

    @classmethod
    def forget_everything(cls) -> None:
        """Empty every store: the next call of each makes its value again (the statement
        counts measure that path, the one after a change)."""
        for memo in list(cls._every):
            memo.clear()


def only_reading() -> bool:
    """Whether this is a GET or HEAD request: one that writes none of a circle's data (the
    pages write only a session's bookkeeping), so that the stamps it reads name what it
    reads. False outside a request (commands, the worker)."""
    return has_request_context() and request.method in ("GET", "HEAD")
