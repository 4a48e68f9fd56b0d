"""Member scores: the point table per area, the computation, its explanation and the pages."""
