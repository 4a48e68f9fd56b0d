"""Fixtures of the dues tests: ``dues``, a circle with a yearly plan and the webhook
secret configured (defined in tests/dues/webhooks.py, which other folders import too)."""

from tests.dues.webhooks import dues

__all__ = ["dues"]
