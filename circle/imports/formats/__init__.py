"""The import formats, one module each, behind one interface.

``common`` holds what they share (``SlipRow``, ``RowError``, ``Parsed``, the limits);
``text`` and ``spreadsheetml`` turn bytes into rows of cells; ``bni_slips.read_bni`` and
``circle_csv.read_circle_csv`` turn rows of cells into a ``Parsed``.
``circle.imports.parsers.parse`` recognises the format and calls them.
"""
