"""The circle home page: what to do now."""
