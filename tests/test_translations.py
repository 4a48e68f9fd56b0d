"""The German catalog is complete: every message in the code has a German translation."""

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
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


def _catalog():
    with CATALOG.open("rb") as handle:
        return read_po(handle, locale="de")


def test_every_message_in_the_code_has_a_german_translation():
    catalog = _catalog()
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(_msgids_in_code() - translated)
    assert missing == [], "untranslated (run make extract-messages, then translate):\n" + "\n".join(
        missing
    )


def test_translations_keep_every_placeholder():
    for message in _catalog():
        if not message.id or not message.string:
            continue
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        msgstr = message.string[0] if isinstance(message.string, tuple) else message.string
        assert set(PLACEHOLDER.findall(msgid)) == set(PLACEHOLDER.findall(msgstr)), msgid
