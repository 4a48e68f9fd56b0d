"""Officer roles of a circle: who holds which, granted and revoked by ``manage_roles``."""
