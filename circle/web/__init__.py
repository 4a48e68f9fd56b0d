"""The HTML side's shared parts: the request boundary for views (``boundary``), form base
classes (``forms``), error pages (``errors``), the request edge (``edge``: trusted hosts
and body caps; ``request_text``: NUL characters), and the locale and Jinja filters (``i18n``).
"""
