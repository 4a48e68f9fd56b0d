"""The shared core every domain builds on: money, weeks, ids, text checks, CSV writing,
domain errors, tokens and password hashing, the permission table, mail and the audit
trail's writer lives beside its reader in ``circle.auditlog``.

Nothing here imports a domain package (``circle.<domain>``), a view or the API.
"""
