"""The audit log of a circle: every recorded change, for those who run the circle."""
