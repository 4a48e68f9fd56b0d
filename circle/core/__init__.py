"""The shared core, the bottom layer: the clock, money, weeks, ids, text checks, CSV
writing with the formula guard, domain errors, tokens and password hashing.

Nothing here imports anything else of the app (models only for type hints); everything
else may import it. The permission table lives with the roles (``circle.roles.permissions``),
mail in ``circle.mail``, the audit trail in ``circle.auditlog``.
"""
