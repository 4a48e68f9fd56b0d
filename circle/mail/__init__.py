"""Mail: composed in the reader's language, sent after the commit that caused it (``send``)."""
