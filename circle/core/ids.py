"""URL converters shared by every blueprint."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

#: The largest value of the integer primary keys on SQLite and PostgreSQL.
MAX_ID = 2**31 - 1
#: No row has this id: what an id outside the database's range turns into.
NO_ID = 0


def is_id(value: object) -> bool:
    """True for an int the database can hold as an id (a form may deliver any size)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


class IdConverter(IntegerConverter):
    """``<int:...>`` for ids: a value beyond 2**31-1 becomes ``NO_ID`` and is not found.

    Without this, a huge id reaches the database driver and fails there (an overflow
    on SQLite, an out-of-range error on PostgreSQL) instead of answering 404. The
    route still matches, so every view answers exactly as for an unknown id.
    """

    def to_python(self, value: str) -> int:
        """Parse the id; out-of-range values name no object."""
        number = super().to_python(value)
        return number if number <= MAX_ID else NO_ID


def id_arg(text: str) -> int:
    """An id from a query string: ``request.args.get("member", type=id_arg)``.

    Only plain ASCII digits are an id (``int()`` would also take ``" 7"``, ``"1_0"`` or
    Arabic-Indic digits); anything else raises ValueError, which ``get`` turns into its
    default. An id the database cannot hold is ``NO_ID``, so it names no row instead of
    overflowing the driver (``?member=99999999999999999999`` was a 500).
    """
    if not (text.isascii() and text.isdigit()):
        raise ValueError(text)
    if len(text.lstrip("0")) > len(str(MAX_ID)):
        return NO_ID
    number = int(text)
    return number if is_id(number) else NO_ID
