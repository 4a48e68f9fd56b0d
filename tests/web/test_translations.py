"""The German catalog is complete: every message in the code has a German translation."""

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent.parent
CATALOG = ROOT / "circle" / "translations" / "de" / "LC_MESSAGES" / "messages.po"
METHODS = [("circle/**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _msgids_in_code() -> set[str]:
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _as_tuple(value):
    return value if isinstance(value, tuple) else (value,)


def _catalog():
    with CATALOG.open("rb") as handle:
        return read_po(handle, locale="de")


def test_every_message_in_the_code_has_a_german_translation():
    catalog = _catalog()
    translated = {
        (m.id[0] if isinstance(m.id, tuple) else m.id)
        for m in catalog
        if m.id and not m.fuzzy and all(_as_tuple(m.string))
    }
    missing = sorted(_msgids_in_code() - translated)
    assert missing == [], "untranslated (run make extract-messages, then translate):\n" + "\n".join(
        missing
    )


def test_translations_keep_every_placeholder():
    for message in _catalog():
        if not message.id or not message.string:
            continue
        expected = set(PLACEHOLDER.findall(_as_tuple(message.id)[-1]))
        for msgstr in _as_tuple(message.string):
            assert set(PLACEHOLDER.findall(msgstr)) == expected, message.id
