"""Running Circle in production: structured logs with a request id, and metrics."""
