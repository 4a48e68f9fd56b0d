"""WSGI entry point: ``gunicorn wsgi:app`` (and ``flask --app wsgi``, the worker)."""

import gc

from circle import create_app

app = create_app()

# What the start made (modules, routes, mappers, the loaded catalogues: 200,000 objects)
# lives as long as the process. Frozen, the collector's full passes no longer walk it: a
# pass took 150 ms (a stall of every request queued behind it, now and then under load);
# it now walks only what came later.
gc.collect()
gc.freeze()
