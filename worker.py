"""The worker's entry point beside ``wsgi.py``: ``huey_consumer worker.huey`` runs the task
queue's jobs and its scheduler in this process's app (``flask circle worker`` does the
same from the Flask command line)."""

from circle import create_app
from circle.tasks import jobs
from circle.tasks.queue import huey

jobs.bind(create_app())

__all__ = ["huey"]
